package settlement

import "strconv"

// Cross-province settlement (DOMAIN.md, "The two roles of a provincial
// node"). In the treatment-place role a request whose patient is insured in
// another province is not decided here: Process returns an Intent (for
// writes, replicated before the national platform is called) or a Remote
// request (for reads, sent straight away). In the insured-place role the
// national platform sends our own insured person's request with a
// RemoteOrigin naming the treating hospital and the visit, and Process
// decides it with our policy and accumulators like a local one.

// Province is the two-digit province of a region code ("" if too short).
func Province(admdvs string) string {
	if len(admdvs) < 2 {
		return ""
	}
	return admdvs[:2]
}

// CrossProvince reports whether a visit of a hospital in treat for a
// person insured in insured crosses a provincial border. An empty insured
// place is not a crossing: the person is then looked up in our registry.
func CrossProvince(treat, insured string) bool {
	return insured != "" && Province(insured) != Province(treat)
}

// RemoteOrigin is where an insured-place request comes from: the treating
// hospital as the treatment place registered it, and for settlements the
// visit with the fee lines already split by the treatment place's catalog.
type RemoteOrigin struct {
	Hospital Hospital     `json:"fixmedins"`
	Visit    *RemoteVisit `json:"visit,omitempty"`
}

// RemoteVisit is the visit a cross-province settlement settles: its batches
// are the ones being settled, lines split by the treatment place.
type RemoteVisit struct {
	MdtrtID    string      `json:"mdtrt_id"`
	PsnNo      string      `json:"psn_no"`
	Insutype   string      `json:"insutype"`
	Kind       string      `json:"kind"`
	MedType    string      `json:"med_type,omitempty"`
	Begntime   string      `json:"begntime"`
	Endtime    string      `json:"endtime,omitempty"`
	IptOtpNo   string      `json:"ipt_otp_no,omitempty"`
	DiseCodg   string      `json:"dise_codg,omitempty"`
	DiseName   string      `json:"dise_name,omitempty"`
	Discharged bool        `json:"discharged,omitempty"`
	Batches    []Batch     `json:"batches"`
	Diagnoses  []Diagnosis `json:"diseinfo,omitempty"`
}

// Intent is a cross-province write waiting for the insured place: the
// hospital's msgid is reserved (a retry finds it pending), the visit's
// batches are marked, and Wire is what is sent to the national platform,
// always with the same msgid.
type Intent struct {
	Hospital string  `json:"fixmedins_code"`
	MsgID    string  `json:"msgid"`
	Kind     Kind    `json:"kind"` // what the hospital asked for
	Digest   string  `json:"digest"`
	Wire     Request `json:"wire"` // what the national platform is asked
	Stamp    Stamp   `json:"stamp"`
}

// Completion is the insured place's answer to an intent, as the national
// platform relayed it: a settlement (or cancellation) record, or a refusal.
type Completion struct {
	Record  *Record `json:"record,omitempty"`
	Refusal *Error  `json:"refusal,omitempty"`
}

// remoteKinds are the transactions the insured-place endpoint accepts.
var remoteKinds = map[Kind]bool{
	KindPersonInfo: true, KindBenefitCheck: true, KindCumQuery: true, KindSetlQuery: true,
	KindPreSettle: true, KindSettle: true, KindCancelSettle: true,
	KindInpPreSettle: true, KindInpSettle: true, KindInpCancel: true, KindReversal: true,
}

// forNational returns the request as the national platform is to receive
// it: the hospital as registered (without its credentials) and, for a
// settlement, the visit with the batches being settled.
func (p processor) forNational(visit *Visit, batches []*Batch) Request {
	r := p.req
	h := p.hosp
	h.PaasID, h.Token, h.Formats = "", "", nil
	r.Remote = &RemoteOrigin{Hospital: h}
	r.SignNo, r.Ref = "", nil
	if visit != nil {
		rv := &RemoteVisit{
			MdtrtID: visit.MdtrtID, PsnNo: visit.PsnNo, Insutype: visit.Insutype, Kind: visit.Kind,
			MedType: visit.MedType, Begntime: visit.Begntime, Endtime: visit.Endtime, IptOtpNo: visit.IptOtpNo,
			DiseCodg: visit.DiseCodg, DiseName: visit.DiseName, Discharged: visit.State == VisitDischarged,
			Diagnoses: visit.Diagnoses,
		}
		for _, b := range batches {
			rv.Batches = append(rv.Batches, *b)
		}
		r.Remote.Visit = rv
	}
	if r.InsuredAdmdvs == "" && visit != nil {
		r.InsuredAdmdvs = visit.InsuredAdmdvs
	}
	return r
}

// intend reserves the msgid for a cross-province write and marks the
// batches it settles or releases, so no second request races it.
func (p processor) intend(wire Request, visit *Visit, batches []*Batch) (Outcome, Changes, error) {
	for _, b := range batches {
		if b.Pending != "" && b.Pending != p.req.MsgID {
			return none, noChanges, Errorf(CodeInProgressOther, visit.MdtrtID, b.Pending)
		}
		b.Pending = p.req.MsgID
	}
	in := Intent{Hospital: p.req.Hospital, MsgID: p.req.MsgID, Kind: p.req.Kind, Digest: p.req.Digest, Wire: wire, Stamp: p.st}
	ch := Changes{Intent: &in}
	if visit != nil {
		ch.Visit = visit
	}
	return Outcome{Pending: &in}, ch, nil
}

// shadowVisit is the insured place's copy of a visit treated elsewhere: the
// stored one if an earlier settlement of the stay made it, with the batches
// being settled now replaced by what the treatment place sent.
func (p processor) shadowVisit(ins Insurance) (*Visit, error) {
	rv := p.req.Remote.Visit
	if rv == nil {
		return nil, Errorf(CodeMissingField, "input.remote.visit")
	}
	v, ok, err := p.v.Visit(rv.MdtrtID)
	if err != nil {
		return nil, err
	}
	if ok && v.Hospital != p.hosp.Code {
		return nil, Errorf(CodeWrongPerson, rv.PsnNo, rv.MdtrtID)
	}
	if !ok {
		v = Visit{MdtrtID: rv.MdtrtID, PsnNo: rv.PsnNo, Insutype: rv.Insutype, Hospital: p.hosp.Code,
			TreatAdmdvs: p.hosp.Admdvs, InsuredAdmdvs: ins.InsuredAdmdvs, Kind: rv.Kind, MedType: rv.MedType,
			Begntime: rv.Begntime, IptOtpNo: rv.IptOtpNo, RegisteredAt: p.st.DateTime()}
	}
	v.Endtime, v.DiseCodg, v.DiseName, v.Diagnoses = rv.Endtime, rv.DiseCodg, rv.DiseName, rv.Diagnoses
	switch {
	case rv.Kind == Inpatient && rv.Discharged:
		v.State = VisitDischarged
	case rv.Kind == Inpatient:
		v.State = VisitAdmitted
	default:
		v.State = VisitRegistered
	}
	for _, b := range rv.Batches {
		b.SetlID, b.Pending = "", ""
		if have := v.batch(b.ChrgBchno); have != nil {
			if have.SetlID != "" {
				return nil, Errorf(CodeAlreadySettled, have.SetlID)
			}
			*have = b
		} else {
			v.Batches = append(v.Batches, b)
		}
	}
	return &v, nil
}

// Complete records the insured place's answer to an intent: the record it
// made (a settlement, or the cancellation of one) is kept here too, for the
// hospital's queries and reconciliation, and the visit's batches are
// released or settled. A refusal is returned as the error, with the
// changes that release the intent (they must be written all the same).
// Accumulators are the insured place's; nothing here changes any.
func Complete(v View, in Intent, c Completion, st Stamp) (Outcome, Changes, *Error) {
	ch := Changes{IntentDone: &in}
	w := in.Wire
	var visit *Visit
	if w.Remote != nil && w.Remote.Visit != nil {
		got, ok, err := v.Visit(w.Remote.Visit.MdtrtID)
		if err == nil && ok {
			visit = &got
			for i := range visit.Batches {
				if visit.Batches[i].Pending == in.MsgID {
					visit.Batches[i].Pending = ""
				}
			}
			ch.Visit = visit
		}
	}
	if c.Refusal != nil || c.Record == nil {
		e := c.Refusal
		if e == nil {
			e = Errorf(CodeInternal, "empty completion")
		}
		return none, ch, e
	}
	rec := *c.Record
	rec.Hospital, rec.MsgID, rec.Infno = in.Hospital, in.MsgID, in.Kind
	rec.Remote = true
	rec.TreatAdmdvs, rec.InsuredAdmdvs = w.TreatAdmdvs, w.InsuredAdmdvs
	if y, err := strconv.Atoi(rec.SetlTime[:min(4, len(rec.SetlTime))]); err == nil {
		rec.Year = y
	}
	if w.Settle != nil {
		rec.MidSetl = w.Settle.MidSetl
	}
	if w.Remote != nil && w.Remote.Visit != nil {
		if w.Kind == KindSettle && len(w.Remote.Visit.Batches) > 0 {
			rec.ChrgBchno = w.Remote.Visit.Batches[0].ChrgBchno
		}
		rec.DiseCodg = w.Remote.Visit.DiseCodg
	}
	out := Outcome{Record: &rec}
	switch w.Kind {
	case KindSettle, KindInpSettle:
		if visit != nil {
			for _, b := range w.Remote.Visit.Batches {
				if have := visit.batch(b.ChrgBchno); have != nil {
					have.SetlID = rec.SetlID
				}
			}
			visit.Settlements = append(visit.Settlements, rec.SetlID)
			if w.Kind == KindInpSettle && (w.Settle == nil || !w.Settle.MidSetl) {
				visit.FinalSetlID = rec.SetlID
				rec.Final = true
			}
		}
		ch.Records = []Record{rec}
	case KindCancelSettle, KindInpCancel:
		orig, ok, err := v.Record(w.Cancel.SetlID)
		if err != nil || !ok {
			return none, ch, Errorf(CodeSettlementNotFound, w.Cancel.SetlID)
		}
		rec.Cancels = orig.SetlID
		orig.CancelledBy = rec.SetlID
		ch.Records = []Record{orig, rec}
		if got, ok, err := v.Visit(orig.MdtrtID); err == nil && ok {
			got.dropSettlement(orig.SetlID)
			ch.Visit = &got
		}
		if in.Kind == KindReversal {
			out.Reversed = "cancelled"
		}
	}
	return out, ch, nil
}

// insuredHere is the insurance a visit is registered under. A person
// insured in another province is not in our registry: the hospital names
// the insured place (insuplc_admdvs, from 1101) and the insured place
// checks the person when the visit settles. It knows the person by the
// psn_no the visit carries, so a visit is not opened without one.
func (p processor) insuredHere(psnNo, insutype string) (Insurance, error) {
	if CrossProvince(p.hosp.Admdvs, p.req.InsuredAdmdvs) {
		if psnNo == "" {
			return Insurance{}, Errorf(CodeMissingField, Bi(
				"psn_no（异地参保人员须用参保地经1101返回的人员编号）",
				"psn_no (a person insured in another province is named by the insured place's number, from 1101)"))
		}
		return Insurance{Insutype: insutype, InsuredAdmdvs: p.req.InsuredAdmdvs}, nil
	}
	_, ins, err := p.insured(psnNo, insutype)
	return ins, err
}

// remoteRead reports whether a query names a person insured in another
// province, and so is the national platform's to answer.
func (p processor) remoteRead() (Request, bool) {
	if p.req.Remote != nil || !CrossProvince(p.hosp.Admdvs, p.req.InsuredAdmdvs) {
		return Request{}, false
	}
	return p.forNational(nil, nil), true
}

// remoteInsutype is the insurance type a remote settlement is under: the
// visit's, unless the request names one.
func remoteInsutype(o *RemoteOrigin, sent string) string {
	if sent == "" && o.Visit != nil {
		return o.Visit.Insutype
	}
	return sent
}
