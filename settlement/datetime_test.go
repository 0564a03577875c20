package settlement

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The hand-written checks must accept exactly what time.Parse accepts.
func TestDateTimeAgreesWithTimeParse(t *testing.T) {
	digit := rapid.SampledFrom([]rune("0123456789"))
	rapid.Check(t, func(t *rapid.T) {
		// Mostly well-formed values with random digits, so that ranges and
		// month lengths are exercised, sometimes with a character changed.
		b := []rune("2006-01-02 15:04:05")
		for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
			b[i] = digit.Draw(t, "d")
		}
		if rapid.Bool().Draw(t, "spoil") {
			b[rapid.IntRange(0, len(b)-1).Draw(t, "at")] = rapid.SampledFrom([]rune("0-: 9xT+")).Draw(t, "with")
		}
		s := string(b)
		_, err := time.Parse(time.DateTime, s)
		if got := IsDateTime(s); got != (err == nil) {
			t.Fatalf("IsDateTime(%q) = %v, time.Parse: %v", s, got, err)
		}
		compact := s[0:4] + s[5:7] + s[8:10] + s[11:13] + s[14:16] + s[17:19]
		want, err := time.Parse("20060102150405", compact)
		got, ok := CompactDateTime(compact)
		if ok != (err == nil) || ok && got != want.Format(time.DateTime) {
			t.Fatalf("CompactDateTime(%q) = %q, %v; time.Parse: %v, %v", compact, got, ok, want, err)
		}
	})
	for _, s := range []string{"2024-02-29 00:00:00", "2023-02-29 00:00:00", "1900-02-29 00:00:00", "2000-02-29 23:59:59",
		"2024-04-31 12:00:00", "2024-12-31 24:00:00", "2024-12-31 23:60:00", "0000-01-01 00:00:00", "2024-1-01 00:00:000",
		"2024-05-01  9:30:00", "2024-05-01 9:30:00 "} {
		_, err := time.Parse(time.DateTime, s)
		if IsDateTime(s) != (err == nil) {
			t.Errorf("IsDateTime(%q) = %v, time.Parse: %v", s, IsDateTime(s), err)
		}
	}
}
