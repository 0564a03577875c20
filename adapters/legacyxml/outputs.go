package legacyxml

import (
	"errors"

	"github.com/provgate/provgate/settlement"
)

// output writes what one step returns inside OUTPUT. The element names
// are in doc.go; amounts are yuan with two decimals, as the national
// interface writes them.
func (w *writer) output(kind settlement.Kind, o settlement.Outcome) error {
	switch kind {
	case settlement.KindPersonInfo:
		if o.Person == nil {
			return errors.New("no person in the answer")
		}
		w.person(o.Person)
	case settlement.KindRegister, settlement.KindAdmit, settlement.KindDischarge:
		if o.Visit != nil {
			w.leaf("MDTRT_ID", o.Visit.MdtrtID)
			w.leaf("AAC001", o.Visit.PsnNo)
			w.leaf("AKC190", o.Visit.IptOtpNo)
		}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		w.open(feeList)
		for i := range o.Lines {
			w.feeResult(&o.Lines[i])
		}
		w.close(feeList)
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		if o.Record == nil {
			return errors.New("no settlement record in the answer")
		}
		w.record(o.Record, kind != settlement.KindPreSettle && kind != settlement.KindInpPreSettle)
	}
	return nil
}

func (w *writer) person(pi *settlement.PersonInfo) {
	p := &pi.Person
	w.open("PERSON")
	w.leaf("AAC001", p.PsnNo)
	w.leaf("PSN_CERT_TYPE", p.CertType)
	w.leaf("AAC002", p.CertNo)
	w.leaf("AAC003", p.Name)
	w.leaf("AAC004", p.Gender)
	w.leaf("NATY", p.Nation)
	w.leaf("AAC006", p.Birthdate)
	w.close("PERSON")
	w.open("INSUXML")
	for _, in := range p.Insurances {
		w.open("INSUROW")
		w.leaf("AAE140", in.Insutype)
		w.leaf("BKA035", in.PsnType)
		w.leaf("PSN_INSU_STAS", in.Status)
		w.leaf("PSN_INSU_DATE", in.Since)
		w.leaf("AAA027", in.InsuredAdmdvs)
		w.leaf("CVLSERV_FLAG", in.CvlservFlag)
		w.leaf("EMP_NAME", in.EmpName)
		if in.Insutype == "310" {
			w.fen("BALC", pi.Balance) // the account belongs to employee insurance
		} else {
			w.fen("BALC", 0)
		}
		w.close("INSUROW")
	}
	w.close("INSUXML")
	if len(p.Identities) > 0 {
		w.open("IDETXML")
		for _, id := range p.Identities {
			w.open("IDETROW")
			w.leaf("PSN_IDET_TYPE", id.Type)
			w.leaf("BEGNTIME", id.Begin)
			w.leaf("ENDTIME", id.End)
			w.close("IDETROW")
		}
		w.close("IDETXML")
	}
}

// noPriceCap is how the national interface writes "no price cap".
const noPriceCap = "999999"

func (w *writer) feeResult(l *settlement.LineSplit) {
	w.open("KC22ROW")
	if w.depth == feeFieldDepth {
		w.b = appendFeeFields(w.b, l, w.cs)
	} else {
		w.feeFields(l)
	}
	w.close("KC22ROW")
}

// feeFieldDepth is where a fee row's fields stand in a reply: under
// HOSDATA, OUTPUT, KC22XML and KC22ROW.
const feeFieldDepth = 4

// feeTags are the tags of a fee row's fields at feeFieldDepth.
var feeTags = func() (t struct {
	sn, amount, qty, price, cap, selfPay, fulamt, overlmt, preselfpay, inscp, hospPart, class, chargeType, lmt, memo tags
}) {
	at := func(name string) tags { return tagsAt(feeFieldDepth, name) }
	t.sn, t.amount, t.qty, t.price, t.cap = at("FEEDETL_SN"), at("AKC227"), at("AKC226"), at("AKC225"), at("PRIC_UPLMT_AMT")
	t.selfPay, t.fulamt, t.overlmt, t.preselfpay = at("SELFPAY_PROP"), at("FULAMT_OWNPAY_AMT"), at("OVERLMT_AMT"), at("PRESELFPAY_AMT")
	t.inscp, t.hospPart, t.class, t.chargeType = at("INSCP_SCP_AMT"), at("HOSP_PART_AMT"), at("CHRGITM_LV"), at("MED_CHRGITM_TYPE")
	t.lmt, t.memo = at("LMT_USED_FLAG"), at("MEMO")
	return t
}()

// feeJoins are the constant stretches between a fee row's numbers: one
// field's end tag and the next one's start tag (with the price cap
// between, when there is none), written in one append.
var feeJoins = func() (j struct{ amountQty, qtyPrice, priceCap, priceNoCap, capSelfPay, selfPayFulamt, fulamtOverlmt, overlmtPreselfpay, preselfpayInscp, inscpHospPart, lmt0, lmt1 string }) {
	t := &feeTags
	j.amountQty = t.amount.end + t.qty.start
	j.qtyPrice = t.qty.end + t.price.start
	j.priceCap = t.price.end + t.cap.start
	j.priceNoCap = t.price.end + t.cap.start + noPriceCap + t.cap.end + t.selfPay.start
	j.capSelfPay = t.cap.end + t.selfPay.start
	j.selfPayFulamt = t.selfPay.end + t.fulamt.start
	j.fulamtOverlmt = t.fulamt.end + t.overlmt.start
	j.overlmtPreselfpay = t.overlmt.end + t.preselfpay.start
	j.preselfpayInscp = t.preselfpay.end + t.inscp.start
	j.inscpHospPart = t.inscp.end + t.hospPart.start
	j.lmt0 = t.lmt.start + "0" + t.lmt.end
	j.lmt1 = t.lmt.start + "1" + t.lmt.end
	return j
}()

// appendFeeFields writes what feeFields writes at feeFieldDepth, the
// usual place, with the tags made once and joined where they meet: the
// rows are most of a fee upload's answer.
func appendFeeFields(b []byte, l *settlement.LineSplit, cs charset) []byte {
	t, j := &feeTags, &feeJoins
	b = appendLeaf(b, &t.sn, l.FeedetlSn, cs)
	b = settlement.AppendScaled(append(b, t.amount.start...), int64(l.Amount), 2)
	b = l.Qty.Append(append(b, j.amountQty...))
	b = l.Price.Append(append(b, j.qtyPrice...))
	if l.PriceCap > 0 {
		b = settlement.AppendScaled(append(b, j.priceCap...), int64(l.PriceCap), 2)
		b = append(b, j.capSelfPay...)
	} else {
		b = append(b, j.priceNoCap...)
	}
	if l.SelfPay == 0 {
		b = append(b, "0.0000"...)
	} else {
		b = settlement.AppendScaled(b, int64(l.SelfPay), 4)
	}
	b = appendFen(append(b, j.selfPayFulamt...), l.Fulamt)
	b = appendFen(append(b, j.fulamtOverlmt...), l.Overlmt)
	b = appendFen(append(b, j.overlmtPreselfpay...), l.Preselfpay)
	b = appendFen(append(b, j.preselfpayInscp...), l.Inscp)
	b = appendFen(append(b, j.inscpHospPart...), l.HospPart)
	b = append(b, t.hospPart.end...)
	b = appendLeaf(b, &t.class, string(l.Class), cs)
	b = appendLeaf(b, &t.chargeType, l.ChargeType, cs)
	if l.Restricted {
		b = append(b, j.lmt1...)
	} else {
		b = append(b, j.lmt0...)
	}
	return appendLeaf(b, &t.memo, l.Memo, cs)
}

// appendFen writes an amount as fen does; most of a row's split amounts
// are zero, written without the printer.
func appendFen(b []byte, v settlement.Fen) []byte {
	if v == 0 {
		return append(b, "0.00"...)
	}
	return settlement.AppendScaled(b, int64(v), 2)
}

// feeFields writes a fee row's fields anywhere.
func (w *writer) feeFields(l *settlement.LineSplit) {
	w.leaf("FEEDETL_SN", l.FeedetlSn)
	w.fen("AKC227", l.Amount)
	w.qty("AKC226", l.Qty)
	w.price("AKC225", l.Price)
	if l.PriceCap > 0 {
		w.fen("PRIC_UPLMT_AMT", l.PriceCap)
	} else {
		w.leaf("PRIC_UPLMT_AMT", noPriceCap)
	}
	w.ratio("SELFPAY_PROP", l.SelfPay)
	w.fen("FULAMT_OWNPAY_AMT", l.Fulamt)
	w.fen("OVERLMT_AMT", l.Overlmt)
	w.fen("PRESELFPAY_AMT", l.Preselfpay)
	w.fen("INSCP_SCP_AMT", l.Inscp)
	w.fen("HOSP_PART_AMT", l.HospPart)
	w.leaf("CHRGITM_LV", string(l.Class))
	w.leaf("MED_CHRGITM_TYPE", l.ChargeType)
	if l.Restricted {
		w.leaf("LMT_USED_FLAG", "1")
	} else {
		w.leaf("LMT_USED_FLAG", "0")
	}
	w.leaf("MEMO", l.Memo)
}

// record writes a settlement, its preview (withID false) or its
// cancellation (negative amounts), and the fund rows.
func (w *writer) record(r *settlement.Record, withID bool) {
	a := &r.Amounts
	w.open("SETLINFO")
	if withID {
		w.leaf("SETL_ID", r.SetlID)
	}
	w.leaf("MDTRT_ID", r.MdtrtID)
	w.leaf("AAC001", r.PsnNo)
	w.leaf("AAC003", r.PsnName)
	w.leaf("AAE140", r.Insutype)
	w.leaf("BKA035", r.PsnType)
	if old, ok := oldMedType(r.MedType); ok {
		w.leaf("AKA130", old)
	} else {
		w.leaf("MED_TYPE", r.MedType) // a national code the old table does not have
	}
	w.leaf("SETL_TIME", r.SetlTime)
	w.fen("AKC264", a.Medfee)
	w.fen("FULAMT_OWNPAY_AMT", a.Fulamt)
	w.fen("OVERLMT_SELFPAY", a.Overlmt)
	w.fen("PRESELFPAY_AMT", a.Preselfpay)
	w.fen("INSCP_SCP_AMT", a.Inscp)
	w.fen("ACT_PAY_DEDC", a.ActPayDedc)
	w.fen("HIFP_PAY", a.Hifp)
	w.ratio("POOL_PROP_SELFPAY", a.PoolProp)
	w.fen("CVLSERV_PAY", a.Cvlserv)
	w.fen("HIFES_PAY", a.Hifes)
	w.fen("HIFMI_PAY", a.Hifmi)
	w.fen("HIFOB_PAY", a.Hifob)
	w.fen("MAF_PAY", a.Maf)
	w.fen("OTH_PAY", a.Oth)
	w.fen("FUND_PAY_SUMAMT", a.FundPay)
	w.fen("PSN_PART_AMT", a.PsnPart)
	w.fen("ACCT_PAY", a.AcctPay)
	w.fen("PSN_CASH_PAY", a.PsnCash)
	w.fen("HOSP_PART_AMT", a.HospPart)
	w.fen("BALC", a.Balc)
	w.fen("ACCT_MULAID_PAY", a.AcctMulaid)
	w.leaf("MEDINS_SETL_ID", r.MsgID)
	w.leaf("CLR_OPTINS", r.ClrOptins)
	w.leaf("CLR_WAY", r.ClrWay)
	w.leaf("CLR_TYPE", r.ClrType)
	w.close("SETLINFO")
	w.open("FUNDXML")
	for i := range r.Details {
		d := &r.Details[i]
		w.open("FUNDROW")
		w.leaf("FUND_PAY_TYPE", d.FundPayType)
		w.leaf("FUND_PAY_TYPE_NAME", d.Name)
		w.fen("INSCP_SCP_AMT", d.Inscp)
		w.fen("CRT_PAYB_LMT_AMT", d.LimitLeft)
		w.fen("FUND_PAYAMT", d.Paid)
		w.leaf("SETL_PROC_INFO", d.Process)
		w.close("FUNDROW")
	}
	w.close("FUNDXML")
}
