package hl7v2

import (
	"strings"

	"github.com/provgate/provgate/settlement"
)

// financial translates DFT^P03: its FT1 segments are a fee upload (2204
// outpatient, 2301 inpatient) and its ZPS segment a settlement step
// (pre-settle, settle or cancel). A message with both yields the fee
// upload first, then the settlement.
func (t *txn) financial() []settlement.Request {
	v := t.visit()
	if t.r.err != nil {
		return nil
	}
	if len(t.ft1) == 0 && t.zps == nil {
		t.r.missingSegment("FT1", "fee lines, or a ZPS settlement segment")
		return nil
	}
	var out []settlement.Request
	if len(t.ft1) > 0 {
		kind := settlement.KindUploadFees
		if v.inpatient() {
			kind = settlement.KindUploadInpFees
		}
		out = append(out, settlement.Request{Kind: kind, Ref: v.ref(), Fees: t.fees(v)})
	}
	if t.zps != nil {
		if req, ok := t.settle(v); ok {
			out = append(out, req)
		}
	}
	return out
}

// fees reads the FT1 segments.
func (t *txn) fees(v visit) *settlement.FeeUpload {
	r := &t.r
	// Each line is written in place, not built and copied in: a copy of
	// a FeeLine goes through the collector's barriers while it marks. A
	// refused line refuses the whole upload.
	up := &settlement.FeeUpload{Lines: make([]settlement.FeeLine, len(t.ft1))}
	for i, s := range t.ft1 {
		l := &up.Lines[i]
		l.FeedetlSn = r.need(s, 2, 1, "feedetl_sn")
		if v.inpatient() {
			l.ChrgBchno = r.value(s, 3, 1)
		} else {
			l.ChrgBchno = r.need(s, 3, 1, "chrg_bchno")
		}
		l.FeeOcurTime = r.dateTime(s, 4, 1, "fee_ocur_time")
		// Charges only: credits and adjustments (refund lines) are not
		// supported, as in the national format.
		r.code(s, 6, 1, "transaction type", r.need(s, 6, 1, "transaction type"), "CG")
		l.MedListCodg = r.need(s, 7, 1, "med_list_codg")
		l.MedinsListCodg = r.need(s, 7, 4, "medins_list_codg")
		l.Qty = t.quantity(s)
		l.Amount = r.money(s, 11, "det_item_fee_sumamt")
		l.Price = t.price(s)
		l.DiseCodg = r.value(s, 19, 1)
		if a := r.value(s, 27, 1); a != "" {
			l.HospApprFlag = r.code(s, 27, 1, "hosp_appr_flag", a, "0", "1", "2")
		}
		if r.err != nil {
			return nil
		}
		if l.Qty <= 0 || l.Price < 0 || l.Amount < 0 {
			r.bad(s.at(10, 0), "cnt", settlement.Bi(
				"暂不支持退费明细（负数数量或金额），请以新的收费批次号上传更正后的明细",
				"refund lines (negative quantity or amount) are not supported yet; upload the corrected lines under a new charge batch"))
			return nil
		}
		if want, ok := settlement.LineAmount(l.Price, l.Qty); !ok || want != l.Amount {
			r.fail(s.at(11, 0), settlement.Errorf(settlement.CodeLineAmount,
				s.at(0, 0).String()+" (feedetl_sn "+l.FeedetlSn+")", l.Amount.String(), want.String()))
			return nil
		}
	}
	return up
}

func (t *txn) quantity(s *segment) settlement.Qty {
	v := t.r.need(s, 10, 1, "cnt")
	if t.r.err != nil {
		return 0
	}
	q, err := settlement.ParseQty(v)
	if err != nil {
		t.r.bad(s.at(10, 0), "cnt", expect("数量，最多4位小数 / a quantity with at most 4 decimals", v))
	}
	return q
}

func (t *txn) price(s *segment) settlement.Price {
	v := t.r.need(s, 12, 1, "pric")
	if t.r.err != nil {
		return 0
	}
	p, err := settlement.ParsePrice(v)
	if err != nil {
		t.r.bad(s.at(12, 0), "pric", expect("单价，最多6位小数 / a price with at most 6 decimals", v))
	}
	return p
}

// The ZPS actions.
const (
	actionPre    = "PRE"
	actionSettle = "SETTLE"
	actionCancel = "CANCEL"
)

// settle reads the ZPS segment: the settlement step of the visit.
func (t *txn) settle(v visit) (settlement.Request, bool) {
	r, z := &t.r, t.zps
	action := strings.ToUpper(r.need(z, 1, 1, "action"))
	r.code(z, 1, 1, "action", action, actionPre, actionSettle, actionCancel)
	if r.err != nil {
		return settlement.Request{}, false
	}
	var kind settlement.Kind
	switch in := v.inpatient(); action {
	case actionPre:
		kind = pick(in, settlement.KindInpPreSettle, settlement.KindPreSettle)
	case actionSettle:
		kind = pick(in, settlement.KindInpSettle, settlement.KindSettle)
	default:
		kind = pick(in, settlement.KindInpCancel, settlement.KindCancelSettle)
	}
	req := settlement.Request{Kind: kind, Ref: v.ref()}
	if action == actionCancel {
		if len(t.ft1) > 0 {
			r.fail(z.at(1, 1), settlement.Errorf(settlement.CodeBadMessage, format, z.at(1, 1).String(), settlement.Bi(
				"撤销结算（CANCEL）不能与 FT1 费用明细同在一条报文", "a CANCEL cannot come with FT1 fee lines in the same message")))
		}
		req.Cancel = &settlement.CancelRequest{SetlID: r.need(z, 2, 1, "setl_id")}
		return req, r.err == nil
	}
	s := &settlement.SettleRequest{
		CertType: v.certType,
		Insutype: t.insutype(),
		Medfee:   r.money(z, 3, "medfee_sumamt"),
		AcctUsed: r.flag(z, 4, "acct_used_flag", true),
	}
	s.PsnSetlway = r.need(z, 5, 1, "psn_setlway")
	if v.inpatient() {
		s.MidSetl = r.flag(z, 6, "mid_setl_flag", true)
		s.MedType = r.value(t.pv1, 18, 1) // the stay's, from 2401, when absent
	} else {
		s.MedType = r.need(t.pv1, 18, 1, "med_type")
		s.ChrgBchno = t.batch()
	}
	s.Invono = r.value(z, 7, 1)
	// 2207 must echo the four split amounts; 2304 may.
	if action == actionSettle && (!v.inpatient() || r.value(z, 8, 1)+r.value(z, 9, 1)+r.value(z, 10, 1)+r.value(z, 11, 1) != "") {
		s.Split = &settlement.SplitTotals{
			Fulamt: r.money(z, 8, "fulamt_ownpay_amt"), Overlmt: r.money(z, 9, "overlmt_selfpay"),
			Preselfpay: r.money(z, 10, "preselfpay_amt"), Inscp: r.money(z, 11, "inscp_scp_amt"),
		}
	}
	req.Settle = s
	return req, r.err == nil
}

// batch is the charge batch an outpatient settlement settles: ZPS-12, or,
// when the message uploads the batch's fee lines too, their FT1-3.
func (t *txn) batch() string {
	r, z := &t.r, t.zps
	b := r.value(z, 12, 1)
	for _, s := range t.ft1 {
		line := r.value(s, 3, 1)
		switch {
		case b == "":
			b = line
		case line != b:
			r.bad(z.at(12, 1), "chrg_bchno", settlement.Bi(
				"结算的收费批次应与本报文 FT1-3 的批次一致（"+s.at(3, 0).String()+" 为 "+quote(line)+"）",
				"the batch settled must be the FT1-3 batch of the fee lines in this message ("+s.at(3, 0).String()+" is "+quote(line)+")"))
			return ""
		}
	}
	if b == "" && r.err == nil {
		r.fail(z.at(12, 1), settlement.Errorf(settlement.CodeMissingField, label(z.at(12, 1), "chrg_bchno")))
	}
	return b
}

func pick(inpatient bool, inp, outp settlement.Kind) settlement.Kind {
	if inpatient {
		return inp
	}
	return outp
}
