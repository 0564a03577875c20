package settlement

import (
	"strings"
	"testing"
)

func mustCalc(t *testing.T, in CalcInput) Calculation {
	t.Helper()
	c, err := Calculate(in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkAmounts(t *testing.T, got, want Amounts) {
	t.Helper()
	if got != want {
		t.Errorf("amounts\n got %+v\nwant %+v", got, want)
	}
}

// TestExample1 is SETTLEMENT-MODEL §7 Example 1: a P2 resident, 低保,
// long-term filing, tertiary hospital, first admission. Every field.
func TestExample1(t *testing.T) {
	p := policyP2()
	rule, _ := p.Rule("21", "")
	c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "390", PsnType: "15", Grade: "3",
		Identities: []string{"DIBAO"}, Filing: FilingLongTerm, CrossProvince: true, Lines: example1Lines(), Admission: true})
	checkAmounts(t, c.Amounts, Amounts{
		Medfee: yuan("31500"), Fulamt: yuan("1500"), Overlmt: yuan("2000"), Preselfpay: yuan("2800"), Inscp: yuan("25200"),
		ActPayDedc: yuan("800"), Hifp: yuan("14640"), PoolProp: 6000, Hifmi: yuan("1989"), Maf: yuan("5999.70"),
		FundPay: yuan("22628.70"), PsnPart: yuan("8871.30"), PsnCash: yuan("8871.30"),
	})
	want := Accumulators{Admissions: 1, Inpatient: PoolAccum{DedcPaid: yuan("800"), Elig: yuan("24400"), Paid: yuan("14640")},
		CiiQual: yuan("10560"), Hifmi: yuan("1989"), MafBase: yuan("8571"), Maf: yuan("5999.70")}
	if c.Deltas != want {
		t.Errorf("deltas\n got %+v\nwant %+v", c.Deltas, want)
	}
	types := []string{}
	for _, d := range c.Details {
		types = append(types, d.FundPayType+"="+d.Paid.String())
	}
	if strings.Join(types, " ") != "390100=14640.00 390200=1989.00 610100=5999.70" {
		t.Errorf("setldetail %v", types)
	}
	// Cross-check of the personal share, as the model does it.
	if got := yuan("1500") + yuan("2000") + yuan("2800") + (yuan("8571") - yuan("5999.70")); got != c.Amounts.PsnPart {
		t.Errorf("cross-check %s ≠ %s", got, c.Amounts.PsnPart)
	}
}

// TestExample2 is Example 2: the pooled cap binds, 大额 pays above it, the
// account pays 3,000.00 of the payable parts. Every field.
func TestExample2(t *testing.T) {
	c := mustCalc(t, example2Input(FilingTempOther))
	checkAmounts(t, c.Amounts, Amounts{
		Medfee: yuan("41150"), Fulamt: yuan("500"), Preselfpay: yuan("2000"), Inscp: yuan("38650"),
		ActPayDedc: yuan("650"), Hifp: yuan("12000"), PoolProp: 8500, Hifob: yuan("21494.12"),
		FundPay: yuan("33494.12"), PsnPart: yuan("7655.88"), AcctPay: yuan("3000"), PsnCash: yuan("4655.88"), Balc: 0,
	})
	want := Accumulators{Admissions: 1, Inpatient: PoolAccum{DedcPaid: yuan("650"), Elig: yuan("38000"), Paid: yuan("12000")},
		Hifob: yuan("21494.12"), HifobElig: yuan("23882.35")}
	if c.Deltas != want {
		t.Errorf("deltas\n got %+v\nwant %+v", c.Deltas, want)
	}
	if c.AcctDelta != -yuan("3000") {
		t.Errorf("account delta %s", c.AcctDelta)
	}
	if !strings.Contains(strings.Join(c.Trace, "\n"), "expense consumed 14117.65, above the cap 23882.35") {
		t.Errorf("trace lacks the back-calculation:\n%s", strings.Join(c.Trace, "\n"))
	}
	// Cross-check: 全自费 + 先行自付 + deductible + pooled co-pay + 大额 co-pay.
	copay := yuan("500") + yuan("2000") + yuan("650") + (yuan("14117.65") - yuan("12000")) + (yuan("23882.35") - yuan("21494.12"))
	if copay != c.Amounts.PsnPart {
		t.Errorf("cross-check %s ≠ %s", copay, c.Amounts.PsnPart)
	}
}

// TestExample2Variants is Example 2's table: the same bill under each
// filing category.
func TestExample2Variants(t *testing.T) {
	tests := []struct {
		filing                                    FilingCategory
		ratio                                     BP
		hifp, consumed, over, hifob, fund, person string
	}{
		{FilingLongTerm, 9500, "12000", "12631.58", "25368.42", "22831.58", "34831.58", "6318.42"},
		{FilingReferral, 9000, "12000", "13333.33", "24666.67", "22200", "34200", "6950"},
		{FilingTempOther, 8500, "12000", "14117.65", "23882.35", "21494.12", "33494.12", "7655.88"},
	}
	for _, tt := range tests {
		t.Run(string(tt.filing), func(t *testing.T) {
			c := mustCalc(t, example2Input(tt.filing))
			a := c.Amounts
			if a.PoolProp != tt.ratio || a.Hifp != yuan(tt.hifp) || a.Hifob != yuan(tt.hifob) ||
				a.FundPay != yuan(tt.fund) || a.PsnPart != yuan(tt.person) {
				t.Errorf("ratio %d hifp %s hifob %s fund %s personal %s", a.PoolProp, a.Hifp, a.Hifob, a.FundPay, a.PsnPart)
			}
			if c.Deltas.HifobElig != yuan(tt.over) || yuan("38000")-yuan(tt.over) != yuan(tt.consumed) {
				t.Errorf("above the cap %s, want %s (consumed %s)", c.Deltas.HifobElig, yuan(tt.over), yuan(tt.consumed))
			}
		})
	}
}

// TestExample3 is Example 3: a P1 employee, other temporary trip, first
// admission, uncapped, account 10,000.00; and its outpatient twin.
func TestExample3(t *testing.T) {
	p := policyP1()
	for _, medType := range []string{"21", "11"} {
		t.Run("med_type "+medType, func(t *testing.T) {
			rule, _ := p.Rule(medType, "")
			c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3",
				Filing: FilingTempOther, Lines: example3Lines(), Admission: medType == "21",
				Balance: yuan("10000"), AcctUsed: true})
			checkAmounts(t, c.Amounts, Amounts{
				Medfee: yuan("18000"), Fulamt: yuan("600"), Preselfpay: yuan("250"), Inscp: yuan("17150"),
				ActPayDedc: yuan("1200"), Hifp: yuan("11165"), PoolProp: 7000, FundPay: yuan("11165"),
				PsnPart: yuan("6835"), AcctPay: yuan("6835"), PsnCash: 0, Balc: yuan("3165"),
			})
			pool := PoolAccum{DedcPaid: yuan("1200"), Elig: yuan("15950"), Paid: yuan("11165")}
			want := Accumulators{Admissions: 1, Inpatient: pool}
			if medType == "11" {
				want = Accumulators{Outpatient: pool}
			}
			if c.Deltas != want {
				t.Errorf("deltas = %+v, want %+v", c.Deltas, want)
			}
			if len(c.Details) != 1 || c.Details[0].FundPayType != "310100" || c.Details[0].Paid != yuan("11165") ||
				c.Details[0].Inscp != yuan("15950") || c.Details[0].LimitLeft != yuan("300000") {
				t.Errorf("setldetail = %+v", c.Details)
			}
			if !strings.Contains(c.Details[0].Process, "7000 bp (8000 − 1000)") {
				t.Errorf("setl_proc_info does not show the filing reduction: %s", c.Details[0].Process)
			}
		})
	}
}

// TestExample4 cancels Example 2: the negative record carries every amount
// negated, and the accumulators and the account return to where they were.
func TestExample4(t *testing.T) {
	in := example2Input(FilingTempOther)
	c := mustCalc(t, in)
	orig := Record{SetlID: "S2", Amounts: c.Amounts, Details: c.Details, Deltas: c.Deltas, AcctDelta: c.AcctDelta}
	m := orig.Mirror("S2-cancel", "msg", Stamp{})
	checkAmounts(t, m.Amounts, Amounts{
		Medfee: -yuan("41150"), Fulamt: -yuan("500"), Preselfpay: -yuan("2000"), Inscp: -yuan("38650"),
		ActPayDedc: -yuan("650"), Hifp: -yuan("12000"), PoolProp: 8500, Hifob: -yuan("21494.12"),
		FundPay: -yuan("33494.12"), PsnPart: -yuan("7655.88"), AcctPay: -yuan("3000"), PsnCash: -yuan("4655.88"),
	})
	after := in.Accum.Add(c.Deltas)
	if after.Admissions != 2 || after.Inpatient.Paid != yuan("100000") {
		t.Errorf("after settlement: admissions %d, hifp %s", after.Admissions, after.Inpatient.Paid)
	}
	restored := after.Add(m.Deltas)
	if restored != in.Accum {
		t.Errorf("after cancellation\n got %+v\nwant %+v", restored, in.Accum)
	}
	if bal := in.Balance + c.AcctDelta + m.AcctDelta; bal != yuan("3000") {
		t.Errorf("account after cancellation %s, want 3000.00", bal)
	}
	// Settling the same bill again starts from the restored figures.
	again := mustCalc(t, in)
	if again.Amounts != c.Amounts {
		t.Error("resettlement after cancellation differs")
	}
}

func TestDeductibleRules(t *testing.T) {
	p1 := policyP1()
	inpatient, _ := p1.Rule("21", "")
	outpatient, _ := p1.Rule("11", "")
	factored := DeductibleRule{Mode: DeductiblePerAdmission, WaivedFor: []string{"TEKUN"},
		Standards: []Standard{
			{Grades: []string{"1"}, Amount: yuan("200")},
			{Grades: []string{"2"}, PsnTypes: []string{"12"}, Amount: yuan("400")},
			{Grades: []string{"2"}, Amount: yuan("500")},
			{Amount: yuan("800")}},
		OrdinalFactorsBP: []BP{10000, 5000}}
	capped := DeductibleRule{Mode: DeductiblePerAdmissionAnnualCap, OrdinalAmounts: []Fen{yuan("1000")}, AnnualCap: yuan("1500")}
	inp := func(d Fen, n int64) Accumulators {
		return Accumulators{Admissions: n, Inpatient: PoolAccum{DedcPaid: d}}
	}
	tests := []struct {
		name     string
		rule     DeductibleRule
		scope    string
		grade    string
		psnType  string
		ids      []string
		accum    Accumulators
		stayDedc Fen
		adm      bool
		inscp    string
		want     string
	}{
		{"first admission by ordinal", inpatient.Deductible, "", "3", "11", nil, inp(0, 0), 0, true, "5000", "1200"},
		{"second admission by ordinal", inpatient.Deductible, "", "3", "11", nil, inp(1200, 1), 0, true, "5000", "600"},
		{"beyond the list keeps the last", inpatient.Deductible, "", "3", "11", nil, inp(0, 7), 0, true, "5000", "600"},
		{"deductible larger than in-scope", inpatient.Deductible, "", "3", "11", nil, inp(0, 0), 0, true, "700", "700"},
		{"interim settlement charges only the rest", inpatient.Deductible, "", "3", "11", nil, inp(0, 1), yuan("1000"), false, "5000", "200"},
		{"annual, nothing paid yet", outpatient.Deductible, ScopeOutpatient, "3", "11", nil, Accumulators{}, 0, false, "5000", "1200"},
		{"annual, partly paid this year", outpatient.Deductible, ScopeOutpatient, "3", "11", nil,
			Accumulators{Outpatient: PoolAccum{DedcPaid: yuan("900")}}, 0, false, "5000", "300"},
		{"annual scope ignores inpatient figures", outpatient.Deductible, ScopeOutpatient, "3", "11", nil, inp(yuan("1200"), 1), 0, false, "5000", "1200"},
		{"table by grade", factored, "", "1", "11", nil, inp(0, 0), 0, true, "5000", "200"},
		{"table by grade and person type", factored, "", "2", "12", nil, inp(0, 0), 0, true, "5000", "400"},
		{"table fallback row", factored, "", "3", "11", nil, inp(0, 0), 0, true, "5000", "800"},
		{"factor halves the 2nd admission", factored, "", "3", "11", nil, inp(0, 1), 0, true, "5000", "400"},
		{"waived for an identity", factored, "", "3", "11", []string{"TEKUN"}, inp(0, 0), 0, true, "5000", "0"},
		{"other identities pay", factored, "", "3", "11", []string{"DIBAO"}, inp(0, 0), 0, true, "5000", "800"},
		{"annual cap not reached", capped, "", "3", "11", nil, inp(0, 0), 0, true, "5000", "1000"},
		{"annual cap binds", capped, "", "3", "11", nil, inp(yuan("1000"), 1), 0, true, "5000", "500"},
		{"annual cap used up", capped, "", "3", "11", nil, inp(yuan("1500"), 2), 0, true, "5000", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := MedTypeRule{MedTypes: []string{"x"}, Scope: tt.scope, Deductible: tt.rule, Pool: inpatient.Pool}
			c := mustCalc(t, CalcInput{Policy: &p1, Rule: &rule, Insutype: "310", PsnType: tt.psnType, Grade: tt.grade,
				Identities: tt.ids, Filing: FilingLocal, Lines: []LineSplit{SplitLine(line("1", tt.inscp), catalogItemA("A"), true)},
				Accum: tt.accum, StayDedc: tt.stayDedc, Admission: tt.adm})
			if c.Amounts.ActPayDedc != yuan(tt.want) {
				t.Errorf("act_pay_dedc = %s, want %s", c.Amounts.ActPayDedc, yuan(tt.want))
			}
		})
	}
}

func TestPoolBandsAndCap(t *testing.T) {
	twoBands := []Band{{Upper: yuan("30000"), RatioBP: 8500}, {RatioBP: 9000}}
	fundBands := []Band{{Upper: yuan("7000"), RatioBP: 7000}, {RatioBP: 9000}}
	tests := []struct {
		name      string
		basis     string
		bands     []Band
		cap       Fen
		reduction BP
		pos       PoolAccum
		expense   string
		hifp      string
		ratio     BP
		used      string
	}{
		{"one band", "", []Band{{RatioBP: 8000}}, yuan("300000"), 0, PoolAccum{}, "10000", "8000", 8000, "10000"},
		{"filing reduction", "", []Band{{RatioBP: 8000}}, yuan("300000"), 1000, PoolAccum{}, "10000", "7000", 7000, "10000"},
		{"reduction never goes below zero", "", []Band{{RatioBP: 500}}, yuan("300000"), 1000, PoolAccum{}, "10000", "0", 0, "10000"},
		{"walk crosses a band edge", "", twoBands, yuan("300000"), 0, PoolAccum{Elig: yuan("25000")}, "10000", "8750", 9000, "10000"},
		{"position already in the upper band", "", twoBands, yuan("300000"), 0, PoolAccum{Elig: yuan("40000")}, "10000", "9000", 9000, "10000"},
		{"cap binds in the first band", "", twoBands, yuan("1000"), 0, PoolAccum{}, "10000", "1000", 8500, "1176.47"},
		{"cap already used up", "", twoBands, yuan("1000"), 0, PoolAccum{Paid: yuan("1000")}, "10000", "0", 8500, "0"},
		{"no expense reports the band ratio", "", twoBands, yuan("300000"), 0, PoolAccum{Elig: yuan("40000")}, "0", "0", 9000, "0"},
		{"fund paid: inside the first band", BasisFundPaid, fundBands, yuan("250000"), 0, PoolAccum{}, "5000", "3500", 7000, "5000"},
		{"fund paid: crosses the edge", BasisFundPaid, fundBands, yuan("250000"), 0, PoolAccum{Paid: yuan("6000")}, "5000",
			// 1,000.00 of room at 70% consumes 1,428.57; the other 3,571.43 at 90% pays 3,214.29
			"4214.29", 9000, "5000"},
		{"fund paid: starts in the upper band", BasisFundPaid, fundBands, yuan("250000"), 0, PoolAccum{Paid: yuan("7000")}, "5000", "4500", 9000, "5000"},
		{"fund paid: cap binds", BasisFundPaid, fundBands, yuan("10000"), 0, PoolAccum{Paid: yuan("9000")}, "5000", "1000", 9000, "1111.11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policyP3()
			p.LargeExpense = nil
			p.FilingReductionBP = map[FilingCategory]BP{FilingTempOther: tt.reduction}
			rule := MedTypeRule{Deductible: DeductibleRule{Mode: DeductibleAnnual, Standards: []Standard{{Amount: 0}}},
				Pool: PoolRule{Basis: tt.basis, AnnualCap: tt.cap, BandSets: []BandSet{{Bands: tt.bands}}}}
			var lines []LineSplit
			if tt.expense != "0" {
				lines = []LineSplit{SplitLine(line("1", tt.expense), catalogItemA("A"), true)}
			}
			c := mustCalc(t, CalcInput{Policy: &p, Rule: &rule, Insutype: "310", PsnType: "11", Grade: "3",
				Filing: FilingTempOther, Lines: lines, Accum: Accumulators{Inpatient: tt.pos}})
			if c.Amounts.Hifp != yuan(tt.hifp) || c.Amounts.PoolProp != tt.ratio {
				t.Errorf("hifp %s at %d bp, want %s at %d\n%s", c.Amounts.Hifp, c.Amounts.PoolProp,
					yuan(tt.hifp), tt.ratio, strings.Join(c.Trace, "\n"))
			}
			over := yuan(tt.expense) - yuan(tt.used)
			if strings.Contains(strings.Join(c.Trace, " "), "binds") != (over > 0) {
				t.Errorf("expense above the cap %s, trace:\n%s", over, strings.Join(c.Trace, "\n"))
			}
			if tt.pos.Paid+c.Deltas.Inpatient.Paid > tt.cap {
				t.Errorf("cap exceeded")
			}
		})
	}
}

func TestCriticalIllness(t *testing.T) {
	base := policyP2()
	tests := []struct {
		name  string
		ids   []string
		ytd   Accumulators
		inscp string
		hifmi string
	}{
		// inscp 100,000 with the pooled fund paying 60% (ded 800): qual = 100,000 − 59,520 = 40,480
		{"below the deductible", nil, Accumulators{}, "20000", "0"},
		{"above the deductible, first segment", nil, Accumulators{}, "100000", "15288"},                    // (40,480 − 15,000) × 60%
		{"deductible met earlier this year", nil, Accumulators{CiiQual: yuan("15000")}, "100000", "24288"}, // 40,480 × 60%
		{"crosses into the second segment", nil, Accumulators{CiiQual: yuan("100000")}, "100000",
			// position 85,000: 15,000 at 60% then 25,480 at 70%
			"26836"},
		{"poor group: half deductible, +5 points", []string{"DIBAO"}, Accumulators{}, "100000", "21437"}, // (40,480 − 7,500) × 65%
		{"cap binds", nil, Accumulators{CiiQual: yuan("15000"), Hifmi: yuan("390000")}, "100000", "10000"},
		{"cap waived for the poor", []string{"DIBAO"}, Accumulators{CiiQual: yuan("7500"), Hifmi: yuan("390000")}, "100000", "26312"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.MAF = nil
			rule, _ := p.Rule("21", "")
			c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "390", PsnType: "15", Grade: "3", Identities: tt.ids,
				Filing: FilingLongTerm, Lines: []LineSplit{SplitLine(line("1", tt.inscp), catalogItemA("A"), true)},
				Accum: tt.ytd, Admission: true})
			if c.Amounts.Hifmi != yuan(tt.hifmi) {
				t.Errorf("hifmi = %s, want %s\n%s", c.Amounts.Hifmi, yuan(tt.hifmi), strings.Join(c.Trace, "\n"))
			}
		})
	}
}

func TestAssistanceAndSupplements(t *testing.T) {
	tests := []struct {
		name       string
		ids        []string
		cross      bool
		enabled    bool
		ytd        Accumulators
		maf, civil string
		cvlserv    bool
	}{
		// Example 1's bill: base 8,571.00 after pool and 大病.
		{"低保 at 70%", []string{"DIBAO"}, true, true, Accumulators{}, "5999.70", "0", false},
		// 特困 pays no deductible: pool 15,120.00, 大病 10,080 × 65% = 6,552.00, base 3,528.00 at 100%.
		{"特困 at 100%", []string{"TEKUN"}, true, true, Accumulators{CiiQual: yuan("7500")}, "3528", "0", false},
		// Both identities: the deductible is waived (特困), the 低保 group is listed first: 8,403.00 at 70%.
		{"first matching group wins", []string{"DIBAO", "TEKUN"}, false, true, Accumulators{}, "5882.10", "0", false},
		{"no identity, no assistance", nil, false, true, Accumulators{}, "0", "0", false},
		{"off for cross-province visits", []string{"DIBAO"}, true, false, Accumulators{}, "0", "0", false},
		{"cap binds", []string{"DIBAO"}, false, true, Accumulators{Maf: yuan("59000")}, "1000", "0", false},
		{"civil servant supplement on what is left", nil, false, true, Accumulators{}, "0", "3000", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policyP2()
			p.MAF.EnabledCrossProvince = tt.enabled
			p.Cvlserv = &SupplementRule{RatioBP: 2000, AnnualCap: yuan("50000")}
			rule, _ := p.Rule("21", "")
			c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "390", PsnType: "15", Grade: "3", Identities: tt.ids,
				Cvlserv: tt.cvlserv, CrossProvince: tt.cross, Filing: FilingLongTerm, Lines: example1Lines(), Accum: tt.ytd, Admission: true})
			if c.Amounts.Maf != yuan(tt.maf) {
				t.Errorf("maf = %s, want %s\n%s", c.Amounts.Maf, yuan(tt.maf), strings.Join(c.Trace, "\n"))
			}
			if tt.name == "civil servant supplement on what is left" {
				// base = 25,200 − 14,640 − 大病 on (10,560 − 15,000 → 0) = 10,560; 20% = 2,112.00
				if c.Amounts.Cvlserv != yuan("2112") {
					t.Errorf("cvlserv = %s, want 2112.00", c.Amounts.Cvlserv)
				}
			} else if c.Amounts.Cvlserv != 0 {
				t.Errorf("cvlserv paid %s to a non-civil-servant", c.Amounts.Cvlserv)
			}
		})
	}
}

// TestChronicDiseaseScope: a chronic-disease rule runs against its own
// year-to-date figures and limit, not the inpatient ones.
func TestChronicDiseaseScope(t *testing.T) {
	p := policyP1()
	p.MedTypes = append(p.MedTypes, MedTypeRule{
		MedTypes: []string{"14"}, Scope: ScopeChronic, Disease: ChronicHypertension, DiseaseCodes: []string{"M03900"},
		Deductible: DeductibleRule{Mode: DeductibleAnnual, Standards: []Standard{{Amount: yuan("300")}}},
		Pool:       PoolRule{AnnualCap: yuan("3000"), BandSets: oneBand(7000)},
	})
	if _, ok := p.Rule("14", "M01600"); ok {
		t.Error("a disease without a rule was given one")
	}
	rule, ok := p.Rule("14", "M03900")
	if !ok {
		t.Fatal("no rule for hypertension")
	}
	ytd := Accumulators{Inpatient: PoolAccum{DedcPaid: yuan("1200"), Paid: yuan("299000")}}
	ytd.Chronic[0] = PoolAccum{DedcPaid: yuan("300"), Paid: yuan("2500")}
	c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3", Filing: FilingLongTerm,
		Lines: []LineSplit{SplitLine(line("1", "1000"), catalogItemA("A"), true)}, Accum: ytd})
	if c.Amounts.ActPayDedc != 0 || c.Amounts.Hifp != yuan("500") {
		t.Errorf("deductible %s pool %s, want 0 and 500.00 (limit left)", c.Amounts.ActPayDedc, c.Amounts.Hifp)
	}
	if c.Deltas.Chronic[0].Paid != yuan("500") || c.Deltas.Inpatient != (PoolAccum{}) {
		t.Errorf("deltas in the wrong scope: %+v", c.Deltas)
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
			rule, _ := p.Rule("11", "")
			c := mustCalc(t, CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "11", Grade: "3",
				Filing: FilingTempOther, Lines: lines, Balance: yuan(tt.balance), AcctUsed: tt.used})
			a := c.Amounts
			if a.AcctPay != yuan(tt.acct) || a.PsnCash != yuan(tt.cash) || a.Balc != yuan(tt.balcLeft) {
				t.Errorf("account %s cash %s balance %s, want %s %s %s", a.AcctPay, a.PsnCash, a.Balc,
					yuan(tt.acct), yuan(tt.cash), yuan(tt.balcLeft))
			}
		})
	}
}

func TestNoBandsIsAConfigurationRefusal(t *testing.T) {
	p := policyP3()
	rule, _ := p.Rule("21", "")
	_, err := Calculate(CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "15", Grade: "3", Lines: example2Lines()})
	if e := AsError(err); e == nil || e.Code != CodeBadConfig || !strings.Contains(e.EN, `person type "15"`) {
		t.Errorf("error = %v", err)
	}
}

func TestPolicyValidateNamesTheField(t *testing.T) {
	p := policyP1()
	p.MedTypes[0].Pool.BandSets[0].Bands = []Band{{Upper: yuan("100"), RatioBP: 8000}}
	p.MedTypes[1].Deductible.Mode = "WEEKLY"
	p.InsuredAdmdvs = "15"
	p.LargeExpense.AnnualCap = 0
	err := p.Validate()
	if err == nil {
		t.Fatal("invalid policy passed validation")
	}
	for _, want := range []string{"insured_admdvs", "med_types[0].pool.band_sets[0].bands[0].upper", "med_types[1].deductible.mode", "large_expense.annual_cap"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	for name, p := range map[string]Policy{"P1": policyP1(), "P2": policyP2(), "P3": policyP3()} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s does not validate: %v", name, err)
		}
	}
}

// BenchmarkCalculate50Lines is one settlement of 50 fee lines under P3 with
// the pooled cap binding and 大额 paying: the work every replica does per
// settlement in the state machine.
func BenchmarkCalculate50Lines(b *testing.B) {
	p := policyP3()
	rule, _ := p.Rule("21", "")
	items := []CatalogItem{catalogItemA("A"), catalogItemB("B", 1000, yuan("80")), catalogItemC("C")}
	lines := make([]LineSplit, 50)
	for i := range lines {
		lines[i] = SplitLine(FeeLine{FeedetlSn: "x", Amount: yuan("1234.50"), Qty: 20000}, items[i%3], true)
	}
	in := CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "12", Grade: "3", Filing: FilingReferral,
		Lines: lines, Accum: Accumulators{Admissions: 1, Inpatient: PoolAccum{Elig: yuan("29000"), Paid: yuan("95000")}},
		Admission: true, Balance: yuan("3000"), AcctUsed: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Calculate(in); err != nil {
			b.Fatal(err)
		}
	}
}
