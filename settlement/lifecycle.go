package settlement

import (
	"slices"
	"strconv"
)

// register opens an outpatient visit (2201).
func (p processor) register() (Outcome, Changes, error) {
	r := p.req.Register
	if r == nil {
		return missing()
	}
	ins, err := p.insuredHere(r.PsnNo, r.Insutype)
	if err != nil {
		return none, noChanges, err
	}
	visit := Visit{
		MdtrtID: p.st.id("M", p.hosp.Admdvs), PsnNo: r.PsnNo, Insutype: r.Insutype, Kind: Outpatient,
		Hospital: p.hosp.Code, TreatAdmdvs: p.hosp.Admdvs, InsuredAdmdvs: ins.InsuredAdmdvs,
		Begntime: r.Begntime, IptOtpNo: r.IptOtpNo, DeptCode: r.DeptCode, DrName: r.DrName,
		State: VisitRegistered, RegisteredAt: p.st.DateTime(),
	}
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// cancelRegister cancels an outpatient registration without fees (2202).
func (p processor) cancelRegister() (Outcome, Changes, error) {
	r := p.req.VisitRef
	if r == nil {
		return missing()
	}
	visit, err := p.visit(r.MdtrtID, r.PsnNo, Outpatient, VisitRegistered)
	if err != nil {
		return none, noChanges, err
	}
	return p.closeVisit(visit)
}

// closeVisit cancels a visit that has no fee lines and no settlements.
func (p processor) closeVisit(visit Visit) (Outcome, Changes, error) {
	switch {
	case len(visit.Settlements) > 0:
		return none, noChanges, Errorf(CodeVisitHasFees, visit.MdtrtID, Bi("结算记录", "settlements"))
	case visit.lineCount() > 0:
		return none, noChanges, Errorf(CodeVisitHasFees, visit.MdtrtID, Bi("费用明细", "fee lines"))
	}
	visit.State = VisitCancelled
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// visitInfo records an outpatient visit's medical type and diagnoses (2203).
func (p processor) visitInfo() (Outcome, Changes, error) {
	r := p.req.VisitInfo
	if r == nil {
		return none, noChanges, Errorf(CodeMissingField, "input.mdtrtinfo")
	}
	visit, err := p.visit(r.MdtrtID, r.PsnNo, Outpatient, VisitRegistered)
	if err != nil {
		return none, noChanges, err
	}
	visit.MedType, visit.DiseCodg, visit.DiseName, visit.Diagnoses = r.MedType, r.DiseCodg, r.DiseName, r.Diagnoses
	if r.Begntime != "" {
		visit.Begntime = r.Begntime
	}
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// admit opens an inpatient stay (2401).
func (p processor) admit() (Outcome, Changes, error) {
	a := p.req.Admission
	if a == nil {
		return none, noChanges, Errorf(CodeMissingField, "input.mdtrtinfo")
	}
	if len(a.MedType) == 0 || a.MedType[0] != '2' {
		return none, noChanges, Errorf(CodeWrongMedType, a.MedType)
	}
	ins, err := p.insuredHere(a.PsnNo, a.Insutype)
	if err != nil {
		return none, noChanges, err
	}
	visit := Visit{
		MdtrtID: p.st.id("M", p.hosp.Admdvs), PsnNo: a.PsnNo, Insutype: a.Insutype, Kind: Inpatient,
		MedType: a.MedType, Hospital: p.hosp.Code, TreatAdmdvs: p.hosp.Admdvs, InsuredAdmdvs: ins.InsuredAdmdvs,
		Begntime: a.Begntime, IptOtpNo: a.IptNo, DeptCode: a.DeptCode, DrName: a.DrName,
		DiseCodg: a.DiseCodg, DiseName: a.DiseName, Diagnoses: a.Diagnoses,
		State: VisitAdmitted, RegisteredAt: p.st.DateTime(),
	}
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// discharge closes an inpatient stay (2402).
func (p processor) discharge() (Outcome, Changes, error) {
	d := p.req.Discharge
	if d == nil {
		return none, noChanges, Errorf(CodeMissingField, "input.dscginfo")
	}
	visit, err := p.visit(d.MdtrtID, d.PsnNo, Inpatient, VisitAdmitted)
	if err != nil {
		return none, noChanges, err
	}
	if d.Endtime < visit.Begntime {
		return none, noChanges, Errorf(CodeBadField, "dscginfo.endtime", Bi(
			"出院时间早于入院时间 "+visit.Begntime, "the discharge is before the admission at "+visit.Begntime))
	}
	visit.State, visit.Endtime, visit.DscgWay = VisitDischarged, d.Endtime, d.DscgWay
	if d.DiseCodg != "" {
		visit.DiseCodg, visit.DiseName = d.DiseCodg, d.DiseName
	}
	if len(d.Diagnoses) > 0 {
		visit.Diagnoses = d.Diagnoses
	}
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// cancelAdmit cancels an admission without fees or settlements (2404).
func (p processor) cancelAdmit() (Outcome, Changes, error) {
	r := p.req.VisitRef
	if r == nil {
		return missing()
	}
	visit, err := p.visit(r.MdtrtID, r.PsnNo, Inpatient, VisitAdmitted)
	if err != nil {
		return none, noChanges, err
	}
	return p.closeVisit(visit)
}

// cancelDischarge reopens a discharged stay that has no final settlement (2405).
func (p processor) cancelDischarge() (Outcome, Changes, error) {
	r := p.req.VisitRef
	if r == nil {
		return missing()
	}
	visit, err := p.visit(r.MdtrtID, r.PsnNo, Inpatient, VisitDischarged)
	if err != nil {
		return none, noChanges, err
	}
	if visit.FinalSetlID != "" {
		return none, noChanges, Errorf(CodeVisitHasFees, visit.MdtrtID, Bi("出院结算 "+visit.FinalSetlID, "the discharge settlement "+visit.FinalSetlID))
	}
	visit.State, visit.Endtime = VisitAdmitted, ""
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

// uploadFees adds fee lines to a visit and splits them by the treatment
// place's catalog in force on the visit date (2204 by charge batch, 2301
// into the stay's open batch).
func (p processor) uploadFees() (Outcome, Changes, error) {
	f := p.req.Fees
	if f == nil || len(f.Lines) == 0 {
		return none, noChanges, Errorf(CodeMissingField, "input.feedetail")
	}
	first := f.Lines[0]
	for _, l := range f.Lines[1:] {
		if l.MdtrtID != first.MdtrtID || l.PsnNo != first.PsnNo {
			return none, noChanges, Errorf(CodeBadField, "feedetail.mdtrt_id", Bi(
				"一次上传的明细须属于同一就诊和同一人员", "all lines of one upload must belong to one visit and person"))
		}
	}
	inpatient := p.req.Kind == KindUploadInpFees
	var visit Visit
	var err error
	if inpatient {
		visit, err = p.visit(first.MdtrtID, first.PsnNo, Inpatient, VisitAdmitted, VisitDischarged)
		if err == nil && visit.FinalSetlID != "" {
			err = Errorf(CodeAlreadySettled, visit.FinalSetlID)
		}
	} else {
		visit, err = p.visit(first.MdtrtID, first.PsnNo, Outpatient, VisitRegistered)
	}
	if err != nil {
		return none, noChanges, err
	}
	date := dateOf(visit.Begntime, p.st)
	cat, ok, err := p.v.CatalogAt(p.hosp.Admdvs, date)
	if err != nil {
		return none, noChanges, err
	}
	if !ok {
		return none, noChanges, Errorf(CodeNoCatalog, p.hosp.Admdvs, date)
	}
	seen := map[string]bool{}
	for _, b := range visit.Batches {
		for _, l := range b.Lines {
			seen[l.FeedetlSn] = true
		}
	}
	out := make([]LineSplit, 0, len(f.Lines))
	for i, l := range f.Lines {
		if seen[l.FeedetlSn] {
			return none, noChanges, Errorf(CodeDuplicateLine, l.FeedetlSn)
		}
		seen[l.FeedetlSn] = true
		if inpatient {
			l.ChrgBchno = openInpatientBatch(&visit)
		}
		b := visit.batch(l.ChrgBchno)
		if b == nil {
			visit.Batches = append(visit.Batches, Batch{ChrgBchno: l.ChrgBchno, CatalogRef: cat.Ref()})
			b = &visit.Batches[len(visit.Batches)-1]
		}
		if b.SetlID != "" {
			return none, noChanges, Errorf(CodeAlreadySettled, b.SetlID)
		}
		if len(b.Lines) > 0 && b.Lines[0].DiseCodg != l.DiseCodg {
			return none, noChanges, Errorf(CodeBadField, "feedetail.dise_codg", Bi(
				"同一收费批次号病种编号必须一致（批次 "+l.ChrgBchno+"）",
				"all lines of charge batch "+l.ChrgBchno+" must carry the same disease code"))
		}
		item, found, err := p.v.CatalogItem(cat, l.MedListCodg)
		if err != nil {
			return none, noChanges, err
		}
		s := SplitLine(l, item, found)
		if len(b.Lines) == cap(b.Lines) {
			// Room for the rest of the upload at once: appending twenty
			// lines one by one reallocated the batch's lines five times.
			b.Lines = slices.Grow(b.Lines, len(f.Lines)-i)
		}
		b.Lines = append(b.Lines, s)
		out = append(out, s)
	}
	return Outcome{Lines: out}, Changes{Visit: &visit}, nil
}

// openInpatientBatch names the batch that collects a stay's unsettled lines,
// opening a new one after a settlement.
func openInpatientBatch(v *Visit) string {
	for _, b := range v.Batches {
		if b.SetlID == "" {
			return b.ChrgBchno
		}
	}
	return "IP" + strconv.Itoa(len(v.Batches)+1)
}

// cancelFees removes unsettled fee lines: a charge batch (2205) or a line
// (2302); "0000" removes every unsettled one.
func (p processor) cancelFees() (Outcome, Changes, error) {
	c := p.req.FeeCancel
	if c == nil {
		return missing()
	}
	inpatient := p.req.Kind == KindCancelInpFees
	var visit Visit
	var err error
	if inpatient {
		visit, err = p.visit(c.MdtrtID, c.PsnNo, Inpatient, VisitAdmitted, VisitDischarged)
	} else {
		visit, err = p.visit(c.MdtrtID, c.PsnNo, Outpatient, VisitRegistered)
	}
	if err != nil {
		return none, noChanges, err
	}
	key := c.ChrgBchno
	if inpatient {
		key = c.FeedetlSn
	}
	removed := 0
	kept := visit.Batches[:0:0]
	for _, b := range visit.Batches {
		switch {
		case b.SetlID != "":
			if !inpatient && key == b.ChrgBchno {
				return none, noChanges, Errorf(CodeAlreadySettled, b.SetlID)
			}
			if inpatient && key != All && hasLine(b, key) {
				return none, noChanges, Errorf(CodeAlreadySettled, b.SetlID)
			}
		case key == All:
			removed += len(b.Lines)
			continue
		case !inpatient && key == b.ChrgBchno:
			removed += len(b.Lines)
			continue
		case inpatient && hasLine(b, key):
			lines := b.Lines[:0:0]
			for _, l := range b.Lines {
				if l.FeedetlSn != key {
					lines = append(lines, l)
				}
			}
			removed++
			b.Lines = lines
			if len(lines) == 0 {
				continue
			}
		}
		kept = append(kept, b)
	}
	if removed == 0 {
		return none, noChanges, Errorf(CodeNoFees, c.MdtrtID, key)
	}
	visit.Batches = kept
	return Outcome{Visit: &visit}, Changes{Visit: &visit}, nil
}

func hasLine(b Batch, sn string) bool {
	for _, l := range b.Lines {
		if l.FeedetlSn == sn {
			return true
		}
	}
	return false
}
