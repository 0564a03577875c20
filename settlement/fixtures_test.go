package settlement

// Fixtures: the example regions of SETTLEMENT-MODEL §6.4.

func yuan(s string) Fen {
	f, err := ParseFen(s)
	if err != nil {
		panic(err)
	}
	return f
}

func oneBand(ratio BP) []BandSet { return []BandSet{{Bands: []Band{{RatioBP: ratio}}}} }

// policyP1 is "Inner-Mongolia-county-style employees" (S5): 1,200 first
// admission and 600 from the second, one band at 80%, cap 300,000, other
// temporary travellers −10 points, the account may pay every part.
func policyP1() Policy {
	return Policy{
		InsuredAdmdvs: "150826", Insutype: "310", Version: "P1", EffectiveFrom: "2024-01-01",
		UnfiledAction:     "REJECT",
		FilingReductionBP: map[FilingCategory]BP{FilingLongTerm: 0, FilingReferral: 0, FilingEmergency: 0, FilingTempOther: 1000},
		Account:           AccountRule{Exists: true, PayableParts: []string{PartFullOwnpay, PartOverLimit, PartPreselfpay, PartInscpSelf}},
		LargeExpense:      &LargeExpenseRule{Ratios: []RatioRow{{RatioBP: 9000}}, AnnualCap: yuan("300000")},
		MedTypes: []MedTypeRule{
			{
				MedTypes: []string{"21"}, ThreeLayers: true,
				Deductible: DeductibleRule{Mode: DeductiblePerAdmission, OrdinalAmounts: []Fen{yuan("1200"), yuan("600")}},
				Pool:       PoolRule{AnnualCap: yuan("300000"), BandSets: oneBand(8000)},
			},
			{
				MedTypes: []string{"11"}, Scope: ScopeOutpatient,
				Deductible: DeductibleRule{Mode: DeductibleAnnual, Standards: []Standard{{Amount: yuan("1200")}}},
				Pool:       PoolRule{AnnualCap: yuan("300000"), BandSets: oneBand(8000)},
			},
		},
	}
}

// policyP2 is "Zhaoqing-style residents + national 大病/救助 floors".
func policyP2() Policy {
	grade := func(g string, ratio BP) BandSet {
		return BandSet{Grades: []string{g}, Bands: []Band{{Upper: yuan("70000"), RatioBP: ratio}, {RatioBP: 9000}}}
	}
	return Policy{
		InsuredAdmdvs: "441200", Insutype: "390", Version: "P2", EffectiveFrom: "2024-01-01",
		UnfiledAction:     "TEMP_OTHER",
		FilingReductionBP: map[FilingCategory]BP{FilingLongTerm: 0, FilingReferral: 500, FilingEmergency: 500, FilingTempOther: 1000},
		MedTypes: []MedTypeRule{{
			MedTypes: []string{"21"}, ThreeLayers: true,
			Deductible: DeductibleRule{Mode: DeductiblePerAdmission, WaivedFor: []string{"TEKUN"},
				Standards: []Standard{
					{Grades: []string{"1"}, Amount: yuan("200")},
					{Grades: []string{"2"}, Amount: yuan("500")},
					{Grades: []string{"3"}, Amount: yuan("800")}},
				OrdinalFactorsBP: []BP{10000, 5000}},
			Pool: PoolRule{Basis: BasisFundPaid, AnnualCap: yuan("250000"),
				BandSets: []BandSet{grade("1", 9000), grade("2", 7500), grade("3", 6000)}},
		}},
		CII: &CIIRule{AnnualDeductible: yuan("15000"), AnnualCap: yuan("400000"),
			Segments:   []Band{{Upper: yuan("100000"), RatioBP: 6000}, {RatioBP: 7000}},
			PoorGroups: &PoorGroupRule{Identities: []string{"TEKUN", "DIBAO", "FANPIN"}, DeductibleFactorBP: 5000, RatioPlusBP: 500, CapWaived: true}},
		MAF: &MAFRule{EnabledCrossProvince: true, Groups: []MAFGroup{
			{Identity: "DIBAO", RatioBP: 7000, AnnualCap: yuan("60000")},
			{Identity: "TEKUN", RatioBP: 10000, AnnualCap: yuan("100000")}}},
	}
}

// policyP3 is "band-structured employees": two bands on the year-to-date
// expense, by grade and person type, cap 100,000; 大额 above the cap; the
// account may not pay 丙类.
func policyP3() Policy {
	bands := func(lo, hi BP) []Band { return []Band{{Upper: yuan("30000"), RatioBP: lo}, {RatioBP: hi}} }
	return Policy{
		InsuredAdmdvs: "110000", Insutype: "310", Version: "P3", EffectiveFrom: "2024-01-01",
		UnfiledAction:            "TEMP_OTHER",
		FilingReductionBP:        map[FilingCategory]BP{FilingLongTerm: 0, FilingReferral: 500, FilingEmergency: 0, FilingTempOther: 1000},
		FilingReductionAppliesTo: []string{ReducePool},
		Account:                  AccountRule{Exists: true, PayableParts: []string{PartOverLimit, PartPreselfpay, PartInscpSelf}},
		LargeExpense: &LargeExpenseRule{AnnualCap: yuan("400000"),
			Ratios: []RatioRow{{PsnTypes: []string{"11"}, RatioBP: 8500}, {PsnTypes: []string{"12"}, RatioBP: 9000}}},
		MedTypes: []MedTypeRule{{
			MedTypes: []string{"21"}, ThreeLayers: true,
			Deductible: DeductibleRule{Mode: DeductiblePerAdmission, OrdinalAmounts: []Fen{yuan("1300"), yuan("650")}},
			Pool: PoolRule{AnnualCap: yuan("100000"), BandSets: []BandSet{
				{Grades: []string{"3"}, PsnTypes: []string{"11"}, Bands: bands(8500, 9000)},
				{Grades: []string{"3"}, PsnTypes: []string{"12"}, Bands: bands(9100, 9500)},
				{Grades: []string{"2"}, PsnTypes: []string{"11"}, Bands: bands(8700, 9200)},
				{Grades: []string{"2"}, PsnTypes: []string{"12"}, Bands: bands(9300, 9700)},
				{Grades: []string{"1"}, PsnTypes: []string{"11"}, Bands: bands(9000, 9500)},
				{Grades: []string{"1"}, PsnTypes: []string{"12"}, Bands: bands(9500, 9700)},
			}},
		}},
	}
}

func catalogItemA(code string) CatalogItem { return CatalogItem{Code: code, Class: ClassA} }

func catalogItemB(code string, selfPay BP, cap Fen) CatalogItem {
	return CatalogItem{Code: code, Class: ClassB, SelfPayBP: selfPay, PriceCap: cap}
}

func catalogItemC(code string) CatalogItem { return CatalogItem{Code: code, Class: ClassC} }

// line makes a fee line of one unit at the given amount.
func line(sn string, amount string) FeeLine {
	a := yuan(amount)
	return FeeLine{FeedetlSn: sn, Amount: a, Qty: 10000, Price: Price(a) * 10000}
}

// example3Lines are the lines of SETTLEMENT-MODEL Example 3, already split.
func example3Lines() []LineSplit {
	return []LineSplit{
		SplitLine(line("L1", "12400"), catalogItemA("A1"), true),
		SplitLine(line("L2", "5000"), catalogItemB("B1", 500, 0), true),
		SplitLine(line("L3", "600"), catalogItemC("C1"), true),
	}
}

// example1Lines are Example 1's lines (L3 is over its price cap).
func example1Lines() []LineSplit {
	return []LineSplit{
		SplitLine(line("L1", "3200"), catalogItemA("A"), true),
		SplitLine(line("L2", "8000"), catalogItemB("B", 1000, 0), true),
		SplitLine(line("L3", "12000"), catalogItemB("B", 2000, yuan("10000")), true),
		SplitLine(line("L4", "6800"), catalogItemA("A"), true),
		SplitLine(line("L5", "1500"), catalogItemC("C"), true),
	}
}

// example2Lines are Example 2's lines.
func example2Lines() []LineSplit {
	return []LineSplit{
		SplitLine(line("L1", "9000"), catalogItemA("A"), true),
		SplitLine(line("L2", "20000"), catalogItemB("B", 1000, 0), true),
		SplitLine(line("L3", "11650"), catalogItemA("A"), true),
		SplitLine(line("L4", "500"), catalogItemC("C"), true),
	}
}

// example2Input is Example 2: a P3 retired employee, second admission,
// other temporary trip, the pooled cap binding.
func example2Input(filing FilingCategory) CalcInput {
	p := policyP3()
	rule, _ := p.Rule("21", "")
	return CalcInput{Policy: &p, Rule: rule, Insutype: "310", PsnType: "12", Grade: "3", Filing: filing,
		Lines: example2Lines(), Admission: true, Balance: yuan("3000"), AcctUsed: true,
		Accum: Accumulators{Admissions: 1, Inpatient: PoolAccum{Elig: yuan("95000"), Paid: yuan("88000")}}}
}
