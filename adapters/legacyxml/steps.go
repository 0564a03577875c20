package legacyxml

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// The parts of the requests, one function per transaction family. Person
// and visit ids (psn_no, mdtrt_id) stay empty: the hospital does not know
// them, and the state machine fills them from Request.Ref.

func (b *builder) registration(ref *settlement.HospitalRef) *settlement.Registration {
	return &settlement.Registration{
		Insutype: b.code(fInsutype, insutypes[:], knownInsutypes), Begntime: b.dateTime(fBegin),
		CertType: ref.CertType, CertNo: ref.CertNo, IptOtpNo: ref.VisitNo,
		AtddrNo: b.need(fDrCode), DrName: b.need(fDrName), DeptCode: b.need(fDeptCode),
		DeptName: b.need(fDeptName), Caty: b.need(fCaty),
	}
}

func (b *builder) admission(ref *settlement.HospitalRef) *settlement.Admission {
	return &settlement.Admission{
		Insutype: b.code(fInsutype, insutypes[:], knownInsutypes), MedType: b.medType(true),
		Begntime: b.dateTime(fBegin), CertType: ref.CertType, CertNo: ref.CertNo, IptNo: ref.VisitNo,
		DeptCode: b.need(fDeptCode), DeptName: b.need(fDeptName), AtddrNo: b.need(fDrCode),
		DrName: b.need(fDrName), Bed: b.opt(fBed), DiseCodg: b.opt(fDiseCode), DiseName: b.opt(fDiseName),
		Diagnoses: b.diagnoses(),
	}
}

func (b *builder) discharge() *settlement.Discharge {
	return &settlement.Discharge{
		Insutype: b.code(fInsutype, insutypes[:], knownInsutypes), Endtime: b.dateTime(fEnd),
		DscgWay: b.code(fDscgWay, dscgWays[:], knownDscgWays), DiseCodg: b.opt(fDiseCode),
		DiseName: b.opt(fDiseName), DeptCode: b.opt(fDeptCode), Diagnoses: b.diagnoses(),
	}
}

func (b *builder) diagnoses() []settlement.Diagnosis {
	if len(b.d.diags) == 0 || b.err != nil {
		return nil
	}
	out := make([]settlement.Diagnosis, len(b.d.diags))
	for i := range b.d.diags {
		r := &b.d.diags[i]
		at := func(f diagField) string { return rowAt(r.name, i+1, diagFieldNames[f]) }
		dg := settlement.Diagnosis{Type: r.v[dType], SrtNo: r.v[dSrtNo], Code: r.v[dCode], Name: r.v[dName]}
		if dg.Type == "" {
			dg.Type = "1" // 西医诊断, the only kind the old formats carried
		}
		if dg.SrtNo == "" {
			dg.SrtNo = strconv.Itoa(i + 1)
		}
		switch {
		case dg.Code == "":
			b.fail(settlement.Errorf(settlement.CodeMissingField, at(dCode)))
		case dg.Name == "":
			b.fail(settlement.Errorf(settlement.CodeMissingField, at(dName)))
		case dg.Type != "1" && dg.Type != "2" && dg.Type != "3":
			b.fail(settlement.Errorf(settlement.CodeUnknownCode, at(dType), quote(dg.Type), "1, 2, 3"))
		}
		switch r.v[dMain] {
		case "", "0":
		case "1":
			dg.Main = true
		default:
			b.fail(settlement.Errorf(settlement.CodeBadField, at(dMain), expect("0 / 1", r.v[dMain])))
		}
		out[i] = dg
	}
	return out
}

// fees reads the KC22ROW rows. Each row's amount must be its price times
// its quantity, rounded to the fen, as the national interface requires.
func (b *builder) fees(ref *settlement.HospitalRef, inpatient bool) *settlement.FeeUpload {
	if b.err != nil {
		return nil
	}
	if len(b.d.fees) == 0 {
		b.fail(settlement.Errorf(settlement.CodeMissingField, feeList+"/KC22ROW"))
		return nil
	}
	batch := b.opt(fChrgBchno)
	up := &settlement.FeeUpload{Lines: make([]settlement.FeeLine, len(b.d.fees))}
	var last [2]string // the last AKC221 and its national form: rows of one bill share their time
	for i := range b.d.fees {
		if err := feeLine(&b.d.fees[i], i+1, ref.VisitNo, batch, inpatient, &last, &up.Lines[i]); err != nil {
			b.fail(err)
			return nil
		}
	}
	return up
}

// feeLine reads the n-th row r into l, a zero line.
func feeLine(r *feeRow, n int, visitNo, batch string, inpatient bool, last *[2]string, l *settlement.FeeLine) error {
	at := func(f feeField) string { return rowAt(r.name, n, feeFieldNames[f]) }
	for _, f := range [...]feeField{rSn, rTime, rListCode, rHospCode, rAmount, rQty, rPrice} {
		if r.v[f] == "" {
			return settlement.Errorf(settlement.CodeMissingField, at(f))
		}
	}
	if !isID(r.v[rSn]) {
		return settlement.Errorf(settlement.CodeBadField, at(rSn), asciiID)
	}
	if v := r.v[rVisitNo]; v != "" && v != visitNo {
		return settlement.Errorf(settlement.CodeBadField, at(rVisitNo), settlement.Bi(
			"与报文的 AKC190 不一致："+quote(v), "differs from the message's AKC190: "+quote(v)))
	}
	// l is a new line, zero: its fields are set one by one, rather than
	// a whole FeeLine copied in, which costs a bulk write barrier while
	// the collector marks.
	l.FeedetlSn, l.ChrgBchno, l.MedListCodg = r.v[rSn], r.v[rChrgBchno], r.v[rListCode]
	l.MedinsListCodg, l.DiseCodg, l.HospApprFlag = r.v[rHospCode], r.v[rDiseCode], r.v[rApproval]
	if l.ChrgBchno == "" {
		l.ChrgBchno = batch
	}
	if l.ChrgBchno == "" && !inpatient {
		return settlement.Errorf(settlement.CodeMissingField, fieldNames[fChrgBchno])
	}
	if r.v[rTime] != last[0] {
		t, ok := nationalTime(r.v[rTime])
		if !ok {
			return settlement.Errorf(settlement.CodeBadField, at(rTime), expect(timeFormats, r.v[rTime]))
		}
		last[0], last[1] = r.v[rTime], t
	}
	l.FeeOcurTime = last[1]
	var err error
	if l.Amount, err = settlement.ParseFen(r.v[rAmount]); err != nil {
		return settlement.Errorf(settlement.CodeBadAmount, at(rAmount), quote(r.v[rAmount]))
	}
	if l.Qty, err = settlement.ParseQty(r.v[rQty]); err != nil {
		return settlement.Errorf(settlement.CodeBadField, at(rQty), expect("数量，最多4位小数 / a quantity with at most 4 decimals", r.v[rQty]))
	}
	if l.Price, err = settlement.ParsePrice(r.v[rPrice]); err != nil {
		return settlement.Errorf(settlement.CodeBadField, at(rPrice), expect("单价，最多6位小数 / a price with at most 6 decimals", r.v[rPrice]))
	}
	if l.Qty <= 0 || l.Price < 0 || l.Amount < 0 {
		return settlement.Errorf(settlement.CodeBadField, at(rQty), settlement.Bi(
			"暂不支持退费明细（负数数量或金额），请以新的收费批次号上传更正后的明细",
			"refund rows (negative quantity or amount) are not supported yet; upload the corrected rows under a new CHRG_BCHNO"))
	}
	if want, ok := settlement.LineAmount(l.Price, l.Qty); !ok || want != l.Amount {
		return settlement.Errorf(settlement.CodeLineAmount, l.FeedetlSn, l.Amount.String(), want.String())
	}
	if a := l.HospApprFlag; a != "" && a != "0" && a != "1" && a != "2" {
		return settlement.Errorf(settlement.CodeBadField, at(rApproval), expect("0 / 1 / 2", a))
	}
	return nil
}

// settle reads a pre-settlement or settlement. The four split amounts are
// optional: a hospital that echoes them (from the pre-settlement reply) has
// them checked, as in the national 2207.
func (b *builder) settle(ref *settlement.HospitalRef, kind settlement.Kind) *settlement.SettleRequest {
	inpatient := kind == settlement.KindInpSettle || kind == settlement.KindInpPreSettle
	s := &settlement.SettleRequest{
		CertType: ref.CertType, Insutype: b.code(fInsutype, insutypes[:], knownInsutypes),
		Medfee: b.money(fMedfee), AcctUsed: b.flag(fAcctUsed, true), PsnSetlway: b.opt(fSetlway),
		Invono: b.opt(fInvono), MedType: b.medType(!inpatient),
	}
	if s.PsnSetlway == "" {
		s.PsnSetlway = "01" // 按项目结算: the old formats knew no other way
	}
	if inpatient {
		s.MidSetl = b.flag(fMidSetl, false)
	} else {
		s.ChrgBchno = b.need(fChrgBchno)
	}
	if kind == settlement.KindSettle || kind == settlement.KindInpSettle {
		if b.opt(fFulamt)+b.opt(fOverlmt)+b.opt(fPreselfpay)+b.opt(fInscp) != "" {
			s.Split = &settlement.SplitTotals{Fulamt: b.money(fFulamt), Overlmt: b.money(fOverlmt),
				Preselfpay: b.money(fPreselfpay), Inscp: b.money(fInscp)}
		}
	}
	return s
}
