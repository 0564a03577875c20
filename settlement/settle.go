package settlement

import (
	"slices"
	"sort"
	"strings"
)

// settle decides an outpatient settlement of one charge batch (2206, 2207)
// or an inpatient settlement of the stay's unsettled lines (2303, 2304,
// interim or final). A preview (commit false) returns exactly what the
// settlement would and writes nothing.
func (p processor) settle(commit bool) (Outcome, Changes, error) {
	s := p.req.Settle
	if s == nil {
		return missing()
	}
	inpatient := p.req.Kind == KindInpSettle || p.req.Kind == KindInpPreSettle
	if p.req.Remote != nil {
		_, ins, err := p.insured(s.PsnNo, remoteInsutype(p.req.Remote, s.Insutype))
		if err != nil {
			return none, noChanges, err
		}
		if p.shadow, err = p.shadowVisit(ins); err != nil {
			return none, noChanges, err
		}
		if s.MdtrtID == "" {
			s.MdtrtID = p.shadow.MdtrtID
		}
	}
	var (
		visit   Visit
		batches []*Batch
		err     error
	)
	if inpatient {
		visit, err = p.visit(s.MdtrtID, s.PsnNo, Inpatient, VisitAdmitted, VisitDischarged)
		if err != nil {
			return none, noChanges, err
		}
		if visit.FinalSetlID != "" {
			return none, noChanges, Errorf(CodeAlreadySettled, visit.FinalSetlID)
		}
		if !s.MidSetl && visit.State != VisitDischarged {
			return none, noChanges, Errorf(CodeNotDischarged, visit.MdtrtID)
		}
		if s.MedType == "" {
			s.MedType = visit.MedType
		}
		for i := range visit.Batches {
			if visit.Batches[i].SetlID == "" && len(visit.Batches[i].Lines) > 0 {
				batches = append(batches, &visit.Batches[i])
			}
		}
		if len(batches) == 0 {
			return none, noChanges, Errorf(CodeNoFees, s.MdtrtID, "-")
		}
	} else {
		visit, err = p.visit(s.MdtrtID, s.PsnNo, Outpatient, VisitRegistered)
		if err != nil {
			return none, noChanges, err
		}
		b := visit.batch(s.ChrgBchno)
		if b == nil || len(b.Lines) == 0 {
			return none, noChanges, Errorf(CodeNoFees, s.MdtrtID, s.ChrgBchno)
		}
		if b.SetlID != "" {
			return none, noChanges, Errorf(CodeAlreadySettled, b.SetlID)
		}
		batches = []*Batch{b}
	}
	if s.Insutype != "" && s.Insutype != visit.Insutype {
		return none, noChanges, Errorf(CodeBadField, "insutype", Bi(
			s.Insutype+"，但登记时险种为 "+visit.Insutype, s.Insutype+", but the visit was registered with "+visit.Insutype))
	}
	if wantPrefix := map[bool]string{false: "1", true: "2"}[inpatient]; !strings.HasPrefix(s.MedType, wantPrefix) {
		return none, noChanges, Errorf(CodeWrongMedType, s.MedType)
	}
	if p.req.Remote == nil && CrossProvince(p.hosp.Admdvs, visit.InsuredAdmdvs) {
		wire := p.forNational(&visit, batches)
		if !commit {
			return Outcome{Remote: &wire}, noChanges, nil
		}
		return p.intend(wire, &visit, batches)
	}
	var lines []LineSplit
	for _, b := range batches {
		lines = append(lines, b.Lines...)
	}
	person, ins, err := p.insured(s.PsnNo, visit.Insutype)
	if err != nil {
		return none, noChanges, err
	}
	date := p.st.Date()
	policy, ok, err := p.v.PolicyAt(ins.InsuredAdmdvs, ins.Insutype, date)
	if err != nil {
		return none, noChanges, err
	}
	if !ok {
		return none, noChanges, Errorf(CodeNoPolicy, ins.InsuredAdmdvs, ins.Insutype, date)
	}
	dise := lines[0].DiseCodg
	rule, ok := policy.Rule(s.MedType, dise)
	if !ok {
		return none, noChanges, Errorf(CodeMedTypeNotCovered, s.MedType)
	}
	if rule.Scope == ScopeChronic && !recognised(person, dise, date) {
		return none, noChanges, Errorf(CodeChronicNotRecog, person.PsnNo, dise)
	}
	visitDate := dateOf(visit.Begntime, p.st)
	filing, note, err := filingCategory(person, policy, p.hosp.Admdvs, s.MedType, visitDate, date)
	if err != nil {
		return none, noChanges, err
	}
	if filing != FilingLocal && !p.hosp.InNetwork {
		return none, noChanges, Errorf(CodeNotInNetwork, p.hosp.Code)
	}
	year := p.st.Time().Year()
	acc, err := p.v.Accumulators(person.PsnNo, ins.Insutype, year)
	if err != nil {
		return none, noChanges, err
	}
	bal, err := p.v.Balance(person.PsnNo)
	if err != nil {
		return none, noChanges, err
	}
	// An inpatient stay counts as an admission at its first settlement;
	// interim settlements after it charge only what is left of the deductible.
	var stayDedc Fen
	for _, id := range visit.Settlements {
		r, ok, err := p.v.Record(id)
		if err != nil {
			return none, noChanges, err
		}
		if ok {
			stayDedc += r.Amounts.ActPayDedc
		}
	}
	calc, err := Calculate(CalcInput{
		Policy: &policy, Rule: rule, Insutype: ins.Insutype, PsnType: ins.PsnType, Grade: p.hosp.Grade,
		Identities: person.identitiesOn(date), Cvlserv: ins.CvlservFlag == "1", Filing: filing,
		CrossProvince: p.hosp.Admdvs[:2] != ins.InsuredAdmdvs[:2],
		Lines:         lines, Accum: acc, Balance: bal, AcctUsed: s.AcctUsed,
		Admission: inpatient && len(visit.Settlements) == 0, StayDedc: stayDedc,
	})
	if err != nil {
		return none, noChanges, err
	}
	calc.Trace = append([]string{"policy " + policy.Ref() + ", catalog " + batches[0].CatalogRef, note}, calc.Trace...)
	if len(calc.Details) > 0 {
		d := &calc.Details[0]
		d.Process = truncate(calc.Trace[0]+"; "+note+"; "+d.Process, 4000)
	}
	if err := checkSent(s, calc.Amounts); err != nil {
		return none, noChanges, err
	}
	rec := Record{
		MdtrtID: visit.MdtrtID, PsnNo: person.PsnNo, PsnName: person.Name,
		PsnCertType: person.CertType, CertNo: person.CertNo, Gender: person.Gender, Nation: person.Nation,
		Birthdate: person.Birthdate, CvlservFlag: ins.CvlservFlag, MdtrtCertType: s.CertType, Insutype: ins.Insutype,
		DiseCodg: dise, PsnType: ins.PsnType, MedType: s.MedType, Hospital: p.hosp.Code, TreatAdmdvs: p.hosp.Admdvs,
		InsuredAdmdvs: ins.InsuredAdmdvs, MsgID: p.req.MsgID, Infno: p.req.Kind, SetlTime: p.st.DateTime(), Year: year,
		PolicyRef: policy.Ref(), CatalogRef: batches[0].CatalogRef, Filing: filing,
		ClrType: "11", ClrWay: "01", ClrOptins: p.hosp.Admdvs,
		Amounts: calc.Amounts, Details: calc.Details, Deltas: calc.Deltas, AcctDelta: calc.AcctDelta,
		Trace: calc.Trace,
	}
	if inpatient {
		rec.ClrType, rec.MidSetl, rec.Final = "21", s.MidSetl, !s.MidSetl
	} else {
		rec.ChrgBchno = batches[0].ChrgBchno
	}
	if !commit {
		return Outcome{Record: &rec}, noChanges, nil
	}
	rec.SetlID = p.st.id("S", p.hosp.Admdvs)
	for _, b := range batches {
		b.SetlID = rec.SetlID
	}
	visit.Settlements = append(visit.Settlements, rec.SetlID)
	if rec.Final {
		visit.FinalSetlID = rec.SetlID
	}
	return Outcome{Record: &rec}, Changes{
		Visit:   &visit,
		Records: []Record{rec},
		Accum:   &AccumUpdate{PsnNo: person.PsnNo, Insutype: ins.Insutype, Year: year, Value: acc.Add(calc.Deltas)},
		Balance: &BalanceUpdate{PsnNo: person.PsnNo, Balance: bal + calc.AcctDelta},
	}, nil
}

// checkSent compares what the hospital says the bill is with what the
// uploaded lines add up to. A mismatch means the HIS and the platform
// disagree about the bill, so nothing is settled.
func checkSent(s *SettleRequest, a Amounts) error {
	if s.Medfee != a.Medfee {
		return Errorf(CodeAmountsMismatch, "medfee_sumamt", s.Medfee.String(), a.Medfee.String())
	}
	if s.Split == nil {
		return nil
	}
	pairs := []struct {
		field      string
		sent, have Fen
	}{
		{"fulamt_ownpay_amt", s.Split.Fulamt, a.Fulamt},
		{"overlmt_selfpay", s.Split.Overlmt, a.Overlmt},
		{"preselfpay_amt", s.Split.Preselfpay, a.Preselfpay},
		{"inscp_scp_amt", s.Split.Inscp, a.Inscp},
	}
	for _, pr := range pairs {
		if pr.sent != pr.have {
			return Errorf(CodeAmountsMismatch, pr.field, pr.sent.String(), pr.have.String())
		}
	}
	return nil
}

// filingCategory decides how the insured place treats this visit
// (SETTLEMENT-MODEL §6.5 step 1) and says why:
//   - treated in the insured region itself: local, no filing involved;
//   - elsewhere in the insured province where the insured place waives
//     filing (免备案): no filing, no reduction;
//   - an emergency counts as filed;
//   - a filing for the treatment place that is valid on the visit date, or
//     was made later but before this settlement (补办), gives its category;
//   - otherwise the policy's unfiled action: refuse (naming an out-of-date
//     filing if there is one), or other temporary.
func filingCategory(person Person, policy Policy, treatAdmdvs, medType, visitDate, settleDate string) (FilingCategory, string, error) {
	switch {
	case treatAdmdvs == policy.InsuredAdmdvs:
		return FilingLocal, "filing: treated in the insured region", nil
	case policy.IntraProvinceNoFiling && treatAdmdvs[:2] == policy.InsuredAdmdvs[:2]:
		return FilingIntraProvince, "filing: within the insured province, no filing needed (免备案)", nil
	case emergencyMedTypes[medType]:
		return FilingEmergency, "filing: emergency treatment counts as filed", nil
	}
	var expired *Filing
	for i, f := range person.Filings {
		if !strings.HasPrefix(treatAdmdvs, f.TreatAdmdvs) {
			continue
		}
		if f.ValidFrom > settleDate || (f.ValidTo != "" && visitDate > f.ValidTo) {
			expired = &person.Filings[i]
			continue
		}
		note := "filing: " + string(f.Category) + " from " + f.ValidFrom
		if f.ValidFrom > visitDate {
			note += ", filed after the visit began and before this settlement (补办)"
		}
		return f.Category, note, nil
	}
	if policy.UnfiledAction == string(FilingTempOther) {
		return FilingTempOther, "filing: none; the insured place settles it as an other temporary trip", nil
	}
	if expired != nil {
		to := expired.ValidTo
		if to == "" {
			to = "—"
		}
		return "", "", Errorf(CodeFilingExpired, person.PsnNo, expired.ValidFrom, to, visitDate)
	}
	cats := make([]string, 0, len(policy.FilingReductionBP))
	for c := range policy.FilingReductionBP {
		cats = append(cats, string(c))
	}
	sort.Strings(cats)
	return "", "", Errorf(CodeFilingNeeded, policy.InsuredAdmdvs, strings.Join(cats, ", "))
}

// emergencyMedTypes are the medical types of emergency treatment (急诊,
// 急诊转住院), which counts as filed.
var emergencyMedTypes = map[string]bool{"13": true, "24": true}

// recognised reports whether the insured place recognised the disease for
// the person on date.
func recognised(p Person, dise, date string) bool {
	return slices.ContainsFunc(p.Chronic, func(c ChronicRegistration) bool {
		return c.DiseCode == dise && activeOn(c.ValidFrom, c.ValidTo, date)
	})
}

// cancel cancels a settlement (2208 outpatient, 2305 inpatient) with its
// exact negative mirror.
func (p processor) cancel() (Outcome, Changes, error) {
	c := p.req.Cancel
	if c == nil {
		return missing()
	}
	orig, ok, err := p.v.Record(c.SetlID)
	if err != nil {
		return none, noChanges, err
	}
	if !ok || orig.Hospital != p.hosp.Code || orig.MdtrtID != c.MdtrtID {
		return none, noChanges, Errorf(CodeSettlementNotFound, c.SetlID)
	}
	if orig.PsnNo != c.PsnNo {
		return none, noChanges, Errorf(CodeWrongPerson, c.PsnNo, c.MdtrtID)
	}
	if p.req.Remote == nil && CrossProvince(p.hosp.Admdvs, orig.InsuredAdmdvs) && orig.CancelledBy == "" && orig.Cancels == "" {
		wire := p.forNational(nil, nil)
		wire.InsuredAdmdvs = orig.InsuredAdmdvs
		return p.intend(wire, nil, nil)
	}
	wantOrig := map[Kind]Kind{KindCancelSettle: KindSettle, KindInpCancel: KindInpSettle}[p.req.Kind]
	if orig.Cancels == "" && orig.Infno != wantOrig {
		return none, noChanges, Errorf(CodeNotCancellable, c.SetlID, Bi(
			"该结算由 "+string(orig.Infno)+" 办理，请用对应的撤销交易",
			"it was made by "+string(orig.Infno)+"; cancel it with the matching transaction"))
	}
	return p.cancelRecord(orig)
}

// cancelRecord writes the mirror of a settlement: every amount, delta and
// the account change negated; the visit's lines open again.
func (p processor) cancelRecord(orig Record) (Outcome, Changes, error) {
	if orig.Cancels != "" {
		return none, noChanges, Errorf(CodeNotCancellable, orig.SetlID, Bi("该记录本身是撤销记录", "it is itself a cancellation"))
	}
	if orig.CancelledBy != "" {
		return none, noChanges, Errorf(CodeAlreadyCancelled, orig.SetlID, orig.CancelledBy)
	}
	visit, ok, err := p.v.Visit(orig.MdtrtID)
	if err != nil {
		return none, noChanges, err
	}
	acc, err := p.v.Accumulators(orig.PsnNo, orig.Insutype, orig.Year)
	if err != nil {
		return none, noChanges, err
	}
	bal, err := p.v.Balance(orig.PsnNo)
	if err != nil {
		return none, noChanges, err
	}
	mirror := orig.Mirror(p.st.id("S", p.hosp.Admdvs), p.req.MsgID, p.st)
	mirror.Infno = p.req.Kind
	mirror.Amounts.Balc = bal - orig.AcctDelta
	orig.CancelledBy = mirror.SetlID
	ch := Changes{
		Records: []Record{orig, mirror},
		Accum:   &AccumUpdate{PsnNo: orig.PsnNo, Insutype: orig.Insutype, Year: orig.Year, Value: acc.Add(mirror.Deltas)},
		Balance: &BalanceUpdate{PsnNo: orig.PsnNo, Balance: bal + mirror.AcctDelta},
	}
	if ok {
		// The lines are open again: corrected lines may be settled anew.
		visit.dropSettlement(orig.SetlID)
		ch.Visit = &visit
	}
	return Outcome{Record: &mirror}, ch, nil
}

// Mirror returns the negative record that cancels r: every amount, every
// accumulator delta and the account change negated, never recomputed.
func (r Record) Mirror(setlID, msgID string, st Stamp) Record {
	m := r
	m.SetlID, m.MsgID, m.SetlTime = setlID, msgID, st.DateTime()
	m.Cancels, m.CancelledBy = r.SetlID, ""
	m.Amounts = r.Amounts.negate()
	m.Details = make([]FundDetail, len(r.Details))
	for i, d := range r.Details {
		d.Inscp, d.Paid = -d.Inscp, -d.Paid
		m.Details[i] = d
	}
	m.Deltas = r.Deltas.Neg()
	m.AcctDelta = -r.AcctDelta
	m.Trace = []string{"cancellation of " + r.SetlID + ": exact negation of the original record"}
	return m
}

// dateOf takes the date part of a national date-time, falling back to the
// stamp's date when the hospital sent none.
func dateOf(datetime string, st Stamp) string {
	if len(datetime) >= 10 && isDate(datetime[:10]) {
		return datetime[:10]
	}
	return st.Date()
}
