package swar

// Ones has 1 in every byte; Highs the high bit of every byte.
const (
	Ones  = 0x0101010101010101
	Highs = 0x8080808080808080
)

// Word is the first eight bytes of w, the first lowest: one load.
func Word(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// Zeros has the high bit set of exactly the bytes of y that are zero.
func Zeros(y uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((y&low7 + low7) | y | low7)
}

// FirstZero has the high bit set of the first zero byte of y, and maybe
// of bytes above it (a borrow runs upwards from a zero byte only): the
// lowest bit set is exact. It is cheaper than Zeros.
func FirstZero(y uint64) uint64 { return (y - Ones) &^ y & Highs }
