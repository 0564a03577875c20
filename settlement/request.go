package settlement

// Kind is what a hospital request asks for, named by its national
// transaction code.
type Kind string

const (
	KindPersonInfo   Kind = "1101" // 人员信息获取
	KindRegister     Kind = "2201" // 门诊挂号
	KindUploadFees   Kind = "2204" // 门诊费用明细上传
	KindPreSettle    Kind = "2206" // 门诊预结算
	KindSettle       Kind = "2207" // 门诊结算
	KindCancelSettle Kind = "2208" // 门诊结算撤销
)

// Writes reports whether requests of this kind change the replicated state
// and so go through the Raft log with an idempotency entry.
func (k Kind) Writes() bool {
	switch k {
	case KindRegister, KindUploadFees, KindSettle, KindCancelSettle:
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

	Person   *PersonQuery   `json:"person,omitempty"`
	Register *Registration  `json:"register,omitempty"`
	Fees     *FeeUpload     `json:"fees,omitempty"`
	Settle   *SettleRequest `json:"settle,omitempty"`
	Cancel   *CancelRequest `json:"cancel,omitempty"`
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

// SettleRequest settles one charge batch of a visit (2206 preview, 2207).
type SettleRequest struct {
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

// CancelRequest cancels a settlement (2208).
type CancelRequest struct {
	SetlID  string `json:"setl_id"`
	MdtrtID string `json:"mdtrt_id"`
	PsnNo   string `json:"psn_no"`
}

// Outcome is a successful answer, format-neutral. Adapters encode it.
type Outcome struct {
	Person *PersonInfo `json:"person,omitempty"`
	Visit  *Visit      `json:"visit,omitempty"`
	Lines  []LineSplit `json:"lines,omitempty"`
	Record *Record     `json:"record,omitempty"`
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
