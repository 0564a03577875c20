package settlement

// Fixtures: the example regions of SETTLEMENT-MODEL §6.4, as far as the
// rules in scope need them.

func yuan(s string) Fen {
	f, err := ParseFen(s)
	if err != nil {
		panic(err)
	}
	return f
}

// policyP1 is "Inner-Mongolia-county-style employees" (S5): 1,200 first
// admission and 600 from the second, one band at 80%, cap 300,000, other
// temporary travellers −10 points, the account may pay every part.
func policyP1() Policy {
	return Policy{
		InsuredAdmdvs: "150826", Insutype: "310", Version: "P1", EffectiveFrom: "2024-01-01",
		UnfiledAction:     "REJECT",
		FilingReductionBP: map[FilingCategory]BP{FilingLongTerm: 0, FilingReferral: 0, FilingEmergency: 0, FilingTempOther: 1000},
		Account:           AccountRule{Exists: true, PayableParts: []string{PartFullOwnpay, PartOverLimit, PartPreselfpay, PartInscpSelf}},
		MedTypes: []MedTypeRule{
			{
				MedTypes:   []string{"21"},
				Deductible: DeductibleRule{Mode: DeductiblePerAdmission, OrdinalAmounts: []Fen{yuan("1200"), yuan("600")}},
				Pool:       PoolRule{AnnualCap: yuan("300000"), BandSets: []BandSet{{Bands: []Band{{RatioBP: 8000}}}}},
			},
			{
				MedTypes:   []string{"11"},
				Deductible: DeductibleRule{Mode: DeductibleAnnual, Standards: []Standard{{Amount: yuan("1200")}}},
				Pool:       PoolRule{AnnualCap: yuan("300000"), BandSets: []BandSet{{Bands: []Band{{RatioBP: 8000}}}}},
			},
		},
	}
}

// policyP3 is "band-structured employees": two bands on the year-to-date
// expense, by grade and person type, cap 100,000, the account may not pay 丙类.
func policyP3() Policy {
	bands := func(lo, hi BP) []Band { return []Band{{Upper: yuan("30000"), RatioBP: lo}, {RatioBP: hi}} }
	return Policy{
		InsuredAdmdvs: "110000", Insutype: "310", Version: "P3", EffectiveFrom: "2024-01-01",
		UnfiledAction:     "TEMP_OTHER",
		FilingReductionBP: map[FilingCategory]BP{FilingLongTerm: 0, FilingReferral: 500, FilingEmergency: 0, FilingTempOther: 1000},
		Account:           AccountRule{Exists: true, PayableParts: []string{PartOverLimit, PartPreselfpay, PartInscpSelf}},
		MedTypes: []MedTypeRule{{
			MedTypes:   []string{"21"},
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
