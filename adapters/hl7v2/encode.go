package hl7v2

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// ContentType is the HTTP Content-Type of replies to m (m may be nil),
// with the charset the reply is written in.
func ContentType(m *Message) string {
	cs := utf8Set
	if m != nil && m.cs != nil {
		cs = m.cs
	}
	return "x-application/hl7-v2+er7; charset=" + cs.iana
}

// Encode writes the reply to a decoded message: an ACK (an RSP^K22 for a
// query) with MSA-1 AA and the results in the Z-segments doc.go lists.
// answers[i] answers Requests[i]. The reply depends only on the message and
// the answers: its time and control id come from the last answer's stamp,
// so a replayed answer encodes to the same bytes.
func (m *Message) Encode(answers []settlement.Answer) ([]byte, error) {
	if m == nil || len(m.Requests) == 0 {
		return nil, errors.New("hl7v2: Encode needs a decoded message")
	}
	if len(answers) != len(m.Requests) {
		return nil, fmt.Errorf("hl7v2: %d answers for %d requests", len(answers), len(m.Requests))
	}
	st := answers[len(answers)-1].Stamp
	size := 512
	for i := range answers {
		size += 72 * len(answers[i].Outcome.Lines) // a ZFL segment is about 70 bytes
	}
	var w writer // on the stack: growing w.b then needs no write barrier
	m.header(&w, st.Time(), m.replyID("", uint64(st.UnixMilli), st.Index), size)
	w.seg("MSA")
	w.field("AA")
	w.field(m.ctrlID)
	if m.typ == "QBP" {
		w.seg("QAK")
		w.raw(m.query.tag)
		w.field("OK")
		w.raw(m.query.name)
		w.segRaw(m.query.qpd)
	}
	for i, req := range m.Requests {
		if err := w.result(req, answers[i]); err != nil {
			return nil, err
		}
	}
	return m.cs.encode(w.end()), nil
}

// EncodeError writes a refusal: MSA-1 AE, or AR when provgate did not
// process the message (it is unavailable: send it again with the same
// MSH-10; it failed internally; it does not support the message type; or
// the sender may not send it),
// MSA-2 the
// message's MSH-10, and an ERR segment with the HL7 error code (table
// 0357), provgate's code and reason, and, for a refusal Decode found, the
// error location. m is nil when decoding failed before the message could
// be identified: the reply then uses the default delimiters and charset
// and has no MSA-2.
func EncodeError(m *Message, e *settlement.Error, at time.Time) []byte {
	if m == nil {
		m = &Message{d: defaultDelims, cs: utf8Set}
	}
	if e == nil {
		e = settlement.Errorf(settlement.CodeInternal, "nil error")
	}
	var w writer
	m.header(&w, at.In(chinaTime), m.replyID(string(e.Code), uint64(at.UnixNano()), 0), 512)
	text := e.EN
	if m.cs.bilingual {
		text = e.ZH + " / " + e.EN
	}
	w.seg("MSA")
	w.field(ackCode(e))
	w.field(m.ctrlID)
	w.field("[" + string(e.Code) + "] " + text) // MSA-3, for v2.3 systems that read no ERR
	w.seg("ERR")
	w.empty(1)
	if e == m.failed {
		w.erl(m.failAt)
	} else {
		w.empty(1)
	}
	code, name := hl7Error(e.Code)
	w.comps(code, name, "HL70357")
	w.field("E")
	w.comps(string(e.Code), "", "PROVGATE")
	w.empty(2)
	w.field(text)
	if m.typ == "QBP" {
		w.seg("QAK")
		w.raw(m.query.tag)
		w.field("AE")
		w.raw(m.query.name)
		if m.query.qpd != "" {
			w.segRaw(m.query.qpd)
		}
	}
	return m.cs.encode(w.end())
}

// header starts a reply in w with its MSH: sender and receiver swapped,
// the request's delimiters, version and MSH-18. size is what the reply is
// expected to need.
func (m *Message) header(w *writer, t time.Time, id string, size int) {
	*w = writer{d: m.d, b: make([]byte, 0, size)}
	w.b = append(w.b, "MSH"...)
	w.b = append(w.b, m.d.field)
	w.b = append(w.b, m.d.msh2()...)
	app := m.recvApp
	if app == "" {
		app = "PROVGATE"
	}
	w.raw(app)
	w.raw(m.recvFac)
	w.raw(m.sendApp)
	w.raw(m.sendFac)
	w.b = append(w.b, m.d.field)
	w.b = t.AppendFormat(w.b, "20060102150405-0700")
	w.empty(1)
	switch {
	case m.typ == "QBP":
		w.comps("RSP", "K22", "RSP_K21")
	case m.event != "" && m.typ != "":
		w.comps("ACK", m.event, "ACK")
	default:
		w.field("ACK")
	}
	w.field(id)
	w.raw(or(m.procID, "P")) // raw: echoed as sent
	w.raw(or(m.version, "2.5"))
	if m.csName != "" {
		w.empty(5)
		w.raw(m.csName)
	}
}

// replyID is the reply's MSH-10: "PG" and 16 hex digits hashed from the
// request's control id, the stamp (or the refusal's code and time), so
// that replies get distinct ids and the same answer always the same one.
func (m *Message) replyID(code string, a, b uint64) string {
	h := fnv.New64a()
	var buf [16]byte
	h.Write([]byte(m.ctrlID))
	h.Write([]byte(code))
	for i := 0; i < 8; i++ {
		buf[i], buf[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	h.Write(buf[:])
	s := strconv.FormatUint(h.Sum64(), 16)
	return "PG" + "0000000000000000"[len(s):] + s
}

// ackCode is MSA-1 for a refusal: AR when the message was not processed
// and may be sent again (an unsupported message type and a sender that may
// not send it aside, which AR also means in HL7), AE when its content was
// refused.
func ackCode(e *settlement.Error) string {
	switch e.Class() {
	case settlement.ClassUnavailable, settlement.ClassInternal:
		return "AR"
	}
	switch e.Code {
	case settlement.CodeUnknownInfno,
		// The sender may not send it at all (credentials, the MLLP source
		// address, the institution or its formats): rejected unprocessed.
		settlement.CodeAuthMissing, settlement.CodeAuthSignature, settlement.CodeAuthClock, settlement.CodeAuthReplay,
		settlement.CodeAuthHospital, settlement.CodeFormatNotAllowed, settlement.CodeUnknownHospital, settlement.CodeHospitalDisabled:
		return "AR"
	}
	return "AE"
}

// hl7Error maps provgate's code to HL7 table 0357. The table has no code
// for a business refusal: those are 207, with provgate's code in ERR-5.
func hl7Error(c settlement.Code) (string, string) {
	switch c {
	case settlement.CodeBadMessage:
		return "100", "Segment sequence error"
	case settlement.CodeMissingField:
		return "101", "Required field missing"
	case settlement.CodeBadField, settlement.CodeBadAmount, settlement.CodeLineAmount, settlement.CodeBadCharset, settlement.CodeTooLarge:
		return "102", "Data type error"
	case settlement.CodeUnknownCode:
		return "103", "Table value not found"
	case settlement.CodeUnknownInfno:
		return "200", "Unsupported message type"
	case settlement.CodeUnknownPerson, settlement.CodeVisitNotFound, settlement.CodeSettlementNotFound, settlement.CodeUnknownHospital:
		return "204", "Unknown key identifier"
	case settlement.CodeMsgIDConflict:
		return "205", "Duplicate key identifier"
	}
	return "207", "Application internal error"
}

func or(v, dflt string) string {
	if v == "" {
		return dflt
	}
	return v
}

// writer builds a reply in UTF-8 with the message's delimiters; the
// charset is applied once at the end.
type writer struct {
	d delims
	b []byte
}

// tail returns the free end of w.b as an empty slice, with room for n
// bytes: w.b grows as appending them to it would have. Appending to the
// slice and handing it to keep extends w.b by a store of its length only:
// storing w.b's pointer at every value would cost a write barrier each
// while the collector marks.
func (w *writer) tail(n int) []byte {
	if cap(w.b)-len(w.b) < n {
		w.b = append(w.b, make([]byte, n)...)[:len(w.b)]
	}
	return w.b[len(w.b):]
}

// keep adds to w.b what was appended to the slice tail returned: in place
// when it fit, else (it was copied to a new array) by appending it.
func (w *writer) keep(t []byte) {
	if len(t) <= cap(w.b)-len(w.b) {
		w.b = w.b[:len(w.b)+len(t)]
		return
	}
	w.b = append(w.b, t...)
}

// seg starts a segment, ending the previous one.
func (w *writer) seg(name string) {
	t := append(w.tail(1+len(name)), '\r')
	w.keep(append(t, name...))
}

// segRaw adds a segment written elsewhere with the same delimiters.
func (w *writer) segRaw(s string) {
	w.b = append(w.b, '\r')
	w.b = append(w.b, s...)
}

// field adds a field holding v, escaped.
func (w *writer) field(v string) {
	w.keep(w.d.appendField(w.tail(1+len(v)), v))
}

// appendField appends a field separator and v, escaped.
func (d delims) appendField(b []byte, v string) []byte {
	b = append(b, d.field)
	if d == defaultDelims {
		// Most values are ASCII that needs no escape: one pass, and they
		// are copied as they are. Escaping and the UTF-8 check go byte by
		// byte, so the rest of another value starts after its plain start.
		i := plainPrefix(v)
		b = append(b, v[:i]...)
		if rest := v[i:]; rest != "" {
			if !utf8.ValidString(rest) {
				rest = strings.ToValidUTF8(rest, "?")
			}
			b = d.appendEscaped(b, rest)
		}
		return b
	}
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "?")
	}
	return d.appendEscaped(b, v)
}

// raw adds a field that is already escaped (echoed from the request).
func (w *writer) raw(v string) {
	w.keep(append(append(w.tail(1+len(v)), w.d.field), v...))
}

// comps adds one field of components, each escaped; trailing empty
// components are left out.
func (w *writer) comps(vs ...string) {
	for len(vs) > 0 && vs[len(vs)-1] == "" {
		vs = vs[:len(vs)-1]
	}
	w.b = append(w.b, w.d.field)
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, w.d.comp)
		}
		w.b = w.d.appendEscaped(w.b, v)
	}
}

// empty adds n empty fields.
func (w *writer) empty(n int) {
	t := w.tail(n)
	for ; n > 0; n-- {
		t = append(t, w.d.field)
	}
	w.keep(t)
}

// erl adds an error location (ERR-2): segment, sequence, field,
// repetition, component.
func (w *writer) erl(p pos) {
	if !segmentName(p.seg) {
		w.empty(1)
		return
	}
	seq := max(p.seq, 1)
	vs := []string{p.seg, strconv.Itoa(seq)}
	if p.field > 0 {
		vs = append(vs, strconv.Itoa(p.field), "1")
		if p.comp > 0 {
			vs = append(vs, strconv.Itoa(p.comp))
		}
	}
	w.comps(vs...)
}

// end closes the last segment and returns the reply.
func (w *writer) end() []byte {
	return append(w.b, '\r')
}
