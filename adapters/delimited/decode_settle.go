package delimited

import "github.com/provgate/provgate/settlement"

// The four split amounts a settlement echoes from its preview; required in
// 2207, optional in 2304 and 2720 (all four or none), ignored in previews.
var split = []col{
	{"fulamt_ownpay_amt", "全自费金额", false},
	{"overlmt_selfpay", "超限价自费费用", false},
	{"preselfpay_amt", "先行自付金额", false},
	{"inscp_scp_amt", "符合政策范围金额", false},
}

var outpatientSettle = append([]col{
	certTypeReq, certNo, otpNo,
	{"chrg_bchno", "收费批次号", true},
	{"med_type", "医疗类别", true},
	{"insutype", "险种", true},
	{"medfee_sumamt", "医疗费总额", true},
	{"acct_used_flag", "个人账户使用标志", true},
	{"psn_setlway", "个人结算方式", true},
	{"invono", "发票号", false},
}, split...)

var inpatientSettle = append([]col{
	certTypeReq, certNo, iptNo,
	{"mid_setl_flag", "中途结算标志", true},
	{"med_type", "医疗类别", false},
	{"insutype", "险种", true},
	{"medfee_sumamt", "医疗费总额", true},
	{"acct_used_flag", "个人账户使用标志", true},
	{"psn_setlway", "个人结算方式", true},
	{"invono", "发票号", false},
}, split...)

func decodeOutpatientSettle(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	only(d, recs)
	d.outpatientSettle(recs[0], &base, base.Kind == settlement.KindSettle)
	return []settlement.Request{base}
}

func (d *decoder) outpatientSettle(rec string, r *settlement.Request, splitRequired bool) {
	d.start(1, rec, '|', outpatientSettle, len(outpatientSettle))
	r.Ref = d.ref(certTypes)
	s := &settlement.SettleRequest{CertType: r.Ref.CertType}
	s.ChrgBchno = d.id()
	s.MedType = d.code(medTypes)
	d.settleTail(r.Kind, s, splitRequired)
	r.Settle = s
}

func decodeInpatientSettle(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	only(d, recs)
	d.start(1, recs[0], '|', inpatientSettle, len(inpatientSettle))
	base.Ref = d.ref(certTypes)
	s := &settlement.SettleRequest{CertType: base.Ref.CertType}
	s.MidSetl = d.flag()
	s.MedType = d.code(medTypes)
	d.settleTail(base.Kind, s, false)
	base.Settle = s
	return []settlement.Request{base}
}

// settleTail reads the columns the two settlement layouts share, from
// insutype on.
func (d *decoder) settleTail(kind settlement.Kind, s *settlement.SettleRequest, splitRequired bool) {
	s.Insutype = d.code(insutypes)
	s.Medfee = d.money()
	s.AcctUsed = d.flag()
	s.PsnSetlway = d.id()
	s.Invono = d.id()
	first := d.i
	var sent [4]string
	for i := range sent {
		sent[i], _ = d.next()
	}
	given := sent != [4]string{}
	var amounts [4]settlement.Fen
	for i, v := range sent {
		if splitRequired || given {
			d.need(v, first+i)
		}
		amounts[i] = d.parseMoney(v, first+i) // previews check the amounts' form, then drop them
	}
	if given && kind != settlement.KindPreSettle && kind != settlement.KindInpPreSettle && d.err == nil {
		s.Split = &settlement.SplitTotals{Fulamt: amounts[0], Overlmt: amounts[1], Preselfpay: amounts[2], Inscp: amounts[3]}
	}
}

// cancel is 2208 and 2305: the settlement to cancel.
var (
	outpatientCancel = []col{certTypeOpt, certNo, otpNo, {"setl_id", "结算ID", true}}
	inpatientCancel  = []col{certTypeOpt, certNo, iptNo, {"setl_id", "结算ID", true}}
)

func decodeCancel(inpatient bool) func(*decoder, []string, settlement.Request) []settlement.Request {
	layout := outpatientCancel
	if inpatient {
		layout = inpatientCancel
	}
	return func(d *decoder, recs []string, base settlement.Request) []settlement.Request {
		only(d, recs)
		d.start(1, recs[0], '|', layout, len(layout))
		base.Ref = d.ref(certTypes)
		base.Cancel = &settlement.CancelRequest{SetlID: d.id()}
		return []settlement.Request{base}
	}
}
