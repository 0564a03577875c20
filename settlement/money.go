package settlement

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Fen is an amount of money in fen (0.01 yuan). All money in provgate is a
// signed 64-bit count of fen; floats never touch an amount.
type Fen int64

// BP is a ratio in basis points: 10000 is 100.00%.
type BP int64

// Full is 100% in basis points.
const Full BP = 10000

// ParseFen reads a decimal yuan amount such as "123.45", "-7", "0.5" into fen.
// More than two decimals, exponents, signs in odd places and empty strings are
// rejected: the national interface carries money as (16,2).
func ParseFen(s string) (Fen, error) {
	v, err := parseScaled(s, 2)
	return Fen(v), err
}

// String formats the amount as yuan with exactly two decimals.
func (f Fen) String() string { return formatScaled(int64(f), 2) }

// Append appends the amount as String writes it.
func (f Fen) Append(b []byte) []byte { return AppendScaled(b, int64(f), 2) }

// MarshalText writes the amount as yuan ("1200.00"), so stored records and
// configuration files read as money.
func (f Fen) MarshalText() ([]byte, error) {
	// Every stored visit line and record carries several amounts: one
	// allocation each, not two.
	return f.Append(make([]byte, 0, 24)), nil
}

// UnmarshalText reads yuan with at most two decimals.
func (f *Fen) UnmarshalText(b []byte) error {
	v, err := ParseFen(string(b))
	if err != nil {
		return fmt.Errorf("amount %q: %w", b, err)
	}
	*f = v
	return nil
}

// Yuan is an alias of String for readability at call sites that print money.
func (f Fen) Yuan() string { return f.String() }

// Fraction formats a ratio as a four-decimal fraction, the national (5,4)
// format: 7000 bp is "0.7000".
func (b BP) Fraction() string { return formatScaled(int64(b), 4) }

// ParseBP reads a (5,4) fraction such as "0.05" into basis points.
func ParseBP(s string) (BP, error) {
	v, err := parseScaled(s, 4)
	return BP(v), err
}

// MulBP returns a × bp / 10000 rounded half up (away from zero) to the fen.
func MulBP(a Fen, bp BP) Fen { return Fen(divRound(int64(a)*int64(bp), 10000)) }

// DivBP returns p × 10000 / bp rounded half up to the fen: the expense that a
// payment p "consumes" at ratio bp, used for cap back-calculation.
func DivBP(p Fen, bp BP) Fen {
	if bp <= 0 {
		return 0
	}
	return Fen(divRound(int64(p)*10000, int64(bp)))
}

// divRound divides rounding half away from zero (四舍五入 for positive values).
func divRound(n, d int64) int64 {
	if d < 0 {
		n, d = -n, -d
	}
	if n >= 0 {
		return (n + d/2) / d
	}
	return -((-n + d/2) / d)
}

func minFen(a, b Fen) Fen {
	if a < b {
		return a
	}
	return b
}

func maxFen(a, b Fen) Fen {
	if a > b {
		return a
	}
	return b
}

// Qty is a quantity scaled by 10^4, the national (16,4) format for cnt.
type Qty int64

// ParseQty reads a quantity with at most four decimals.
func ParseQty(s string) (Qty, error) {
	v, err := parseScaled(s, 4)
	return Qty(v), err
}

func (q Qty) String() string { return trimZeros(formatScaled(int64(q), 4)) }

// Append appends the quantity as String writes it, for encoders that
// write a line at a time without a string per value.
func (q Qty) Append(b []byte) []byte { return AppendTrimmed(b, int64(q), 4) }

// Price is a unit price scaled by 10^6, the national (16,6) format for pric.
type Price int64

// ParsePrice reads a unit price with at most six decimals.
func ParsePrice(s string) (Price, error) {
	v, err := parseScaled(s, 6)
	return Price(v), err
}

func (p Price) String() string { return trimZeros(formatScaled(int64(p), 6)) }

// Append appends the price as String writes it.
func (p Price) Append(b []byte) []byte { return AppendTrimmed(b, int64(p), 6) }

// errTooManyDecimals is returned when a decimal has more fractional digits
// than its format allows.
type errTooManyDecimals struct{ max int }

func (e errTooManyDecimals) Error() string {
	return fmt.Sprintf("more than %d decimal places", e.max)
}

// IsTooManyDecimals reports whether err came from a decimal with too many
// fractional digits.
func IsTooManyDecimals(err error) bool {
	_, ok := err.(errTooManyDecimals)
	return ok
}

// maxIntDigits bounds the integer part so that scaled values and the
// products the calculation forms stay far inside int64.
const maxIntDigits = 13

// Errors of parseScaled, made once: parsing is on every fee line's path
// and a refusal needs no allocation either.
var (
	errEmptyNumber = errors.New("empty number")
	errNotDecimal  = errors.New("not a decimal number")
	errTooLarge    = errors.New("number too large")
)

// parseScaled reads a decimal into an integer scaled by 10^scale (scale at
// most 6) without allocating: the digits are accumulated as they are read.
func parseScaled(s string, scale int) (int64, error) {
	if v, ok := parsePlain(s, scale); ok {
		return v, nil
	}
	return parseDecimal(s, scale)
}

// parsePlain reads the usual amount, quantity or price in one pass:
// digits with at most one '.' between digits, at most scale decimals and
// maxIntDigits integer digits. For anything else (a sign, leading zeros
// beyond the limit, trailing zeros beyond the scale, a refusal) it
// reports false, and parseDecimal reads it.
func parsePlain(s string, scale int) (int64, bool) {
	if len(s) > maxIntDigits+1+scale {
		return 0, false
	}
	var v uint64
	dot := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c-'0' <= 9 {
			v = v*10 + uint64(c-'0')
			continue
		}
		if c != '.' || dot >= 0 {
			return 0, false
		}
		dot = i
	}
	places := 0
	if dot >= 0 {
		places = len(s) - dot - 1
		if dot == 0 || places == 0 || places > scale || dot > maxIntDigits {
			return 0, false
		}
	} else if len(s) == 0 || len(s) > maxIntDigits {
		return 0, false
	}
	for ; places < scale; places++ {
		v *= 10
	}
	if v > math.MaxInt64 { // below 10^19, inside uint64; beyond int64 parseDecimal refuses it
		return 0, false
	}
	return int64(v), true
}

// parseDecimal is parseScaled for every input.
func parseDecimal(s string, scale int) (int64, error) {
	if s == "" {
		return 0, errEmptyNumber
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	// The integer part runs to the first byte that is not a digit, which
	// must be the point; as strings.Cut at "." and a check of both parts
	// for digits, in one loop over the integer part.
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	intPart, frac := s[:i], ""
	if i < len(s) {
		if frac = s[i+1:]; s[i] != '.' || frac == "" || !allDigits(frac) {
			return 0, errNotDecimal
		}
	}
	if intPart == "" {
		return 0, errNotDecimal
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(intPart) > maxIntDigits {
		return 0, errTooLarge
	}
	if len(frac) > scale {
		// Trailing zeros beyond the scale carry no value ("1.500" is 1.50).
		if strings.Trim(frac[scale:], "0") != "" {
			return 0, errTooManyDecimals{scale}
		}
		frac = frac[:scale]
	}
	// At most 13 integer and 6 decimal digits: below 10^19, inside uint64;
	// beyond int64 it is refused as strconv.ParseInt refused it.
	var v uint64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + uint64(intPart[i]-'0')
	}
	for i := 0; i < len(frac); i++ {
		v = v*10 + uint64(frac[i]-'0')
	}
	for i := len(frac); i < scale; i++ {
		v *= 10
	}
	if v > math.MaxInt64 {
		return 0, errNotDecimal
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatScaled(v int64, scale int) string {
	var out [48]byte
	return string(AppendScaled(out[:0], v, scale)) // the only allocation
}

// AppendScaled appends v / 10^scale with exactly scale decimals (1 to 18):
// the one decimal printer of amounts, quantities and prices, which the
// adapters' writers share.
func AppendScaled(b []byte, v int64, scale int) []byte {
	if scale == 2 && v >= 0 {
		return appendFen(b, uint64(v)) // most numbers of a reply
	}
	return appendDecimal(b, v, scale, false)
}

// appendFen is appendDecimal for an amount that is not negative: the
// integer part's digits then the two places, without the general case's
// trimming, sign and odd places.
func appendFen(b []byte, u uint64) []byte {
	ip, frac := u/100, u%100
	n := decimalLen(ip) + 3
	b = slices.Grow(b, n)
	o := b[len(b) : len(b)+n]
	o[n-3], o[n-2], o[n-1] = '.', pairs[frac*2], pairs[frac*2+1]
	j := n - 3
	putDigits(o, j, ip)
	return b[:len(b)+n]
}

// AppendTrimmed is AppendScaled without trailing zeros after the point, and
// without the point when nothing follows it: quantities and prices.
func AppendTrimmed(b []byte, v int64, scale int) []byte {
	return appendDecimal(b, v, scale, true)
}

// appendDecimal splits the usual scales at a constant divisor (a
// multiplication, not a hardware division) and writes the digits two at a
// time straight into b, from the last pair back, its length worked out
// first; other scales go a digit at a time (appendDigits).
func appendDecimal(b []byte, v int64, scale int, trim bool) []byte {
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	// The scales the replies use split at a constant divisor; the digits
	// are then written two at a time, from the last pair back.
	var ip, frac uint64
	switch scale {
	case 2:
		ip, frac = u/100, u%100
	case 4:
		ip, frac = u/10_000, u%10_000
	case 6:
		ip, frac = u/1_000_000, u%1_000_000
	default:
		return appendDigits(b, v, scale, trim)
	}
	// The length first, then the digits straight into b from the last
	// back: copying a few bytes from a buffer costs a call to memmove.
	places := scale
	if trim {
		if frac == 0 {
			places = 0
		}
		for ; places > 0 && frac%10 == 0; places-- {
			frac /= 10
		}
	}
	n := decimalLen(ip)
	if places > 0 {
		n += 1 + places
	}
	if v < 0 {
		n++
	}
	b = slices.Grow(b, n)
	o := b[len(b) : len(b)+n]
	j := n
	if places%2 == 1 {
		j--
		o[j] = '0' + byte(frac%10)
		frac /= 10
	}
	for k := places / 2; k > 0; k-- {
		j -= 2
		o[j], o[j+1] = pairs[frac%100*2], pairs[frac%100*2+1]
		frac /= 100
	}
	if places > 0 {
		j--
		o[j] = '.'
	}
	putDigits(o, j, ip)
	if v < 0 {
		o[0] = '-'
	}
	return b[:len(b)+n]
}

// putDigits writes ip's decimal digits, two at a time, so that the last
// ends just before o[j].
func putDigits(o []byte, j int, ip uint64) {
	for ip >= 100 {
		j -= 2
		o[j], o[j+1] = pairs[ip%100*2], pairs[ip%100*2+1]
		ip /= 100
	}
	if ip >= 10 {
		o[j-2], o[j-1] = pairs[ip*2], pairs[ip*2+1]
	} else {
		o[j-1] = '0' + byte(ip)
	}
}

// decimalLen is how many decimal digits x has (1 for 0): the bit length
// times log10(2) (1233/4096) is the count or one less, which a power of
// ten tells apart. x|1 has as many digits as x, and one for 0.
func decimalLen(x uint64) int {
	x |= 1
	t := bits.Len64(x) * 1233 >> 12
	if x < pow10[t] {
		return t
	}
	return t + 1
}

// pow10 are the powers of ten a uint64 holds.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// pairs are the numbers 00 to 99, two digits each.
const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendDigits is appendDecimal for any scale, a digit at a time.
func appendDigits(b []byte, v int64, scale int, trim bool) []byte {
	u := uint64(v)
	if v < 0 {
		u = -u // math.MinInt64 too
	}
	var buf [48]byte // sign, 20 digits, the point and up to 18 places
	i := len(buf)
	shown := !trim // with trim, trailing zeros of the fraction are left out
	for range scale {
		d := byte(u % 10)
		u /= 10
		if shown = shown || d != 0; shown {
			i--
			buf[i] = '0' + d
		}
	}
	if shown {
		i--
		buf[i] = '.'
	}
	for {
		i--
		buf[i] = '0' + byte(u%10)
		if u /= 10; u == 0 {
			break
		}
	}
	if v < 0 {
		i--
		buf[i] = '-'
	}
	return append(b, buf[i:]...)
}

func trimZeros(s string) string {
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// LineAmount returns price × quantity rounded half up to the fen: what a fee
// line's det_item_fee_sumamt must equal. It reports false on overflow.
func LineAmount(p Price, q Qty) (Fen, bool) {
	// p is 1e-6 yuan, q is 1e-4 units, so p×q is 1e-10 yuan = 1e-8 fen.
	const scale = 100_000_000
	if p == 0 || q == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(abs64(int64(p)), abs64(int64(q)))
	if hi >= scale {
		return 0, false
	}
	quo, rem := bits.Div64(hi, lo, scale)
	if rem*2 >= scale {
		quo++
	}
	if quo > 1<<62 {
		return 0, false
	}
	v := Fen(quo)
	if (p < 0) != (q < 0) {
		v = -v
	}
	return v, true
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}
