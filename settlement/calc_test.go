package settlement

import (
	"strings"
	"testing"
)

// TestExample3 is SETTLEMENT-MODEL §7 Example 3: an employee under P1, an
// other-temporary traveller, first admission, uncapped, account 10,000.00.
func TestExample3(t *testing.T) {
	p := policyP1()
	for _, medType := range []string{"21", "11"} { // the inpatient example, and its outpatient twin in the demo policy
		t.Run("med_type "+medType, func(t *testing.T) {
			rule, _ := p.Rule(medType)
			c, err := Calculate(CalcInput{
				Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3", Filing: FilingTempOther,
				Lines: example3Lines(), Admission: medType == "21", Outpatient: medType == "11",
				Balance: yuan("10000"), AcctUsed: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := Amounts{
				Medfee: yuan("18000"), Fulamt: yuan("600"), Preselfpay: yuan("250"), Inscp: yuan("17150"),
				ActPayDedc: yuan("1200"), Hifp: yuan("11165"), PoolProp: 7000, FundPay: yuan("11165"),
				PsnPart: yuan("6835"), AcctPay: yuan("6835"), PsnCash: 0, Balc: yuan("3165"),
			}
			if c.Amounts != want {
				t.Errorf("amounts\n got %+v\nwant %+v", c.Amounts, want)
			}
			wantDeltas := Accumulators{DedcPaid: yuan("1200"), PoolElig: yuan("15950"), Hifp: yuan("11165")}
			if medType == "21" {
				wantDeltas.Admissions = 1
			} else {
				wantDeltas.OutpHifp = yuan("11165")
			}
			if c.Deltas != wantDeltas {
				t.Errorf("deltas = %+v, want %+v", c.Deltas, wantDeltas)
			}
			if c.AcctDelta != -yuan("6835") {
				t.Errorf("account delta = %s, want -6835.00", c.AcctDelta)
			}
			if len(c.Details) != 1 || c.Details[0].FundPayType != "310100" || c.Details[0].Paid != yuan("11165") ||
				c.Details[0].Inscp != yuan("15950") || c.Details[0].LimitLeft != yuan("300000") {
				t.Errorf("setldetail = %+v", c.Details)
			}
			if !strings.Contains(strings.Join(c.Trace, "\n"), "7000 bp (8000 − 1000)") {
				t.Errorf("trace does not show the filing reduction:\n%s", strings.Join(c.Trace, "\n"))
			}
		})
	}
}

// TestPoolCapBackCalculation is the pooled part of Example 2 (P3, retired,
// other temporary, 2nd admission, cap binds): hifp 12,000.00 and the
// consumed expense back-calculated to 14,117.65.
func TestPoolCapBackCalculation(t *testing.T) {
	p := policyP3()
	rule, _ := p.Rule("21")
	lines := []LineSplit{
		SplitLine(line("L1", "9000"), catalogItemA("A"), true),
		SplitLine(line("L2", "20000"), catalogItemB("B", 1000, 0), true),
		SplitLine(line("L3", "11650"), catalogItemA("A"), true),
		SplitLine(line("L4", "500"), catalogItemC("C"), true),
	}
	accum := Accumulators{Admissions: 1, PoolElig: yuan("95000"), Hifp: yuan("88000")}
	c, err := Calculate(CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "12", Grade: "3",
		Filing: FilingTempOther, Lines: lines, Accum: accum, Admission: true, Balance: yuan("3000"), AcctUsed: true})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Amounts
	if a.Medfee != yuan("41150") || a.Inscp != yuan("38650") || a.Preselfpay != yuan("2000") || a.Fulamt != yuan("500") {
		t.Errorf("split totals %+v", a)
	}
	if a.ActPayDedc != yuan("650") {
		t.Errorf("act_pay_dedc = %s, want 650.00 (2nd admission)", a.ActPayDedc)
	}
	if a.Hifp != yuan("12000") || a.PoolProp != 8500 {
		t.Errorf("hifp = %s at %d bp, want 12000.00 at 8500", a.Hifp, a.PoolProp)
	}
	trace := strings.Join(c.Trace, "\n")
	if !strings.Contains(trace, "consumed 14117.65, above cap 23882.35") {
		t.Errorf("trace lacks the back-calculation:\n%s", trace)
	}
	// Without 大额 (not in scope yet) the person pays the rest; the account may not pay 丙类.
	if a.PsnPart != yuan("29150") || a.AcctPay != yuan("3000") || a.PsnCash != yuan("26150") || a.Balc != 0 {
		t.Errorf("personal %s account %s cash %s balance %s", a.PsnPart, a.AcctPay, a.PsnCash, a.Balc)
	}
	if c.Deltas.PoolElig != yuan("38000") || c.Deltas.Hifp != yuan("12000") {
		t.Errorf("deltas %+v", c.Deltas)
	}
}

func TestDeductibleRules(t *testing.T) {
	p1 := policyP1()
	inpatient, _ := p1.Rule("21")
	outpatient, _ := p1.Rule("11")
	factored := DeductibleRule{Mode: DeductiblePerAdmission,
		Standards:        []Standard{{Grades: []string{"1"}, Amount: yuan("200")}, {Grades: []string{"2"}, Amount: yuan("500")}, {Amount: yuan("800")}},
		OrdinalFactorsBP: []BP{10000, 5000}}
	tests := []struct {
		name     string
		rule     DeductibleRule
		grade    string
		accum    Accumulators
		stayDedc Fen
		adm, out bool
		inscp    string
		want     string
	}{
		{"first admission by ordinal", inpatient.Deductible, "3", Accumulators{}, 0, true, false, "5000", "1200"},
		{"second admission by ordinal", inpatient.Deductible, "3", Accumulators{Admissions: 1}, 0, true, false, "5000", "600"},
		{"beyond the list keeps the last", inpatient.Deductible, "3", Accumulators{Admissions: 7}, 0, true, false, "5000", "600"},
		{"deductible larger than in-scope", inpatient.Deductible, "3", Accumulators{}, 0, true, false, "700", "700"},
		{"interim settlement charges only the rest", inpatient.Deductible, "3", Accumulators{Admissions: 1}, yuan("1000"), false, false, "5000", "200"},
		{"annual, nothing paid yet", outpatient.Deductible, "3", Accumulators{}, 0, false, true, "5000", "1200"},
		{"annual, partly paid this year", outpatient.Deductible, "3", Accumulators{DedcPaid: yuan("900")}, 0, false, true, "5000", "300"},
		{"annual, already met", outpatient.Deductible, "3", Accumulators{DedcPaid: yuan("1200")}, 0, false, true, "5000", "0"},
		{"table by grade, grade 2", factored, "2", Accumulators{}, 0, true, false, "5000", "500"},
		{"table by grade, fallback row", factored, "3", Accumulators{}, 0, true, false, "5000", "800"},
		{"factor halves the 2nd admission", factored, "3", Accumulators{Admissions: 1}, 0, true, false, "5000", "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := MedTypeRule{MedTypes: []string{"x"}, Deductible: tt.rule, Pool: inpatient.Pool}
			c, err := Calculate(CalcInput{Policy: &p1, Rule: &rule, Insutype: "310", PsnType: "11", Grade: tt.grade,
				Filing: FilingLocal, Lines: []LineSplit{SplitLine(line("1", tt.inscp), catalogItemA("A"), true)},
				Accum: tt.accum, StayDedc: tt.stayDedc, Admission: tt.adm, Outpatient: tt.out})
			if err != nil {
				t.Fatal(err)
			}
			if c.Amounts.ActPayDedc != yuan(tt.want) {
				t.Errorf("act_pay_dedc = %s, want %s", c.Amounts.ActPayDedc, yuan(tt.want))
			}
		})
	}
}

func TestPoolBandsAndCap(t *testing.T) {
	base := policyP3()
	twoBands := []Band{{Upper: yuan("30000"), RatioBP: 8500}, {RatioBP: 9000}}
	tests := []struct {
		name      string
		bands     []Band
		cap       Fen
		reduction BP
		accum     Accumulators
		expense   string
		hifp      string
		ratio     BP
	}{
		{"one band", []Band{{RatioBP: 8000}}, yuan("300000"), 0, Accumulators{}, "10000", "8000", 8000},
		{"filing reduction", []Band{{RatioBP: 8000}}, yuan("300000"), 1000, Accumulators{}, "10000", "7000", 7000},
		{"reduction never goes below zero", []Band{{RatioBP: 500}}, yuan("300000"), 1000, Accumulators{}, "10000", "0", 0},
		{"walk crosses a band edge", twoBands, yuan("300000"), 0, Accumulators{PoolElig: yuan("25000")}, "10000", "8750", 9000},
		{"position already in the upper band", twoBands, yuan("300000"), 0, Accumulators{PoolElig: yuan("40000")}, "10000", "9000", 9000},
		{"cap binds in the first band", twoBands, yuan("1000"), 0, Accumulators{}, "10000", "1000", 8500},
		{"cap already used up", twoBands, yuan("1000"), 0, Accumulators{Hifp: yuan("1000")}, "10000", "0", 8500},
		{"no expense reports the band ratio", twoBands, yuan("300000"), 0, Accumulators{PoolElig: yuan("40000")}, "0", "0", 9000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.FilingReductionBP = map[FilingCategory]BP{FilingTempOther: tt.reduction}
			rule := MedTypeRule{Deductible: DeductibleRule{Mode: DeductibleAnnual, Standards: []Standard{{Amount: 0}}},
				Pool: PoolRule{AnnualCap: tt.cap, BandSets: []BandSet{{Bands: tt.bands}}}}
			var lines []LineSplit
			if tt.expense != "0" {
				lines = []LineSplit{SplitLine(line("1", tt.expense), catalogItemA("A"), true)}
			}
			c, err := Calculate(CalcInput{Policy: &p, Rule: &rule, Insutype: "310", PsnType: "11", Grade: "3",
				Filing: FilingTempOther, Lines: lines, Accum: tt.accum, Outpatient: true})
			if err != nil {
				t.Fatal(err)
			}
			if c.Amounts.Hifp != yuan(tt.hifp) || c.Amounts.PoolProp != tt.ratio {
				t.Errorf("hifp %s at %d bp, want %s at %d\n%s", c.Amounts.Hifp, c.Amounts.PoolProp,
					yuan(tt.hifp), tt.ratio, strings.Join(c.Trace, "\n"))
			}
			if tt.accum.Hifp+c.Deltas.Hifp > tt.cap {
				t.Errorf("cap exceeded: %s + %s > %s", tt.accum.Hifp, c.Deltas.Hifp, tt.cap)
			}
		})
	}
}

func TestPersonalAccount(t *testing.T) {
	lines := example3Lines() // fulamt 600, pre 250, inscp 17,150; hifp 11,165
	tests := []struct {
		name     string
		parts    []string
		exists   bool
		used     bool
		balance  string
		acct     string
		cash     string
		balcLeft string
	}{
		{"all parts, enough balance", []string{PartFullOwnpay, PartOverLimit, PartPreselfpay, PartInscpSelf}, true, true, "10000", "6835", "0", "3165"},
		{"balance limits the payment", []string{PartFullOwnpay, PartPreselfpay, PartInscpSelf}, true, true, "1000", "1000", "5835", "0"},
		{"丙类 not payable", []string{PartPreselfpay, PartInscpSelf}, true, true, "10000", "6235", "600", "3765"},
		{"only in-scope self part", []string{PartInscpSelf}, true, true, "10000", "5985", "850", "4015"},
		{"hospital asked not to use the account", []string{PartInscpSelf}, true, false, "10000", "0", "6835", "10000"},
		{"no account (residents)", nil, false, true, "0", "0", "6835", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policyP1()
			p.Account = AccountRule{Exists: tt.exists, PayableParts: tt.parts}
			rule, _ := p.Rule("11")
			c, err := Calculate(CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3",
				Filing: FilingTempOther, Lines: lines, Balance: yuan(tt.balance), AcctUsed: tt.used, Outpatient: true})
			if err != nil {
				t.Fatal(err)
			}
			a := c.Amounts
			if a.AcctPay != yuan(tt.acct) || a.PsnCash != yuan(tt.cash) || a.Balc != yuan(tt.balcLeft) {
				t.Errorf("account %s cash %s balance %s, want %s %s %s", a.AcctPay, a.PsnCash, a.Balc,
					yuan(tt.acct), yuan(tt.cash), yuan(tt.balcLeft))
			}
		})
	}
}

func TestMirrorNegatesEverything(t *testing.T) {
	p := policyP1()
	rule, _ := p.Rule("11")
	c, err := Calculate(CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3",
		Filing: FilingTempOther, Lines: example3Lines(), Balance: yuan("10000"), AcctUsed: true, Outpatient: true})
	if err != nil {
		t.Fatal(err)
	}
	orig := Record{SetlID: "S1", Amounts: c.Amounts, Details: c.Details, Deltas: c.Deltas, AcctDelta: c.AcctDelta}
	m := orig.Mirror("S2", "msg2", Stamp{UnixMilli: 1700000000000, Index: 9})
	if m.Cancels != "S1" || m.SetlID != "S2" || m.MsgID != "msg2" {
		t.Errorf("mirror identity %+v", m)
	}
	neg := orig.Amounts.negate()
	if m.Amounts != neg || m.Amounts.Medfee != -yuan("18000") || m.Amounts.AcctPay != -yuan("6835") {
		t.Errorf("mirror amounts %+v", m.Amounts)
	}
	if got := orig.Deltas.Add(m.Deltas); got != (Accumulators{}) {
		t.Errorf("deltas + mirror deltas = %+v, want zero", got)
	}
	if orig.AcctDelta+m.AcctDelta != 0 || m.Details[0].Paid != -orig.Details[0].Paid {
		t.Errorf("account or detail not mirrored: %s %+v", m.AcctDelta, m.Details)
	}
}

func TestPolicyValidateNamesTheField(t *testing.T) {
	p := policyP1()
	p.MedTypes[0].Pool.BandSets[0].Bands = []Band{{Upper: yuan("100"), RatioBP: 8000}}
	p.MedTypes[1].Deductible.Mode = "WEEKLY"
	p.InsuredAdmdvs = "15"
	err := p.Validate()
	if err == nil {
		t.Fatal("invalid policy passed validation")
	}
	for _, want := range []string{"insured_admdvs", "med_types[0].pool.band_sets[0].bands[0].upper", "med_types[1].deductible.mode"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if err := policyP1().Validate(); err != nil {
		t.Errorf("P1 does not validate: %v", err)
	}
	if err := policyP3().Validate(); err != nil {
		t.Errorf("P3 does not validate: %v", err)
	}
}

// BenchmarkCalculate50Lines is one outpatient settlement of 50 fee lines,
// the work every replica does per settlement in the state machine.
func BenchmarkCalculate50Lines(b *testing.B) {
	p := policyP3()
	rule, _ := p.Rule("21")
	items := []CatalogItem{catalogItemA("A"), catalogItemB("B", 1000, yuan("80")), catalogItemC("C")}
	lines := make([]LineSplit, 50)
	for i := range lines {
		lines[i] = SplitLine(FeeLine{FeedetlSn: "x", Amount: yuan("123.45"), Qty: 20000}, items[i%3], true)
	}
	in := CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "12", Grade: "3", Filing: FilingReferral,
		Lines: lines, Accum: Accumulators{Admissions: 1, PoolElig: yuan("29000"), Hifp: yuan("25000")},
		Admission: true, Balance: yuan("3000"), AcctUsed: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Calculate(in); err != nil {
			b.Fatal(err)
		}
	}
}
