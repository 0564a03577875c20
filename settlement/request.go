package settlement

// Kind is what a hospital request asks for, named by its national
// transaction code.
type Kind string

const (
	KindSignIn          Kind = "9001" // 签到
	KindSignOut         Kind = "9002" // 签退
	KindPersonInfo      Kind = "1101" // 人员信息获取
	KindBenefitCheck    Kind = "2001" // 人员待遇享受检查
	KindRegister        Kind = "2201" // 门诊挂号
	KindCancelRegister  Kind = "2202" // 门诊挂号撤销
	KindVisitInfo       Kind = "2203" // 门诊就诊信息上传
	KindUploadFees      Kind = "2204" // 门诊费用明细上传
	KindCancelFees      Kind = "2205" // 门诊费用明细撤销
	KindPreSettle       Kind = "2206" // 门诊预结算
	KindSettle          Kind = "2207" // 门诊结算
	KindCancelSettle    Kind = "2208" // 门诊结算撤销
	KindUploadInpFees   Kind = "2301" // 住院费用明细上传
	KindCancelInpFees   Kind = "2302" // 住院费用明细撤销
	KindInpPreSettle    Kind = "2303" // 住院预结算
	KindInpSettle       Kind = "2304" // 住院结算
	KindInpCancel       Kind = "2305" // 住院结算撤销
	KindAdmit           Kind = "2401" // 入院办理
	KindDischarge       Kind = "2402" // 出院办理
	KindCancelAdmit     Kind = "2404" // 入院办理撤销
	KindCancelDischarge Kind = "2405" // 出院办理撤销
	KindReferralFiling  Kind = "2501" // 转院备案
	KindCancelReferral  Kind = "2502" // 转院备案撤销
	KindChronicFiling   Kind = "2503" // 人员慢特病备案
	KindCancelChronic   Kind = "2504" // 人员慢特病备案撤销
	KindFixedFiling     Kind = "2505" // 人员定点备案
	KindCancelFixed     Kind = "2506" // 人员定点备案撤销
	KindReversal        Kind = "2601" // 冲正交易
	KindReconTotals     Kind = "3201" // 医药机构费用结算对总账
	KindReconDetails    Kind = "3202" // 医药机构费用结算对明细账
	KindSetlQuery       Kind = "5203" // 结算信息查询
	KindCumQuery        Kind = "5206" // 人员累计信息查询
)

// Writes reports whether requests of this kind change the replicated state
// and so go through the Raft log with an idempotency entry. The others are
// answered by linearizable reads and change nothing.
func (k Kind) Writes() bool {
	switch k {
	case KindPersonInfo, KindBenefitCheck, KindPreSettle, KindInpPreSettle, KindReconTotals,
		KindReconDetails, KindSetlQuery, KindCumQuery:
		return false
	}
	return true
}

// Report reports whether a request of this kind is a query a reporting job
// may ask to have answered from a replica's possibly stale state. Reads
// that feed a decision (1101, 2001, the pre-settlements) never are.
func (k Kind) Report() bool {
	switch k {
	case KindReconTotals, KindReconDetails, KindSetlQuery, KindCumQuery:
		return true
	}
	return false
}

// Reversible reports whether 2601 may reverse a request of this kind.
func (k Kind) Reversible() bool {
	switch k {
	case KindSettle, KindInpSettle, KindAdmit, KindRegister:
		return true
	}
	return false
}

// Request is a hospital request in domain terms, whatever format it came in.
type Request struct {
	Kind     Kind   `json:"kind"`
	Hospital string `json:"fixmedins_code"`
	MsgID    string `json:"msgid"`
	// Digest fingerprints the business content of the request. The same
	// (Hospital, MsgID) with another Digest is a conflict, not a retry.
	Digest        string `json:"digest"`
	TreatAdmdvs   string `json:"mdtrtarea_admvs"`
	InsuredAdmdvs string `json:"insuplc_admdvs,omitempty"`
	Operator      string `json:"opter,omitempty"`
	SignNo        string `json:"sign_no,omitempty"`
	// Ref names the person and the visit the way the hospital's own system
	// does, for formats that never learn psn_no or mdtrt_id (older
	// provincial formats, HL7 v2, FHIR). The state machine resolves it
	// before deciding and fills the empty PsnNo / MdtrtID fields below.
	Ref *HospitalRef `json:"ref,omitempty"`
	// Remote is set on requests the national platform sends for our own
	// insured people (the insured-place role): the treating hospital is
	// another province's, described here rather than in our registry.
	Remote *RemoteOrigin `json:"remote,omitempty"`

	Session   *SessionRequest  `json:"session,omitempty"`
	Person    *PersonQuery     `json:"person,omitempty"`
	Benefit   *BenefitQuery    `json:"benefit,omitempty"`
	Cum       *CumQuery        `json:"cum,omitempty"`
	Register  *Registration    `json:"register,omitempty"`
	VisitRef  *VisitRef        `json:"visit_ref,omitempty"`
	VisitInfo *VisitInfo       `json:"visit_info,omitempty"`
	Admission *Admission       `json:"admission,omitempty"`
	Discharge *Discharge       `json:"discharge,omitempty"`
	Fees      *FeeUpload       `json:"fees,omitempty"`
	FeeCancel *FeeCancel       `json:"fee_cancel,omitempty"`
	Settle    *SettleRequest   `json:"settle,omitempty"`
	Cancel    *CancelRequest   `json:"cancel,omitempty"`
	Reversal  *ReversalRequest `json:"reversal,omitempty"`
	SetlQuery *CancelRequest   `json:"setl_query,omitempty"`
	Recon     *Reconciliation  `json:"recon,omitempty"`
	Filing    *FilingRequest   `json:"filing,omitempty"`
}

// HospitalRef names a person by certificate and a visit by the hospital's
// own visit number (门诊号/住院号, the ipt_otp_no or ipt_no it registered
// the visit with).
type HospitalRef struct {
	CertType string `json:"mdtrt_cert_type,omitempty"` // 02 ID number, 03 social security card; empty: either
	CertNo   string `json:"mdtrt_cert_no,omitempty"`
	VisitNo  string `json:"visit_no,omitempty"`
}

// SessionRequest signs an operator in (9001) or out (9002).
type SessionRequest struct {
	OpterNo string `json:"opter_no"`
	MAC     string `json:"mac,omitempty"`
	IP      string `json:"ip,omitempty"`
	SignNo  string `json:"sign_no,omitempty"` // 9002
}

// BenefitQuery asks whether a person enjoys benefits for a kind of visit (2001).
type BenefitQuery struct {
	PsnNo    string `json:"psn_no"`
	Insutype string `json:"insutype"`
	MedType  string `json:"med_type"`
	Begntime string `json:"begntime"`
	DiseCodg string `json:"dise_codg,omitempty"`
}

// CumQuery asks for a person's year-to-date figures (5206).
type CumQuery struct {
	PsnNo string `json:"psn_no"`
	CumYm string `json:"cum_ym,omitempty"` // yyyyMM; empty is this month
}

// VisitRef names a visit (2202, 2404, 2405).
type VisitRef struct {
	PsnNo    string `json:"psn_no"`
	MdtrtID  string `json:"mdtrt_id"`
	IptOtpNo string `json:"ipt_otp_no,omitempty"`
}

// Diagnosis is one diseinfo row.
type Diagnosis struct {
	Type    string `json:"diag_type"`
	SrtNo   string `json:"diag_srt_no"`
	Code    string `json:"diag_code"`
	Name    string `json:"diag_name"`
	Main    bool   `json:"maindiag_flag,omitempty"`
	Dept    string `json:"diag_dept,omitempty"`
	DrCode  string `json:"dise_dor_no,omitempty"`
	DrName  string `json:"dise_dor_name,omitempty"`
	Time    string `json:"diag_time,omitempty"`
	Invalid bool   `json:"invalid,omitempty"`
}

// VisitInfo records an outpatient visit's medical type and diagnoses (2203).
type VisitInfo struct {
	MdtrtID   string      `json:"mdtrt_id"`
	PsnNo     string      `json:"psn_no"`
	MedType   string      `json:"med_type"`
	Begntime  string      `json:"begntime"`
	DiseCodg  string      `json:"dise_codg,omitempty"`
	DiseName  string      `json:"dise_name,omitempty"`
	Diagnoses []Diagnosis `json:"diseinfo,omitempty"`
}

// Admission opens an inpatient stay (2401).
type Admission struct {
	PsnNo     string      `json:"psn_no"`
	Insutype  string      `json:"insutype"`
	MedType   string      `json:"med_type"`
	Begntime  string      `json:"begntime"`
	CertType  string      `json:"mdtrt_cert_type"`
	CertNo    string      `json:"mdtrt_cert_no"`
	IptNo     string      `json:"ipt_no"`
	DeptCode  string      `json:"adm_dept_codg"`
	DeptName  string      `json:"adm_dept_name"`
	AtddrNo   string      `json:"atddr_no"`
	DrName    string      `json:"chfpdr_name"`
	Bed       string      `json:"adm_bed,omitempty"`
	DiseCodg  string      `json:"dise_codg,omitempty"`
	DiseName  string      `json:"dise_name,omitempty"`
	Diagnoses []Diagnosis `json:"diseinfo,omitempty"`
}

// Discharge closes an inpatient stay (2402).
type Discharge struct {
	MdtrtID   string      `json:"mdtrt_id"`
	PsnNo     string      `json:"psn_no"`
	Insutype  string      `json:"insutype"`
	Endtime   string      `json:"endtime"`
	DiseCodg  string      `json:"dise_codg,omitempty"`
	DiseName  string      `json:"dise_name,omitempty"`
	DscgWay   string      `json:"dscg_way"`
	DeptCode  string      `json:"dscg_dept_codg,omitempty"`
	Diagnoses []Diagnosis `json:"diseinfo,omitempty"`
}

// FeeCancel removes fee lines not yet settled: a charge batch (2205) or a
// line (2302); "0000" removes them all.
type FeeCancel struct {
	MdtrtID   string `json:"mdtrt_id"`
	PsnNo     string `json:"psn_no"`
	ChrgBchno string `json:"chrg_bchno,omitempty"`
	FeedetlSn string `json:"feedetl_sn,omitempty"`
}

// All is the national "every unsettled line" value of chrg_bchno and
// feedetl_sn.
const All = "0000"

// ReversalRequest reverses a request by its original msgid (2601).
type ReversalRequest struct {
	PsnNo  string `json:"psn_no"`
	OMsgID string `json:"omsgid"`
	OInfno Kind   `json:"oinfno"`
}

// Reconciliation is a hospital's totals (3201) or details (3202) for a
// clearing type and period.
type Reconciliation struct {
	Insutype   string        `json:"insutype,omitempty"`
	ClrType    string        `json:"clr_type"`
	SetlOptins string        `json:"setl_optins"`
	Begin      string        `json:"stmt_begndate"`
	End        string        `json:"stmt_enddate"`
	Medfee     Fen           `json:"medfee_sumamt"`
	FundPay    Fen           `json:"fund_pay_sumamt"`
	AcctPay    Fen           `json:"acct_pay"`
	CashPay    Fen           `json:"cash_payamt"`
	Count      int           `json:"fixmedins_setl_cnt"`
	Details    []ReconDetail `json:"details,omitempty"` // 3202
}

// ReconDetail is one settlement as the hospital recorded it (the 7 columns
// of the 3202 file).
type ReconDetail struct {
	SetlID     string `json:"setl_id"`
	MdtrtID    string `json:"mdtrt_id"`
	PsnNo      string `json:"psn_no"`
	Medfee     Fen    `json:"medfee_sumamt"`
	FundPay    Fen    `json:"fund_pay_sumamt"`
	AcctPay    Fen    `json:"acct_pay"`
	RefundFlag string `json:"refd_setl_flag"`
}

// FilingRequest makes or cancels a filing (2501-2506).
type FilingRequest struct {
	PsnNo       string `json:"psn_no"`
	Insutype    string `json:"insutype,omitempty"`
	TreatAdmdvs string `json:"mdtrtarea_admdvs,omitempty"` // 2501: where the referral goes
	ToHospital  string `json:"fixmedins_code,omitempty"`   // 2501 reflin_medins_no, 2505 fixmedins_code
	DiseCode    string `json:"opsp_dise_code,omitempty"`   // 2503
	Begin       string `json:"begndate,omitempty"`
	End         string `json:"enddate,omitempty"`
	Sn          string `json:"trt_dcla_detl_sn,omitempty"` // the cancels
	Memo        string `json:"memo,omitempty"`
}

// PersonQuery asks for a person by certificate (1101).
type PersonQuery struct {
	CertType string `json:"mdtrt_cert_type"` // 02 ID number, 03 social security card
	CertNo   string `json:"mdtrt_cert_no"`
}

// Registration opens an outpatient visit (2201).
type Registration struct {
	PsnNo     string `json:"psn_no"`
	Insutype  string `json:"insutype"`
	Begntime  string `json:"begntime"`
	CertType  string `json:"mdtrt_cert_type"`
	CertNo    string `json:"mdtrt_cert_no"`
	IptOtpNo  string `json:"ipt_otp_no"`
	AtddrNo   string `json:"atddr_no"`
	DrName    string `json:"dr_name"`
	DeptCode  string `json:"dept_code"`
	DeptName  string `json:"dept_name"`
	Caty      string `json:"caty"`
	Emergency bool   `json:"emergency,omitempty"`
}

// FeeUpload adds fee lines to a visit (2204).
type FeeUpload struct {
	Lines []FeeLine `json:"lines"`
}

// SplitTotals are the four split amounts a hospital echoes in 2207.
type SplitTotals struct {
	Fulamt     Fen `json:"fulamt_ownpay_amt"`
	Overlmt    Fen `json:"overlmt_selfpay"`
	Preselfpay Fen `json:"preselfpay_amt"`
	Inscp      Fen `json:"inscp_scp_amt"`
}

// SettleRequest settles one charge batch of an outpatient visit (2206
// preview, 2207), or the unsettled lines of an inpatient stay (2303
// preview, 2304).
type SettleRequest struct {
	MidSetl    bool         `json:"mid_setl_flag,omitempty"` // inpatient interim settlement (中途结算)
	PsnNo      string       `json:"psn_no"`
	CertType   string       `json:"mdtrt_cert_type"`
	MdtrtID    string       `json:"mdtrt_id"`
	ChrgBchno  string       `json:"chrg_bchno"`
	MedType    string       `json:"med_type"`
	Insutype   string       `json:"insutype"`
	Medfee     Fen          `json:"medfee_sumamt"`
	AcctUsed   bool         `json:"acct_used_flag"`
	PsnSetlway string       `json:"psn_setlway,omitempty"`
	Invono     string       `json:"invono,omitempty"`
	Split      *SplitTotals `json:"split,omitempty"`
}

// CancelRequest names a settlement: to cancel it (2208, 2305) or to read
// it (5203).
type CancelRequest struct {
	SetlID  string `json:"setl_id"`
	MdtrtID string `json:"mdtrt_id"`
	PsnNo   string `json:"psn_no"`
}

// Outcome is a successful answer, format-neutral. Adapters encode it.
type Outcome struct {
	Person   *PersonInfo  `json:"person,omitempty"`
	Visit    *Visit       `json:"visit,omitempty"`
	Lines    []LineSplit  `json:"lines,omitempty"`
	Record   *Record      `json:"record,omitempty"`
	Session  *Session     `json:"session,omitempty"`
	Benefits []BenefitRow `json:"benefits,omitempty"`
	Cum      []CumRow     `json:"cum,omitempty"`
	Recon    *ReconResult `json:"recon,omitempty"`
	FilingSn string       `json:"filing_sn,omitempty"`
	// Pending is a cross-province write waiting for the insured place
	// (never stored as an answer); Remote is a cross-province read to send
	// to the national platform as it stands.
	Pending *Intent  `json:"-"`
	Remote  *Request `json:"-"`
	// Reversed says what a 2601 did: "cancelled" (with Record, the
	// cancellation), "tombstone" (the original never arrived) or
	// "registration cancelled" / "admission cancelled".
	Reversed string `json:"reversed,omitempty"`
}

// Session is a signed-in operator of a hospital (9001).
type Session struct {
	SignNo   string `json:"sign_no"`
	Hospital string `json:"fixmedins_code"`
	Operator string `json:"opter_no"`
	SignTime string `json:"sign_time"`
	Out      string `json:"sign_out_time,omitempty"`
}

// BenefitRow is one 2001 trtinfo row: whether a fund pays for the person.
type BenefitRow struct {
	PsnNo       string `json:"psn_no"`
	CheckType   string `json:"trt_chk_type"`
	FundPayType string `json:"fund_pay_type"`
	Enjoys      bool   `json:"trt_enjymnt_flag"`
	Begin       string `json:"begndate"`
	End         string `json:"enddate"`
	Result      string `json:"trt_chk_rslt"`
}

// CumRow is one 5206 row: a year-to-date figure by its type code.
type CumRow struct {
	Insutype string `json:"insutype"`
	Year     int    `json:"year"`
	CumYm    string `json:"cum_ym"`
	TypeCode string `json:"cum_type_code"`
	Cum      Fen    `json:"cum"`
}

// ReconResult is the answer to 3201 (Balanced, Description) or 3202 (Rows).
type ReconResult struct {
	Balanced    bool             `json:"balanced"`
	Description string           `json:"stmt_rslt_dscr"`
	Medfee      Fen              `json:"medfee_sumamt"`
	FundPay     Fen              `json:"fund_pay_sumamt"`
	AcctPay     Fen              `json:"acct_pay"`
	CashPay     Fen              `json:"cash_payamt"`
	Count       int              `json:"fixmedins_setl_cnt"`
	Rows        []ReconDetailRow `json:"rows,omitempty"`
}

// Reconciliation results per record (stmt_rslt).
const (
	ReconBalanced     = "0" // 对平
	ReconOnlyCentre   = "1" // 中心多
	ReconOnlyHospital = "2" // 医药机构多
	ReconDifferent    = "3" // 数据不一致
)

// ReconDetailRow is the result for one settlement in 3202.
type ReconDetailRow struct {
	SetlID     string `json:"setl_id"`
	MdtrtID    string `json:"mdtrt_id"`
	PsnNo      string `json:"psn_no"`
	MsgID      string `json:"msgid"`
	Result     string `json:"stmt_rslt"`
	RefundFlag string `json:"refd_setl_flag"`
	Memo       string `json:"memo"`
	Medfee     Fen    `json:"medfee_sumamt"`
	FundPay    Fen    `json:"fund_pay_sumamt"`
	AcctPay    Fen    `json:"acct_pay"`
}

// PersonInfo is a person with the current personal-account balance.
type PersonInfo struct {
	Person  Person `json:"person"`
	Balance Fen    `json:"balance"`
}

// Answer is an outcome with the stamp it was decided under. Replayed is
// true when the answer was already stored for this msgid and is returned
// again unchanged.
type Answer struct {
	Outcome  Outcome
	Stamp    Stamp
	Replayed bool
}
