package nhsa

import (
	"encoding/json"
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
	out, err := output(kind, a)
	if err != nil {
		return nil, err
	}
	t := a.Stamp.Time()
	return json.Marshal(Response{
		Infcode:     0,
		InfRefmsgid: r.refmsgid(t, a.Stamp.Index),
		RefmsgTime:  t.Format("20060102150405.000"),
		RespondTime: t.Format("20060102150405.000"),
		Output:      out,
	})
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
	s := strconv.FormatUint(serial%10_000_000_000, 10)
	return r.Admdvs + t.Format("20060102150405") + strings.Repeat("0", 10-len(s)) + s
}

func output(kind settlement.Kind, a settlement.Answer) (json.RawMessage, error) {
	var v any
	o := a.Outcome
	switch kind {
	case settlement.KindPersonInfo:
		v = personOutput(o.Person, a.Stamp)
	case settlement.KindRegister:
		v = map[string]any{"data": map[string]string{
			"mdtrt_id": o.Visit.MdtrtID, "psn_no": o.Visit.PsnNo, "ipt_otp_no": o.Visit.IptOtpNo}}
	case settlement.KindUploadFees:
		rows := make([]feeResult, len(o.Lines))
		for i, l := range o.Lines {
			rows[i] = feeResultOf(l)
		}
		v = map[string]any{"result": rows}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle:
		v = settlementOutput(o.Record, kind != settlement.KindPreSettle)
	default:
		v = map[string]any{}
	}
	b, err := json.Marshal(v)
	return b, err
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
