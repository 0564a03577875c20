package settlement

import (
	"errors"
	"fmt"
)

// Code is a stable refusal code. Codes never change meaning once published;
// hospitals key their counter messages and retry logic on them. The list with
// explanations is docs/error-codes.md, and a test keeps the two in step.
type Code string

// Class groups codes by what the caller should do about them.
type Class int

const (
	// ClassInvalid: the request itself is wrong; fix it before sending again.
	ClassInvalid Class = iota
	// ClassNotFound: something the request names does not exist.
	ClassNotFound
	// ClassConflict: the request clashes with what is already recorded.
	ClassConflict
	// ClassRefused: a business rule refuses the request as it stands.
	ClassRefused
	// ClassUnavailable: try again later with the same msgid.
	ClassUnavailable
	// ClassInternal: a fault of provgate; details are only in its logs.
	ClassInternal
)

// The codes. E40xx are envelope and format errors, E41xx parties (hospital,
// person), E42xx visit lifecycle, E43xx money, E44xx policy and catalog,
// E49xx idempotency, E5xxx the gateway itself.
const (
	CodeMalformed          Code = "E4001"
	CodeMissingField       Code = "E4002"
	CodeUnknownInfno       Code = "E4003"
	CodeBadAmount          Code = "E4004"
	CodeLineAmount         Code = "E4005"
	CodeBadField           Code = "E4006"
	CodeTooLarge           Code = "E4007"
	CodeBadMessage         Code = "E4008"
	CodeBadCharset         Code = "E4009"
	CodeUnknownCode        Code = "E4010"
	CodeUnknownHospital    Code = "E4101"
	CodeHospitalDisabled   Code = "E4102"
	CodeUnknownPerson      Code = "E4103"
	CodeNotInsured         Code = "E4104"
	CodeFilingNeeded       Code = "E4105"
	CodeWrongPerson        Code = "E4106"
	CodeChronicNotRecog    Code = "E4107"
	CodeNotInNetwork       Code = "E4108"
	CodeBadSignNo          Code = "E4109"
	CodeFilingExpired      Code = "E4110"
	CodeDuplicateEnrolment Code = "E4111"
	CodeFilingNotFound     Code = "E4112"
	CodeVisitNotFound      Code = "E4201"
	CodeAlreadySettled     Code = "E4202"
	CodeNoFees             Code = "E4203"
	CodeDuplicateLine      Code = "E4204"
	CodeSettlementNotFound Code = "E4205"
	CodeAlreadyCancelled   Code = "E4206"
	CodeNotCancellable     Code = "E4207"
	CodeWrongMedType       Code = "E4208"
	CodeWrongState         Code = "E4209"
	CodeVisitHasFees       Code = "E4210"
	CodeNotReversible      Code = "E4211"
	CodeNotDischarged      Code = "E4212"
	CodeInProgressOther    Code = "E4213"
	CodeAuthMissing        Code = "E4601"
	CodeAuthSignature      Code = "E4602"
	CodeAuthClock          Code = "E4603"
	CodeAuthReplay         Code = "E4604"
	CodeAuthHospital       Code = "E4605"
	CodeFormatNotAllowed   Code = "E4606"
	CodeAmountsMismatch    Code = "E4301"
	CodeInvariant          Code = "E4302"
	CodeNoPolicy           Code = "E4401"
	CodeNoCatalog          Code = "E4402"
	CodeMedTypeNotCovered  Code = "E4403"
	CodeBadConfig          Code = "E4404"
	CodeVersionConflict    Code = "E4405"
	CodeMsgIDConflict      Code = "E4901"
	CodeReversedMsgID      Code = "E4902"
	CodeOutcomeUnknown     Code = "E5001"
	CodeUnavailable        Code = "E5002"
	CodeInternal           Code = "E5000"
	CodeInProgress         Code = "E5003"
	CodeUpstream           Code = "E5004"
)

type codeInfo struct {
	class  Class
	zh, en string // formats; each takes the same arguments in the same order
}

// catalogue holds, for every code, its class and its Chinese and English
// reason. A reason names what to do, so a counter clerk can act on it.
var catalogue = map[Code]codeInfo{
	CodeMalformed:          {ClassInvalid, "报文不是合法的JSON：%s", "malformed JSON: %s"},
	CodeMissingField:       {ClassInvalid, "缺少必填字段 %s", "required field %s is missing"},
	CodeUnknownInfno:       {ClassInvalid, "不支持的交易编号 %s", "unsupported transaction code (infno) %s"},
	CodeBadAmount:          {ClassInvalid, "字段 %s 金额格式错误：%s（金额最多两位小数）", "field %s is not a valid amount: %s (at most two decimals)"},
	CodeLineAmount:         {ClassInvalid, "费用明细 %s 金额 %s 不等于单价×数量 %s", "fee line %s: amount %s does not equal price × quantity %s"},
	CodeBadField:           {ClassInvalid, "字段 %s 取值无效：%s", "field %s has an invalid value: %s"},
	CodeTooLarge:           {ClassInvalid, "报文过大（上限 %s 字节）", "request body too large (limit %s bytes)"},
	CodeBadMessage:         {ClassInvalid, "%s 报文格式错误，位置 %s：%s", "malformed %s message at %s: %s"},
	CodeBadCharset:         {ClassInvalid, "报文字符集错误：%s", "wrong character set: %s"},
	CodeUnknownCode:        {ClassInvalid, "字段 %s 的代码 %s 无法识别（可用：%s）", "field %s: unknown code %s (known: %s)"},
	CodeUnknownHospital:    {ClassRefused, "定点医药机构 %s 未在本省平台登记", "medical institution %s is not registered with this provincial platform"},
	CodeHospitalDisabled:   {ClassRefused, "定点医药机构 %s 已停用", "medical institution %s is disabled"},
	CodeUnknownPerson:      {ClassNotFound, "未找到参保人员（%s）", "insured person not found (%s)"},
	CodeNotInsured:         {ClassRefused, "人员 %s 未参保或参保状态暂停（险种 %s）", "person %s is not insured or insurance is suspended (insurance type %s)"},
	CodeFilingNeeded:       {ClassRefused, "参保地 %s 要求异地就医备案，可选备案类别：%s", "the insured place %s requires a cross-region filing; categories available: %s"},
	CodeWrongPerson:        {ClassConflict, "人员编号 %s 与就诊 %s 不符", "person %s does not match visit %s"},
	CodeChronicNotRecog:    {ClassRefused, "人员 %s 未在参保地登记门诊慢特病 %s（或不在有效期内）", "person %s has no recognition of chronic disease %s by the insured place (or it is not valid on this date)"},
	CodeNotInNetwork:       {ClassRefused, "定点医药机构 %s 未开通异地就医直接结算", "medical institution %s is not in the cross-region direct-settlement network"},
	CodeBadSignNo:          {ClassRefused, "签到流水号 %s 无效或已签退，请重新签到（9001）", "sign_no %s is unknown or signed out; sign in again (9001)"},
	CodeFilingExpired:      {ClassRefused, "人员 %s 的异地就医备案（%s 至 %s）不覆盖就诊日期 %s，请续办或补办备案", "person %s has a cross-region filing valid %s to %s, which does not cover the visit date %s; renew it or file again"},
	CodeDuplicateEnrolment: {ClassRefused, "人员 %s 在 %s 重复参保（险种 %s），请先在参保地处理重复参保", "person %s is enrolled twice (%s, insurance type %s); the insured places must resolve the duplicate enrolment first"},
	CodeFilingNotFound:     {ClassNotFound, "未找到备案记录 %s", "filing %s not found"},
	CodeVisitNotFound:      {ClassNotFound, "未找到就诊记录 %s", "visit %s not found"},
	CodeAlreadySettled:     {ClassConflict, "该就诊已结算，结算ID %s", "visit already settled, setl_id %s"},
	CodeNoFees:             {ClassRefused, "就诊 %s 收费批次 %s 未上传费用明细", "no fee lines uploaded for visit %s, charge batch %s"},
	CodeDuplicateLine:      {ClassConflict, "费用明细流水号 %s 已上传", "fee line %s was already uploaded"},
	CodeSettlementNotFound: {ClassNotFound, "未找到结算记录 %s", "settlement %s not found"},
	CodeAlreadyCancelled:   {ClassConflict, "结算 %s 已撤销，撤销结算ID %s", "settlement %s is already cancelled, cancellation setl_id %s"},
	CodeNotCancellable:     {ClassRefused, "结算 %s 不能撤销：%s", "settlement %s cannot be cancelled: %s"},
	CodeWrongMedType:       {ClassRefused, "医疗类别 %s 不适用于本交易", "medical type %s does not fit this transaction"},
	CodeWrongState:         {ClassRefused, "就诊 %s 当前状态为 %s，不能办理 %s", "visit %s is %s; %s is not possible in that state"},
	CodeVisitHasFees:       {ClassRefused, "就诊 %s 仍有%s，请先撤销", "visit %s still has %s; cancel them first"},
	CodeNotReversible:      {ClassRefused, "交易 %s 不能冲正：%s", "transaction %s cannot be reversed: %s"},
	CodeNotDischarged:      {ClassRefused, "就诊 %s 尚未办理出院（2402），不能办理出院结算；中途结算请送 mid_setl_flag=1", "visit %s is not discharged (2402); a final settlement needs the discharge, an interim one mid_setl_flag=1"},
	CodeAuthMissing:        {ClassInvalid, "缺少或无法识别接入凭证（%s）", "missing or unknown gateway credentials (%s)"},
	CodeAuthSignature:      {ClassInvalid, "报文签名 x-tif-signature 校验失败", "the x-tif-signature does not verify"},
	CodeAuthClock:          {ClassInvalid, "x-tif-timestamp 与平台时间相差超过 %s 秒，请校准时钟", "x-tif-timestamp is more than %s seconds from the gateway's clock; check the HIS clock"},
	CodeAuthReplay:         {ClassInvalid, "x-tif-nonce 已使用过，请每次请求生成新的随机串", "x-tif-nonce was already used; send a fresh nonce with every request"},
	CodeAuthHospital:       {ClassInvalid, "接入账户 %s 不能代表定点医药机构 %s 发送报文", "credentials %s may not send for institution %s"},
	CodeFormatNotAllowed:   {ClassRefused, "定点医药机构 %s 未登记使用 %s 格式接入", "institution %s is not registered to send the %s format"},
	CodeAmountsMismatch:    {ClassRefused, "金额不平：%s 上送 %s，平台计算 %s", "amounts do not balance: %s sent %s, computed %s"},
	CodeInvariant:          {ClassInternal, "结算结果校验未通过（%s），未记账", "settlement failed its consistency check (%s); nothing was recorded"},
	CodeNoPolicy:           {ClassRefused, "参保地 %s 险种 %s 在 %s 无有效待遇政策", "no policy in force for insured place %s, insurance type %s on %s"},
	CodeNoCatalog:          {ClassRefused, "就医地 %s 在 %s 无有效目录", "no catalog in force for treatment place %s on %s"},
	CodeMedTypeNotCovered:  {ClassRefused, "参保地政策不支持医疗类别 %s 的直接结算", "the insured place's policy does not settle medical type %s directly"},
	CodeBadConfig:          {ClassInvalid, "配置无效：%s", "invalid configuration: %s"},
	CodeVersionConflict:    {ClassConflict, "版本 %s 已存在且内容不同，版本一经发布不可修改", "version %s already exists with different content; published versions are immutable"},
	CodeReversedMsgID:      {ClassConflict, "报文ID %s 已被冲正（2601），原交易不再办理，请使用新的报文ID", "msgid %s was reversed (2601) and will not be processed; send a new msgid"},
	CodeMsgIDConflict:      {ClassConflict, "报文ID %s 已使用且报文内容不同，请使用新的报文ID", "msgid %s was already used with a different body; send a new msgid"},
	CodeOutcomeUnknown:     {ClassUnavailable, "处理结果未知，请使用相同报文ID重试", "outcome unknown, retry with the same msgid"},
	CodeUnavailable:        {ClassUnavailable, "平台暂不可用（%s），请使用相同报文ID重试", "gateway temporarily unavailable (%s), retry with the same msgid"},
	CodeInProgressOther:    {ClassConflict, "就诊 %s 的跨省结算正在参保地办理中（报文ID %s），请用该报文ID重试查询结果", "a cross-province settlement of visit %s is in progress at the insured place (msgid %s); retry that msgid for its result"},
	CodeInProgress:         {ClassUnavailable, "跨省交易正在参保地办理中，请使用相同报文ID重试（不会重复结算）", "the cross-province transaction is in progress at the insured place; retry with the same msgid (it will not settle twice)"},
	CodeUpstream:           {ClassUnavailable, "国家平台暂不可用（%s），%s，请使用相同报文ID重试", "the national platform is unavailable (%s); %s, retry with the same msgid"},
	CodeInternal:           {ClassInternal, "平台内部错误，请联系省平台运维（参考号 %s）", "internal error, contact provincial IT (reference %s)"},
}

// Codes returns every known code, for documentation checks.
func Codes() []Code {
	out := make([]Code, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	return out
}

// Error is a refusal that may be shown to a hospital. Its text never carries
// internal details or patient identifiers beyond what the hospital sent.
type Error struct {
	Code Code   `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Text is a detail given in both languages, for reasons whose detail is
// words rather than a value.
type Text struct{ ZH, EN string }

// Bi returns a two-language detail for Errorf.
func Bi(zh, en string) Text { return Text{zh, en} }

// The second argument of CodeUpstream: what became of the request the
// national platform did not answer. The hospital's next step is the same
// (retry with the same msgid) but what it may tell the patient is not: a
// cross-province write is replicated as an intent before the platform is
// called, so it stays pending and the leader keeps re-driving it; a read
// (1101, 2001, 5206, the pre-settlements) and the person lookup of a
// registration are sent at once and leave nothing behind.
var (
	UpstreamPending = Bi("交易已登记待办，不会重复办理",
		"the transaction is kept pending and will not be done twice")
	UpstreamNothingDone = Bi("本次请求未办理，未登记任何内容",
		"nothing was done or recorded")
)

// Errorf builds the Error for code with the reason's arguments. A Text
// argument contributes its Chinese to the Chinese reason and its English to
// the English one.
func Errorf(code Code, args ...any) *Error {
	info, ok := catalogue[code]
	if !ok {
		info = catalogue[CodeInternal]
		code = CodeInternal
	}
	zh := make([]any, len(args))
	en := make([]any, len(args))
	for i, a := range args {
		zh[i], en[i] = a, a
		if t, ok := a.(Text); ok {
			zh[i], en[i] = t.ZH, t.EN
		}
	}
	return &Error{Code: code, ZH: fmt.Sprintf(info.zh, zh...), EN: fmt.Sprintf(info.en, en...)}
}

// Error renders the message the national interface puts in err_msg: the code
// first, then the Chinese and the English reason.
func (e *Error) Error() string { return "[" + string(e.Code) + "] " + e.ZH + " / " + e.EN }

// Class reports what kind of refusal this is.
func (e *Error) Class() Class { return catalogue[e.Code].class }

// AsError returns the domain error inside err, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
