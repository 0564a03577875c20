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
	Grade      string   // the hospital grade the insured place's tables use
	Identities []string // psn_idet_type values valid on the settlement date
	Cvlserv    bool     // cvlserv_flag: a civil servant
	Filing     FilingCategory
	// CrossProvince is true when the treatment place is outside the insured
	// province (medical assistance may be off for such visits).
	CrossProvince bool
	Lines         []LineSplit
	Accum         Accumulators // year-to-date before this settlement
	Admission     bool         // the first settlement of an inpatient stay: counts an admission
	StayDedc      Fen          // deductible already charged in this stay (interim settlements)
	Balance       Fen          // personal-account balance before this settlement
	AcctUsed      bool         // acct_used_flag
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

// calc carries one calculation through its steps.
type calc struct {
	in    CalcInput
	a     Amounts
	d     Accumulators
	steps []string // trace lines of the current step
	c     Calculation
}

func (k *calc) tracef(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	k.steps = append(k.steps, line)
	k.c.Trace = append(k.c.Trace, line)
}

// detail records a fund's row with the trace of its step.
func (k *calc) detail(fundType, name string, base, limitLeft, paid Fen) {
	k.c.Details = append(k.c.Details, FundDetail{FundPayType: fundType, Name: name, Inscp: base,
		LimitLeft: limitLeft, Paid: paid, Process: truncate(strings.Join(k.steps, "; "), 4000)})
	k.steps = nil
}

// Calculate runs the ordered steps of SETTLEMENT-MODEL §6.5: split totals,
// deductible, pooled fund, large-expense subsidy or critical-illness
// insurance, medical assistance, supplements, totals, personal account. It
// checks the invariants of §6.6 before returning; a violation is an error,
// never a record.
func Calculate(in CalcInput) (Calculation, error) {
	if len(bandsFor(in.Rule.Pool, in.Grade, in.PsnType)) == 0 {
		return Calculation{}, Errorf(CodeBadConfig, fmt.Sprintf("policy %s has no pooled bands for hospital grade %q and person type %q",
			in.Policy.Ref(), in.Grade, in.PsnType))
	}
	k := &calc{in: in, a: totals(in.Lines)}
	a := &k.a
	k.tracef("split: medfee %s = fulamt %s + overlmt %s + preselfpay %s + inscp %s + hosp %s",
		a.Medfee, a.Fulamt, a.Overlmt, a.Preselfpay, a.Inscp, a.HospPart)

	expense := k.deductible()
	over := k.pool(expense)
	if in.Rule.ThreeLayers {
		k.largeExpense(over)
		k.criticalIllness()
		k.assistance()
		k.supplement("cvlserv", in.Policy.Cvlserv, in.Cvlserv, &a.Cvlserv, &k.d.Cvlserv, in.Accum.Cvlserv, "320100", "公务员医疗补助基金")
		k.supplement("hifes", in.Policy.Hifes, true, &a.Hifes, &k.d.Hifes, in.Accum.Hifes, "370100", "企业补充医疗保险基金")
	}

	// Step 8: totals. Cash is always a subtraction.
	a.FundPay = a.Hifp + a.Cvlserv + a.Hifes + a.Hifmi + a.Hifob + a.Maf + a.Oth
	a.PsnPart = a.Medfee - a.FundPay - a.HospPart
	k.account()
	a.PsnCash = a.PsnPart - a.AcctPay
	a.Balc = in.Balance - a.AcctPay

	k.c.Amounts, k.c.Deltas, k.c.AcctDelta = k.a, k.d, -a.AcctPay
	if err := k.c.check(in); err != nil {
		return Calculation{}, err
	}
	return k.c, nil
}

// deductible is step 3: the 起付线 still to charge, taken from the in-scope
// amount. It returns the expense E that enters the pooled fund.
func (k *calc) deductible() Fen {
	in, a := k.in, &k.a
	rule := in.Rule.Deductible
	pos := *in.Accum.pool(in.Rule)
	ordinal := in.Accum.Admissions + 1
	if !in.Admission {
		ordinal = max(in.Accum.Admissions, 1) // an interim settlement keeps its stay's ordinal
	}
	std := deductibleStandard(rule, in.Grade, in.PsnType, ordinal)
	waived := slices.ContainsFunc(in.Identities, func(id string) bool { return slices.Contains(rule.WaivedFor, id) })
	if waived {
		std = 0
	}
	var remaining Fen
	switch rule.Mode {
	case DeductibleAnnual:
		remaining = maxFen(0, std-pos.DedcPaid)
	case DeductiblePerAdmissionAnnualCap:
		remaining = minFen(maxFen(0, std-in.StayDedc), maxFen(0, rule.AnnualCap-pos.DedcPaid))
	default:
		remaining = maxFen(0, std-in.StayDedc)
	}
	a.ActPayDedc = minFen(a.Inscp, remaining)
	note := ""
	if waived {
		note = " (waived for the person's identity)"
	}
	k.tracef("deductible: %s standard %s (admission %d)%s, remaining %s, charged %s",
		rule.Mode, std, ordinal, note, remaining, a.ActPayDedc)
	k.d.pool(in.Rule).DedcPaid = a.ActPayDedc
	if in.Admission {
		k.d.Admissions = 1
	}
	return a.Inscp - a.ActPayDedc
}

// pool is step 4: the pooled fund walks the expense across its bands from
// the year-to-date position, capped annually. It returns the expense above
// the cap (E_over).
func (k *calc) pool(expense Fen) Fen {
	in, a := k.in, &k.a
	pos := *in.Accum.pool(in.Rule)
	reduction := BP(0)
	if in.Policy.reduces(ReducePool) {
		reduction = in.Policy.FilingReductionBP[in.Filing]
	}
	capLeft := maxFen(0, in.Rule.Pool.AnnualCap-pos.Paid)
	r := walkBands(bandsFor(in.Rule.Pool, in.Grade, in.PsnType), in.Rule.Pool.Basis, reduction,
		pos.Elig, pos.Paid, expense, capLeft)
	a.Hifp, a.PoolProp = r.paid, r.lastRatio
	for _, s := range r.steps {
		k.tracef("pool: %s", s)
	}
	over := expense - r.used
	if r.capHit {
		k.tracef("pool: annual cap %s binds (left %s): expense consumed %s, above the cap %s",
			in.Rule.Pool.AnnualCap, capLeft, r.used, over)
	}
	d := k.d.pool(in.Rule)
	d.Elig, d.Paid = expense, a.Hifp
	if a.Hifp != 0 || expense != 0 {
		k.detail(poolFundType(in.Insutype), poolFundName(in.Insutype), expense, capLeft, a.Hifp)
	}
	return over
}

// largeExpense is step 5a, 职工大额: a share of the expense above the pooled
// cap, itself capped annually with the consumed expense back-calculated.
func (k *calc) largeExpense(over Fen) {
	in, a := k.in, &k.a
	le := in.Policy.LargeExpense
	if le == nil || over <= 0 {
		return
	}
	ratio, ok := ratioFor(le.Ratios, in.PsnType)
	if !ok {
		return
	}
	if in.Policy.reduces(ReduceLarge) {
		ratio = max(0, ratio-in.Policy.FilingReductionBP[in.Filing])
	}
	capLeft := maxFen(0, le.AnnualCap-in.Accum.Hifob)
	pay, consumed := MulBP(over, ratio), over
	if pay > capLeft {
		pay, consumed = capLeft, minFen(over, DivBP(capLeft, ratio))
	}
	a.Hifob = pay
	k.d.Hifob, k.d.HifobElig = pay, consumed
	k.tracef("large expense: %s above the pooled cap at %d bp → %s (cap left %s)", over, ratio, pay, capLeft)
	k.detail("330100", "职工大额医疗费用补助基金", over, capLeft, pay)
}

// criticalIllness is step 5b, 居民大病: the qualifying personal burden above
// an annual deductible, paid by segments, with the poor-group tilt.
func (k *calc) criticalIllness() {
	in, a := k.in, &k.a
	c := in.Policy.CII
	if c == nil {
		return
	}
	qual := a.Inscp - a.Hifp - a.Hifob
	if c.BaseIncludesPreselfpay {
		qual += a.Preselfpay
	}
	qual = maxFen(0, qual)
	ded, plus, capWaived := c.AnnualDeductible, BP(0), false
	if pg := c.PoorGroups; pg != nil && holdsAny(in.Identities, pg.Identities) {
		ded, plus, capWaived = MulBP(ded, pg.DeductibleFactorBP), pg.RatioPlusBP, pg.CapWaived
	}
	k.d.CiiQual = qual
	dedLeft := maxFen(0, ded-in.Accum.CiiQual)
	over := maxFen(0, qual-dedLeft)
	pos := maxFen(0, in.Accum.CiiQual-ded)
	var pay Fen
	for i, s := range c.Segments {
		if over <= 0 {
			break
		}
		open := i == len(c.Segments)-1
		if !open && pos >= s.Upper {
			continue
		}
		part := over
		if !open {
			part = minFen(over, s.Upper-pos)
		}
		ratio := min(s.RatioBP+plus, Full)
		pay += MulBP(part, ratio)
		k.tracef("critical illness: segment to %s at %d bp on %s", bandEdge(s.Upper, open), ratio, part)
		over -= part
		pos += part
	}
	capLeft := maxFen(0, c.AnnualCap-in.Accum.Hifmi)
	if !capWaived && pay > capLeft {
		pay = capLeft
		k.tracef("critical illness: annual cap %s binds", c.AnnualCap)
	}
	a.Hifmi, k.d.Hifmi = pay, pay
	k.tracef("critical illness: burden %s, deductible %s (left %s) → %s", qual, ded, dedLeft, pay)
	if pay != 0 || qual > dedLeft {
		k.detail("390200", "城乡居民大病医疗保险基金", qual, capLeft, pay)
	} else {
		k.steps = nil
	}
}

// assistance is step 6, 医疗救助, for the first identity group the person
// belongs to.
func (k *calc) assistance() {
	in, a := k.in, &k.a
	m := in.Policy.MAF
	if m == nil || (in.CrossProvince && !m.EnabledCrossProvince) {
		return
	}
	var g *MAFGroup
	for i := range m.Groups {
		if slices.Contains(in.Identities, m.Groups[i].Identity) {
			g = &m.Groups[i]
			break
		}
	}
	if g == nil {
		return
	}
	base := a.Inscp - a.Hifp - a.Hifob - a.Hifmi
	if m.BaseIncludesPreselfpay {
		base += a.Preselfpay
	}
	base = maxFen(0, base)
	dedLeft := maxFen(0, g.AnnualDeductible-in.Accum.MafBase)
	capLeft := maxFen(0, g.AnnualCap-in.Accum.Maf)
	pay := minFen(MulBP(maxFen(0, base-dedLeft), g.RatioBP), capLeft)
	a.Maf, k.d.Maf, k.d.MafBase = pay, pay, base
	k.tracef("assistance (%s): base %s, deductible left %s, %d bp → %s (cap left %s)", g.Identity, base, dedLeft, g.RatioBP, pay, capLeft)
	k.detail("610100", "医疗救助基金", base, capLeft, pay)
}

// supplement is step 7 for one optional fund: the in-scope burden left after
// the funds before it, at its ratio, within its annual cap.
func (k *calc) supplement(name string, s *SupplementRule, eligible bool, paid, delta *Fen, ytd Fen, fundType, fundName string) {
	a := &k.a
	if s == nil || !eligible {
		return
	}
	base := maxFen(0, a.Inscp-a.Hifp-a.Hifob-a.Hifmi-a.Maf-a.Cvlserv-a.Hifes)
	capLeft := maxFen(0, s.AnnualCap-ytd)
	pay := minFen(MulBP(base, s.RatioBP), capLeft)
	*paid, *delta = pay, pay
	k.tracef("%s: base %s, %d bp → %s (cap left %s)", name, base, s.RatioBP, pay, capLeft)
	k.detail(fundType, fundName, base, capLeft, pay)
}

// account is step 9: the personal account pays its payable parts of the
// patient's share, within its balance.
func (k *calc) account() {
	in, a := k.in, &k.a
	if !in.Policy.Account.Exists || !in.AcctUsed {
		return
	}
	payable := accountPayable(in.Policy.Account, *a)
	a.AcctPay = max(0, minFen(minFen(in.Balance, payable), a.PsnPart))
	k.tracef("account: balance %s, payable parts %s, paid %s", in.Balance, payable, a.AcctPay)
	if len(k.c.Details) > 0 {
		d := &k.c.Details[0]
		d.Process = truncate(d.Process+"; "+strings.Join(k.steps, "; "), 4000)
	}
	k.steps = nil
}

func holdsAny(have, want []string) bool {
	return slices.ContainsFunc(have, func(h string) bool { return slices.Contains(want, h) })
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

// walkBands pays the expense across the bands, each at its ratio less the
// filing reduction, until the annual cap is exhausted.
//
// With the EXPENSE basis a band covers expense while the cumulative expense
// position is below its edge; with FUND_PAID while the cumulative payment is.
// Where a band's room or the cap ends the walk, the expense consumed is
// back-calculated from the payment (div), so the part above the cap is known
// exactly (ZL HIS style, SETTLEMENT-MODEL §5.1).
func walkBands(bands []Band, basis string, reduction BP, pos, paidPos, expense, capLeft Fen) poolResult {
	var r poolResult
	left := expense
	reached := false
	for i, b := range bands {
		ratio := min(max(b.RatioBP-reduction, 0), Full)
		open := i == len(bands)-1
		at := pos
		if basis == BasisFundPaid {
			at = paidPos
		}
		if !open && at >= b.Upper {
			continue // the position is already past this band
		}
		if left <= 0 {
			if !reached {
				r.lastRatio = ratio // nothing to pay: report the ratio at the position
			}
			break
		}
		reached, r.lastRatio = true, ratio
		consumed, pay := left, MulBP(left, ratio)
		switch {
		case open:
		case basis == BasisFundPaid:
			if room := b.Upper - paidPos; pay > room {
				pay, consumed = room, minFen(left, DivBP(room, ratio))
			}
		default:
			if room := b.Upper - pos; consumed > room {
				consumed = room
				pay = MulBP(consumed, ratio)
			}
		}
		if pay > capLeft-r.paid {
			pay = capLeft - r.paid
			consumed = minFen(consumed, DivBP(pay, ratio))
			r.capHit = true
		}
		edge := "∞"
		if !open {
			edge = b.Upper.String()
		}
		r.steps = append(r.steps, fmt.Sprintf("band to %s (%s) at %d bp (%d − %d): %s → %s",
			edge, strings.ToLower(orDefault(basis, BasisExpense)), ratio, b.RatioBP, reduction, consumed, pay))
		r.paid += pay
		r.used += consumed
		left -= consumed
		pos += consumed
		paidPos += pay
		if r.capHit {
			break
		}
	}
	return r
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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
	limit := a.Inscp
	p := in.Policy
	if (p.CII != nil && p.CII.BaseIncludesPreselfpay) || (p.MAF != nil && p.MAF.BaseIncludesPreselfpay) {
		limit += a.Preselfpay
	}
	if funds < 0 || funds > limit {
		return fail("funds pay outside the policy scope")
	}
	if a.Hifp > a.Inscp-a.ActPayDedc {
		return fail("the pooled fund pays more than the expense above the deductible")
	}
	if a.AcctPay > in.Balance {
		return fail("account pays more than its balance")
	}
	after := in.Accum.Add(c.Deltas)
	if after.pool(in.Rule).Paid > in.Rule.Pool.AnnualCap {
		return fail("pooled annual cap exceeded")
	}
	if p.LargeExpense != nil && c.Deltas.Hifob > 0 && after.Hifob > p.LargeExpense.AnnualCap {
		return fail("large-expense annual cap exceeded")
	}
	if p.CII != nil && c.Deltas.Hifmi > 0 && after.Hifmi > p.CII.AnnualCap &&
		!(p.CII.PoorGroups != nil && p.CII.PoorGroups.CapWaived && holdsAny(in.Identities, p.CII.PoorGroups.Identities)) {
		return fail("critical-illness annual cap exceeded")
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
