package settlement

// resolve turns a request's HospitalRef into the identifiers the rules work
// with: the person by certificate fills every empty psn_no, and the visit by
// the hospital's own number fills every empty mdtrt_id. Fields the hospital
// sent are never overwritten, so a wrong one is still refused by the rule
// that checks it. The parts it fills are copied first: the caller's request
// is left as it was (a node may decide the same request again).
//
// A patient insured in another province is not in our registry, so the
// certificate is not looked up here: the insured place checks the person.
// A visit the message names by number gives its person; a message opening
// a visit carries the psn_no the insured place gave (the gateway asks it
// for formats that send only a certificate), or is refused for want of it.
func resolve(v View, hospital string, req Request) (Request, error) {
	ref := req.Ref
	if ref == nil {
		return req, nil
	}
	req = req.clone()
	var psnNo, mdtrtID string
	insuredElsewhere := req.Remote == nil && CrossProvince(req.TreatAdmdvs, req.InsuredAdmdvs)
	if ref.CertNo != "" && !insuredElsewhere {
		person, ok, err := v.PersonByCert(ref.CertNo)
		if err != nil {
			return req, err
		}
		if !ok {
			// The number itself is never echoed: it identifies a patient.
			return req, Errorf(CodeUnknownPerson, "mdtrt_cert_type "+certTypeOrAny(ref.CertType))
		}
		psnNo = person.PsnNo
	}
	if req.needsVisit() {
		if ref.VisitNo == "" {
			return req, Errorf(CodeMissingField, Bi("就诊号（门诊号/住院号）", "the visit number (outpatient or inpatient number)"))
		}
		id, ok, err := v.VisitByNumber(hospital, ref.VisitNo)
		if err != nil {
			return req, err
		}
		if !ok {
			return req, Errorf(CodeVisitNotFound, Bi("就诊号 "+ref.VisitNo, "with visit number "+ref.VisitNo))
		}
		mdtrtID = id
		if psnNo == "" {
			// No certificate: the visit knows its person.
			visit, ok, err := v.Visit(id)
			if err != nil {
				return req, err
			}
			if ok {
				psnNo = visit.PsnNo
			}
		}
	}
	req.fill(psnNo, mdtrtID, ref)
	return req, nil
}

func certTypeOrAny(t string) string {
	if t == "" {
		return "02/03"
	}
	return t
}

// needsVisit reports whether a part of the request names a visit by an
// empty mdtrt_id. Registration and admission open a visit and name none.
func (r Request) needsVisit() bool {
	empty := func(id string) bool { return id == "" }
	switch {
	case r.VisitRef != nil && empty(r.VisitRef.MdtrtID),
		r.VisitInfo != nil && empty(r.VisitInfo.MdtrtID),
		r.Discharge != nil && empty(r.Discharge.MdtrtID),
		r.FeeCancel != nil && empty(r.FeeCancel.MdtrtID),
		r.Settle != nil && empty(r.Settle.MdtrtID),
		r.Cancel != nil && empty(r.Cancel.MdtrtID),
		r.SetlQuery != nil && empty(r.SetlQuery.MdtrtID):
		return true
	}
	if r.Fees != nil {
		for _, l := range r.Fees.Lines {
			if empty(l.MdtrtID) {
				return true
			}
		}
	}
	return false
}

// clone copies the parts resolve may fill.
func (r Request) clone() Request {
	r.Person = clonePart(r.Person)
	r.Benefit = clonePart(r.Benefit)
	r.Cum = clonePart(r.Cum)
	r.Register = clonePart(r.Register)
	r.VisitRef = clonePart(r.VisitRef)
	r.VisitInfo = clonePart(r.VisitInfo)
	r.Admission = clonePart(r.Admission)
	r.Discharge = clonePart(r.Discharge)
	r.FeeCancel = clonePart(r.FeeCancel)
	r.Settle = clonePart(r.Settle)
	r.Cancel = clonePart(r.Cancel)
	r.Reversal = clonePart(r.Reversal)
	r.SetlQuery = clonePart(r.SetlQuery)
	r.Filing = clonePart(r.Filing)
	if r.Fees != nil {
		r.Fees = &FeeUpload{Lines: append([]FeeLine(nil), r.Fees.Lines...)}
	}
	return r
}

func clonePart[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// fill sets every empty psn_no to psnNo and every empty mdtrt_id to
// mdtrtID; the certificate and the visit number also fill the parts that
// carry them (1101's query, 2201's ipt_otp_no, 2401's ipt_no).
func (r *Request) fill(psnNo, mdtrtID string, ref *HospitalRef) {
	set := func(field *string, v string) {
		if *field == "" {
			*field = v
		}
	}
	if p := r.Person; p != nil {
		set(&p.CertType, ref.CertType)
		set(&p.CertNo, ref.CertNo)
	}
	if p := r.Benefit; p != nil {
		set(&p.PsnNo, psnNo)
	}
	if p := r.Cum; p != nil {
		set(&p.PsnNo, psnNo)
	}
	if p := r.Register; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.CertType, ref.CertType)
		set(&p.CertNo, ref.CertNo)
		set(&p.IptOtpNo, ref.VisitNo)
	}
	if p := r.Admission; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.CertType, ref.CertType)
		set(&p.CertNo, ref.CertNo)
		set(&p.IptNo, ref.VisitNo)
	}
	if p := r.VisitRef; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
		set(&p.IptOtpNo, ref.VisitNo)
	}
	if p := r.VisitInfo; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
	}
	if p := r.Discharge; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
	}
	if p := r.Fees; p != nil {
		for i := range p.Lines {
			set(&p.Lines[i].PsnNo, psnNo)
			set(&p.Lines[i].MdtrtID, mdtrtID)
		}
	}
	if p := r.FeeCancel; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
	}
	if p := r.Settle; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
		set(&p.CertType, ref.CertType)
	}
	if p := r.Cancel; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
	}
	if p := r.SetlQuery; p != nil {
		set(&p.PsnNo, psnNo)
		set(&p.MdtrtID, mdtrtID)
	}
	if p := r.Reversal; p != nil {
		set(&p.PsnNo, psnNo)
	}
	if p := r.Filing; p != nil {
		set(&p.PsnNo, psnNo)
	}
}
