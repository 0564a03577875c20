package national

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// response is the national response envelope (NATIONAL-INTERFACE §1.2) as
// read. Implementations send infcode as a number or as a string, so both
// are accepted.
type response struct {
	Infcode     *text           `json:"infcode"`
	InfRefmsgid text            `json:"inf_refmsgid"`
	ErrMsg      text            `json:"err_msg"`
	Output      json.RawMessage `json:"output"`
}

// text is a header value sent as a JSON string, number or null.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return errNotValue
	default:
		*t = text(b)
	}
	return nil
}

var errNotValue = errors.New("a value is expected, not an object or array")

// decodeReply reads a response envelope. ok is false when body is not one:
// not JSON, or no integer infcode.
func decodeReply(body []byte) (r Reply, ok bool) {
	var resp response
	if err := json.Unmarshal(body, &resp); err != nil || resp.Infcode == nil {
		return Reply{}, false
	}
	code, err := strconv.Atoi(string(*resp.Infcode))
	if err != nil {
		return Reply{}, false
	}
	return Reply{Infcode: code, ErrMsg: string(resp.ErrMsg), RefMsgID: string(resp.InfRefmsgid), Output: resp.Output}, true
}

// retryLater reports whether a refusal asks for a retry with the same msgid
// rather than refusing the request: its err_msg starts with a code of class
// unavailable ([E5001] outcome unknown, [E5002] unavailable), which a
// provgate node answers while its cluster changes leader. Such an answer is
// not the insured place's decision, so it is neither final nor stored.
func (r Reply) retryLater() bool {
	m := r.ErrMsg
	if r.Infcode == 0 || len(m) < 7 || m[0] != '[' || m[6] != ']' {
		return false
	}
	e := settlement.Error{Code: settlement.Code(m[1:6])}
	return e.Class() == settlement.ClassUnavailable
}
