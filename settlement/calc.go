package settlement

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// CalcInput is everything one settlement calculation depends on. The
// calculation is a pure function of it (SETTLEMENT-MODEL §6.1).
type CalcInput struct {
	Policy     *Policy
	Rule       *MedTypeRule
	Insutype   string
	PsnType    string
	Grade      string // the hospital grade the insured place's tables use
	Filing     FilingCategory
	Lines      []LineSplit
	Accum      Accumulators // year-to-date before this settlement
	Admission  bool         // the first settlement of an inpatient stay: counts an admission
	StayDedc   Fen          // deductible already charged in this stay (interim settlements)
	Balance    Fen          // personal-account balance before this settlement
	AcctUsed   bool         // acct_used_flag
	Outpatient bool
}

// Calculation is the result: the setlinfo amounts, the per-fund rows, the
// accumulator deltas and a readable trace of every step.
type Calculation struct {
	Amounts   Amounts
	Details   []FundDetail
	Deltas    Accumulators
	AcctDelta Fen
	Trace     []string
}

// Calculate runs the ordered steps of SETTLEMENT-MODEL §6.5: totals,
// deductible, pooled fund with bands and annual cap, totals, personal
// account. It checks the invariants of §6.6 before returning; a violation is
// an error and never a record.
func Calculate(in CalcInput) (Calculation, error) {
	var c Calculation
	a := totals(in.Lines)
	tracef := func(format string, args ...any) { c.Trace = append(c.Trace, fmt.Sprintf(format, args...)) }
	tracef("split: medfee %s = fulamt %s + overlmt %s + preselfpay %s + inscp %s + hosp %s",
		a.Medfee, a.Fulamt, a.Overlmt, a.Preselfpay, a.Inscp, a.HospPart)

	// Step 3: deductible.
	ordinal := in.Accum.Admissions + 1
	if !in.Admission && !in.Outpatient {
		ordinal = max(in.Accum.Admissions, 1) // an interim settlement keeps the stay's ordinal
	}
	std := deductibleStandard(in.Rule.Deductible, in.Grade, in.PsnType, ordinal)
	var remaining Fen
	switch in.Rule.Deductible.Mode {
	case DeductibleAnnual:
		remaining = maxFen(0, std-in.Accum.DedcPaid)
	default:
		remaining = maxFen(0, std-in.StayDedc)
	}
	a.ActPayDedc = minFen(a.Inscp, remaining)
	expense := a.Inscp - a.ActPayDedc
	tracef("deductible: %s standard %s (ordinal %d), remaining %s, charged %s",
		in.Rule.Deductible.Mode, std, ordinal, remaining, a.ActPayDedc)

	// Step 4: pooled fund.
	reduction := in.Policy.FilingReductionBP[in.Filing]
	bands := bandsFor(in.Rule.Pool, in.Grade, in.PsnType)
	capLeft := maxFen(0, in.Rule.Pool.AnnualCap-in.Accum.Hifp)
	pool := walkBands(bands, reduction, in.Accum.PoolElig, expense, capLeft)
	a.Hifp, a.PoolProp = pool.paid, pool.lastRatio
	for _, step := range pool.steps {
		tracef("pool: %s", step)
	}
	if pool.capHit {
		tracef("pool: annual cap %s binds (left %s): consumed %s, above cap %s",
			in.Rule.Pool.AnnualCap, capLeft, pool.used, expense-pool.used)
	}
	if a.Hifp != 0 || expense != 0 {
		c.Details = append(c.Details, FundDetail{
			FundPayType: poolFundType(in.Insutype), Name: poolFundName(in.Insutype),
			Inscp: expense, LimitLeft: capLeft, Paid: a.Hifp,
			Process: fmt.Sprintf("ratio %s, filing %s −%d bp", a.PoolProp.Fraction(), in.Filing, reduction),
		})
	}

	// Step 8: totals.
	a.FundPay = a.Hifp + a.Cvlserv + a.Hifes + a.Hifmi + a.Hifob + a.Maf + a.Oth
	a.PsnPart = a.Medfee - a.FundPay - a.HospPart

	// Step 9: personal account.
	if in.Policy.Account.Exists && in.AcctUsed {
		payable := accountPayable(in.Policy.Account, a)
		a.AcctPay = max(0, minFen(minFen(in.Balance, payable), a.PsnPart))
		tracef("account: balance %s, payable parts %s, paid %s", in.Balance, payable, a.AcctPay)
	}
	a.PsnCash = a.PsnPart - a.AcctPay
	a.Balc = in.Balance - a.AcctPay
	c.Amounts = a
	c.AcctDelta = -a.AcctPay

	c.Deltas = Accumulators{DedcPaid: a.ActPayDedc, PoolElig: expense, Hifp: a.Hifp}
	if in.Admission {
		c.Deltas.Admissions = 1
	}
	if in.Outpatient {
		c.Deltas.OutpHifp = a.Hifp
	}
	// The readable trace travels with the pooled fund's row (setl_proc_info).
	if len(c.Details) > 0 {
		c.Details[0].Process = truncate(c.Details[0].Process+"; "+strings.Join(c.Trace, "; "), 4000)
	}
	if err := c.check(in); err != nil {
		return Calculation{}, err
	}
	return c, nil
}

func deductibleStandard(d DeductibleRule, grade, psnType string, ordinal int64) Fen {
	idx := int(min(ordinal, int64(1<<30))) - 1
	if len(d.OrdinalAmounts) > 0 {
		return d.OrdinalAmounts[min(idx, len(d.OrdinalAmounts)-1)]
	}
	var std Fen
	for _, s := range d.Standards {
		if matches(s.Grades, grade) && matches(s.PsnTypes, psnType) {
			std = s.Amount
			break
		}
	}
	if len(d.OrdinalFactorsBP) > 0 {
		std = MulBP(std, d.OrdinalFactorsBP[min(idx, len(d.OrdinalFactorsBP)-1)])
	}
	return std
}

func bandsFor(p PoolRule, grade, psnType string) []Band {
	for _, bs := range p.BandSets {
		if matches(bs.Grades, grade) && matches(bs.PsnTypes, psnType) {
			return bs.Bands
		}
	}
	return nil
}

type poolResult struct {
	paid, used Fen
	lastRatio  BP
	capHit     bool
	steps      []string
}

// walkBands pays the expense across the bands starting at the cumulative
// position pos (EXPENSE basis), each band at its ratio less the filing
// reduction, until the annual cap is exhausted. In the band where the cap
// binds, the expense consumed is back-calculated from the payment, so the
// part above the cap is known exactly (ZL HIS style, SETTLEMENT-MODEL §5.1).
func walkBands(bands []Band, reduction BP, pos, expense, capLeft Fen) poolResult {
	var r poolResult
	lower := Fen(0)
	left := expense
	for i, b := range bands {
		ratio := min(max(b.RatioBP-reduction, 0), Full)
		upper := b.Upper
		open := i == len(bands)-1
		if !open && pos >= upper {
			lower = upper // the position is already past this band
			continue
		}
		r.lastRatio = ratio
		if left <= 0 {
			break
		}
		inBand := left
		if !open {
			inBand = minFen(left, upper-maxFen(pos, lower))
		}
		pay := MulBP(inBand, ratio)
		consumed := inBand
		if pay > capLeft-r.paid {
			pay = capLeft - r.paid
			consumed = minFen(inBand, DivBP(pay, ratio))
			r.capHit = true
		}
		r.steps = append(r.steps, fmt.Sprintf("band %s–%s at %d bp (%d − %d): %s → %s",
			maxFen(pos, lower), bandEdge(upper, open), ratio, b.RatioBP, reduction, consumed, pay))
		r.paid += pay
		r.used += consumed
		left -= inBand
		pos += inBand
		lower = upper
		if r.capHit {
			break
		}
	}
	return r
}

func bandEdge(upper Fen, open bool) string {
	if open {
		return "∞"
	}
	return upper.String()
}

func accountPayable(rule AccountRule, a Amounts) Fen {
	var p Fen
	for _, part := range rule.PayableParts {
		switch part {
		case PartFullOwnpay:
			p += a.Fulamt
		case PartOverLimit:
			p += a.Overlmt
		case PartPreselfpay:
			p += a.Preselfpay
		case PartInscpSelf:
			p += maxFen(0, a.Inscp-a.FundPay)
		}
	}
	return p
}

func poolFundType(insutype string) string {
	if insutype == "390" || insutype == "391" {
		return "390100"
	}
	return "310100"
}

func poolFundName(insutype string) string {
	if poolFundType(insutype) == "390100" {
		return "城乡居民基本医疗保险基金"
	}
	return "城镇职工基本医疗保险统筹基金"
}

// check enforces the invariants of SETTLEMENT-MODEL §6.6 on a positive
// calculation.
func (c Calculation) check(in CalcInput) error {
	a := c.Amounts
	fail := func(what string) error { return Errorf(CodeInvariant, what) }
	for _, l := range in.Lines {
		if l.Amount != l.Fulamt+l.Overlmt+l.Preselfpay+l.Inscp+l.HospPart {
			return fail("line " + l.FeedetlSn + " does not split into its parts")
		}
	}
	if a.Medfee != a.Fulamt+a.Overlmt+a.Preselfpay+a.Inscp+a.HospPart {
		return fail("medfee ≠ fulamt + overlmt + preselfpay + inscp + hosp")
	}
	funds := a.Hifp + a.Cvlserv + a.Hifes + a.Hifmi + a.Hifob + a.Maf + a.Oth
	if a.FundPay != funds {
		return fail("fund_pay_sumamt ≠ sum of funds")
	}
	var details Fen
	for _, d := range c.Details {
		details += d.Paid
	}
	if details != a.FundPay {
		return fail("fund_pay_sumamt ≠ sum of setldetail")
	}
	if a.Medfee != a.FundPay+a.PsnPart+a.HospPart || a.PsnPart != a.AcctPay+a.PsnCash {
		return fail("medfee ≠ fund + personal + hospital, or personal ≠ account + cash")
	}
	if a.ActPayDedc < 0 || a.ActPayDedc > a.Inscp {
		return fail("deductible outside 0..inscp")
	}
	if funds < 0 || funds > a.Inscp {
		return fail("funds outside 0..inscp")
	}
	if a.AcctPay > in.Balance {
		return fail("account pays more than its balance")
	}
	if in.Accum.Hifp+c.Deltas.Hifp > in.Rule.Pool.AnnualCap {
		return fail("pooled annual cap exceeded")
	}
	amounts := []Fen{a.Medfee, a.Fulamt, a.Overlmt, a.Preselfpay, a.Inscp, a.ActPayDedc, a.Hifp,
		a.Cvlserv, a.Hifes, a.Hifmi, a.Hifob, a.Maf, a.Oth, a.FundPay, a.PsnPart, a.AcctPay,
		a.PsnCash, a.HospPart, a.Balc, a.AcctMulaid}
	if slices.ContainsFunc(amounts, func(f Fen) bool { return f < 0 }) {
		return fail("negative amount in a positive record")
	}
	return nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
