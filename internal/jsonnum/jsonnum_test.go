package jsonnum

import (
	"encoding/json"
	"testing"
)

func TestLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 1}, {"-0", 2}, {"12.50,", 5}, {"1e9]", 3}, {"1.5E-3 ", 6}, {"-12", 3},
		{"01", 1}, // a number, then a digit the caller refuses
		{"", 0}, {"-", 0}, {".5", 0}, {"1.", 0}, {"1e", 0}, {"1e+", 0}, {"+1", 0}, {"NaN", 0}, {"x", 0},
	}
	for _, tt := range tests {
		if got := Len([]byte(tt.in)); got != tt.want {
			t.Errorf("Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzLen: whatever Len accepts is a valid JSON number.
func FuzzLen(f *testing.F) {
	for _, s := range []string{"0", "-12.50", "1e9", "01", "1.", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := Len(b); n > 0 && !json.Valid(b[:n]) {
			t.Errorf("Len(%q) = %d, but %q is not a JSON number", b, n, b[:n])
		}
	})
}
