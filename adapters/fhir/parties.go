package fhir

import (
	"strings"

	"github.com/provgate/provgate/settlement"
)

// Readers for the resources a request references: who the patient is, which
// hospital sends, what insurance pays and what visit it is.

// msgID reads the request's identifier, the base of every step's msgid:
// the first identifier with a value.
func msgID(req value) (system, val string, err error) {
	ids, err := list(req, "identifier")
	if err != nil {
		return "", "", err
	}
	for _, id := range ids {
		if len(raw(id, "value")) == 0 {
			continue
		}
		if val, err = text(id, "value"); err != nil {
			return "", "", err
		}
		if len(val) > 30 || !printable(val) {
			return "", "", badAt(id, ".value", "应为不超过 30 位的可见 ASCII 字符（不含空格）",
				"must be at most 30 printable ASCII characters without spaces")
		}
		system, err = text(id, "system")
		return system, val, err
	}
	return "", "", missingAt(req, ".identifier")
}

// identifiers returns the identifiers of the resource a reference leads
// to, or the one identifier of a logical reference.
func identifiers(e *entryRef, ref value) ([]value, error) {
	if e != nil {
		return list(e.v, "identifier")
	}
	id, err := obj(ref, "identifier")
	if id == nil || err != nil {
		return nil, err
	}
	return []value{id}, nil
}

// holder is the object whose identifiers were read, for refusals.
func holder(e *entryRef, ref value) value {
	if e != nil {
		return e.v
	}
	return ref
}

// certificate reads the patient's certificate: the ID number (02) or the
// social security card number (03), ID number first. The number is never
// put in a refusal.
func certificate(t *table, req value) (certType, certNo string, err error) {
	ref, err := obj(req, "patient")
	if err != nil {
		return "", "", err
	}
	if ref == nil {
		return "", "", missingAt(req, ".patient")
	}
	e, err := t.resolve(ref, "Patient")
	if err != nil {
		return "", "", err
	}
	ids, err := identifiers(e, ref)
	if err != nil {
		return "", "", err
	}
	for _, want := range [...]string{"02", "03"} {
		for _, id := range ids {
			if len(raw(id, "value")) == 0 || certTypeOf(id) != want {
				continue
			}
			no, err := text(id, "value")
			if err != nil {
				return "", "", err
			}
			if want == "02" {
				no = strings.ToUpper(no)
				if !isIDNumber(no) {
					return "", "", badAt(id, ".value", "居民身份证号应为 18 位（末位可为 X）或旧版 15 位数字",
						"an ID number has 18 characters (the last may be X) or, old style, 15 digits")
				}
				return want, no, nil
			}
			if len(no) > 50 || !printable(no) {
				return "", "", badAt(id, ".value", "社会保障卡号应为不超过 50 位的可见 ASCII 字符",
					"a social security card number has at most 50 printable ASCII characters")
			}
			return want, no, nil
		}
	}
	if len(ids) == 0 {
		return "", "", missingAt(holder(e, ref), ".identifier")
	}
	return "", "", unknownAt(ids[0], ".system", string(raw(ids[0], "system")),
		sysIDCard+", "+sysSSCard+", or type "+sysV20203+"#"+v2NationalID)
}

// certTypeOf tells a certificate by its identifier system, or an ID number
// by HL7's identifier type.
func certTypeOf(id value) string {
	switch string(raw(id, "system")) {
	case sysIDCard:
		return "02"
	case sysSSCard:
		return "03"
	}
	if hasCoding(get(id, "type"), sysV20203, v2NationalID) {
		return "02"
	}
	return ""
}

// hospital reads the sending institution: the fixmedins_code, and its
// region when the Organization carries one.
func hospital(t *table, req value) (code, admdvs string, err error) {
	ref, err := obj(req, "provider")
	if err != nil {
		return "", "", err
	}
	if ref == nil {
		return "", "", missingAt(req, ".provider")
	}
	e, err := t.resolve(ref, "Organization")
	if err != nil {
		return "", "", err
	}
	ids, err := identifiers(e, ref)
	if err != nil {
		return "", "", err
	}
	var codeID, regionID value
	for _, id := range ids {
		switch string(raw(id, "system")) {
		case sysFixmedins:
			code, err = text(id, "value")
			codeID = id
		case sysAdmdvs:
			admdvs, err = text(id, "value")
			regionID = id
		}
		if err != nil {
			return "", "", err
		}
	}
	if code == "" {
		return "", "", missingAt(holder(e, ref), ".identifier (system "+sysFixmedins+")")
	}
	if len(code) > 30 || !printable(code) {
		return "", "", badAt(codeID, ".value", "定点医药机构编号应为不超过 30 位的可见 ASCII 字符",
			"a fixmedins_code has at most 30 printable ASCII characters")
	}
	if admdvs != "" && !isRegion(admdvs) {
		return "", "", badAt(regionID, ".value", "医保区划应为 6 位数字，实为 "+quote(admdvs), "a region code has 6 digits, got "+quote(admdvs))
	}
	return code, admdvs, nil
}

// insutypes is the national 险种类型 dictionary.
const insutypes = "310 320 330 340 350 360 370 380 390 391 392 399 410 510"

// coverage reads the focal (or first) insurance: its insurance type and,
// when the payor is named by region, the insured place.
func coverage(t *table, req value) (insutype, insured string, err error) {
	ins, err := list(req, "insurance")
	if err != nil {
		return "", "", err
	}
	if len(ins) == 0 {
		return "", "", missingAt(req, ".insurance")
	}
	k := 0
	for i, in := range ins {
		if focal, _, _ := boolean(in, "focal"); focal {
			k = i
			break
		}
	}
	ref, err := obj(ins[k], "coverage")
	if err != nil {
		return "", "", err
	}
	if ref == nil {
		return "", "", missingAt(ins[k], ".coverage")
	}
	e, err := t.resolve(ref, "Coverage")
	if err != nil {
		return "", "", err
	}
	if e == nil {
		return "", "", faultAt(ref, "", func(p string) *settlement.Error {
			return badMessage(p, "应引用 contained 或 Bundle 中的 Coverage", "must reference a contained Coverage or a Bundle entry")
		})
	}
	c, ok, err := pick(e.v, "type", csInsutype)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", missingAt(e.v, ".type.coding")
	}
	if err := checkCode(get(e.v, "type"), ".coding.code", c.code, insutypes); err != nil {
		return "", "", err
	}
	payors, err := list(e.v, "payor")
	if err != nil {
		return "", "", err
	}
	for _, p := range payors {
		id := get(p, "identifier")
		if string(raw(id, "system")) != sysAdmdvs {
			continue
		}
		if insured, err = text(id, "value"); err != nil {
			return "", "", err
		}
		if !isRegion(insured) {
			return "", "", badAt(id, ".value", "参保地医保区划应为 6 位数字", "the insured region has 6 digits")
		}
	}
	return c.code, insured, nil
}

// practitioner reads the attending doctor from the first care team member:
// a Practitioner resource, or a logical reference with its display.
func practitioner(t *table, req value) (no, name string, err error) {
	team, err := list(req, "careTeam")
	if err != nil {
		return "", "", err
	}
	if len(team) == 0 {
		return "", "", missingAt(req, ".careTeam")
	}
	ref, err := obj(team[0], "provider")
	if err != nil {
		return "", "", err
	}
	if ref == nil {
		return "", "", missingAt(team[0], ".provider")
	}
	e, err := t.resolve(ref, "Practitioner")
	if err != nil {
		return "", "", err
	}
	ids, err := identifiers(e, ref)
	if err != nil {
		return "", "", err
	}
	for _, id := range ids {
		if len(raw(id, "value")) > 0 && (no == "" || string(raw(id, "system")) == sysPractitioner) {
			if no, err = text(id, "value"); err != nil {
				return "", "", err
			}
		}
	}
	if no == "" {
		return "", "", missingAt(holder(e, ref), ".identifier")
	}
	if e == nil {
		if name, err = text(ref, "display"); name == "" && err == nil {
			err = missingAt(ref, ".display")
		}
		return no, name, err
	}
	if name, err = personName(e.v); name == "" && err == nil {
		err = missingAt(e.v, ".name")
	}
	return no, name, err
}

// personName reads HumanName[]: the first name's text, or family and given
// joined as Chinese names are written (family first, no space).
func personName(v value) (string, error) {
	names, err := list(v, "name")
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if s, err := text(n, "text"); s != "" || err != nil {
			return s, err
		}
		family, err := text(n, "family")
		if err != nil {
			return "", err
		}
		given, err := list(n, "given")
		if err != nil {
			return "", err
		}
		for _, g := range given {
			b, _ := g.StringBytes()
			family += string(b)
		}
		if family != "" {
			return family, nil
		}
	}
	return "", nil
}
