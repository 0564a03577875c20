package settlement

import (
	"slices"
	"strconv"
	"time"
)

// Stamp is what the Raft leader decides for a command before it enters the
// log: the wall-clock time and the log index. Everything time- or ID-shaped in
// a result derives from it, so replicas agree.
type Stamp struct {
	UnixMilli int64  `json:"unix_milli"`
	Index     uint64 `json:"index"`
}

// chinaTime is UTC+8 without daylight saving: every date provgate writes is a
// Chinese calendar date.
var chinaTime = time.FixedZone("CST", 8*3600)

// Time returns the stamp as a time in China Standard Time.
func (s Stamp) Time() time.Time { return time.UnixMilli(s.UnixMilli).In(chinaTime) }

// Date is the stamp's calendar date, "2006-01-02".
func (s Stamp) Date() string { return s.Time().Format("2006-01-02") }

// DateTime is the stamp in the national 日期时间型 format.
func (s Stamp) DateTime() string { return s.Time().Format("2006-01-02 15:04:05") }

// id builds a deterministic identifier: prefix, region, date and log index.
func (s Stamp) id(prefix, region string) string {
	return prefix + region + s.Time().Format("20060102") + pad(s.Index, 10)
}

func pad(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	for len(s) < width {
		s = "0" + s
	}
	if len(s) > width {
		s = s[len(s)-width:]
	}
	return s
}

// ItemClass is a catalog item's payment class (chrgitm_lv).
type ItemClass string

const (
	ClassA ItemClass = "01" // 甲类: fully in scope
	ClassB ItemClass = "02" // 乙类: in scope after the self-pay-first part
	ClassC ItemClass = "03" // 丙类: self-paid in full
)

// FilingCategory is how the insured place classifies a cross-region visit.
type FilingCategory string

const (
	FilingLocal     FilingCategory = "LOCAL"      // treated in the insured region: no filing involved
	FilingLongTerm  FilingCategory = "LONG_TERM"  // 异地长期居住
	FilingReferral  FilingCategory = "REFERRAL"   // 转诊
	FilingEmergency FilingCategory = "EMERGENCY"  // 急诊抢救, counts as filed
	FilingTempOther FilingCategory = "TEMP_OTHER" // 其他临时外出
	// FilingIntraProvince: treated elsewhere in the insured province where
	// the insured place waives filing (免备案): no filing, no reduction.
	FilingIntraProvince FilingCategory = "INTRA_PROVINCE"
)

// Hospital is a designated medical institution registered with the province.
type Hospital struct {
	Code      string `json:"code" yaml:"code"`             // fixmedins_code, 12 characters
	Name      string `json:"name" yaml:"name"`             // fixmedins_name
	Admdvs    string `json:"admdvs" yaml:"admdvs"`         // its insurance region, 6 digits
	Level     string `json:"hosp_lv" yaml:"hosp_lv"`       // national hosp_lv dictionary, e.g. "02" 三级甲等
	Grade     string `json:"grade" yaml:"grade"`           // 1, 2 or 3: the level the insured place's tables use
	InNetwork bool   `json:"in_network" yaml:"in_network"` // in the cross-region direct-settlement network
	Disabled  bool   `json:"disabled" yaml:"disabled"`
	// Formats the hospital may send (see [Formats]). Empty means nhsa only.
	Formats []string `json:"formats,omitempty" yaml:"formats"`
	// MLLPSources are the addresses (CIDR prefixes or single IPs) HL7 v2
	// over MLLP is accepted from for this hospital: MLLP carries no
	// credentials, so the source address is the credential.
	MLLPSources []string `json:"mllp_sources,omitempty" yaml:"mllp_sources"`
	// PaasID and Token are the gateway credentials (x-tif-paasid and the
	// secret behind x-tif-signature). Token is never shown by list commands.
	PaasID string `json:"paas_id,omitempty" yaml:"paas_id"`
	Token  string `json:"token,omitempty" yaml:"token"`
}

// Person is an insured person in the province's registry.
type Person struct {
	PsnNo      string      `json:"psn_no" yaml:"psn_no"`
	CertType   string      `json:"psn_cert_type" yaml:"psn_cert_type"` // 01 居民身份证
	CertNo     string      `json:"certno" yaml:"certno"`
	CardNo     string      `json:"card_no,omitempty" yaml:"card_no"` // social security card number
	Name       string      `json:"psn_name" yaml:"psn_name"`
	Gender     string      `json:"gend" yaml:"gend"`
	Nation     string      `json:"naty" yaml:"naty"`
	Birthdate  string      `json:"brdy" yaml:"brdy"`
	Insurances []Insurance `json:"insurances" yaml:"insurances"`
	Identities []Identity  `json:"identities,omitempty" yaml:"identities"`
	Filings    []Filing    `json:"filings,omitempty" yaml:"filings"`
	// Chronic are the outpatient chronic and special diseases the insured
	// place recognised for the person (门慢特病待遇资格).
	Chronic []ChronicRegistration `json:"chronic,omitempty" yaml:"chronic"`
	// Fixed are designated-institution filings (人员定点备案, 2505).
	Fixed []FixedFiling `json:"fixed,omitempty" yaml:"fixed"`
	// AccountBalance is the opening personal-account balance, used when the
	// person is first registered. Afterwards the balance lives in its own
	// record and changes only with settlements.
	AccountBalance Fen `json:"account_balance" yaml:"account_balance"`
}

// Insurance is one insurance type the person holds (a 1101 insuinfo row).
type Insurance struct {
	Insutype      string `json:"insutype" yaml:"insutype"`             // 310 职工, 390 居民
	PsnType       string `json:"psn_type" yaml:"psn_type"`             // 11 在职, 12 退休, 15 居民 ...
	Status        string `json:"psn_insu_stas" yaml:"psn_insu_stas"`   // 1 正常参保; anything else is not active
	InsuredAdmdvs string `json:"insuplc_admdvs" yaml:"insuplc_admdvs"` // the insured place
	Since         string `json:"psn_insu_date" yaml:"psn_insu_date"`
	CvlservFlag   string `json:"cvlserv_flag" yaml:"cvlserv_flag"`
	EmpName       string `json:"emp_name" yaml:"emp_name"`
}

// Active reports whether the insurance pays benefits.
func (i Insurance) Active() bool { return i.Status == "1" }

// Identity is a special identity such as 低保 or 特困 with its validity.
type Identity struct {
	Type  string `json:"psn_idet_type" yaml:"psn_idet_type"`
	Begin string `json:"begntime" yaml:"begntime"`
	End   string `json:"endtime,omitempty" yaml:"endtime"`
}

// ChronicRegistration is the insured place's recognition of a chronic or
// special disease for a person, by national disease code.
type ChronicRegistration struct {
	Sn        string `json:"trt_dcla_detl_sn,omitempty" yaml:"trt_dcla_detl_sn"`
	DiseCode  string `json:"opsp_dise_code" yaml:"opsp_dise_code"`
	ValidFrom string `json:"begndate" yaml:"begndate"`
	ValidTo   string `json:"enddate,omitempty" yaml:"enddate"`
}

// FixedFiling designates an institution for the person (2505).
type FixedFiling struct {
	Sn        string `json:"trt_dcla_detl_sn" yaml:"trt_dcla_detl_sn"`
	Hospital  string `json:"fixmedins_code" yaml:"fixmedins_code"`
	ValidFrom string `json:"begndate" yaml:"begndate"`
	ValidTo   string `json:"enddate,omitempty" yaml:"enddate"`
}

// activeOn reports whether a validity [from, to] covers date; an empty to is
// open-ended. Date-times compare by their date.
func activeOn(from, to, date string) bool {
	return day(from) <= date && (to == "" || date <= day(to))
}

func day(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// identitiesOn lists the identities valid on date.
func (p Person) identitiesOn(date string) []string {
	var out []string
	for _, id := range p.Identities {
		if activeOn(id.Begin, id.End, date) {
			out = append(out, id.Type)
		}
	}
	return out
}

// Filing is a cross-region filing (备案) made with the insured place.
type Filing struct {
	Sn       string         `json:"trt_dcla_detl_sn,omitempty" yaml:"trt_dcla_detl_sn"`
	Category FilingCategory `json:"category" yaml:"category"`
	// TreatAdmdvs is where the filing allows treatment: a 6-digit region, or
	// a shorter prefix such as "45" for a whole province.
	TreatAdmdvs string `json:"treat_admdvs" yaml:"treat_admdvs"`
	ValidFrom   string `json:"valid_from" yaml:"valid_from"`
	ValidTo     string `json:"valid_to,omitempty" yaml:"valid_to"`
}

// Insurance returns the person's insurance of the given type.
func (p Person) Insurance(insutype string) (Insurance, bool) {
	for _, in := range p.Insurances {
		if in.Insutype == insutype {
			return in, true
		}
	}
	return Insurance{}, false
}

// FeeLine is one fee-detail line as the hospital sent it (2204 feedetail).
type FeeLine struct {
	FeedetlSn      string `json:"feedetl_sn"`
	MdtrtID        string `json:"mdtrt_id"`
	PsnNo          string `json:"psn_no"`
	ChrgBchno      string `json:"chrg_bchno"`
	MedListCodg    string `json:"med_list_codg"`
	MedinsListCodg string `json:"medins_list_codg"`
	FeeOcurTime    string `json:"fee_ocur_time"`
	DiseCodg       string `json:"dise_codg,omitempty"` // disease of the batch (门诊慢特病)
	Amount         Fen    `json:"det_item_fee_sumamt"`
	Qty            Qty    `json:"cnt"`
	Price          Price  `json:"pric"`
	HospApprFlag   string `json:"hosp_appr_flag,omitempty"`
	HospBear       bool   `json:"hosp_bear,omitempty"`
}

// LineSplit is a fee line after the treatment place's catalog split it.
type LineSplit struct {
	FeeLine
	Name       string    `json:"name,omitempty"`
	Class      ItemClass `json:"chrgitm_lv"`
	ChargeType string    `json:"med_chrgitm_type,omitempty"`
	SelfPay    BP        `json:"selfpay_prop"`
	PriceCap   Fen       `json:"pric_uplmt_amt"` // per unit; 0 means no cap
	Restricted bool      `json:"lmt_used_flag,omitempty"`
	Fulamt     Fen       `json:"fulamt_ownpay_amt"`
	Overlmt    Fen       `json:"overlmt_amt"`
	Preselfpay Fen       `json:"preselfpay_amt"`
	Inscp      Fen       `json:"inscp_scp_amt"`
	HospPart   Fen       `json:"hosp_part_amt"`
	Memo       string    `json:"memo,omitempty"`
}

// VisitState is where a visit is in its lifecycle:
//
//	outpatient: REGISTERED ─2202→ CANCELLED
//	inpatient:  ADMITTED ─2402→ DISCHARGED ─2405→ ADMITTED; ADMITTED ─2404→ CANCELLED
//
// Fee uploads, settlements and their cancellations happen within a state;
// the state machine refuses what the current state does not allow.
type VisitState string

const (
	VisitRegistered VisitState = "REGISTERED"
	VisitAdmitted   VisitState = "ADMITTED"
	VisitDischarged VisitState = "DISCHARGED"
	VisitCancelled  VisitState = "CANCELLED"
)

// Visit kinds.
const (
	Outpatient = "OUTPATIENT"
	Inpatient  = "INPATIENT"
)

// Visit is one outpatient visit or inpatient stay (a mdtrt_id).
type Visit struct {
	MdtrtID       string      `json:"mdtrt_id"`
	PsnNo         string      `json:"psn_no"`
	Insutype      string      `json:"insutype"`
	Hospital      string      `json:"fixmedins_code"`
	TreatAdmdvs   string      `json:"mdtrtarea_admvs"`
	InsuredAdmdvs string      `json:"insuplc_admdvs"`
	Kind          string      `json:"kind"`
	MedType       string      `json:"med_type,omitempty"`
	Begntime      string      `json:"begntime"`
	Endtime       string      `json:"endtime,omitempty"`
	IptOtpNo      string      `json:"ipt_otp_no"`
	DeptCode      string      `json:"dept_code,omitempty"`
	DrName        string      `json:"dr_name,omitempty"`
	DiseCodg      string      `json:"dise_codg,omitempty"`
	DiseName      string      `json:"dise_name,omitempty"`
	DscgWay       string      `json:"dscg_way,omitempty"`
	Diagnoses     []Diagnosis `json:"diseinfo,omitempty"`
	State         VisitState  `json:"state"`
	RegisteredAt  string      `json:"registered_at"`
	Batches       []Batch     `json:"batches,omitempty"`
	// Settlements are the live (not cancelled) settlements of the visit,
	// in order; FinalSetlID is the inpatient discharge settlement, if any.
	Settlements []string `json:"settlements,omitempty"`
	FinalSetlID string   `json:"final_setl_id,omitempty"`
}

func (v *Visit) dropSettlement(id string) {
	v.Settlements = slices.DeleteFunc(v.Settlements, func(s string) bool { return s == id })
	if v.FinalSetlID == id {
		v.FinalSetlID = ""
	}
	for i := range v.Batches {
		if v.Batches[i].SetlID == id {
			v.Batches[i].SetlID = ""
		}
	}
}

// lineCount counts the visit's fee lines.
func (v *Visit) lineCount() int {
	n := 0
	for _, b := range v.Batches {
		n += len(b.Lines)
	}
	return n
}

// Batch is one charge batch (chrg_bchno) of an outpatient visit.
type Batch struct {
	ChrgBchno  string      `json:"chrg_bchno"`
	CatalogRef string      `json:"catalog_ref"`
	Lines      []LineSplit `json:"lines"`
	SetlID     string      `json:"setl_id,omitempty"` // the settlement in force, if any
	// Pending is the msgid of a cross-province settlement of this batch
	// waiting for the insured place.
	Pending string `json:"pending,omitempty"`
}

func (v *Visit) batch(no string) *Batch {
	for i := range v.Batches {
		if v.Batches[i].ChrgBchno == no {
			return &v.Batches[i]
		}
	}
	return nil
}

// PoolAccum is the year-to-date position of one pooled scope: the
// deductible charged, the in-scope expense above it that entered the bands,
// and what the pooled fund paid.
type PoolAccum struct {
	DedcPaid Fen `json:"dedc_paid"`
	Elig     Fen `json:"elig"`
	Paid     Fen `json:"paid"`
}

func (p PoolAccum) add(d PoolAccum) PoolAccum {
	return PoolAccum{DedcPaid: p.DedcPaid + d.DedcPaid, Elig: p.Elig + d.Elig, Paid: p.Paid + d.Paid}
}

// ChronicDisease is one of the five outpatient chronic and special diseases
// settled directly across provinces; each has its own annual limits.
type ChronicDisease string

const (
	ChronicHypertension ChronicDisease = "HTN"                      // 高血压
	ChronicDiabetes     ChronicDisease = "DM"                       // 糖尿病
	ChronicCancer       ChronicDisease = "CANCER_RT_CT"             // 恶性肿瘤门诊放化疗
	ChronicUraemia      ChronicDisease = "URAEMIA_DIALYSIS"         // 尿毒症透析
	ChronicTransplant   ChronicDisease = "TRANSPLANT_ANTIREJECTION" // 器官移植术后抗排异治疗
)

// ChronicDiseases lists the five in the order of Accumulators.Chronic.
var ChronicDiseases = [...]ChronicDisease{ChronicHypertension, ChronicDiabetes, ChronicCancer, ChronicUraemia, ChronicTransplant}

func chronicIndex(d ChronicDisease) int {
	for i, c := range ChronicDiseases {
		if c == d {
			return i
		}
	}
	return -1
}

// Accumulators are a person's year-to-date figures for one insurance type
// and benefit year (the 5206 cum_type_code values). A record stores the
// change it made as an Accumulators value too, so a cancellation applies the
// exact negation. The value is comparable with ==.
type Accumulators struct {
	Admissions int64                           `json:"admissions"`
	Inpatient  PoolAccum                       `json:"inpatient"`  // 住院 (and anything not scoped elsewhere)
	Outpatient PoolAccum                       `json:"outpatient"` // 普通门诊
	Chronic    [len(ChronicDiseases)]PoolAccum `json:"chronic"`    // 门诊慢特病, by disease
	HifobElig  Fen                             `json:"hifob_elig"` // expense above the pooled cap consumed by 大额
	Hifob      Fen                             `json:"hifob"`      // 职工大额 paid
	CiiQual    Fen                             `json:"cii_qual"`   // 大病 qualifying personal burden
	Hifmi      Fen                             `json:"hifmi"`      // 居民大病 paid
	MafBase    Fen                             `json:"maf_base"`   // 救助 base
	Maf        Fen                             `json:"maf"`        // 医疗救助 paid
	Cvlserv    Fen                             `json:"cvlserv"`    // 公务员补助 paid
	Hifes      Fen                             `json:"hifes"`      // 企业补充 paid
}

// Add returns a + d.
func (a Accumulators) Add(d Accumulators) Accumulators {
	out := Accumulators{
		Admissions: a.Admissions + d.Admissions,
		Inpatient:  a.Inpatient.add(d.Inpatient),
		Outpatient: a.Outpatient.add(d.Outpatient),
		HifobElig:  a.HifobElig + d.HifobElig,
		Hifob:      a.Hifob + d.Hifob,
		CiiQual:    a.CiiQual + d.CiiQual,
		Hifmi:      a.Hifmi + d.Hifmi,
		MafBase:    a.MafBase + d.MafBase,
		Maf:        a.Maf + d.Maf,
		Cvlserv:    a.Cvlserv + d.Cvlserv,
		Hifes:      a.Hifes + d.Hifes,
	}
	for i := range out.Chronic {
		out.Chronic[i] = a.Chronic[i].add(d.Chronic[i])
	}
	return out
}

// Neg returns −a.
func (a Accumulators) Neg() Accumulators {
	neg := func(p PoolAccum) PoolAccum { return PoolAccum{-p.DedcPaid, -p.Elig, -p.Paid} }
	out := Accumulators{
		Admissions: -a.Admissions, Inpatient: neg(a.Inpatient), Outpatient: neg(a.Outpatient),
		HifobElig: -a.HifobElig, Hifob: -a.Hifob, CiiQual: -a.CiiQual, Hifmi: -a.Hifmi,
		MafBase: -a.MafBase, Maf: -a.Maf, Cvlserv: -a.Cvlserv, Hifes: -a.Hifes,
	}
	for i := range out.Chronic {
		out.Chronic[i] = neg(a.Chronic[i])
	}
	return out
}

// pool returns the pooled scope a rule uses.
func (a *Accumulators) pool(r *MedTypeRule) *PoolAccum {
	switch r.Scope {
	case ScopeOutpatient:
		return &a.Outpatient
	case ScopeChronic:
		if i := chronicIndex(r.Disease); i >= 0 {
			return &a.Chronic[i]
		}
	}
	return &a.Inpatient
}

// Amounts are the settlement figures of the national setlinfo.
type Amounts struct {
	Medfee     Fen `json:"medfee_sumamt"`
	Fulamt     Fen `json:"fulamt_ownpay_amt"`
	Overlmt    Fen `json:"overlmt_selfpay"`
	Preselfpay Fen `json:"preselfpay_amt"`
	Inscp      Fen `json:"inscp_scp_amt"`
	ActPayDedc Fen `json:"act_pay_dedc"`
	Hifp       Fen `json:"hifp_pay"`
	PoolProp   BP  `json:"pool_prop_selfpay"`
	Cvlserv    Fen `json:"cvlserv_pay"`
	Hifes      Fen `json:"hifes_pay"`
	Hifmi      Fen `json:"hifmi_pay"`
	Hifob      Fen `json:"hifob_pay"`
	Maf        Fen `json:"maf_pay"`
	Oth        Fen `json:"oth_pay"`
	FundPay    Fen `json:"fund_pay_sumamt"`
	PsnPart    Fen `json:"psn_part_amt"`
	AcctPay    Fen `json:"acct_pay"`
	PsnCash    Fen `json:"psn_cash_pay"`
	HospPart   Fen `json:"hosp_part_amt"`
	Balc       Fen `json:"balc"`
	AcctMulaid Fen `json:"acct_mulaid_pay"`
}

// negate returns the amounts with every money figure negated. The ratio is
// kept: it describes the original. The balance is set by the caller.
func (a Amounts) negate() Amounts {
	return Amounts{
		Medfee: -a.Medfee, Fulamt: -a.Fulamt, Overlmt: -a.Overlmt, Preselfpay: -a.Preselfpay,
		Inscp: -a.Inscp, ActPayDedc: -a.ActPayDedc, Hifp: -a.Hifp, PoolProp: a.PoolProp,
		Cvlserv: -a.Cvlserv, Hifes: -a.Hifes, Hifmi: -a.Hifmi, Hifob: -a.Hifob, Maf: -a.Maf,
		Oth: -a.Oth, FundPay: -a.FundPay, PsnPart: -a.PsnPart, AcctPay: -a.AcctPay,
		PsnCash: -a.PsnCash, HospPart: -a.HospPart, Balc: a.Balc, AcctMulaid: -a.AcctMulaid,
	}
}

// FundDetail is one setldetail row: what one fund paid and on what base.
type FundDetail struct {
	FundPayType string `json:"fund_pay_type"`
	Name        string `json:"fund_pay_type_name"`
	Inscp       Fen    `json:"inscp_scp_amt"`
	LimitLeft   Fen    `json:"crt_payb_lmt_amt"`
	Paid        Fen    `json:"fund_payamt"`
	Process     string `json:"setl_proc_info"`
}

// Record is an immutable settlement record, or the negative mirror that
// cancels one. Records are the ledger: they are never pruned.
type Record struct {
	SetlID string `json:"setl_id"`
	// Remote marks the treatment place's copy of a settlement the insured
	// place (another province) decided; its accumulators are there.
	Remote        bool           `json:"remote,omitempty"`
	MdtrtID       string         `json:"mdtrt_id"`
	ChrgBchno     string         `json:"chrg_bchno,omitempty"`
	PsnNo         string         `json:"psn_no"`
	PsnName       string         `json:"psn_name"`
	PsnCertType   string         `json:"psn_cert_type"`
	CertNo        string         `json:"certno"`
	Gender        string         `json:"gend"`
	Nation        string         `json:"naty"`
	Birthdate     string         `json:"brdy"`
	CvlservFlag   string         `json:"cvlserv_flag"`
	Insutype      string         `json:"insutype"`
	PsnType       string         `json:"psn_type"`
	MedType       string         `json:"med_type"`
	MdtrtCertType string         `json:"mdtrt_cert_type,omitempty"`
	DiseCodg      string         `json:"dise_codg,omitempty"`
	Hospital      string         `json:"fixmedins_code"`
	TreatAdmdvs   string         `json:"mdtrtarea_admvs"`
	InsuredAdmdvs string         `json:"insuplc_admdvs"`
	MsgID         string         `json:"medins_setl_id"` // the hospital's msgid
	Infno         Kind           `json:"infno"`
	MidSetl       bool           `json:"mid_setl_flag,omitempty"`
	Final         bool           `json:"final,omitempty"` // the inpatient discharge settlement
	SetlTime      string         `json:"setl_time"`
	Year          int            `json:"year"`
	PolicyRef     string         `json:"policy_ref"`
	CatalogRef    string         `json:"catalog_ref"`
	Filing        FilingCategory `json:"filing_category"`
	ClrType       string         `json:"clr_type"`
	ClrWay        string         `json:"clr_way"`
	ClrOptins     string         `json:"clr_optins"`
	Amounts       Amounts        `json:"amounts"`
	Details       []FundDetail   `json:"setldetail"`
	Deltas        Accumulators   `json:"deltas"`
	AcctDelta     Fen            `json:"acct_delta"` // change of the account balance (−acct_pay)
	Trace         []string       `json:"trace"`
	Cancels       string         `json:"cancels,omitempty"`      // on a negative record: the setl_id it cancels
	CancelledBy   string         `json:"cancelled_by,omitempty"` // on a positive record: its cancellation
}

// FilingRow is one filing of an import file: whose it is and the filing.
type FilingRow struct {
	PsnNo string `json:"psn_no"`
	Filing
}

// Rejection is a row of a bulk import that was refused, and why.
type Rejection struct {
	Index  int    `json:"index"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// Check lists a person record's mistakes, each naming its field.
func (p Person) Check() Problems {
	var errs Problems
	if p.PsnNo == "" {
		errs.add("psn_no", "is required")
	}
	if p.CertNo == "" {
		errs.add("certno", "is required")
	}
	if p.Birthdate != "" && !isDate(p.Birthdate) {
		errs.add("brdy", "must be a date YYYY-MM-DD, got %q", p.Birthdate)
	}
	if p.AccountBalance < 0 {
		errs.add("account_balance", "must not be negative")
	}
	if len(p.Insurances) == 0 {
		errs.add("insurances", "at least one insurance is required")
	}
	for i, in := range p.Insurances {
		at := "insurances[" + strconv.Itoa(i) + "]"
		if !isDigits(in.Insutype, 3) {
			errs.add(at+".insutype", "must be a 3-digit insurance type, got %q", in.Insutype)
		}
		if !isDigits(in.InsuredAdmdvs, 6) {
			errs.add(at+".insuplc_admdvs", "must be a 6-digit region code, got %q", in.InsuredAdmdvs)
		}
		if in.PsnType == "" {
			errs.add(at+".psn_type", "is required")
		}
		if in.Status == "" {
			errs.add(at+".psn_insu_stas", "is required")
		}
	}
	for i, id := range p.Identities {
		if id.Type == "" || !isDate(day(id.Begin)) || (id.End != "" && !isDate(day(id.End))) {
			errs.add("identities["+strconv.Itoa(i)+"]", "needs a type and dates YYYY-MM-DD")
		}
	}
	for i, f := range p.Filings {
		for _, pr := range (FilingRow{PsnNo: p.PsnNo, Filing: f}).Check() {
			errs.add("filings["+strconv.Itoa(i)+"]."+pr.Field, "%s", pr.Message)
		}
	}
	return errs
}

// Check lists a filing's mistakes.
func (r FilingRow) Check() Problems {
	var errs Problems
	if r.PsnNo == "" {
		errs.add("psn_no", "is required")
	}
	switch r.Category {
	case FilingLongTerm, FilingReferral, FilingEmergency, FilingTempOther:
	default:
		errs.add("category", "must be LONG_TERM, REFERRAL, EMERGENCY or TEMP_OTHER, got %q", r.Category)
	}
	if n := len(r.TreatAdmdvs); n < 2 || n > 6 || !isDigits(r.TreatAdmdvs, n) {
		errs.add("treat_admdvs", "must be a region code or its prefix (2 to 6 digits), got %q", r.TreatAdmdvs)
	}
	if !isDate(r.ValidFrom) {
		errs.add("valid_from", "must be a date YYYY-MM-DD, got %q", r.ValidFrom)
	}
	if r.ValidTo != "" && (!isDate(r.ValidTo) || r.ValidTo < r.ValidFrom) {
		errs.add("valid_to", "must be a date YYYY-MM-DD not before valid_from, got %q", r.ValidTo)
	}
	return errs
}
