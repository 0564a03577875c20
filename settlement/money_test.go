package settlement

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestParseFen(t *testing.T) {
	tests := []struct {
		in      string
		want    Fen
		wantErr bool
	}{
		{"0", 0, false},
		{"12", 1200, false},
		{"12.3", 1230, false},
		{"12.34", 1234, false},
		{"12.340", 1234, false}, // trailing zeros carry no value
		{"-0.05", -5, false},
		{"+1.00", 100, false},
		{"12.345", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"1,000.00", 0, true},
		{"99999999999999.00", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFen(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFen(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := ParseFen("1.234"); !IsTooManyDecimals(err) {
		t.Errorf("ParseFen(1.234) error %v is not a too-many-decimals error", err)
	}
}

func TestFenString(t *testing.T) {
	for f, want := range map[Fen]string{0: "0.00", 5: "0.05", -5: "-0.05", 123456: "1234.56", -100: "-1.00"} {
		if got := f.String(); got != want {
			t.Errorf("Fen(%d).String() = %q, want %q", f, got, want)
		}
	}
}

func TestMulDivBPRoundHalfUp(t *testing.T) {
	tests := []struct {
		a    Fen
		bp   BP
		mul  Fen
		name string
	}{
		{2388235, 9000, 2149412, "21,494.115 rounds up (SETTLEMENT-MODEL Example 2)"},
		{1595000, 7000, 1116500, "Example 3 pooled"},
		{1, 5000, 1, "half a fen rounds up"},
		{-1, 5000, -1, "half a fen rounds away from zero"},
		{3, 3333, 1, "0.9999 fen"},
	}
	for _, tt := range tests {
		if got := MulBP(tt.a, tt.bp); got != tt.mul {
			t.Errorf("%s: MulBP(%d, %d) = %d, want %d", tt.name, tt.a, tt.bp, got, tt.mul)
		}
	}
	if got := DivBP(1200000, 8500); got != 1411765 {
		t.Errorf("DivBP(12,000.00 at 85%%) = %d, want 1411765 (14,117.65)", got)
	}
	if got := DivBP(100, 0); got != 0 {
		t.Errorf("DivBP by zero ratio = %d, want 0", got)
	}
}

func TestLineAmount(t *testing.T) {
	tests := []struct {
		price, qty string
		want       Fen
	}{
		{"12.5", "2", 2500},
		{"0.333333", "3", 100},       // 0.999999 → 1.00
		{"1.005", "1", 101},          // half up
		{"3.3333", "1.5", 500},       // 4.99995 → 5.00
		{"100", "0.0001", 1},         // 0.01
		{"1000000", "1000000", 1e14}, // large but in range
	}
	for _, tt := range tests {
		p, err := ParsePrice(tt.price)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseQty(tt.qty)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := LineAmount(p, q)
		if !ok || got != tt.want {
			t.Errorf("LineAmount(%s × %s) = %d, %v; want %d", tt.price, tt.qty, got, ok, tt.want)
		}
	}
	if _, ok := LineAmount(Price(1<<62), Qty(1<<40)); ok {
		t.Error("LineAmount did not report overflow")
	}
}

// parseScaledReference is parseScaled as first written (string building
// and strconv.ParseInt, refusals of the kinds callers tell apart: too many
// decimals from other mistakes): the allocation-free one must agree with
// it on values and on refusals.
func parseScaledReference(s string, scale int) (int64, error) {
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
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return 0, errNotDecimal
	}
	if len(strings.TrimLeft(intPart, "0")) > maxIntDigits {
		return 0, errTooLarge
	}
	if len(frac) > scale {
		if strings.Trim(frac[scale:], "0") != "" {
			return 0, errTooManyDecimals{scale}
		}
		frac = frac[:scale]
	}
	frac += strings.Repeat("0", scale-len(frac))
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, errNotDecimal
	}
	if neg {
		v = -v
	}
	return v, nil
}

func TestParseScaledAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789.-+e 9")), 0, 24, -1).Draw(t, "s")
		scale := rapid.SampledFrom([]int{2, 4, 6}).Draw(t, "scale")
		want, wantErr := parseScaledReference(s, scale)
		if got, err := parseScaled(s, scale); err != wantErr || got != want {
			t.Fatalf("parseScaled(%q, %d) = %d, %v; the reference: %d, %v", s, scale, got, err, want, wantErr)
		}
	})
	for _, s := range []string{"9999999999999.999999", "0009999999999999.999999", "9223372036854.775807", "9223372036854.775808", "-9223372036854.775808"} {
		want, wantErr := parseScaledReference(s, 6)
		if got, err := parseScaled(s, 6); err != wantErr || got != want {
			t.Errorf("parseScaled(%q, 6) = %d, %v; the reference: %d, %v", s, got, err, want, wantErr)
		}
	}
}

// TestParsePlainIsParseDecimal: the one-pass reading of the usual
// decimal gives what the general one gives, wherever it reads at all.
func TestParsePlainIsParseDecimal(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, s string, scale int) {
		v, ok := parsePlain(s, scale)
		want, err := parseDecimal(s, scale)
		if ok && (err != nil || v != want) {
			t.Fatalf("parsePlain(%q, %d) = %d; parseDecimal: %d, %v", s, scale, v, want, err)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789.-+/: 9")), 0, 24, -1).Draw(t, "s")
		check(t, s, rapid.SampledFrom([]int{2, 4, 6}).Draw(t, "scale"))
	})
	n := 0
	for _, s := range []string{"0", "1", "12400.00", "0.5", "1.", ".5", "1.2.3", "9999999999999", "99999999999999", "9999999999999.999999",
		"9999999999999.9999999", "0000000000000.1", "00000000000001.1", "1.000", "12.3456", "/", ":"} {
		for _, scale := range []int{2, 4, 6} {
			check(t, s, scale)
			if _, ok := parsePlain(s, scale); ok {
				n++
			}
		}
	}
	if n < 15 {
		t.Errorf("parsePlain read only %d of the usual decimals", n)
	}
}

func TestAppendIsString(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.Int64Range(-1e6, 1e6), rapid.Int64()).Draw(t, "v")
		for _, c := range []struct{ s, a string }{
			{Fen(v).String(), string(Fen(v).Append([]byte("x")))[1:]},
			{Qty(v).String(), string(Qty(v).Append(nil))},
			{Price(v).String(), string(Price(v).Append(nil))},
		} {
			if c.s != c.a {
				t.Fatalf("%d: Append %q, String %q", v, c.a, c.s)
			}
		}
	})
}

// TestAppendScaledMatchesTheDecimalString checks the back-to-front printer
// against a plain construction from strconv, over all of int64 and every
// scale the types use.
func TestAppendScaledMatchesTheDecimalString(t *testing.T) {
	reference := func(v int64, scale int, trim bool) string {
		s := strconv.FormatInt(v, 10)
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
		if trim {
			s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
		}
		if neg {
			s = "-" + s
		}
		return s
	}
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-100_000, 100_000),
			rapid.SampledFrom([]int64{0, 1, -1, math.MaxInt64, math.MinInt64})).Draw(t, "v")
		scale := rapid.SampledFrom([]int{1, 2, 4, 6, 18}).Draw(t, "scale")
		prefix := []byte("x")
		if got, want := string(AppendScaled(prefix, v, scale)), "x"+reference(v, scale, false); got != want {
			t.Fatalf("AppendScaled(%d, %d) = %q, want %q", v, scale, got, want)
		}
		if got, want := string(AppendTrimmed(prefix, v, scale)), "x"+reference(v, scale, true); got != want {
			t.Fatalf("AppendTrimmed(%d, %d) = %q, want %q", v, scale, got, want)
		}
	})
}

func TestDecimalLen(t *testing.T) {
	for _, x := range []uint64{0, 1, 9, 10, 99, 100, 12400, 1<<63 - 1, 1 << 63, 1e19 - 1, 1e19, 1<<64 - 1} {
		if got, want := decimalLen(x), len(strconv.FormatUint(x, 10)); got != want {
			t.Errorf("decimalLen(%d) = %d, want %d", x, got, want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.Uint64().Draw(t, "x") >> rapid.UintRange(0, 63).Draw(t, "shift")
		if got, want := decimalLen(x), len(strconv.FormatUint(x, 10)); got != want {
			t.Fatalf("decimalLen(%d) = %d, want %d", x, got, want)
		}
	})
}
