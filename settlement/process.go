package settlement

import (
	"slices"
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
	// VisitByNumber finds a hospital's visit by the number the hospital
	// registered it with (ipt_otp_no, ipt_no); the newest such visit wins.
	VisitByNumber(hospital, visitNo string) (mdtrtID string, ok bool, err error)
	Record(setlID string) (Record, bool, error)
	// RecordsOfHospital lists a hospital's records whose settlement date is
	// within [from, to], in date order.
	RecordsOfHospital(hospital, from, to string) ([]Record, error)
	Session(signNo string) (Session, bool, error)
	// Answered returns the stored answer to a hospital's msgid, if it was
	// answered successfully (the idempotency table).
	Answered(hospital, msgID string) (Kind, Outcome, bool, error)
	// Intent returns a cross-province write still waiting for the insured
	// place, by the hospital's msgid.
	Intent(hospital, msgID string) (Intent, bool, error)
}

// Changes are the writes a request makes. The state machine writes them in
// the same transaction as the idempotency entry and the applied index.
type Changes struct {
	Visit     *Visit
	Records   []Record
	Accum     *AccumUpdate
	Balance   *BalanceUpdate
	Person    *Person
	Session   *Session
	Tombstone *Tombstone
	// Intent reserves a cross-province write; IntentDone releases one.
	Intent     *Intent
	IntentDone *Intent
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

// Tombstone marks a msgid that 2601 reversed before it arrived: if the
// original arrives late, it is refused.
type Tombstone struct {
	Hospital string
	MsgID    string
	Infno    Kind
}

// Empty reports whether there is nothing to write.
func (c Changes) Empty() bool {
	return c.Visit == nil && len(c.Records) == 0 && c.Accum == nil && c.Balance == nil &&
		c.Person == nil && c.Session == nil && c.Tombstone == nil && c.Intent == nil && c.IntentDone == nil
}

// Process decides a request against the state: it checks the hospital,
// resolves the person and visit a HospitalRef names, checks the session,
// the lifecycle and the business keys, runs the calculation, and returns
// the answer with the writes to make. A refusal is returned as
// *Error and comes with no changes. Process is deterministic: the same view,
// request and stamp give the same result on every replica.
func Process(v View, req Request, st Stamp) (Outcome, Changes, error) {
	h, ok, err := v.Hospital(req.Hospital)
	if req.Remote != nil {
		// The national platform vouches for the treating hospital, which
		// is registered with its own province, not ours.
		if !remoteKinds[req.Kind] {
			return Outcome{}, Changes{}, Errorf(CodeUnknownInfno, string(req.Kind))
		}
		h, ok, err = req.Remote.Hospital, true, nil
		h.Code, h.Disabled = req.Hospital, false
	}
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
	if req, err = resolve(v, h.Code, req); err != nil {
		return Outcome{}, Changes{}, err
	}
	p := processor{v: v, req: req, st: st, hosp: h}
	if req.SignNo != "" && req.Kind != KindSignIn {
		if err := p.checkSession(req.SignNo); err != nil {
			return Outcome{}, Changes{}, err
		}
	}
	handler, ok := handlers[req.Kind]
	if !ok {
		return Outcome{}, Changes{}, Errorf(CodeUnknownInfno, string(req.Kind))
	}
	return handler(p)
}

// handlers maps each transaction to its rule. (A table of functions, filled
// once: it is constant.)
var handlers = map[Kind]func(processor) (Outcome, Changes, error){
	KindSignIn:          processor.signIn,
	KindSignOut:         processor.signOut,
	KindPersonInfo:      processor.personInfo,
	KindBenefitCheck:    processor.benefitCheck,
	KindCumQuery:        processor.cumQuery,
	KindRegister:        processor.register,
	KindCancelRegister:  processor.cancelRegister,
	KindVisitInfo:       processor.visitInfo,
	KindUploadFees:      processor.uploadFees,
	KindUploadInpFees:   processor.uploadFees,
	KindCancelFees:      processor.cancelFees,
	KindCancelInpFees:   processor.cancelFees,
	KindPreSettle:       func(p processor) (Outcome, Changes, error) { return p.settle(false) },
	KindSettle:          func(p processor) (Outcome, Changes, error) { return p.settle(true) },
	KindInpPreSettle:    func(p processor) (Outcome, Changes, error) { return p.settle(false) },
	KindInpSettle:       func(p processor) (Outcome, Changes, error) { return p.settle(true) },
	KindCancelSettle:    processor.cancel,
	KindInpCancel:       processor.cancel,
	KindAdmit:           processor.admit,
	KindDischarge:       processor.discharge,
	KindCancelAdmit:     processor.cancelAdmit,
	KindCancelDischarge: processor.cancelDischarge,
	KindReferralFiling:  processor.fileReferral,
	KindCancelReferral:  processor.cancelFiling,
	KindChronicFiling:   processor.fileChronic,
	KindCancelChronic:   processor.cancelFiling,
	KindFixedFiling:     processor.fileFixed,
	KindCancelFixed:     processor.cancelFiling,
	KindReversal:        processor.reverse,
	KindSetlQuery:       processor.setlQuery,
	KindReconTotals:     processor.reconTotals,
	KindReconDetails:    processor.reconDetails,
}

type processor struct {
	v    View
	req  Request
	st   Stamp
	hosp Hospital
	// shadow is the insured place's copy of a visit treated in another
	// province (insured-place role), consulted before the stored visits.
	shadow *Visit
}

var (
	none      = Outcome{}
	noChanges = Changes{}
)

// missing is the refusal for a request whose body node is absent.
func missing() (Outcome, Changes, error) {
	return none, noChanges, Errorf(CodeMissingField, "input.data")
}

func (p processor) personInfo() (Outcome, Changes, error) {
	q := p.req.Person
	if q == nil {
		return missing()
	}
	if wire, ok := p.remoteRead(); ok {
		return Outcome{Remote: &wire}, noChanges, nil
	}
	if q.CertType == "01" {
		return none, noChanges, Errorf(CodeBadField, "mdtrt_cert_type", Bi(
			"01（医保电子凭证）需经国家电子凭证服务解码，请改用 02 身份证号或 03 社保卡号",
			"01 (e-voucher token) needs the national e-voucher service; send 02 with the ID number or 03 with the card number"))
	}
	person, ok, err := p.v.PersonByCert(q.CertNo)
	if err != nil {
		return none, noChanges, err
	}
	if !ok {
		return none, noChanges, Errorf(CodeUnknownPerson, "mdtrt_cert_type "+q.CertType)
	}
	bal, err := p.v.Balance(person.PsnNo)
	if err != nil {
		return none, noChanges, err
	}
	return Outcome{Person: &PersonInfo{Person: person, Balance: bal}}, noChanges, nil
}

// insured finds the person and their active insurance of the given type,
// refusing a suspended insurance and a duplicate enrolment.
func (p processor) insured(psnNo, insutype string) (Person, Insurance, error) {
	person, ok, err := p.v.Person(psnNo)
	if err != nil {
		return Person{}, Insurance{}, err
	}
	if !ok {
		return Person{}, Insurance{}, Errorf(CodeUnknownPerson, "psn_no "+psnNo)
	}
	var active []Insurance
	for _, in := range person.Insurances {
		if in.Insutype == insutype && in.Active() {
			active = append(active, in)
		}
	}
	if len(active) == 0 {
		return Person{}, Insurance{}, Errorf(CodeNotInsured, psnNo, insutype)
	}
	if len(active) > 1 {
		places := make([]string, len(active))
		for i, in := range active {
			places[i] = in.InsuredAdmdvs
		}
		return Person{}, Insurance{}, Errorf(CodeDuplicateEnrolment, psnNo, strings.Join(places, ", "), insutype)
	}
	ins := active[0]
	if p.req.InsuredAdmdvs != "" && p.req.InsuredAdmdvs != ins.InsuredAdmdvs {
		return Person{}, Insurance{}, Errorf(CodeBadField, "insuplc_admdvs", Bi(
			p.req.InsuredAdmdvs+"，但该人员参保地为 "+ins.InsuredAdmdvs+"（以1101返回为准）",
			p.req.InsuredAdmdvs+", but the person is insured in "+ins.InsuredAdmdvs+" (take it from 1101)"))
	}
	return person, ins, nil
}

// visit loads a visit of this hospital for this person, of the given kind
// and in one of the given states. Another hospital's visit is reported as
// not found: a hospital only ever sees its own records.
func (p processor) visit(mdtrtID, psnNo, kind string, states ...VisitState) (Visit, error) {
	visit, ok, err := p.v.Visit(mdtrtID)
	if p.shadow != nil && p.shadow.MdtrtID == mdtrtID {
		visit, ok, err = *p.shadow, true, nil
	}
	if err != nil {
		return Visit{}, err
	}
	if !ok || visit.Hospital != p.hosp.Code {
		return Visit{}, Errorf(CodeVisitNotFound, mdtrtID)
	}
	if psnNo != visit.PsnNo {
		return Visit{}, Errorf(CodeWrongPerson, psnNo, mdtrtID)
	}
	if visit.Kind != kind || !slices.Contains(states, visit.State) {
		what := string(visit.State)
		if visit.Kind != kind {
			what = visit.Kind
		}
		return Visit{}, Errorf(CodeWrongState, mdtrtID, what, string(p.req.Kind))
	}
	return visit, nil
}
