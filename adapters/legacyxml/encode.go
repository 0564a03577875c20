package legacyxml

import (
	"errors"
	"fmt"
	"time"

	"github.com/provgate/provgate/settlement"
)

// chinaTime is the zone every time in a reply is written in.
var chinaTime = time.FixedZone("CST", 8*3600)

// Encode writes the reply to a decoded message: answers[i] answers
// Requests[i]. It depends only on its arguments (times come from the
// stamps), so a replayed answer encodes to the same bytes. An error means
// the answers do not fit the message, a fault of the caller.
func (m *Message) Encode(answers []settlement.Answer) ([]byte, error) {
	if m == nil || len(m.Requests) == 0 {
		return nil, errors.New("legacyxml: encode: the message has no requests")
	}
	if len(answers) != len(m.Requests) {
		return nil, fmt.Errorf("legacyxml: encode: %d answers for %d requests", len(answers), len(m.Requests))
	}
	last := answers[len(answers)-1].Stamp
	// What the usual replies take (a fee row about 600 bytes, a
	// settlement's SETLINFO 1,500 and a fund row 250), so that the buffer
	// neither grows nor is far larger than the reply.
	size := 1024
	for _, a := range answers {
		size += 640 * len(a.Outcome.Lines)
		if r := a.Outcome.Record; r != nil {
			size += 1536 + 256*len(r.Details)
		}
		if a.Outcome.Person != nil {
			size += 1024
		}
	}
	w := writer{b: make([]byte, 0, size), cs: m.cs}
	w.prolog(m.cs)
	w.open("HOSDATA")
	w.open("RESPONSEDATA")
	w.leaf("RETURNNUM", "1")
	w.leaf("ERRORCODE", "")
	w.leaf("ERRORMSG", "")
	w.leaf("MSGNO", m.msgNo)
	w.leaf("MSGID", m.msgID)
	ref := refMsgID(last)
	w.leaf("REFMSGID", ref)
	w.leaf("OPTTIME", ref[:len(ref)-10]) // the stamp's time, which REFMSGID starts with
	w.close("RESPONSEDATA")
	w.open("OUTPUT")
	for i, a := range answers {
		if err := w.output(m.Requests[i].Kind, a.Outcome); err != nil {
			return nil, fmt.Errorf("legacyxml: encode answer %d (%s): %w", i, m.Requests[i].Kind, err)
		}
	}
	w.close("OUTPUT")
	w.close("HOSDATA")
	return w.b, nil
}

// EncodeError writes a refusal: RETURNNUM −1, the stable code in ERRORCODE
// and the code with both reasons in ERRORMSG. m is nil when the message
// could not be read far enough to know its charset; the reply is then in
// the default charset, without MSGNO and MSGID.
func EncodeError(m *Message, e *settlement.Error, at time.Time) []byte {
	cs, msgNo, msgID := defaultCharset, "", ""
	if m != nil {
		cs, msgNo, msgID = m.cs, m.msgNo, m.msgID
	}
	if e == nil {
		e = settlement.Errorf(settlement.CodeInternal, "-")
	}
	w := writer{b: make([]byte, 0, 512), cs: cs}
	w.prolog(cs)
	w.open("HOSDATA")
	w.open("RESPONSEDATA")
	w.leaf("RETURNNUM", "-1")
	w.leaf("ERRORCODE", string(e.Code))
	w.leaf("ERRORMSG", e.Error())
	w.leaf("MSGNO", msgNo)
	w.leaf("MSGID", msgID)
	w.leaf("OPTTIME", at.In(chinaTime).Format("20060102150405"))
	w.close("RESPONSEDATA")
	w.close("HOSDATA")
	return w.b
}

// ContentType is the HTTP Content-Type of replies to m (m may be nil).
func ContentType(m *Message) string {
	cs := defaultCharset
	if m != nil {
		cs = m.cs
	}
	return "application/xml; charset=" + cs.String()
}

// refMsgID is the receiver's serial: the stamp's time (yyyyMMddHHmmss,
// as OPTTIME) and its log index in ten digits.
func refMsgID(s settlement.Stamp) string {
	b := make([]byte, 0, 24)
	b = s.Time().AppendFormat(b, "20060102150405")
	idx := s.Index % 10_000_000_000
	for d := uint64(1_000_000_000); d > 0; d /= 10 {
		b = append(b, byte('0'+idx/d%10))
	}
	return string(b)
}
