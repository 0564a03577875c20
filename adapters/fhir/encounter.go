package fhir

import (
	"github.com/provgate/provgate/settlement"
)

// visit is what a Claim's Encounter says about the visit.
type visit struct {
	enc        value // the Encounter, for refusals
	inpatient  bool
	emergency  bool
	classGiven bool
	no         string // the hospital's visit number
	begin      string // national date-times
	end        string
	caty       codingOf
	dept       codingOf
	dscgWay    string
	bed        string
}

// classes maps Encounter.class (v3 ActCode) to the national visit kinds.
var classes = map[string]struct{ inpatient, emergency bool }{
	"AMB": {}, "EMER": {emergency: true}, "IMP": {inpatient: true}, "ACUTE": {inpatient: true}, "NONAC": {inpatient: true},
}

// findEncounter finds the Claim's Encounter: the one its items reference,
// or else the only one it carries.
func findEncounter(t *table, req value, items []value) (*entryRef, error) {
	var e *entryRef
	for _, it := range items {
		encs, err := list(it, "encounter")
		if err != nil {
			return nil, err
		}
		if len(encs) == 0 {
			continue
		}
		found, err := t.resolve(encs[0], "Encounter")
		if err != nil {
			return nil, err
		}
		if found == nil {
			return nil, faultAt(encs[0], "", func(p string) *settlement.Error {
				return badMessage(p, "应引用 contained 或 Bundle 中的 Encounter", "must reference a contained Encounter or a Bundle entry")
			})
		}
		if e != nil && found != e {
			return nil, faultAt(encs[0], "", func(p string) *settlement.Error {
				return badMessage(p, "同一 Claim 的各项应属于同一次就诊", "every item of a Claim must belong to the same Encounter")
			})
		}
		e = found
	}
	if e != nil {
		return e, nil
	}
	e, err := t.only("Encounter", req)
	if e == nil && err == nil {
		err = missingAt(req, ".contained (Encounter)")
	}
	return e, err
}

// encounter reads the visit from the Claim's Encounter.
func encounter(t *table, req value, items []value) (visit, error) {
	e, err := findEncounter(t, req, items)
	if err != nil {
		return visit{}, err
	}
	enc := e.v
	v := visit{enc: enc}
	ids, err := list(enc, "identifier")
	if err != nil {
		return v, err
	}
	var noID value
	for _, id := range ids {
		if len(raw(id, "value")) > 0 && (v.no == "" || string(raw(id, "system")) == sysVisitNo) {
			if v.no, err = text(id, "value"); err != nil {
				return v, err
			}
			noID = id
		}
	}
	if v.no == "" {
		return v, missingAt(enc, ".identifier")
	}
	if len(v.no) > 30 || !printable(v.no) {
		return v, badAt(noID, ".value", "就诊号应为不超过 30 位的可见 ASCII 字符", "the visit number has at most 30 printable ASCII characters")
	}
	class, err := obj(enc, "class")
	if err != nil {
		return v, err
	}
	if class != nil {
		code := raw(class, "code")
		k, ok := classes[string(code)]
		if !ok {
			return v, unknownAt(class, ".code", string(code), "AMB, EMER, IMP, ACUTE, NONAC")
		}
		v.inpatient, v.emergency, v.classGiven = k.inpatient, k.emergency, true
	}
	per, err := obj(enc, "period")
	if err != nil {
		return v, err
	}
	if v.begin, err = dateTimeOf(per, "start"); err != nil {
		return v, err
	}
	if v.begin == "" {
		return v, missingAt(enc, ".period.start")
	}
	if v.end, err = dateTimeOf(per, "end"); err != nil {
		return v, err
	}
	if err := v.department(enc); err != nil {
		return v, err
	}
	hosp, err := obj(enc, "hospitalization")
	if err != nil {
		return v, err
	}
	way, ok, err := pick(hosp, "dischargeDisposition", csDscgWay)
	if err != nil {
		return v, err
	}
	if ok {
		v.dscgWay = way.code
	}
	locs, err := list(enc, "location")
	if err != nil {
		return v, err
	}
	if len(locs) > 0 {
		loc, err := obj(locs[0], "location")
		if err != nil {
			return v, err
		}
		if v.bed, err = text(loc, "display"); err != nil {
			return v, err
		}
	}
	return v, nil
}

// department reads Encounter.serviceType: the 科别 (a coding in csCaty,
// else the first) and the hospital's department (a coding in csDept, else
// the 科别).
func (v *visit) department(enc value) error {
	var err error
	if v.caty, _, err = pick(enc, "serviceType", csCaty); err != nil {
		return err
	}
	v.dept = v.caty
	codings, _ := list(get(enc, "serviceType"), "coding")
	for _, cd := range codings {
		if string(raw(cd, "system")) != csDept || len(raw(cd, "code")) == 0 {
			continue
		}
		if v.dept.code, err = text(cd, "code"); err != nil {
			return err
		}
		if v.dept.display, err = text(cd, "display"); err != nil {
			return err
		}
		break
	}
	return nil
}

// dscgWays are the 离院方式 codes: 1 医嘱离院, 2 医嘱转院, 3 医嘱转社区,
// 4 非医嘱离院, 5 死亡, 9 其他.
const dscgWays = "1 2 3 4 5 9"

// checkInpatient checks what a discharge needs of the Encounter.
func (v visit) checkInpatient() error {
	if v.end == "" {
		return missingAt(v.enc, ".period.end")
	}
	if v.dscgWay == "" {
		return missingAt(v.enc, ".hospitalization.dischargeDisposition")
	}
	return checkCode(v.enc, ".hospitalization.dischargeDisposition.coding.code", v.dscgWay, dscgWays)
}

// checkDept checks the department the visit is in.
func (v visit) checkDept() error {
	if v.dept.code == "" {
		return missingAt(v.enc, ".serviceType.coding")
	}
	if v.dept.display == "" {
		return missingAt(v.enc, ".serviceType.coding.display")
	}
	return nil
}
