package national

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/provgate/provgate/settlement"
)

// Call is one request to the national platform.
type Call struct {
	Infno         string          // national transaction code, e.g. "2207"
	MsgID         string          // the same on every retry: the hub and the insured place deduplicate on it
	TreatAdmdvs   string          // mdtrtarea_admvs, 6 digits
	InsuredAdmdvs string          // insuplc_admdvs, 6 digits: the hub routes on it
	Hospital      string          // fixmedins_code of the treating hospital ("" for province-level calls)
	HospitalName  string          // fixmedins_name, may be ""
	Input         json.RawMessage // the input object ({"data":{...},"feedetail":[...]} or whatever the infno needs)
	Time          time.Time       // inf_time (the caller passes its replicated stamp time; deterministic bytes)
}

// Reply is the platform's answer: the national response envelope.
type Reply struct {
	Infcode  int // 0 success, -1 refusal (ErrMsg says why; a refusal is definitive, not retried)
	ErrMsg   string
	RefMsgID string // inf_refmsgid
	Output   json.RawMessage
}

// ErrUnavailable wraps every failure to get an answer (hub unreachable,
// timeouts, 5xx after all attempts, circuit open). The outcome at the
// insured place is then unknown: the caller keeps its intent pending and
// retries later with the same msgid. Test with errors.Is.
var ErrUnavailable = errors.New("national platform unavailable")

// The fixed header values of a province-to-province call. The operator is
// the provincial platform itself, a terminal rather than a clerk.
const (
	recerSysCode = "PROVGATE"
	infver       = "V1.0"
	opterType    = "2" // 自助终端: a system, not a person
	opter        = "PROVGATE"
	opterName    = "省级平台"
)

// infTimeZone is China Standard Time: inf_time is written in it whatever the
// host's zone, so the same Call gives the same bytes on every node.
var infTimeZone = time.FixedZone("CST", 8*3600)

// request is the national request envelope (NATIONAL-INTERFACE §1.1) in the
// order its fields are written. Fields a province-to-province call leaves
// empty (dev_no, cainfo, signtype...) are omitted.
type request struct {
	Infno          string          `json:"infno"`
	MsgID          string          `json:"msgid"`
	MdtrtareaAdmvs string          `json:"mdtrtarea_admvs"`
	InsuplcAdmdvs  string          `json:"insuplc_admdvs"`
	RecerSysCode   string          `json:"recer_sys_code"`
	Infver         string          `json:"infver"`
	OpterType      string          `json:"opter_type"`
	Opter          string          `json:"opter"`
	OpterName      string          `json:"opter_name"`
	InfTime        string          `json:"inf_time"`
	FixmedinsCode  string          `json:"fixmedins_code"`
	FixmedinsName  string          `json:"fixmedins_name"`
	SignNo         string          `json:"sign_no"`
	Input          json.RawMessage `json:"input"`
}

// encode returns the request envelope of c. It is deterministic: the same
// Call always gives the same bytes. A Call that cannot be sent is refused
// with a *settlement.Error naming the field.
func (c Call) encode() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // names such as "A&B医院" travel as written
	err := enc.Encode(request{
		Infno: c.Infno, MsgID: c.MsgID, MdtrtareaAdmvs: c.TreatAdmdvs, InsuplcAdmdvs: c.InsuredAdmdvs,
		RecerSysCode: recerSysCode, Infver: infver, OpterType: opterType, Opter: opter, OpterName: opterName,
		InfTime: c.Time.In(infTimeZone).Format(time.DateTime), FixmedinsCode: c.Hospital, FixmedinsName: c.HospitalName,
		Input: c.Input,
	})
	if err != nil { // check has validated Input, so this is not expected
		return nil, settlement.Errorf(settlement.CodeMalformed, "input: "+err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// check refuses a Call the platform could not route or parse. Its reasons
// name the envelope field, and never echo the input (it may hold patient
// identifiers).
func (c Call) check() error {
	switch {
	case c.Infno == "":
		return settlement.Errorf(settlement.CodeMissingField, "infno")
	case !pathSafe(c.Infno):
		return settlement.Errorf(settlement.CodeBadField, "infno", settlement.Bi("只能是字母和数字", "letters and digits only"))
	case c.MsgID == "":
		return settlement.Errorf(settlement.CodeMissingField, "msgid")
	case !region(c.TreatAdmdvs):
		return settlement.Errorf(settlement.CodeBadField, "mdtrtarea_admvs", settlement.Bi("应为6位数字区划代码", "a 6-digit region code is expected"))
	case !region(c.InsuredAdmdvs):
		return settlement.Errorf(settlement.CodeBadField, "insuplc_admdvs", settlement.Bi("应为6位数字区划代码", "a 6-digit region code is expected"))
	case c.Time.IsZero():
		return settlement.Errorf(settlement.CodeMissingField, "inf_time")
	case len(bytes.TrimSpace(c.Input)) == 0:
		return settlement.Errorf(settlement.CodeMissingField, "input")
	case !json.Valid(c.Input) || bytes.TrimSpace(c.Input)[0] != '{':
		return settlement.Errorf(settlement.CodeBadField, "input", settlement.Bi("应为JSON对象", "a JSON object is expected"))
	}
	return nil
}

// region reports whether s is a 6-digit region code.
func region(s string) bool {
	return len(s) == 6 && digits(s)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pathSafe reports whether an infno may be put in a URL path as is: the
// national codes are letters and digits (2207, 2203A, D001).
func pathSafe(s string) bool {
	if len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
