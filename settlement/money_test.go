package settlement

import "testing"

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
