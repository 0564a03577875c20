package swar

import (
	"math/bits"
	"testing"
)

func FuzzZeros(f *testing.F) {
	f.Add(uint64(0), uint64(0x0100ff00807f0001))
	f.Fuzz(func(t *testing.T, y, _ uint64) {
		var want uint64
		first := -1
		for i := 0; i < 8; i++ {
			if byte(y>>(8*i)) == 0 {
				want |= 0x80 << (8 * i)
				if first < 0 {
					first = i
				}
			}
		}
		if got := Zeros(y); got != want {
			t.Fatalf("Zeros(%#x) = %#x, want %#x", y, got, want)
		}
		m := FirstZero(y)
		if (m == 0) != (first < 0) || m != 0 && bits.TrailingZeros64(m)/8 != first {
			t.Fatalf("FirstZero(%#x) = %#x, first zero byte %d", y, m, first)
		}
		s := string([]byte{byte(y), byte(y >> 8), byte(y >> 16), byte(y >> 24), byte(y >> 32), byte(y >> 40), byte(y >> 48), byte(y >> 56)})
		if Word(s) != y {
			t.Fatalf("Word(%q) = %#x", s, Word(s))
		}
	})
}
