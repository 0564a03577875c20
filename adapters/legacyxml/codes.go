package legacyxml

import (
	"strings"

	"github.com/provgate/provgate/settlement"
)

// txn is one row of the transaction table: the dialect's own code (MSGNO)
// and the national transaction it stands for. The codes are not passed
// through: Shijiazhuang's 1101 is an admission, the national 1101 a person
// query, so only this table decides.
type txn struct {
	code string
	kind settlement.Kind
	name string
}

// txns is the transaction table of doc.go. Codes attested in
// NATIONAL-INTERFACE.md §6 keep their meaning there; provgate assigns the
// others in the same numbering style.
var txns = [...]txn{
	{"1401", settlement.KindPersonInfo, "获取人员信息"}, // Shijiazhuang
	{"1807", settlement.KindPersonInfo, "读取人员信息"}, // Changsha
	{"2610", settlement.KindRegister, "门诊挂号"},
	{"2620", settlement.KindCancelRegister, "门诊挂号撤销"},
	{"2630", settlement.KindUploadFees, "门诊费用明细上传"},
	{"2710", settlement.KindPreSettle, "门诊预结算"}, // Changsha
	{"2720", settlement.KindSettle, "门诊结算"},     // Changsha
	{"2730", settlement.KindCancelSettle, "门诊结算撤销"},
	{"2210", settlement.KindAdmit, "入院登记"},         // Changsha
	{"2240", settlement.KindCancelAdmit, "取消入院登记"}, // Changsha
	{"2250", settlement.KindDischarge, "出院登记"},
	{"2260", settlement.KindCancelDischarge, "取消出院登记"},
	{"2310", settlement.KindUploadInpFees, "住院费用明细上传"},
	{"2420", settlement.KindInpPreSettle, "住院预结算"}, // Changsha
	{"2410", settlement.KindInpSettle, "住院结算"},     // Changsha
	{"2430", settlement.KindInpCancel, "住院结算撤销"},
}

func lookupTxn(code string) (settlement.Kind, bool) {
	for _, t := range txns {
		if t.code == code {
			return t.kind, true
		}
	}
	return "", false
}

// mapping is a code table from the old vocabulary to the national one.
type mapping struct{ old, national, name string }

// medTypes maps the old AKA130 医疗类别 to the national med_type. The two
// code sets overlap with different meanings (old 12 is a pharmacy
// purchase, national 12 an outpatient registration), so every code is
// mapped explicitly and an unlisted one is refused rather than guessed.
var medTypes = [...]mapping{
	{"11", "11", "普通门诊"},
	{"12", "41", "药店购药 → 定点药店购药"},
	{"14", "14", "门诊特病 → 门诊慢特病"},
	{"16", "13", "急诊抢救 → 急诊"},
	{"21", "21", "普通住院"},
	{"24", "23", "转外就医 → 转外诊治住院"},
	{"51", "51", "生育门诊"},
	{"53", "52", "生育住院"},
}

// insutypes are the AAE140 险种 codes accepted: the 金保 codes are the
// national insutype codes, so they pass through once checked.
var insutypes = [...]string{"310", "320", "330", "340", "350", "360", "370", "380", "390", "391", "392", "399", "410", "510"}

// dscgWays are the national dscg_way codes. The old 出院原因 codes (0 治愈 …
// 7 双向转诊) have no established mapping to them, so they are not taken.
var dscgWays = [...]string{"1", "2", "3", "4", "5", "9"}

func nationalMedType(old string) (string, bool) {
	for _, m := range medTypes {
		if m.old == old {
			return m.national, true
		}
	}
	return "", false
}

// oldMedType is the reverse of nationalMedType, for replies.
func oldMedType(national string) (string, bool) {
	for _, m := range medTypes {
		if m.national == national {
			return m.old, true
		}
	}
	return "", false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Known-code lists for refusals, built once.
var (
	knownTxns = func() string {
		codes := make([]string, len(txns))
		for i, t := range txns {
			codes[i] = t.code
		}
		return strings.Join(codes, ", ")
	}()
	knownMedTypes = func() string {
		codes := make([]string, len(medTypes))
		for i, m := range medTypes {
			codes[i] = m.old
		}
		return strings.Join(codes, ", ")
	}()
	knownInsutypes = strings.Join(insutypes[:], ", ")
	knownDscgWays  = strings.Join(dscgWays[:], ", ")
)
