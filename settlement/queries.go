package settlement

import (
	"fmt"
	"slices"
	"strconv"
)

// benefitCheck answers 2001: for each fund the person's policy has, whether
// it would pay for this kind of visit at this hospital, and if not, why.
func (p processor) benefitCheck() (Outcome, Changes, error) {
	q := p.req.Benefit
	if q == nil {
		return missing()
	}
	if wire, ok := p.remoteRead(); ok {
		return Outcome{Remote: &wire}, noChanges, nil
	}
	date := dateOf(q.Begntime, p.st)
	row := func(fund string, ok bool, why string) BenefitRow {
		flag := BenefitRow{PsnNo: q.PsnNo, CheckType: "1", FundPayType: fund, Enjoys: ok, Begin: date, End: date, Result: why}
		if ok {
			flag.Result = "享受待遇 / benefits apply"
		}
		return flag
	}
	refused := func(fund string, err error) (Outcome, Changes, error) {
		if e := AsError(err); e != nil {
			return Outcome{Benefits: []BenefitRow{row(fund, false, e.Error())}}, noChanges, nil
		}
		return none, noChanges, err
	}
	person, ins, err := p.insured(q.PsnNo, q.Insutype)
	if err != nil {
		return refused(poolFundType(q.Insutype), err)
	}
	policy, ok, err := p.v.PolicyAt(ins.InsuredAdmdvs, ins.Insutype, date)
	if err != nil || !ok {
		if err == nil {
			err = Errorf(CodeNoPolicy, ins.InsuredAdmdvs, ins.Insutype, date)
		}
		return refused(poolFundType(q.Insutype), err)
	}
	rule, ok := policy.Rule(q.MedType, q.DiseCodg)
	if !ok {
		return refused(poolFundType(q.Insutype), Errorf(CodeMedTypeNotCovered, q.MedType))
	}
	if rule.Scope == ScopeChronic && !recognised(person, q.DiseCodg, date) {
		return refused(poolFundType(q.Insutype), Errorf(CodeChronicNotRecog, person.PsnNo, q.DiseCodg))
	}
	filing, note, err := filingCategory(person, policy, p.hosp.Admdvs, q.MedType, date, date)
	if err != nil {
		return refused(poolFundType(q.Insutype), err)
	}
	if filing != FilingLocal && !p.hosp.InNetwork {
		return refused(poolFundType(q.Insutype), Errorf(CodeNotInNetwork, p.hosp.Code))
	}
	pool := row(poolFundType(q.Insutype), true, "")
	pool.Result += "; " + note
	out := []BenefitRow{pool}
	if rule.ThreeLayers {
		if policy.LargeExpense != nil {
			out = append(out, row("330100", true, ""))
		}
		if policy.CII != nil {
			out = append(out, row("390200", true, ""))
		}
		if m := policy.MAF; m != nil {
			ids := person.identitiesOn(date)
			enjoys := slices.ContainsFunc(m.Groups, func(g MAFGroup) bool { return slices.Contains(ids, g.Identity) })
			out = append(out, row("610100", enjoys, "无医疗救助身份 / no medical-assistance identity on this date"))
		}
	}
	return Outcome{Benefits: out}, noChanges, nil
}

// Cumulative type codes of 5206, one per year-to-date figure. The national
// dictionary for cum_type_code was not available to us; these names say what
// each figure is (docs/API.md lists them).
var cumCodes = []struct {
	code string
	get  func(a Accumulators) Fen
}{
	{"INP_DEDC", func(a Accumulators) Fen { return a.Inpatient.DedcPaid }},
	{"INP_POOL_ELIG", func(a Accumulators) Fen { return a.Inpatient.Elig }},
	{"INP_HIFP", func(a Accumulators) Fen { return a.Inpatient.Paid }},
	{"OUTP_DEDC", func(a Accumulators) Fen { return a.Outpatient.DedcPaid }},
	{"OUTP_HIFP", func(a Accumulators) Fen { return a.Outpatient.Paid }},
	{"HIFOB", func(a Accumulators) Fen { return a.Hifob }},
	{"CII_QUAL", func(a Accumulators) Fen { return a.CiiQual }},
	{"HIFMI", func(a Accumulators) Fen { return a.Hifmi }},
	{"MAF", func(a Accumulators) Fen { return a.Maf }},
	{"CVLSERV", func(a Accumulators) Fen { return a.Cvlserv }},
	{"HIFES", func(a Accumulators) Fen { return a.Hifes }},
}

// cumQuery answers 5206 with the person's year-to-date figures for the year
// of cum_ym, for every insurance type they hold.
func (p processor) cumQuery() (Outcome, Changes, error) {
	q := p.req.Cum
	if q == nil {
		return missing()
	}
	if wire, ok := p.remoteRead(); ok {
		return Outcome{Remote: &wire}, noChanges, nil
	}
	person, ok, err := p.v.Person(q.PsnNo)
	if err != nil {
		return none, noChanges, err
	}
	if !ok {
		return none, noChanges, Errorf(CodeUnknownPerson, "psn_no "+q.PsnNo)
	}
	ym := q.CumYm
	if ym == "" {
		ym = p.st.Time().Format("200601")
	}
	year, err := strconv.Atoi(ym[:min(4, len(ym))])
	if err != nil || len(ym) != 6 {
		return none, noChanges, Errorf(CodeBadField, "cum_ym", Bi("应为 yyyyMM", "expected yyyyMM"))
	}
	var rows []CumRow
	for _, in := range person.Insurances {
		a, err := p.v.Accumulators(person.PsnNo, in.Insutype, year)
		if err != nil {
			return none, noChanges, err
		}
		add := func(code string, v Fen) {
			rows = append(rows, CumRow{Insutype: in.Insutype, Year: year, CumYm: ym, TypeCode: code, Cum: v})
		}
		add("ADMISSIONS", Fen(a.Admissions*100)) // a count, written as n.00
		for _, c := range cumCodes {
			add(c.code, c.get(a))
		}
		for i, d := range ChronicDiseases {
			add("CHRONIC_"+string(d), a.Chronic[i].Paid)
		}
	}
	return Outcome{Cum: rows}, noChanges, nil
}

// setlQuery answers 5203 with one of the hospital's settlement records.
func (p processor) setlQuery() (Outcome, Changes, error) {
	q := p.req.SetlQuery
	if q == nil {
		return missing()
	}
	r, ok, err := p.v.Record(q.SetlID)
	if err != nil {
		return none, noChanges, err
	}
	if !ok || r.Hospital != p.hosp.Code || (q.MdtrtID != "" && r.MdtrtID != q.MdtrtID) {
		return none, noChanges, Errorf(CodeSettlementNotFound, q.SetlID)
	}
	if q.PsnNo != "" && q.PsnNo != r.PsnNo {
		return none, noChanges, Errorf(CodeWrongPerson, q.PsnNo, r.MdtrtID)
	}
	return Outcome{Record: &r}, noChanges, nil
}

// reconRecords returns the hospital's records that a reconciliation covers:
// settlements and cancellations in the period, of the clearing type,
// insurance type and clearing agency asked for.
func (p processor) reconRecords(r *Reconciliation) ([]Record, error) {
	if !isDate(r.Begin) || !isDate(r.End) || r.End < r.Begin {
		return nil, Errorf(CodeBadField, "stmt_begndate", Bi("应为 yyyy-MM-dd 且不晚于 stmt_enddate", "expected yyyy-MM-dd, not after stmt_enddate"))
	}
	all, err := p.v.RecordsOfHospital(p.hosp.Code, r.Begin, r.End)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, rec := range all {
		if rec.ClrType == r.ClrType && (r.Insutype == "" || rec.Insutype == r.Insutype) &&
			(r.SetlOptins == "" || rec.ClrOptins == r.SetlOptins) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// reconTotals answers 3201: do the hospital's totals equal the centre's?
func (p processor) reconTotals() (Outcome, Changes, error) {
	r := p.req.Recon
	if r == nil {
		return missing()
	}
	recs, err := p.reconRecords(r)
	if err != nil {
		return none, noChanges, err
	}
	res := &ReconResult{}
	for _, rec := range recs {
		res.add(rec)
	}
	res.Balanced = res.Medfee == r.Medfee && res.FundPay == r.FundPay && res.AcctPay == r.AcctPay && res.Count == r.Count
	res.Description = fmt.Sprintf("平台：医疗费总额 %s，基金支付 %s，个人账户 %s，%d 笔 / centre: medfee %s, funds %s, account %s, %d records",
		res.Medfee, res.FundPay, res.AcctPay, res.Count, res.Medfee, res.FundPay, res.AcctPay, res.Count)
	if res.Balanced {
		res.Description = "对平 / balanced; " + res.Description
	} else {
		res.Description = "不平 / not balanced; " + res.Description
	}
	return Outcome{Recon: res}, noChanges, nil
}

// reconDetails answers 3202: the result for every settlement either side
// has: balanced, only at the centre, only at the hospital, or different.
func (p processor) reconDetails() (Outcome, Changes, error) {
	r := p.req.Recon
	if r == nil {
		return missing()
	}
	recs, err := p.reconRecords(r)
	if err != nil {
		return none, noChanges, err
	}
	theirs := map[string]ReconDetail{}
	for _, d := range r.Details {
		theirs[d.SetlID] = d
	}
	res := &ReconResult{Balanced: true}
	for _, rec := range recs {
		row := ReconDetailRow{SetlID: rec.SetlID, MdtrtID: rec.MdtrtID, PsnNo: rec.PsnNo, MsgID: rec.MsgID,
			Medfee: rec.Amounts.Medfee, FundPay: rec.Amounts.FundPay, AcctPay: rec.Amounts.AcctPay, RefundFlag: "0"}
		if rec.Cancels != "" {
			row.RefundFlag = "1"
		}
		d, ok := theirs[rec.SetlID]
		switch {
		case !ok:
			row.Result, row.Memo = ReconOnlyCentre, "中心多 / only at the centre"
		case d.Medfee != rec.Amounts.Medfee || d.FundPay != rec.Amounts.FundPay || d.AcctPay != rec.Amounts.AcctPay:
			row.Result = ReconDifferent
			row.Memo = fmt.Sprintf("数据不一致 / different: hospital %s/%s/%s", d.Medfee, d.FundPay, d.AcctPay)
		default:
			row.Result, row.Memo = ReconBalanced, "对平 / balanced"
		}
		delete(theirs, rec.SetlID)
		res.Rows = append(res.Rows, row)
		res.add(rec)
	}
	// What only the hospital has, in the order it sent it.
	for _, d := range r.Details {
		if _, left := theirs[d.SetlID]; !left {
			continue
		}
		res.Rows = append(res.Rows, ReconDetailRow{SetlID: d.SetlID, MdtrtID: d.MdtrtID, PsnNo: d.PsnNo,
			Result: ReconOnlyHospital, RefundFlag: d.RefundFlag, Memo: "医药机构多 / only at the hospital",
			Medfee: d.Medfee, FundPay: d.FundPay, AcctPay: d.AcctPay})
	}
	for _, row := range res.Rows {
		if row.Result != ReconBalanced {
			res.Balanced = false
		}
	}
	res.Description = "对平 / balanced"
	if !res.Balanced {
		res.Description = "不平 / not balanced"
	}
	return Outcome{Recon: res}, noChanges, nil
}

// add counts a record into the centre's totals.
func (r *ReconResult) add(rec Record) {
	r.Count++
	r.Medfee += rec.Amounts.Medfee
	r.FundPay += rec.Amounts.FundPay
	r.AcctPay += rec.Amounts.AcctPay
	r.CashPay += rec.Amounts.PsnCash
}
