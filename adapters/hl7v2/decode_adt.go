package hl7v2

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// register translates ADT^A04 (register an outpatient) into 2201.
func (t *txn) register() []settlement.Request {
	v := t.visit()
	t.wantClass(v, false)
	r, pv1 := &t.r, t.pv1
	reg := &settlement.Registration{
		Insutype: t.insutype(),
		CertType: v.certType, CertNo: v.certNo, IptOtpNo: v.no,
		AtddrNo: r.need(pv1, 7, 1, "atddr_no"), DrName: r.need(pv1, 7, 2, "dr_name"),
		DeptCode: r.need(pv1, 10, 1, "dept_code"), DeptName: r.need(pv1, 10, 2, "dept_name"),
		Begntime:  r.dateTime(pv1, 44, 1, "begntime"),
		Emergency: v.class == "E",
	}
	// PV1-10 is the hospital's department; its alternate code (CWE.4) is
	// the national 科别 (caty) when the two differ.
	reg.Caty = r.value(pv1, 10, 4)
	if reg.Caty == "" {
		reg.Caty = reg.DeptCode
	}
	return []settlement.Request{{Kind: settlement.KindRegister, Ref: v.ref(), Register: reg}}
}

// admit translates ADT^A01 (admit an inpatient) into 2401.
func (t *txn) admit() []settlement.Request {
	v := t.visit()
	t.wantClass(v, true)
	r, pv1 := &t.r, t.pv1
	a := &settlement.Admission{
		Insutype: t.insutype(),
		CertType: v.certType, CertNo: v.certNo, IptNo: v.no,
		Bed:     r.value(pv1, 3, 3),
		AtddrNo: r.need(pv1, 7, 1, "atddr_no"), DrName: r.need(pv1, 7, 2, "chfpdr_name"),
		DeptCode: r.need(pv1, 10, 1, "adm_dept_codg"), DeptName: r.need(pv1, 10, 2, "adm_dept_name"),
		MedType:  r.need(pv1, 18, 1, "med_type"),
		Begntime: r.dateTime(pv1, 44, 1, "begntime"),
	}
	a.Diagnoses, a.DiseCodg, a.DiseName = t.diagnoses()
	return []settlement.Request{{Kind: settlement.KindAdmit, Ref: v.ref(), Admission: a}}
}

// discharge translates ADT^A03 (discharge an inpatient) into 2402.
func (t *txn) discharge() []settlement.Request {
	v := t.visit()
	t.wantClass(v, true)
	r, pv1 := &t.r, t.pv1
	d := &settlement.Discharge{
		Insutype: t.insutype(),
		DeptCode: r.value(pv1, 10, 1),
		DscgWay:  r.need(pv1, 36, 1, "dscg_way"),
		Endtime:  r.dateTime(pv1, 45, 1, "endtime"),
	}
	d.Diagnoses, d.DiseCodg, d.DiseName = t.diagnoses()
	return []settlement.Request{{Kind: settlement.KindDischarge, Ref: v.ref(), Discharge: d}}
}

// cancelVisit translates ADT^A11 (cancel admit / visit notification): an
// outpatient registration (2202) or an admission (2404).
func (t *txn) cancelVisit() []settlement.Request {
	v := t.visit()
	kind := settlement.KindCancelRegister
	if v.inpatient() {
		kind = settlement.KindCancelAdmit
	}
	return []settlement.Request{{Kind: kind, Ref: v.ref(), VisitRef: &settlement.VisitRef{IptOtpNo: v.no}}}
}

// cancelDischarge translates ADT^A13 (cancel discharge) into 2405.
func (t *txn) cancelDischarge() []settlement.Request {
	v := t.visit()
	t.wantClass(v, true)
	return []settlement.Request{{Kind: settlement.KindCancelDischarge, Ref: v.ref(), VisitRef: &settlement.VisitRef{IptOtpNo: v.no}}}
}

// diagnoses reads the DG1 segments, and the main diagnosis (DG1-15 = 1,
// else the first) as the visit's disease.
func (t *txn) diagnoses() (list []settlement.Diagnosis, code, name string) {
	r := &t.r
	main := -1
	for i, s := range t.dg1 {
		d := settlement.Diagnosis{
			SrtNo: r.value(s, 1, 1),
			Code:  r.need(s, 3, 1, "diag_code"), Name: r.need(s, 3, 2, "diag_name"),
			Main:   r.value(s, 15, 1) == "1",
			DrCode: r.value(s, 16, 1), DrName: r.value(s, 16, 2),
		}
		if r.value(s, 5, 1) != "" {
			d.Time = r.dateTime(s, 5, 1, "diag_time")
		}
		// DG1-6 carries the national diag_type: HL7 table 0052 (A/W/F)
		// cannot tell Western from Chinese medicine.
		d.Type = r.code(s, 6, 1, "diag_type", r.need(s, 6, 1, "diag_type"), "1", "2", "3")
		if d.SrtNo == "" {
			d.SrtNo = strconv.Itoa(s.seq)
		}
		if d.Main && main < 0 {
			main = i
		}
		list = append(list, d)
	}
	if r.err != nil || len(list) == 0 {
		return nil, "", ""
	}
	if main < 0 {
		main = 0
	}
	return list, list[main].Code, list[main].Name
}

// personQuery translates QBP^Q21 (get person demographics) into 1101: the
// person named by the certificate in QPD-3.
func (t *txn) personQuery() []settlement.Request {
	q := t.qpd
	if q == nil {
		t.r.missingSegment("QPD", "mdtrt_cert_no")
		return nil
	}
	t.r.need(q, 1, 1, "message query name")
	t.r.need(q, 2, 1, "query tag")
	certType, certNo := t.certificate(q, 3)
	t.m.query = query{name: q.field(1), tag: q.field(2), qpd: joinFields(q, t.r.d.field)}
	return []settlement.Request{{Kind: settlement.KindPersonInfo, Person: &settlement.PersonQuery{CertType: certType, CertNo: certNo}}}
}

// joinFields writes a segment back as it came, still escaped.
func joinFields(s *segment, sep byte) string {
	n := 0
	for i := range s.fields {
		n += len(s.field(i)) + 1
	}
	b := make([]byte, 0, n)
	for i := range s.fields {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, s.field(i)...)
	}
	return string(b)
}
