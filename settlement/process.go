package settlement

import (
	"sort"
	"strings"
)

// View is the replicated state a request is decided on. The state machine
// passes a view over the open storage transaction, so reads see the writes of
// earlier commands in the same batch. Errors from a View are storage faults,
// never refusals.
type View interface {
	Hospital(code string) (Hospital, bool, error)
	Person(psnNo string) (Person, bool, error)
	// PersonByCert finds a person by ID number or social security card number.
	PersonByCert(certNo string) (Person, bool, error)
	Balance(psnNo string) (Fen, error)
	Accumulators(psnNo, insutype string, year int) (Accumulators, error)
	// PolicyAt returns the version in force on date for a region and insurance type.
	PolicyAt(insuredAdmdvs, insutype, date string) (Policy, bool, error)
	// CatalogAt returns the catalog version in force on date for a treatment place.
	CatalogAt(treatAdmdvs, date string) (CatalogVersion, bool, error)
	CatalogItem(version CatalogVersion, code string) (CatalogItem, bool, error)
	Visit(mdtrtID string) (Visit, bool, error)
	Record(setlID string) (Record, bool, error)
}

// Changes are the writes a request makes. The state machine writes them in
// the same transaction as the idempotency entry and the applied index.
type Changes struct {
	Visit   *Visit
	Records []Record
	Accum   *AccumUpdate
	Balance *BalanceUpdate
}

// AccumUpdate replaces a person's accumulators for one type and year.
type AccumUpdate struct {
	PsnNo    string
	Insutype string
	Year     int
	Value    Accumulators
}

// BalanceUpdate replaces a person's personal-account balance.
type BalanceUpdate struct {
	PsnNo   string
	Balance Fen
}

// Empty reports whether there is nothing to write.
func (c Changes) Empty() bool {
	return c.Visit == nil && len(c.Records) == 0 && c.Accum == nil && c.Balance == nil
}

// Process decides a request against the state: it checks the hospital, the
// lifecycle and the business keys, runs the calculation, and returns the
// answer with the writes to make. A refusal is returned as *Error and comes
// with no changes. Process is deterministic: the same view, request and
// stamp give the same result on every replica.
func Process(v View, req Request, st Stamp) (Outcome, Changes, error) {
	h, ok, err := v.Hospital(req.Hospital)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeUnknownHospital, req.Hospital)
	}
	if h.Disabled {
		return Outcome{}, Changes{}, Errorf(CodeHospitalDisabled, req.Hospital)
	}
	if req.TreatAdmdvs != h.Admdvs {
		return Outcome{}, Changes{}, Errorf(CodeBadField, "mdtrtarea_admvs", Bi(
			req.TreatAdmdvs+"，但该机构登记的医保区划为 "+h.Admdvs,
			req.TreatAdmdvs+", but the institution is registered in "+h.Admdvs))
	}
	p := processor{v: v, req: req, st: st, hosp: h}
	switch req.Kind {
	case KindPersonInfo:
		return p.personInfo()
	case KindRegister:
		return p.register()
	case KindUploadFees:
		return p.uploadFees()
	case KindPreSettle, KindSettle:
		return p.settle(req.Kind == KindSettle)
	case KindCancelSettle:
		return p.cancel()
	}
	return Outcome{}, Changes{}, Errorf(CodeUnknownInfno, string(req.Kind))
}

type processor struct {
	v    View
	req  Request
	st   Stamp
	hosp Hospital
}

func (p processor) personInfo() (Outcome, Changes, error) {
	q := p.req.Person
	if q == nil {
		return Outcome{}, Changes{}, Errorf(CodeMissingField, "input.data")
	}
	if q.CertType == "01" {
		return Outcome{}, Changes{}, Errorf(CodeBadField, "mdtrt_cert_type", Bi(
			"01（医保电子凭证）需经国家电子凭证服务解码，请改用 02 身份证号或 03 社保卡号",
			"01 (e-voucher token) needs the national e-voucher service; send 02 with the ID number or 03 with the card number"))
	}
	person, ok, err := p.v.PersonByCert(q.CertNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeUnknownPerson, "mdtrt_cert_type "+q.CertType)
	}
	bal, err := p.v.Balance(person.PsnNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	return Outcome{Person: &PersonInfo{Person: person, Balance: bal}}, Changes{}, nil
}

// insured finds the person and their active insurance of the given type.
func (p processor) insured(psnNo, insutype string) (Person, Insurance, error) {
	person, ok, err := p.v.Person(psnNo)
	if err != nil {
		return Person{}, Insurance{}, err
	}
	if !ok {
		return Person{}, Insurance{}, Errorf(CodeUnknownPerson, "psn_no "+psnNo)
	}
	ins, ok := person.Insurance(insutype)
	if !ok || !ins.Active() {
		return Person{}, Insurance{}, Errorf(CodeNotInsured, psnNo, insutype)
	}
	if p.req.InsuredAdmdvs != "" && p.req.InsuredAdmdvs != ins.InsuredAdmdvs {
		return Person{}, Insurance{}, Errorf(CodeBadField, "insuplc_admdvs", Bi(
			p.req.InsuredAdmdvs+"，但该人员参保地为 "+ins.InsuredAdmdvs+"（以1101返回为准）",
			p.req.InsuredAdmdvs+", but the person is insured in "+ins.InsuredAdmdvs+" (take it from 1101)"))
	}
	return person, ins, nil
}

func (p processor) register() (Outcome, Changes, error) {
	r := p.req.Register
	if r == nil {
		return Outcome{}, Changes{}, Errorf(CodeMissingField, "input.data")
	}
	_, ins, err := p.insured(r.PsnNo, r.Insutype)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	visit := Visit{
		MdtrtID: p.st.id("M", p.hosp.Admdvs), PsnNo: r.PsnNo, Insutype: r.Insutype,
		Hospital: p.hosp.Code, TreatAdmdvs: p.hosp.Admdvs, InsuredAdmdvs: ins.InsuredAdmdvs,
		Begntime: r.Begntime, IptOtpNo: r.IptOtpNo, DeptCode: r.DeptCode, DrName: r.DrName,
		State: VisitRegistered, RegisteredAt: p.st.DateTime(),
	}
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// visit loads a visit of this hospital for this person. Another hospital's
// visit is reported as not found: a hospital only ever sees its own records.
func (p processor) visit(mdtrtID, psnNo string) (Visit, error) {
	visit, ok, err := p.v.Visit(mdtrtID)
	if err != nil {
		return Visit{}, err
	}
	if !ok || visit.Hospital != p.hosp.Code {
		return Visit{}, Errorf(CodeVisitNotFound, mdtrtID)
	}
	if psnNo != visit.PsnNo {
		return Visit{}, Errorf(CodeWrongPerson, psnNo, mdtrtID)
	}
	if visit.State != VisitRegistered {
		return Visit{}, Errorf(CodeVisitNotFound, mdtrtID)
	}
	return visit, nil
}

func (p processor) uploadFees() (Outcome, Changes, error) {
	f := p.req.Fees
	if f == nil || len(f.Lines) == 0 {
		return Outcome{}, Changes{}, Errorf(CodeMissingField, "input.feedetail")
	}
	first := f.Lines[0]
	for _, l := range f.Lines[1:] {
		if l.MdtrtID != first.MdtrtID || l.PsnNo != first.PsnNo {
			return Outcome{}, Changes{}, Errorf(CodeBadField, "feedetail.mdtrt_id", Bi(
				"一次上传的明细须属于同一就诊和同一人员", "all lines of one upload must belong to one visit and person"))
		}
	}
	visit, err := p.visit(first.MdtrtID, first.PsnNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	date := dateOf(visit.Begntime, p.st)
	cat, ok, err := p.v.CatalogAt(p.hosp.Admdvs, date)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeNoCatalog, p.hosp.Admdvs, date)
	}
	seen := map[string]bool{}
	for _, b := range visit.Batches {
		for _, l := range b.Lines {
			seen[l.FeedetlSn] = true
		}
	}
	out := make([]LineSplit, 0, len(f.Lines))
	for _, l := range f.Lines {
		if seen[l.FeedetlSn] {
			return Outcome{}, Changes{}, Errorf(CodeDuplicateLine, l.FeedetlSn)
		}
		seen[l.FeedetlSn] = true
		b := visit.batch(l.ChrgBchno)
		if b == nil {
			visit.Batches = append(visit.Batches, Batch{ChrgBchno: l.ChrgBchno, CatalogRef: cat.Ref()})
			b = &visit.Batches[len(visit.Batches)-1]
		}
		if b.SetlID != "" {
			return Outcome{}, Changes{}, Errorf(CodeAlreadySettled, b.SetlID)
		}
		if len(b.Lines) > 0 && b.Lines[0].DiseCodg != l.DiseCodg {
			return Outcome{}, Changes{}, Errorf(CodeBadField, "feedetail.dise_codg", Bi(
				"同一收费批次号病种编号必须一致（批次 "+l.ChrgBchno+"）",
				"all lines of charge batch "+l.ChrgBchno+" must carry the same disease code"))
		}
		item, found, err := p.v.CatalogItem(cat, l.MedListCodg)
		if err != nil {
			return Outcome{}, Changes{}, err
		}
		s := SplitLine(l, item, found)
		b.Lines = append(b.Lines, s)
		out = append(out, s)
	}
	return Outcome{Lines: out}, Changes{Visit: &visit}, nil
}

func (p processor) settle(commit bool) (Outcome, Changes, error) {
	s := p.req.Settle
	if s == nil {
		return Outcome{}, Changes{}, Errorf(CodeMissingField, "input.data")
	}
	visit, err := p.visit(s.MdtrtID, s.PsnNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if s.Insutype != visit.Insutype {
		return Outcome{}, Changes{}, Errorf(CodeBadField, "insutype", Bi(
			s.Insutype+"，但挂号时险种为 "+visit.Insutype, s.Insutype+", but the visit was registered with "+visit.Insutype))
	}
	if !strings.HasPrefix(s.MedType, "1") {
		return Outcome{}, Changes{}, Errorf(CodeWrongMedType, s.MedType)
	}
	b := visit.batch(s.ChrgBchno)
	if b == nil || len(b.Lines) == 0 {
		return Outcome{}, Changes{}, Errorf(CodeNoFees, s.MdtrtID, s.ChrgBchno)
	}
	if b.SetlID != "" {
		return Outcome{}, Changes{}, Errorf(CodeAlreadySettled, b.SetlID)
	}
	person, ins, err := p.insured(s.PsnNo, s.Insutype)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	date := p.st.Date()
	policy, ok, err := p.v.PolicyAt(ins.InsuredAdmdvs, ins.Insutype, date)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeNoPolicy, ins.InsuredAdmdvs, ins.Insutype, date)
	}
	dise := b.Lines[0].DiseCodg
	rule, ok := policy.Rule(s.MedType, dise)
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeMedTypeNotCovered, s.MedType)
	}
	if rule.Scope == ScopeChronic && !recognised(person, dise, date) {
		return Outcome{}, Changes{}, Errorf(CodeChronicNotRecog, person.PsnNo, dise)
	}
	visitDate := dateOf(visit.Begntime, p.st)
	filing, note, err := filingCategory(person, policy, p.hosp.Admdvs, s.MedType, visitDate, date)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if filing != FilingLocal && !p.hosp.InNetwork {
		return Outcome{}, Changes{}, Errorf(CodeNotInNetwork, p.hosp.Code)
	}
	year := p.st.Time().Year()
	acc, err := p.v.Accumulators(person.PsnNo, ins.Insutype, year)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	bal, err := p.v.Balance(person.PsnNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	calc, err := Calculate(CalcInput{
		Policy: &policy, Rule: rule, Insutype: ins.Insutype, PsnType: ins.PsnType, Grade: p.hosp.Grade,
		Identities: person.identitiesOn(date), Cvlserv: ins.CvlservFlag == "1", Filing: filing,
		CrossProvince: p.hosp.Admdvs[:2] != ins.InsuredAdmdvs[:2],
		Lines:         b.Lines, Accum: acc, Balance: bal, AcctUsed: s.AcctUsed,
	})
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	calc.Trace = append([]string{"policy " + policy.Ref() + ", catalog " + b.CatalogRef, note}, calc.Trace...)
	if len(calc.Details) > 0 {
		d := &calc.Details[0]
		d.Process = truncate(calc.Trace[0]+"; "+note+"; "+d.Process, 4000)
	}
	if err := checkSent(s, calc.Amounts); err != nil {
		return Outcome{}, Changes{}, err
	}
	rec := Record{
		MdtrtID: visit.MdtrtID, ChrgBchno: b.ChrgBchno, PsnNo: person.PsnNo, PsnName: person.Name,
		PsnCertType: person.CertType, CertNo: person.CertNo, Gender: person.Gender, Nation: person.Nation,
		Birthdate: person.Birthdate, CvlservFlag: ins.CvlservFlag, MdtrtCertType: s.CertType, Insutype: ins.Insutype,
		DiseCodg: dise,
		PsnType:  ins.PsnType, MedType: s.MedType, Hospital: p.hosp.Code, TreatAdmdvs: p.hosp.Admdvs,
		InsuredAdmdvs: ins.InsuredAdmdvs, MsgID: p.req.MsgID, SetlTime: p.st.DateTime(), Year: year,
		PolicyRef: policy.Ref(), CatalogRef: b.CatalogRef, Filing: filing,
		ClrType: "11", ClrWay: "01", ClrOptins: p.hosp.Admdvs,
		Amounts: calc.Amounts, Details: calc.Details, Deltas: calc.Deltas, AcctDelta: calc.AcctDelta,
		Trace: calc.Trace,
	}
	if !commit {
		return Outcome{Record: &rec}, Changes{}, nil
	}
	rec.SetlID = p.st.id("S", p.hosp.Admdvs)
	b.SetlID = rec.SetlID
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
//   - otherwise the policy's unfiled action: refuse, or other temporary.
func filingCategory(person Person, policy Policy, treatAdmdvs, medType, visitDate, settleDate string) (FilingCategory, string, error) {
	switch {
	case treatAdmdvs == policy.InsuredAdmdvs:
		return FilingLocal, "filing: treated in the insured region", nil
	case policy.IntraProvinceNoFiling && treatAdmdvs[:2] == policy.InsuredAdmdvs[:2]:
		return FilingIntraProvince, "filing: within the insured province, no filing needed (免备案)", nil
	case emergencyMedTypes[medType]:
		return FilingEmergency, "filing: emergency treatment counts as filed", nil
	}
	for _, f := range person.Filings {
		if !strings.HasPrefix(treatAdmdvs, f.TreatAdmdvs) || f.ValidFrom > settleDate || (f.ValidTo != "" && visitDate > f.ValidTo) {
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
	for _, c := range p.Chronic {
		if c.DiseCode == dise && activeOn(c.ValidFrom, c.ValidTo, date) {
			return true
		}
	}
	return false
}

func (p processor) cancel() (Outcome, Changes, error) {
	c := p.req.Cancel
	if c == nil {
		return Outcome{}, Changes{}, Errorf(CodeMissingField, "input.data")
	}
	orig, ok, err := p.v.Record(c.SetlID)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	if !ok || orig.Hospital != p.hosp.Code || orig.MdtrtID != c.MdtrtID {
		return Outcome{}, Changes{}, Errorf(CodeSettlementNotFound, c.SetlID)
	}
	if orig.PsnNo != c.PsnNo {
		return Outcome{}, Changes{}, Errorf(CodeWrongPerson, c.PsnNo, c.MdtrtID)
	}
	if orig.Cancels != "" {
		return Outcome{}, Changes{}, Errorf(CodeNotCancellable, c.SetlID, Bi("该记录本身是撤销记录", "it is itself a cancellation"))
	}
	if orig.CancelledBy != "" {
		return Outcome{}, Changes{}, Errorf(CodeAlreadyCancelled, c.SetlID, orig.CancelledBy)
	}
	visit, ok, err := p.v.Visit(orig.MdtrtID)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	acc, err := p.v.Accumulators(orig.PsnNo, orig.Insutype, orig.Year)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	bal, err := p.v.Balance(orig.PsnNo)
	if err != nil {
		return Outcome{}, Changes{}, err
	}
	mirror := orig.Mirror(p.st.id("S", p.hosp.Admdvs), p.req.MsgID, p.st)
	mirror.Amounts.Balc = bal - orig.AcctDelta
	orig.CancelledBy = mirror.SetlID
	ch := Changes{
		Records: []Record{orig, mirror},
		Accum:   &AccumUpdate{PsnNo: orig.PsnNo, Insutype: orig.Insutype, Year: orig.Year, Value: acc.Add(mirror.Deltas)},
		Balance: &BalanceUpdate{PsnNo: orig.PsnNo, Balance: bal + mirror.AcctDelta},
	}
	if ok {
		// The charge batch is open again: corrected lines may be settled anew.
		if b := visit.batch(orig.ChrgBchno); b != nil && b.SetlID == orig.SetlID {
			b.SetlID = ""
			ch.Visit = &visit
		}
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
