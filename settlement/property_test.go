package settlement

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// Property tests: over random policies, persons, accumulators and bills, the
// calculation never breaks an invariant of SETTLEMENT-MODEL §6.6, caps hold
// across sequences of settlements and cancellations, and cancelling
// everything returns the accumulators and the account exactly.

var poorIDs = []string{"DIBAO", "TEKUN", "FANPIN"}

func genFen(t *rapid.T, label string, lo, hi int64) Fen {
	return Fen(rapid.Int64Range(lo, hi).Draw(t, label))
}

func genBP(t *rapid.T, label string) BP { return BP(rapid.Int64Range(0, 10000).Draw(t, label)) }

func genBands(t *rapid.T, label string, basis string) []Band {
	n := rapid.IntRange(1, 3).Draw(t, label+".n")
	bands := make([]Band, n)
	var upper Fen
	for i := range bands {
		ratio := genBP(t, fmt.Sprintf("%s[%d].ratio", label, i))
		if i < n-1 {
			upper += genFen(t, fmt.Sprintf("%s[%d].width", label, i), 1, 10_000_000)
			bands[i].Upper = upper
			if basis == BasisFundPaid && ratio == 0 {
				ratio = 1
			}
		}
		bands[i].RatioBP = ratio
	}
	return bands
}

func genPolicy(t *rapid.T) Policy {
	basis := rapid.SampledFrom([]string{BasisExpense, BasisFundPaid}).Draw(t, "basis")
	rule := MedTypeRule{
		MedTypes: []string{"21"}, ThreeLayers: rapid.Bool().Draw(t, "three_layers"),
		Deductible: DeductibleRule{
			Mode:             rapid.SampledFrom([]string{DeductiblePerAdmission, DeductibleAnnual, DeductiblePerAdmissionAnnualCap}).Draw(t, "dedc.mode"),
			Standards:        []Standard{{Amount: genFen(t, "dedc.std", 0, 300_000)}},
			OrdinalFactorsBP: []BP{Full, genBP(t, "dedc.factor2")},
			AnnualCap:        genFen(t, "dedc.cap", 1, 500_000),
		},
		Pool: PoolRule{Basis: basis, AnnualCap: genFen(t, "pool.cap", 1, 50_000_000), BandSets: []BandSet{{Bands: genBands(t, "pool.bands", basis)}}},
	}
	if rapid.Bool().Draw(t, "dedc.waives") {
		rule.Deductible.WaivedFor = []string{"TEKUN"}
	}
	parts := []string{PartFullOwnpay, PartOverLimit, PartPreselfpay, PartInscpSelf}
	p := Policy{
		InsuredAdmdvs: "450100", Insutype: "310", Version: "gen", EffectiveFrom: "2024-01-01", UnfiledAction: "REJECT",
		FilingReductionBP: map[FilingCategory]BP{
			FilingReferral:  BP(rapid.Int64Range(0, 1000).Draw(t, "red.referral")),
			FilingTempOther: BP(rapid.Int64Range(0, 2000).Draw(t, "red.temp")),
		},
		FilingReductionAppliesTo: rapid.SampledFrom([][]string{{ReducePool}, {ReducePool, ReduceLarge}}).Draw(t, "red.applies"),
		Account:                  AccountRule{Exists: rapid.Bool().Draw(t, "acct"), PayableParts: rapid.SliceOfNDistinct(rapid.SampledFrom(parts), 0, 4, rapid.ID[string]).Draw(t, "acct.parts")},
		MedTypes:                 []MedTypeRule{rule},
	}
	if rapid.Bool().Draw(t, "large") {
		p.LargeExpense = &LargeExpenseRule{Ratios: []RatioRow{{RatioBP: genBP(t, "large.ratio")}}, AnnualCap: genFen(t, "large.cap", 1, 50_000_000)}
	}
	if rapid.Bool().Draw(t, "cii") {
		p.CII = &CIIRule{AnnualDeductible: genFen(t, "cii.ded", 0, 3_000_000), AnnualCap: genFen(t, "cii.cap", 1, 50_000_000),
			Segments: genBands(t, "cii.segments", BasisExpense), BaseIncludesPreselfpay: rapid.Bool().Draw(t, "cii.pre")}
		if rapid.Bool().Draw(t, "cii.poor") {
			p.CII.PoorGroups = &PoorGroupRule{Identities: poorIDs, DeductibleFactorBP: genBP(t, "cii.poor.factor"),
				RatioPlusBP: BP(rapid.Int64Range(0, 1000).Draw(t, "cii.poor.plus")), CapWaived: rapid.Bool().Draw(t, "cii.poor.waived")}
		}
	}
	if rapid.Bool().Draw(t, "maf") {
		p.MAF = &MAFRule{EnabledCrossProvince: rapid.Bool().Draw(t, "maf.cross"), BaseIncludesPreselfpay: rapid.Bool().Draw(t, "maf.pre"),
			Groups: []MAFGroup{
				{Identity: "DIBAO", AnnualDeductible: genFen(t, "maf.ded", 0, 100_000), RatioBP: genBP(t, "maf.ratio1"), AnnualCap: genFen(t, "maf.cap1", 1, 10_000_000)},
				{Identity: "TEKUN", RatioBP: genBP(t, "maf.ratio2"), AnnualCap: genFen(t, "maf.cap2", 1, 10_000_000)}}}
	}
	if rapid.Bool().Draw(t, "cvlserv") {
		p.Cvlserv = &SupplementRule{RatioBP: genBP(t, "cvlserv.ratio"), AnnualCap: genFen(t, "cvlserv.cap", 1, 5_000_000)}
	}
	if rapid.Bool().Draw(t, "hifes") {
		p.Hifes = &SupplementRule{RatioBP: genBP(t, "hifes.ratio"), AnnualCap: genFen(t, "hifes.cap", 1, 5_000_000)}
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("generated an invalid policy: %v", err)
	}
	return p
}

func genLines(t *rapid.T) []LineSplit {
	n := rapid.IntRange(0, 20).Draw(t, "lines")
	out := make([]LineSplit, n)
	for i := range out {
		qty := Qty(rapid.Int64Range(1, 5).Draw(t, "qty") * 10000)
		amount := genFen(t, "amount", 1, 5_000_000)
		item := CatalogItem{Class: rapid.SampledFrom([]ItemClass{ClassA, ClassB, ClassC}).Draw(t, "class"),
			Restricted: rapid.Bool().Draw(t, "restricted")}
		if item.Class == ClassB {
			item.SelfPayBP = genBP(t, "selfpay")
			if rapid.Bool().Draw(t, "capped") {
				item.PriceCap = genFen(t, "pricecap", 1, 2_000_000)
			}
		}
		line := FeeLine{FeedetlSn: fmt.Sprint(i), Amount: amount, Qty: qty,
			HospApprFlag: rapid.SampledFrom([]string{"", "0", "1", "2"}).Draw(t, "appr"),
			HospBear:     rapid.IntRange(0, 20).Draw(t, "bear") == 0}
		out[i] = SplitLine(line, item, rapid.IntRange(0, 10).Draw(t, "found") > 0)
	}
	return out
}

type personGen struct {
	psnType    string
	identities []string
	cvlserv    bool
	filing     FilingCategory
	cross      bool
	grade      string
}

func genPerson(t *rapid.T) personGen {
	return personGen{
		psnType:    rapid.SampledFrom([]string{"11", "12"}).Draw(t, "psn_type"),
		identities: rapid.SliceOfNDistinct(rapid.SampledFrom(poorIDs), 0, 2, rapid.ID[string]).Draw(t, "identities"),
		cvlserv:    rapid.Bool().Draw(t, "cvlserv_flag"),
		filing:     rapid.SampledFrom([]FilingCategory{FilingLocal, FilingLongTerm, FilingReferral, FilingEmergency, FilingTempOther}).Draw(t, "filing"),
		cross:      rapid.Bool().Draw(t, "cross"),
		grade:      rapid.SampledFrom([]string{"1", "2", "3"}).Draw(t, "grade"),
	}
}

func (pg personGen) input(p *Policy, lines []LineSplit, acc Accumulators, bal Fen, admission bool, stayDedc Fen) CalcInput {
	return CalcInput{Policy: p, Rule: &p.MedTypes[0], Insutype: "310", PsnType: pg.psnType, Grade: pg.grade,
		Identities: pg.identities, Cvlserv: pg.cvlserv, Filing: pg.filing, CrossProvince: pg.cross,
		Lines: lines, Accum: acc, Balance: bal, AcctUsed: true, Admission: admission, StayDedc: stayDedc}
}

// TestPropertyInvariantsHold: any bill under any policy from any position
// gives a record that passes every invariant (Calculate checks them and
// would return E4302).
func TestPropertyInvariantsHold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicy(t)
		pg := genPerson(t)
		acc := Accumulators{
			Admissions: rapid.Int64Range(0, 5).Draw(t, "ytd.admissions"),
			Inpatient: PoolAccum{DedcPaid: genFen(t, "ytd.dedc", 0, 500_000), Elig: genFen(t, "ytd.elig", 0, 50_000_000),
				Paid: genFen(t, "ytd.paid", 0, int64(p.MedTypes[0].Pool.AnnualCap))},
			CiiQual: genFen(t, "ytd.cii_qual", 0, 10_000_000),
		}
		if p.LargeExpense != nil {
			acc.Hifob = genFen(t, "ytd.hifob", 0, int64(p.LargeExpense.AnnualCap))
		}
		if p.CII != nil {
			acc.Hifmi = genFen(t, "ytd.hifmi", 0, int64(p.CII.AnnualCap))
		}
		in := pg.input(&p, genLines(t), acc, genFen(t, "balance", 0, 5_000_000), rapid.Bool().Draw(t, "admission"),
			genFen(t, "stay_dedc", 0, 300_000))
		if _, err := Calculate(in); err != nil {
			if e := AsError(err); e != nil && e.Code == CodeInvariant {
				t.Fatalf("an invariant broke: %v", err)
			}
			t.Fatalf("calculation refused: %v", err)
		}
	})
}

// TestPropertySettleAndCancel runs a sequence of settlements and
// cancellations for one person: caps are never exceeded, no accumulator
// goes negative, the account never overdraws, and cancelling everything
// leaves the accumulators and the account exactly as they started.
func TestPropertySettleAndCancel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicy(t)
		pg := genPerson(t)
		start := genFen(t, "balance", 0, 5_000_000)
		var acc Accumulators
		bal := start
		var live []Record
		steps := rapid.IntRange(1, 12).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if len(live) > 0 && rapid.IntRange(0, 3).Draw(t, "cancel?") == 0 {
				j := rapid.IntRange(0, len(live)-1).Draw(t, "which")
				m := live[j].Mirror("c", "m", Stamp{})
				acc, bal = acc.Add(m.Deltas), bal+m.AcctDelta
				live = append(live[:j], live[j+1:]...)
			} else {
				c, err := Calculate(pg.input(&p, genLines(t), acc, bal, true, 0))
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				acc, bal = acc.Add(c.Deltas), bal+c.AcctDelta
				live = append(live, Record{Amounts: c.Amounts, Details: c.Details, Deltas: c.Deltas, AcctDelta: c.AcctDelta})
			}
			checkCaps(t, &p, pg, acc, bal)
		}
		for _, r := range live {
			m := r.Mirror("c", "m", Stamp{})
			acc, bal = acc.Add(m.Deltas), bal+m.AcctDelta
		}
		if acc != (Accumulators{}) || bal != start {
			t.Fatalf("after cancelling everything: accumulators %+v, balance %s (started %s)", acc, bal, start)
		}
	})
}

func checkCaps(t *rapid.T, p *Policy, pg personGen, acc Accumulators, bal Fen) {
	if acc.Inpatient.Paid > p.MedTypes[0].Pool.AnnualCap {
		t.Fatalf("pooled cap exceeded: %s > %s", acc.Inpatient.Paid, p.MedTypes[0].Pool.AnnualCap)
	}
	if le := p.LargeExpense; le != nil && acc.Hifob > le.AnnualCap {
		t.Fatalf("large-expense cap exceeded: %s > %s", acc.Hifob, le.AnnualCap)
	}
	if c := p.CII; c != nil && acc.Hifmi > c.AnnualCap && !(c.PoorGroups != nil && c.PoorGroups.CapWaived && holdsAny(pg.identities, c.PoorGroups.Identities)) {
		t.Fatalf("critical-illness cap exceeded: %s > %s", acc.Hifmi, c.AnnualCap)
	}
	if m := p.MAF; m != nil {
		for _, g := range m.Groups { // the first group, in policy order, the person belongs to
			if holdsAny(pg.identities, []string{g.Identity}) {
				if acc.Maf > g.AnnualCap {
					t.Fatalf("assistance cap exceeded: %s > %s", acc.Maf, g.AnnualCap)
				}
				break
			}
		}
	}
	if cv := p.Cvlserv; cv != nil && acc.Cvlserv > cv.AnnualCap {
		t.Fatalf("civil-servant cap exceeded")
	}
	if h := p.Hifes; h != nil && acc.Hifes > h.AnnualCap {
		t.Fatalf("enterprise supplement cap exceeded")
	}
	for _, f := range []Fen{acc.Inpatient.DedcPaid, acc.Inpatient.Elig, acc.Inpatient.Paid, acc.Hifob, acc.HifobElig,
		acc.CiiQual, acc.Hifmi, acc.MafBase, acc.Maf, acc.Cvlserv, acc.Hifes} {
		if f < 0 {
			t.Fatalf("negative accumulator: %+v", acc)
		}
	}
	if acc.Admissions < 0 || bal < 0 {
		t.Fatalf("admissions %d, balance %s", acc.Admissions, bal)
	}
}
