package fhir

import (
	"github.com/provgate/provgate/settlement"
)

// medTypes are the national two-digit 医疗类别. Provincial sub-codes of 4
// to 6 digits are taken as they are (NATIONAL-INTERFACE §3.1): the policy
// decides whether it settles them.
const medTypes = "11 12 13 14 15 16 19 21 22 23 24 25 26 27 28 29 41 51 52 53 61 71 81"

// psnSetlway is 按项目结算: FHIR claims are itemised.
const psnSetlway = "01"

// decodeClaim translates a Claim into the national steps of one visit (see
// the package documentation for the mapping). t holds the other entries
// of its Bundle, if any.
func decodeClaim(c value, t *table) (*Message, error) {
	if err := t.contained(c); err != nil {
		return nil, err
	}
	m := &Message{resource: "Claim"}
	var err error
	if m.identSystem, m.identValue, err = msgID(c); err != nil {
		return nil, err
	}
	status, err := text(c, "status")
	if err != nil {
		return nil, err
	}
	switch status {
	case "active", "cancelled":
	case "":
		return nil, missingAt(c, ".status")
	default:
		return nil, unknownAt(c, ".status", status, "active, cancelled")
	}
	if m.claimType, err = claimType(c); err != nil {
		return nil, err
	}
	if m.use, err = text(c, "use"); err != nil {
		return nil, err
	}
	switch m.use {
	case "claim", "predetermination":
	case "":
		return nil, missingAt(c, ".use")
	default:
		return nil, unknownAt(c, ".use", m.use, "claim, predetermination")
	}
	var k claim
	if err := k.read(c, t, m.claimType, status == "cancelled", m.identValue); err != nil {
		return nil, err
	}
	switch {
	case status == "cancelled":
		return m, m.cancel(c, k)
	case k.inpatient:
		m.stay(k)
	default:
		m.visit(k)
	}
	return m, nil
}

// claim is what a Claim says, read and checked.
type claim struct {
	base              settlement.Request // hospital, regions, Ref
	inpatient         bool
	certType, certNo  string
	v                 visit
	insutype, medType string
	diags             diagSet
	lines             []settlement.FeeLine
	medfee            settlement.Fen
	acctUsed          bool
	drNo, drName      string
}

// read reads the parties and the visit, and, unless the Claim cancels a
// settlement, the insurance, diagnoses and items. batch is the charge
// batch of an outpatient visit.
func (k *claim) read(c value, t *table, claimType string, cancel bool, batch string) error {
	inpatient := claimType == "institutional"
	k.inpatient = inpatient
	hosp, treat, err := hospital(t, c)
	if err != nil {
		return err
	}
	if k.certType, k.certNo, err = certificate(t, c); err != nil {
		return err
	}
	items, err := list(c, "item")
	if err != nil {
		return err
	}
	if k.v, err = encounter(t, c, items); err != nil {
		return err
	}
	if k.v.classGiven && k.v.inpatient != inpatient {
		return badAt(k.v.enc, ".class", "就诊类别与 Claim.type "+claimType+" 不符", "does not match Claim.type "+claimType)
	}
	k.base = settlement.Request{Hospital: hosp, TreatAdmdvs: treat,
		Ref: &settlement.HospitalRef{CertType: k.certType, CertNo: k.certNo, VisitNo: k.v.no}}
	if cancel {
		return nil
	}
	if k.insutype, k.base.InsuredAdmdvs, err = coverage(t, c); err != nil {
		return err
	}
	if k.medType, err = medTypeOf(c, "subType"); err != nil {
		return err
	}
	// A medical type of the other kind of visit contradicts Claim.type.
	if k.medType[0] == '2' && !inpatient || k.medType[0] == '1' && inpatient {
		return badAt(c, ".subType", "医疗类别 "+k.medType+" 与 Claim.type "+claimType+" 不符（门诊为 1 开头，住院为 2 开头）",
			"medical type "+k.medType+" contradicts Claim.type "+claimType+" (outpatient types start with 1, inpatient with 2)")
	}
	if k.diags, err = readDiagnoses(c); err != nil {
		return err
	}
	if inpatient {
		batch = "" // a stay's lines are not batched
	}
	if k.lines, k.medfee, err = feeLines(c, items, k.v, k.diags, batch); err != nil {
		return err
	}
	if k.acctUsed, err = flagExtension(c, extAcctUsed); err != nil {
		return err
	}
	if k.drNo, k.drName, err = practitioner(t, c); err != nil {
		return err
	}
	if err := k.v.checkDept(); err != nil {
		return err
	}
	if inpatient {
		return k.v.checkInpatient()
	}
	if k.v.caty.code == "" {
		return missingAt(k.v.enc, ".serviceType.coding (system "+csCaty+")")
	}
	return nil
}

// settle is the settle step's part; the caller sets what differs.
func (k *claim) settle() *settlement.SettleRequest {
	return &settlement.SettleRequest{CertType: k.certType, Insutype: k.insutype, Medfee: k.medfee,
		AcctUsed: k.acctUsed, PsnSetlway: psnSetlway}
}

// visit is an outpatient Claim: register, visit information (the medical
// type and diagnoses, which registration cannot carry), the fee lines as
// one charge batch, and the settlement or its preview.
func (m *Message) visit(k claim) {
	main := k.diags.main()
	reg, info, fees, set := k.base, k.base, k.base, k.base
	reg.Kind, reg.Register = settlement.KindRegister, &settlement.Registration{Insutype: k.insutype,
		Begntime: k.v.begin, CertType: k.certType, CertNo: k.certNo, IptOtpNo: k.v.no, AtddrNo: k.drNo,
		DrName: k.drName, DeptCode: k.v.dept.code, DeptName: k.v.dept.display, Caty: k.v.caty.code,
		Emergency: k.v.emergency}
	info.Kind, info.VisitInfo = settlement.KindVisitInfo, &settlement.VisitInfo{MedType: k.medType,
		Begntime: k.v.begin, DiseCodg: main.Code, DiseName: main.Name, Diagnoses: k.diags.rows}
	fees.Kind, fees.Fees = settlement.KindUploadFees, &settlement.FeeUpload{Lines: k.lines}
	set.Kind, set.Settle = settlement.KindSettle, k.settle()
	set.Settle.ChrgBchno, set.Settle.MedType = m.identValue, k.medType
	if m.use == "predetermination" {
		set.Kind = settlement.KindPreSettle
	}
	m.steps(reg, info, fees, set)
}

// stay is an inpatient Claim: admission, the fee lines, discharge, and the
// final settlement or its preview. The settlement takes the medical type
// from the stay, as the national 2304 does.
func (m *Message) stay(k claim) {
	main, dscg := k.diags.main(), k.diags.discharge()
	adm, fees, dis, set := k.base, k.base, k.base, k.base
	adm.Kind, adm.Admission = settlement.KindAdmit, &settlement.Admission{Insutype: k.insutype,
		MedType: k.medType, Begntime: k.v.begin, CertType: k.certType, CertNo: k.certNo, IptNo: k.v.no,
		DeptCode: k.v.dept.code, DeptName: k.v.dept.display, AtddrNo: k.drNo, DrName: k.drName, Bed: k.v.bed,
		DiseCodg: main.Code, DiseName: main.Name, Diagnoses: k.diags.rows}
	fees.Kind, fees.Fees = settlement.KindUploadInpFees, &settlement.FeeUpload{Lines: k.lines}
	dis.Kind, dis.Discharge = settlement.KindDischarge, &settlement.Discharge{Insutype: k.insutype,
		Endtime: k.v.end, DiseCodg: dscg.Code, DiseName: dscg.Name, DscgWay: k.v.dscgWay}
	set.Kind, set.Settle = settlement.KindInpSettle, k.settle()
	if m.use == "predetermination" {
		set.Kind = settlement.KindInpPreSettle
	}
	m.steps(adm, fees, dis, set)
}

// steps sets each step's msgid, <identifier>-<kind>, and then its digest,
// and makes them the message's requests.
func (m *Message) steps(reqs ...settlement.Request) {
	for i := range reqs {
		reqs[i].MsgID = m.identValue + "-" + string(reqs[i].Kind)
		reqs[i].Digest = settlement.ContentDigest("fhir", reqs[i])
	}
	m.Requests = reqs
}

// cancel reads a cancelled Claim: the settlement it names by
// related.reference is cancelled (2208, or 2305 for a stay).
func (m *Message) cancel(c value, k claim) error {
	if m.use != "claim" {
		return badAt(c, ".use", "预结算（predetermination）不产生结算，无可撤销", "a predetermination records no settlement, so there is nothing to cancel")
	}
	related, err := list(c, "related")
	if err != nil {
		return err
	}
	var setlID string
	var ref value
	for _, r := range related {
		ref = get(r, "reference")
		if string(raw(ref, "system")) != sysSetlID {
			continue
		}
		if setlID, err = text(ref, "value"); err != nil {
			return err
		}
		if setlID != "" {
			break
		}
	}
	if setlID == "" {
		return missingAt(c, ".related.reference (system "+sysSetlID+")")
	}
	if len(setlID) > 40 || !printable(setlID) {
		return badAt(ref, ".value", "结算ID应为不超过 40 位的可见 ASCII 字符", "a setl_id has at most 40 printable ASCII characters")
	}
	r := k.base
	r.Kind, r.Cancel = settlement.KindCancelSettle, &settlement.CancelRequest{SetlID: setlID}
	if k.inpatient {
		r.Kind = settlement.KindInpCancel
	}
	m.steps(r)
	return nil
}

// claimType reads Claim.type: institutional (a stay) or professional (an
// outpatient visit).
func claimType(c value) (string, error) {
	cd, ok, err := pick(c, "type", csClaimType)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", missingAt(c, ".type")
	}
	if err := checkCode(c, ".type.coding.code", cd.code, "institutional professional"); err != nil {
		return "", err
	}
	return cd.code, nil
}

// medTypeOf reads the CodeableConcept key of v as the national medical
// type.
func medTypeOf(v value, key string) (string, error) {
	cd, ok, err := pick(v, key, csMedType)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", missingAt(v, "."+key)
	}
	code := cd.code
	if _, ok := digits(code); ok && len(code) >= 4 && len(code) <= 6 || oneOf(code, medTypes) {
		return code, nil
	}
	return "", unknownAt(v, "."+key+".coding.code", code, settlement.Bi(listed(medTypes)+"，或 4 至 6 位的省级代码",
		listed(medTypes)+", or a provincial code of 4 to 6 digits"))
}

// flagExtension reads a boolean extension of v; absent is false.
func flagExtension(v value, url string) (bool, error) {
	exts, err := list(v, "extension")
	if err != nil {
		return false, err
	}
	for _, e := range exts {
		if string(raw(e, "url")) != url {
			continue
		}
		b, ok, err := boolean(e, "valueBoolean")
		if err == nil && !ok {
			err = missingAt(e, ".valueBoolean")
		}
		return b, err
	}
	return false, nil
}
