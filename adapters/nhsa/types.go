package nhsa

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// text is a string field that HIS may send as a JSON string, number,
// boolean or null.
type text string

// Text is a header value, exported so callers can name a request in logs.
type Text = text

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*t = ""
	case b[0] == '"':
		if s, ok := plainString(b); ok {
			*t = text(s)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("expected a value, got an object or array")
	default:
		*t = text(b)
	}
	return nil
}

// plainString returns the contents of a JSON string literal that needs no
// decoding: no escapes, no control characters, valid UTF-8. Such a literal
// decodes to exactly its contents, and skipping the decoder for it saves a
// whole json.Unmarshal per field. Anything else is left to the decoder.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// decimal keeps a number exactly as written, from a JSON number or string,
// so that amounts are parsed without ever passing through a float.
type decimal string

func (d *decimal) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	*d = decimal(t)
	return nil
}

// money writes fen as a JSON number with two decimals: 11165.00.
type money settlement.Fen

func (m money) MarshalJSON() ([]byte, error) { return []byte(settlement.Fen(m).String()), nil }

// UnmarshalJSON reads an amount back exactly (answers of other provinces).
func (m *money) UnmarshalJSON(b []byte) error {
	var d decimal
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	f, err := settlement.ParseFen(string(d))
	*m = money(f)
	return err
}

// ratio writes basis points as a (5,4) fraction: 0.7000.
type ratio settlement.BP

func (r ratio) MarshalJSON() ([]byte, error) { return []byte(settlement.BP(r).Fraction()), nil }

// UnmarshalJSON reads a (5,4) fraction back into basis points.
func (r *ratio) UnmarshalJSON(b []byte) error {
	var d decimal
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	v, err := settlement.ParseBP(string(d))
	*r = ratio(v)
	return err
}

// literal writes a number as it is given (quantities and prices).
type literal string

func (l literal) MarshalJSON() ([]byte, error) { return []byte(l), nil }

// Header is the request envelope's header (NATIONAL-INTERFACE §1.1).
type Header struct {
	Infno         text `json:"infno"`
	MsgID         text `json:"msgid"`
	MdtrtareaAdmv text `json:"mdtrtarea_admvs"`
	InsuplcAdmdvs text `json:"insuplc_admdvs"`
	RecerSysCode  text `json:"recer_sys_code"`
	DevNo         text `json:"dev_no"`
	DevSafeInfo   text `json:"dev_safe_info"`
	Cainfo        text `json:"cainfo"`
	Signtype      text `json:"signtype"`
	Infver        text `json:"infver"`
	OpterType     text `json:"opter_type"`
	Opter         text `json:"opter"`
	OpterName     text `json:"opter_name"`
	InfTime       text `json:"inf_time"`
	FixmedinsCode text `json:"fixmedins_code"`
	FixmedinsName text `json:"fixmedins_name"`
	SignNo        text `json:"sign_no"`
}

type envelope struct {
	Header
	Input json.RawMessage `json:"input"`
}

// Response is the response envelope (NATIONAL-INTERFACE §1.2).
type Response struct {
	Infcode     int             `json:"infcode"`
	InfRefmsgid string          `json:"inf_refmsgid"`
	RefmsgTime  string          `json:"refmsg_time"`
	RespondTime string          `json:"respond_time"`
	ErrMsg      string          `json:"err_msg"`
	WarnMsg     string          `json:"warn_msg,omitempty"`
	Output      json.RawMessage `json:"output"`
}
