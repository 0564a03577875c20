package nhsa

import (
	json "github.com/goccy/go-json"
	"strconv"
	"strings"
	"time"

	"github.com/provgate/provgate/settlement"
)

// Receiver identifies provgate in responses: inf_refmsgid starts with the
// province's region code.
type Receiver struct {
	Admdvs string // 6-digit region of the province, e.g. 150000
}

// Encode writes the response envelope for an answer. It depends only on
// its arguments: a replayed answer encodes to the same bytes.
func (r Receiver) Encode(kind settlement.Kind, a settlement.Answer) ([]byte, error) {
	t := a.Stamp.Time()
	at := t.Format("20060102150405.000")
	resp := Response{
		Infcode:     0,
		InfRefmsgid: r.refmsgidAt(at[:14], a.Stamp.Index),
		RefmsgTime:  at,
		RespondTime: at,
		WarnMsg:     reversalNote(a.Outcome),
	}
	if kind == settlement.KindUploadFees || kind == settlement.KindUploadInpFees {
		// The heaviest answer, written by hand into one buffer.
		lines := a.Outcome.Lines
		b := resp.appendHead(make([]byte, 0, 256+len(resp.WarnMsg)+feeOutputSize(lines)))
		return append(appendFeeOutput(b, lines), '}'), nil
	}
	out, err := output(kind, a)
	if err != nil {
		return nil, err
	}
	resp.Output = out
	return resp.appendTo(make([]byte, 0, len(out)+256)), nil
}

// EncodeError writes a refusal: infcode −1 and err_msg beginning with the
// stable code. serial distinguishes refusals in the same second.
func (r Receiver) EncodeError(e *settlement.Error, at time.Time, serial uint64) []byte {
	at = at.In(time.FixedZone("CST", 8*3600))
	b, _ := json.Marshal(Response{
		Infcode:     -1,
		InfRefmsgid: r.refmsgid(at, serial),
		RefmsgTime:  at.Format("20060102150405.000"),
		RespondTime: at.Format("20060102150405.000"),
		ErrMsg:      e.Error(),
		Output:      json.RawMessage("{}"),
	})
	return b
}

// refmsgid is the receiver's region (6), time (14) and a 10-digit serial.
func (r Receiver) refmsgid(t time.Time, serial uint64) string {
	return r.refmsgidAt(t.Format("20060102150405"), serial)
}

// refmsgidAt is refmsgid with the time already written, yyyyMMddHHmmss.
func (r Receiver) refmsgidAt(at string, serial uint64) string {
	s := strconv.FormatUint(serial%10_000_000_000, 10)
	return r.Admdvs + at + strings.Repeat("0", 10-len(s)) + s
}

func output(kind settlement.Kind, a settlement.Answer) (json.RawMessage, error) {
	var v any = map[string]any{}
	o := a.Outcome
	switch kind {
	case settlement.KindSignIn:
		v = map[string]any{"signinoutb": map[string]string{"sign_time": o.Session.SignTime, "sign_no": o.Session.SignNo}}
	case settlement.KindSignOut:
		v = map[string]any{"signoutoutb": map[string]string{"sign_time": o.Session.Out}}
	case settlement.KindPersonInfo:
		v = personOutput(o.Person, a.Stamp)
	case settlement.KindBenefitCheck:
		rows := make([]trtInfo, len(o.Benefits))
		for i, b := range o.Benefits {
			rows[i] = trtInfo{PsnNo: b.PsnNo, TrtChkType: b.CheckType, FundPayType: b.FundPayType, TrtEnjymntFlag: yesNo(b.Enjoys),
				Begndate: b.Begin, Enddate: b.End, TrtChkRslt: b.Result}
		}
		v = map[string]any{"trtinfo": rows}
	case settlement.KindCumQuery:
		rows := make([]cumInfo, len(o.Cum))
		for i, c := range o.Cum {
			rows[i] = cumInfo{Insutype: c.Insutype, Year: strconv.Itoa(c.Year), CumYm: c.CumYm, CumTypeCode: c.TypeCode, Cum: money(c.Cum)}
		}
		v = map[string]any{"cuminfo": rows}
	case settlement.KindRegister:
		v = map[string]any{"data": map[string]string{
			"mdtrt_id": o.Visit.MdtrtID, "psn_no": o.Visit.PsnNo, "ipt_otp_no": o.Visit.IptOtpNo}}
	case settlement.KindAdmit:
		v = map[string]any{"result": map[string]string{"mdtrt_id": o.Visit.MdtrtID}}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		rows := make([]feeResult, len(o.Lines))
		for i, l := range o.Lines {
			rows[i] = feeResultOf(l)
		}
		v = map[string]any{"result": rows}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		v = settlementOutput(o.Record, kind != settlement.KindPreSettle && kind != settlement.KindInpPreSettle)
	case settlement.KindSetlQuery:
		v = settlementQueryOutput(o.Record)
	case settlement.KindReferralFiling, settlement.KindChronicFiling, settlement.KindFixedFiling:
		v = map[string]any{"result": map[string]string{"trt_dcla_detl_sn": o.FilingSn}}
	case settlement.KindReconTotals:
		rslt := "0"
		if !o.Recon.Balanced {
			rslt = "1"
		}
		v = map[string]any{"stmtinfo": map[string]string{"setl_optins": "", "stmt_rslt": rslt, "stmt_rslt_dscr": o.Recon.Description}}
	case settlement.KindReconDetails:
		rows := make([]reconRow, len(o.Recon.Rows))
		for i, r := range o.Recon.Rows {
			rows[i] = reconRow{PsnNo: r.PsnNo, MdtrtID: r.MdtrtID, SetlID: r.SetlID, MsgID: r.MsgID, StmtRslt: r.Result,
				RefdSetlFlag: r.RefundFlag, Memo: r.Memo, Medfee: money(r.Medfee), FundPay: money(r.FundPay), AcctPay: money(r.AcctPay)}
		}
		v = map[string]any{"stmtinfo": map[string]string{"stmt_rslt": yesNo(!o.Recon.Balanced), "stmt_rslt_dscr": o.Recon.Description},
			"result": rows}
	}
	return json.Marshal(v)
}

func yesNo(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

type trtInfo struct {
	PsnNo          string `json:"psn_no"`
	TrtChkType     string `json:"trt_chk_type"`
	FundPayType    string `json:"fund_pay_type"`
	TrtEnjymntFlag string `json:"trt_enjymnt_flag"`
	Begndate       string `json:"begndate"`
	Enddate        string `json:"enddate"`
	TrtChkRslt     string `json:"trt_chk_rslt"`
}

type cumInfo struct {
	Insutype    string `json:"insutype"`
	Year        string `json:"year"`
	CumYm       string `json:"cum_ym"`
	CumTypeCode string `json:"cum_type_code"`
	Cum         money  `json:"cum"`
}

type reconRow struct {
	PsnNo        string `json:"psn_no"`
	MdtrtID      string `json:"mdtrt_id"`
	SetlID       string `json:"setl_id"`
	MsgID        string `json:"msgid"`
	StmtRslt     string `json:"stmt_rslt"`
	RefdSetlFlag string `json:"refd_setl_flag"`
	Memo         string `json:"memo"`
	Medfee       money  `json:"medfee_sumamt"`
	FundPay      money  `json:"fund_pay_sumamt"`
	AcctPay      money  `json:"acct_pay"`
}

// settlementQueryOutput is 5203's richer setlinfo: the standard fields plus
// the centre-side names (SETL_D) that 5203 answers with.
func settlementQueryOutput(r *settlement.Record) any {
	out := settlementOutput(r, true).(map[string]any)
	info := out["setlinfo"].(setlInfo)
	refd := "0"
	if r.Cancels != "" {
		refd = "1"
	}
	out["setlinfo"] = struct {
		setlInfo
		FixmedinsCode string `json:"fixmedins_code"`
		InsuAdmdvs    string `json:"insu_admdvs"`
		PsnPay        money  `json:"psn_pay"`
		CashPayamt    money  `json:"cash_payamt"`
		RefdSetlFlag  string `json:"refd_setl_flag"`
		Year          string `json:"year"`
		DiseCodg      string `json:"dise_codg"`
		Invono        string `json:"invono"`
	}{info, r.Hospital, r.InsuredAdmdvs, money(r.Amounts.PsnPart), money(r.Amounts.PsnCash), refd, strconv.Itoa(r.Year), r.DiseCodg, ""}
	return out
}

type baseInfo struct {
	PsnNo       string `json:"psn_no"`
	PsnCertType string `json:"psn_cert_type"`
	Certno      string `json:"certno"`
	PsnName     string `json:"psn_name"`
	Gend        string `json:"gend"`
	Naty        string `json:"naty"`
	Brdy        string `json:"brdy"`
	Age         string `json:"age"`
}

type insuInfo struct {
	Balc          money  `json:"balc"`
	Insutype      string `json:"insutype"`
	PsnType       string `json:"psn_type"`
	PsnInsuStas   string `json:"psn_insu_stas"`
	PsnInsuDate   string `json:"psn_insu_date"`
	PausInsuDate  string `json:"paus_insu_date"`
	CvlservFlag   string `json:"cvlserv_flag"`
	InsuplcAdmdvs string `json:"insuplc_admdvs"`
	EmpName       string `json:"emp_name"`
}

type idetInfo struct {
	PsnIdetType string `json:"psn_idet_type"`
	PsnTypeLv   string `json:"psn_type_lv"`
	Memo        string `json:"memo"`
	Begntime    string `json:"begntime"`
	Endtime     string `json:"endtime"`
}

func personOutput(pi *settlement.PersonInfo, st settlement.Stamp) any {
	p := pi.Person
	out := struct {
		Baseinfo baseInfo   `json:"baseinfo"`
		Insuinfo []insuInfo `json:"insuinfo"`
		Idetinfo []idetInfo `json:"idetinfo"`
	}{
		Baseinfo: baseInfo{PsnNo: p.PsnNo, PsnCertType: p.CertType, Certno: p.CertNo, PsnName: p.Name,
			Gend: p.Gender, Naty: p.Nation, Brdy: p.Birthdate, Age: age(p.Birthdate, st.Time())},
		Insuinfo: []insuInfo{}, Idetinfo: []idetInfo{},
	}
	for _, in := range p.Insurances {
		row := insuInfo{Insutype: in.Insutype, PsnType: in.PsnType, PsnInsuStas: in.Status,
			PsnInsuDate: in.Since, CvlservFlag: in.CvlservFlag, InsuplcAdmdvs: in.InsuredAdmdvs, EmpName: in.EmpName}
		if in.Insutype == "310" {
			row.Balc = money(pi.Balance) // the account belongs to employee insurance
		}
		out.Insuinfo = append(out.Insuinfo, row)
	}
	for _, id := range p.Identities {
		out.Idetinfo = append(out.Idetinfo, idetInfo{PsnIdetType: id.Type, Begntime: id.Begin, Endtime: id.End})
	}
	return out
}

// age is the age in whole years on now's date, in the (4,1) format.
func age(brdy string, now time.Time) string {
	b, err := time.Parse(time.DateOnly, brdy)
	if err != nil {
		return ""
	}
	years := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		years--
	}
	return strconv.Itoa(years) + ".0"
}

type feeResult struct {
	FeedetlSn      string  `json:"feedetl_sn"`
	DetItemFee     money   `json:"det_item_fee_sumamt"`
	Cnt            literal `json:"cnt"`
	Pric           literal `json:"pric"`
	PricUplmtAmt   literal `json:"pric_uplmt_amt"`
	SelfpayProp    ratio   `json:"selfpay_prop"`
	Fulamt         money   `json:"fulamt_ownpay_amt"`
	Overlmt        money   `json:"overlmt_amt"`
	Preselfpay     money   `json:"preselfpay_amt"`
	Inscp          money   `json:"inscp_scp_amt"`
	ChrgitmLv      string  `json:"chrgitm_lv"`
	MedChrgitmType string  `json:"med_chrgitm_type"`
	BasMednFlag    string  `json:"bas_medn_flag"`
	HiNegoDrugFlag string  `json:"hi_nego_drug_flag"`
	ChldMedcFlag   string  `json:"chld_medc_flag"`
	ListSpItemFlag string  `json:"list_sp_item_flag"`
	LmtUsedFlag    string  `json:"lmt_used_flag"`
	DrtReimFlag    string  `json:"drt_reim_flag"`
	Memo           string  `json:"memo"`
}

// noPriceCap is how the national interface writes "no price cap".
const noPriceCap = "999999"

func feeResultOf(l settlement.LineSplit) feeResult {
	cap := literal(noPriceCap)
	if l.PriceCap > 0 {
		cap = literal(l.PriceCap.String())
	}
	lmt := "0"
	if l.Restricted {
		lmt = "1"
	}
	return feeResult{
		FeedetlSn: l.FeedetlSn, DetItemFee: money(l.Amount), Cnt: literal(l.Qty.String()), Pric: literal(l.Price.String()),
		PricUplmtAmt: cap, SelfpayProp: ratio(l.SelfPay), Fulamt: money(l.Fulamt), Overlmt: money(l.Overlmt),
		Preselfpay: money(l.Preselfpay), Inscp: money(l.Inscp), ChrgitmLv: string(l.Class), MedChrgitmType: l.ChargeType,
		BasMednFlag: "0", HiNegoDrugFlag: "0", ChldMedcFlag: "0", ListSpItemFlag: "0", LmtUsedFlag: lmt, DrtReimFlag: "0",
		Memo: l.Memo,
	}
}

type setlInfo struct {
	MdtrtID       string `json:"mdtrt_id"`
	SetlID        string `json:"setl_id,omitempty"`
	PsnNo         string `json:"psn_no"`
	PsnName       string `json:"psn_name"`
	PsnCertType   string `json:"psn_cert_type"`
	Certno        string `json:"certno"`
	Gend          string `json:"gend"`
	Naty          string `json:"naty"`
	Brdy          string `json:"brdy"`
	Age           string `json:"age"`
	Insutype      string `json:"insutype"`
	PsnType       string `json:"psn_type"`
	CvlservFlag   string `json:"cvlserv_flag"`
	SetlTime      string `json:"setl_time"`
	MdtrtCertType string `json:"mdtrt_cert_type"`
	MedType       string `json:"med_type"`
	Medfee        money  `json:"medfee_sumamt"`
	Fulamt        money  `json:"fulamt_ownpay_amt"`
	Overlmt       money  `json:"overlmt_selfpay"`
	Preselfpay    money  `json:"preselfpay_amt"`
	Inscp         money  `json:"inscp_scp_amt"`
	ActPayDedc    money  `json:"act_pay_dedc"`
	Hifp          money  `json:"hifp_pay"`
	PoolProp      ratio  `json:"pool_prop_selfpay"`
	Cvlserv       money  `json:"cvlserv_pay"`
	Hifes         money  `json:"hifes_pay"`
	Hifmi         money  `json:"hifmi_pay"`
	Hifob         money  `json:"hifob_pay"`
	Maf           money  `json:"maf_pay"`
	Oth           money  `json:"oth_pay"`
	FundPay       money  `json:"fund_pay_sumamt"`
	PsnPart       money  `json:"psn_part_amt"`
	AcctPay       money  `json:"acct_pay"`
	PsnCash       money  `json:"psn_cash_pay"`
	HospPart      money  `json:"hosp_part_amt"`
	Balc          money  `json:"balc"`
	AcctMulaid    money  `json:"acct_mulaid_pay"`
	MedinsSetlID  string `json:"medins_setl_id"`
	ClrOptins     string `json:"clr_optins"`
	ClrWay        string `json:"clr_way"`
	ClrType       string `json:"clr_type"`
}

type setlDetail struct {
	FundPayType     string `json:"fund_pay_type"`
	Inscp           money  `json:"inscp_scp_amt"`
	CrtPaybLmtAmt   money  `json:"crt_payb_lmt_amt"`
	FundPayamt      money  `json:"fund_payamt"`
	FundPayTypeName string `json:"fund_pay_type_name"`
	SetlProcInfo    string `json:"setl_proc_info"`
}

func settlementOutput(r *settlement.Record, withID bool) any {
	a := r.Amounts
	info := setlInfo{
		MdtrtID: r.MdtrtID, PsnNo: r.PsnNo, PsnName: r.PsnName, PsnCertType: r.PsnCertType, Certno: r.CertNo,
		Gend: r.Gender, Naty: r.Nation, Brdy: r.Birthdate, Insutype: r.Insutype, PsnType: r.PsnType,
		CvlservFlag: r.CvlservFlag, SetlTime: r.SetlTime, MdtrtCertType: r.MdtrtCertType, MedType: r.MedType,
		Medfee: money(a.Medfee), Fulamt: money(a.Fulamt), Overlmt: money(a.Overlmt), Preselfpay: money(a.Preselfpay),
		Inscp: money(a.Inscp), ActPayDedc: money(a.ActPayDedc), Hifp: money(a.Hifp), PoolProp: ratio(a.PoolProp),
		Cvlserv: money(a.Cvlserv), Hifes: money(a.Hifes), Hifmi: money(a.Hifmi), Hifob: money(a.Hifob),
		Maf: money(a.Maf), Oth: money(a.Oth), FundPay: money(a.FundPay), PsnPart: money(a.PsnPart),
		AcctPay: money(a.AcctPay), PsnCash: money(a.PsnCash), HospPart: money(a.HospPart), Balc: money(a.Balc),
		AcctMulaid: money(a.AcctMulaid), MedinsSetlID: r.MsgID, ClrOptins: r.ClrOptins, ClrWay: r.ClrWay, ClrType: r.ClrType,
	}
	if t, err := time.Parse(time.DateTime, r.SetlTime); err == nil {
		info.Age = age(r.Birthdate, t)
	}
	if withID {
		info.SetlID = r.SetlID
	}
	details := make([]setlDetail, len(r.Details))
	for i, d := range r.Details {
		details[i] = setlDetail{FundPayType: d.FundPayType, Inscp: money(d.Inscp), CrtPaybLmtAmt: money(d.LimitLeft),
			FundPayamt: money(d.Paid), FundPayTypeName: d.Name, SetlProcInfo: d.Process}
	}
	return map[string]any{"setlinfo": info, "setldetail": details}
}

// reversalNote tells the hospital what a 2601 did (it has no business output).
func reversalNote(o settlement.Outcome) string {
	switch o.Reversed {
	case "":
		return ""
	case "tombstone":
		return "原交易未到达，已登记冲正，迟到的原交易将被拒绝 / the original never arrived; it is marked reversed and will be refused if it arrives"
	case "already cancelled":
		return "原交易已撤销 / the original was already undone"
	}
	if o.Record != nil {
		return "原结算已撤销，撤销结算ID " + o.Record.SetlID + " / the settlement was cancelled, setl_id " + o.Record.SetlID
	}
	return "原交易已撤销 / the original was undone"
}
