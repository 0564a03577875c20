package delimited

import "github.com/provgate/provgate/settlement"

// The person and visit columns most records begin with: the certificate
// read from the patient's card, and the hospital's own visit number. The
// state machine resolves them (Request.Ref) to psn_no and mdtrt_id.
var (
	certTypeReq = col{"mdtrt_cert_type", "证件类型", true}
	certTypeOpt = col{"mdtrt_cert_type", "证件类型", false}
	certNo      = col{"mdtrt_cert_no", "证件号码", true}
	otpNo       = col{"ipt_otp_no", "门诊号", true}
	iptNo       = col{"ipt_no", "住院号", true}
)

// ref reads the certificate type and number and the visit number.
func (d *decoder) ref(types codeSet) *settlement.HospitalRef {
	r := &settlement.HospitalRef{}
	r.CertType = d.code(types)
	r.CertNo = d.certNo()
	r.VisitNo = d.id()
	return r
}

var personQuery = []col{
	{"mdtrt_cert_type", "就诊凭证类型", true},
	{"mdtrt_cert_no", "就诊凭证编号", true},
	{"card_sn", "卡识别码", false}, // required with 03
}

func decodePersonQuery(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	only(d, recs)
	d.start(1, recs[0], '|', personQuery, len(personQuery))
	q := &settlement.PersonQuery{CertType: d.code(certTypes1101), CertNo: d.certNo()}
	cardSn, i := d.next()
	if q.CertType == "03" {
		d.need(cardSn, i)
	}
	base.Person = q
	return []settlement.Request{base}
}

var registration = []col{
	certTypeReq, certNo, otpNo,
	{"insutype", "险种", true},
	{"begntime", "挂号时间", true},
	{"atddr_no", "医师编码", true},
	{"dr_name", "医师姓名", true},
	{"dept_code", "科室编码", true},
	{"dept_name", "科室名称", true},
	{"caty", "科别", true},
}

func decodeRegistration(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	only(d, recs)
	d.start(1, recs[0], '|', registration, len(registration))
	ref := d.ref(certTypes)
	base.Ref = ref
	base.Register = &settlement.Registration{
		CertType: ref.CertType, CertNo: ref.CertNo, IptOtpNo: ref.VisitNo,
		Insutype: d.code(insutypes), Begntime: d.dateTime(), AtddrNo: d.id(), DrName: d.text(),
		DeptCode: d.id(), DeptName: d.text(), Caty: d.id(),
	}
	return []settlement.Request{base}
}

var admission = []col{
	certTypeReq, certNo, iptNo,
	{"insutype", "险种", true},
	{"med_type", "医疗类别", true},
	{"begntime", "入院时间", true},
	{"adm_dept_codg", "入院科室编码", true},
	{"adm_dept_name", "入院科室名称", true},
	{"atddr_no", "主治医师编码", true},
	{"chfpdr_name", "主诊医师姓名", true},
	{"adm_bed", "床位号", false},
	{"dise_codg", "病种编码", false},
	{"dise_name", "病种名称", false},
}

func decodeAdmission(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	d.start(1, recs[0], '|', admission, len(admission))
	ref := d.ref(certTypes)
	base.Ref = ref
	base.Admission = &settlement.Admission{
		CertType: ref.CertType, CertNo: ref.CertNo, IptNo: ref.VisitNo,
		Insutype: d.code(insutypes), MedType: d.code(medTypes), Begntime: d.dateTime(),
		DeptCode: d.id(), DeptName: d.text(), AtddrNo: d.id(), DrName: d.text(),
		Bed: d.text(), DiseCodg: d.id(), DiseName: d.text(),
	}
	base.Admission.Diagnoses = d.diagnoses(recs)
	return []settlement.Request{base}
}

var discharge = []col{
	certTypeOpt, certNo, iptNo,
	{"insutype", "险种", true},
	{"endtime", "出院时间", true},
	{"dscg_way", "离院方式", true},
	{"dise_codg", "病种编码", false},
	{"dise_name", "病种名称", false},
	{"dscg_dept_codg", "出院科室编码", false},
}

func decodeDischarge(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	d.start(1, recs[0], '|', discharge, len(discharge))
	base.Ref = d.ref(certTypes)
	base.Discharge = &settlement.Discharge{
		Insutype: d.code(insutypes), Endtime: d.dateTime(), DscgWay: d.id(),
		DiseCodg: d.id(), DiseName: d.text(), DeptCode: d.id(),
	}
	base.Discharge.Diagnoses = d.diagnoses(recs)
	return []settlement.Request{base}
}

// diagnosis is the layout of records 2.. of 2401 and 2402 (diseinfo).
var diagnosis = []col{
	{"diag_type", "诊断类别", true},
	{"diag_srt_no", "诊断排序号", true},
	{"diag_code", "诊断编码", true},
	{"diag_name", "诊断名称", true},
	{"maindiag_flag", "主诊断标志", false},
	{"diag_dept", "诊断科室", false},
	{"dise_dor_no", "诊断医师编码", false},
	{"dise_dor_name", "诊断医师姓名", false},
	{"diag_time", "诊断时间", false},
	{"vali_flag", "有效标志", false}, // 0 marks the diagnosis invalid; empty is valid
}

func (d *decoder) diagnoses(recs []string) []settlement.Diagnosis {
	if len(recs) < 2 || d.err != nil {
		return nil
	}
	out := make([]settlement.Diagnosis, len(recs)-1)
	for i, rec := range recs[1:] {
		d.start(i+2, rec, '|', diagnosis, len(diagnosis))
		out[i] = settlement.Diagnosis{Type: d.id(), SrtNo: d.id(), Code: d.id(), Name: d.text(), Main: d.flag(),
			Dept: d.text(), DrCode: d.id(), DrName: d.text(), Time: d.dateTime()}
		out[i].Invalid = d.oneOf("0", "1") == "0"
	}
	return out
}

// visitRef is the layout of 2202, 2404 and 2405: the visit to undo.
func visitRefLayout(outpatient bool) []col {
	if outpatient {
		return []col{certTypeOpt, certNo, otpNo}
	}
	return []col{certTypeOpt, certNo, iptNo}
}

var (
	outpatientVisit = visitRefLayout(true)
	inpatientVisit  = visitRefLayout(false)
)

func decodeVisitRef(outpatient bool) func(*decoder, []string, settlement.Request) []settlement.Request {
	layout := inpatientVisit
	if outpatient {
		layout = outpatientVisit
	}
	return func(d *decoder, recs []string, base settlement.Request) []settlement.Request {
		only(d, recs)
		d.start(1, recs[0], '|', layout, len(layout))
		base.Ref = d.ref(certTypes)
		base.VisitRef = &settlement.VisitRef{}
		if outpatient {
			base.VisitRef.IptOtpNo = base.Ref.VisitNo
		}
		return []settlement.Request{base}
	}
}
