package delimited

import (
	"strings"

	"github.com/provgate/provgate/settlement"
)

// txn is one transaction code of the dialect: the national steps it stands
// for and the reader of its input records.
type txn struct {
	steps  []settlement.Kind
	decode func(d *decoder, recs []string, base settlement.Request) []settlement.Request
}

// transactions maps 业务编号 to its steps. Every code but 2720 is the
// national infno of the one step it is; 2720 is the DLL-era 门诊结算 that
// uploads the fee lines and settles them in one call.
var transactions = map[string]txn{
	"1101": {[]settlement.Kind{settlement.KindPersonInfo}, decodePersonQuery},
	"2201": {[]settlement.Kind{settlement.KindRegister}, decodeRegistration},
	"2202": {[]settlement.Kind{settlement.KindCancelRegister}, decodeVisitRef(true)},
	"2204": {[]settlement.Kind{settlement.KindUploadFees}, decodeFeeUpload},
	"2205": {[]settlement.Kind{settlement.KindCancelFees}, decodeFeeCancel(false)},
	"2206": {[]settlement.Kind{settlement.KindPreSettle}, decodeOutpatientSettle},
	"2207": {[]settlement.Kind{settlement.KindSettle}, decodeOutpatientSettle},
	"2208": {[]settlement.Kind{settlement.KindCancelSettle}, decodeCancel(false)},
	"2301": {[]settlement.Kind{settlement.KindUploadInpFees}, decodeFeeUpload},
	"2302": {[]settlement.Kind{settlement.KindCancelInpFees}, decodeFeeCancel(true)},
	"2303": {[]settlement.Kind{settlement.KindInpPreSettle}, decodeInpatientSettle},
	"2304": {[]settlement.Kind{settlement.KindInpSettle}, decodeInpatientSettle},
	"2305": {[]settlement.Kind{settlement.KindInpCancel}, decodeCancel(true)},
	"2401": {[]settlement.Kind{settlement.KindAdmit}, decodeAdmission},
	"2402": {[]settlement.Kind{settlement.KindDischarge}, decodeDischarge},
	"2404": {[]settlement.Kind{settlement.KindCancelAdmit}, decodeVisitRef(false)},
	"2405": {[]settlement.Kind{settlement.KindCancelDischarge}, decodeVisitRef(false)},
	"2720": {[]settlement.Kind{settlement.KindUploadFees, settlement.KindSettle}, decodeFeesAndSettle},
}

// knownTransactions lists the codes for refusals, in ascending order.
const knownTransactions = "1101, 2201, 2202, 2204, 2205, 2206, 2207, 2208, 2301, 2302, 2303, 2304, 2305, 2401, 2402, 2404, 2405, 2720"

// codeSet is a coded field's vocabulary: each accepted code and the
// national code it stands for, and the list shown in refusals.
type codeSet struct {
	to    map[string]string
	known string
}

// medTypes maps the DLL-era 医疗类别 (aka130) to the national med_type.
// The two code sets collide (old 12 is a pharmacy purchase, national 12 an
// outpatient registration), so codes are never passed through: an old code
// without a certain national counterpart (22 市内转院, 24 转外就医,
// 52 节育门诊, 54 节育住院) is refused as unknown.
var medTypes = codeSet{map[string]string{
	"11": "11", // 普通门诊
	"12": "41", // 药店购药 → 定点药店购药
	"14": "14", // 门诊特病 → 门诊慢特病
	"16": "13", // 急诊抢救 → 急诊
	"21": "21", // 普通住院
	"51": "51", // 生育门诊
	"53": "52", // 生育住院
}, "11, 12, 14, 16, 21, 51, 53"}

// insutypes are the national 险种类型 codes; the 金保 aae140 codes of the
// medical insurances are the same three digits. Local single-digit codes
// are refused rather than guessed.
var insutypes = identity("310", "320", "330", "340", "350", "360", "370", "380", "390", "391", "392", "399", "410", "510")

// Certificate types: 02 居民身份证 and 03 社会保障卡 name a person in every
// transaction; 01 医保电子凭证 only in 1101, where the state machine
// answers it with what to do instead.
var (
	certTypes     = identity("02", "03")
	certTypes1101 = identity("01", "02", "03")
)

func identity(codes ...string) codeSet {
	s := codeSet{to: make(map[string]string, len(codes)), known: strings.Join(codes, ", ")}
	for _, c := range codes {
		s.to[c] = c
	}
	return s
}
