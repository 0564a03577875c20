package hl7v2

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/provgate/provgate/settlement"
)

// Message is one decoded hospital message.
type Message struct {
	// Requests are the domain requests this message stands for, in the
	// order the gateway must submit them: one, or two for a DFT^P03 that
	// carries fee lines and a settlement (the fees first).
	Requests []settlement.Request

	d      delims
	cs     *charset
	csName string // MSH-18 as sent, echoed in replies; "" for the default
	typ    string // MSH-9.1: ADT, DFT, QBP
	event  string // MSH-9.2
	ctrlID string // MSH-10, the msgid
	// MSH-3 to MSH-6 as sent, still escaped: a reply swaps sender and
	// receiver.
	sendApp, sendFac, recvApp, recvFac string
	procID, version                    string
	query                              query
	// failed is the refusal Decode returned and failAt where it was found,
	// for the ERR segment's error location.
	failed *settlement.Error
	failAt pos
}

// query is what an RSP^K22 echoes of a QBP^Q21, still escaped.
type query struct{ name, tag, qpd string }

// maxMsgID bounds MSH-10 as the national interface bounds msgid. The ids
// of a two-step message are five characters longer ("-2207").
const maxMsgID = 30

// Decode translates one message. Errors are *settlement.Error naming the
// segment and field. When the header could be read before the refusal,
// Decode returns the Message too (with no Requests), so that EncodeError
// answers in the sender's charset and names its MSH-10.
func Decode(body []byte) (*Message, error) {
	if len(body) > maxBytes {
		return nil, settlement.Errorf(settlement.CodeTooLarge, strconv.Itoa(maxBytes))
	}
	// Lenient about what surrounds a message: a UTF-8 byte order mark,
	// blank lines, and the MLLP block bytes of a frame posted over HTTP.
	body = bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n\x0b")
	body = bytes.TrimSuffix(bytes.TrimSuffix(body, []byte("\r")), []byte("\x1c"))
	d, ok := readDelims(body)
	if !ok {
		return nil, settlement.Errorf(settlement.CodeBadMessage, format, "MSH-1/MSH-2", settlement.Bi(
			"报文应以 MSH、字段分隔符和4或5个不同的编码字符开始",
			"a message starts with MSH, the field separator and 4 or 5 distinct encoding characters"))
	}
	m := &Message{d: d, cs: utf8Set}
	line := body
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	plain := rawFields(line, d.field, false)
	m.echoRaw(&plain)
	buf := splitBufs.Get().(*splitBuf)
	defer buf.release()
	segs, err := m.decodeText(body, line, &plain, buf)
	if err != nil {
		return m, err
	}
	t := &txn{m: m, r: reader{d: d, stop: d.stops()}}
	reqs := t.translate(segs)
	if t.r.err != nil {
		return m.refuse(t.r.at, t.r.err)
	}
	m.Requests = reqs
	return m, nil
}

// refuse records the refusal on the message for EncodeError.
func (m *Message) refuse(at pos, e *settlement.Error) (*Message, error) {
	return m, m.refusal(at, e)
}

func (m *Message) refusal(at pos, e *settlement.Error) error {
	m.failed, m.failAt = e, at
	return e
}

// txn is one translation: the segments by role and the reader that keeps
// the first refusal.
type txn struct {
	m                                 *Message
	r                                 reader
	msh, evn, pid, pv1, in1, zps, qpd *segment
	dg1, ft1                          []*segment
}

// singleton reports whether a message may carry only one segment called
// name (a switch: a map lookup for every segment cost more).
func singleton(name string) bool {
	switch name {
	case "MSH", "EVN", "PID", "PV1", "ZPS", "QPD":
		return true
	}
	return false
}

func (t *txn) translate(segs []segment) []settlement.Request {
	for i := range segs {
		s := &segs[i]
		if s.seq > 1 && singleton(s.name) {
			at := pos{seg: s.name + "[" + strconv.Itoa(s.seq) + "]"}
			t.r.fail(at, settlement.Errorf(settlement.CodeBadMessage, format, at.String(), settlement.Bi(
				"报文只能有一个 "+s.name+" 段", "a message carries one "+s.name+" segment only")))
			return nil
		}
		switch s.name {
		case "MSH":
			t.msh = s
		case "EVN":
			t.evn = s
		case "PID":
			t.pid = s
		case "PV1":
			t.pv1 = s
		case "ZPS":
			t.zps = s
		case "QPD":
			t.qpd = s
		case "IN1":
			if t.in1 == nil {
				t.in1 = s // the first insurance is the one that settles
			}
		case "DG1":
			t.dg1 = append(t.dg1, s)
		case "FT1":
			if len(t.ft1) == maxFeeLines {
				t.r.bad(s.at(0, 0), "", settlement.Bi(
					"每条报文最多 "+strconv.Itoa(maxFeeLines)+" 条 FT1 费用明细", "at most "+strconv.Itoa(maxFeeLines)+" FT1 fee lines per message"))
				return nil
			}
			if t.ft1 == nil { // room for the rest: the fee lines are most of a DFT
				t.ft1 = make([]*segment, 0, min(len(segs)-i, maxFeeLines))
			}
			t.ft1 = append(t.ft1, s)
		}
	}
	hosp := t.header()
	if t.r.err != nil {
		return nil
	}
	var reqs []settlement.Request
	switch t.m.typ + "^" + t.m.event {
	case "QBP^Q21":
		reqs = t.personQuery()
	case "ADT^A04":
		reqs = t.register()
	case "ADT^A01":
		reqs = t.admit()
	case "ADT^A03":
		reqs = t.discharge()
	case "ADT^A11":
		reqs = t.cancelVisit()
	case "ADT^A13":
		reqs = t.cancelDischarge()
	case "DFT^P03":
		reqs = t.financial()
	default:
		t.r.fail(pos{seg: "MSH", field: 9}, settlement.Errorf(settlement.CodeUnknownInfno,
			t.m.typ+"^"+t.m.event+" (MSH-9; known: ADT^A01, ADT^A03, ADT^A04, ADT^A11, ADT^A13, DFT^P03, QBP^Q21)"))
	}
	if t.r.err != nil {
		return nil
	}
	op := t.r.value(t.evn, 5, 1)
	ins := t.insuredAdmdvs()
	for i := range reqs {
		q := &reqs[i]
		q.Hospital, q.MsgID, q.Operator, q.InsuredAdmdvs = hosp, t.m.ctrlID, op, ins
		if len(reqs) > 1 {
			q.MsgID += "-" + string(q.Kind)
		}
	}
	if t.r.err != nil {
		return nil
	}
	for i := range reqs {
		reqs[i].Digest = settlement.ContentDigest("hl7v2", reqs[i])
	}
	return reqs
}

// header reads and checks MSH and returns the institution code (MSH-4).
func (t *txn) header() string {
	r, s, m := &t.r, t.msh, t.m
	m.sendApp, m.sendFac, m.recvApp, m.recvFac = s.field(3), s.field(4), s.field(5), s.field(6)
	m.procID, m.version = r.d.component(s.field(11), 1), r.d.component(s.field(12), 1)
	hosp := r.need(s, 4, 1, "fixmedins_code")
	if r.err == nil && (len(hosp) > 30 || !printable(hosp)) {
		r.bad(s.at(4, 1), "fixmedins_code", settlement.Bi("最多30位可打印ASCII字符", "at most 30 printable ASCII characters"))
	}
	r.dateTime(s, 7, 1, "inf_time")
	m.typ, m.event = r.need(s, 9, 1, "message type"), r.need(s, 9, 2, "trigger event")
	m.ctrlID = r.need(s, 10, 1, "msgid")
	if r.err == nil && (len(m.ctrlID) > maxMsgID || !printable(m.ctrlID)) {
		r.bad(s.at(10, 1), "msgid", settlement.Bi("最多30位可打印ASCII字符", "at most 30 printable ASCII characters"))
	}
	if v := r.need(s, 12, 1, "version"); r.err == nil && !strings.HasPrefix(v, "2.") {
		r.bad(s.at(12, 1), "version", expect("2.x", v))
	}
	return hosp
}

// certificate reads the certificate from a CX list (PID-3, QPD-3): the
// first repetition whose identifier type (CX.5) is NI, the ID number
// (mdtrt_cert_type 02), or SS, the social security card (03). Other
// identifiers (MR, PI, ...) are the hospital's own and are passed over.
// The number is never echoed into a refusal.
func (t *txn) certificate(s *segment, f int) (certType, certNo string) {
	if t.r.err != nil {
		return "", ""
	}
	d := t.r.d
	for rest := s.field(f); rest != ""; {
		rep := rest
		if i := strings.IndexByte(rest, d.rep); i >= 0 {
			rep, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		no, ok1 := d.unescape(nth(nth(rep, d.comp, 1), d.sub, 1))
		typ, ok2 := d.unescape(nth(nth(rep, d.comp, 5), d.sub, 1))
		if !ok1 || !ok2 {
			t.r.fail(s.at(f, 0), settlement.Errorf(settlement.CodeBadMessage, format, s.at(f, 0).String(),
				settlement.Bi("转义序列无效", "invalid escape sequence")))
			return "", ""
		}
		no = strings.TrimSpace(no)
		if no == "" {
			continue
		}
		switch strings.TrimSpace(typ) {
		case "NI":
			return "02", no
		case "SS":
			return "03", no
		}
	}
	t.r.fail(s.at(f, 0), settlement.Errorf(settlement.CodeMissingField,
		s.at(f, 0).String()+" (mdtrt_cert_no: an identifier of type NI, the ID number, or SS, the social security card)"))
	return "", ""
}

// visit is what every ADT and DFT message says about the person and the
// visit: the certificate (PID-3), the patient class (PV1-2) and the
// hospital's visit number (PV1-19).
type visit struct {
	certType, certNo string
	class            string // O outpatient, E emergency, I inpatient
	no               string
}

func (v visit) inpatient() bool { return v.class == "I" }

// ref names the person and the visit for the state machine to resolve.
func (v visit) ref() *settlement.HospitalRef {
	return &settlement.HospitalRef{CertType: v.certType, CertNo: v.certNo, VisitNo: v.no}
}

func (t *txn) visit() visit {
	var v visit
	if t.pid == nil {
		t.r.missingSegment("PID", "mdtrt_cert_no")
		return v
	}
	v.certType, v.certNo = t.certificate(t.pid, 3)
	if t.pv1 == nil {
		t.r.missingSegment("PV1", "patient class, visit number")
		return v
	}
	v.class = t.r.code(t.pv1, 2, 1, "patient class", t.r.need(t.pv1, 2, 1, "patient class"), "O", "E", "I")
	v.no = t.r.need(t.pv1, 19, 1, "ipt_otp_no")
	return v
}

// wantClass refuses a message whose patient class does not fit its event.
func (t *txn) wantClass(v visit, inpatient bool) {
	if t.r.err != nil || v.inpatient() == inpatient {
		return
	}
	want := "O / E"
	if inpatient {
		want = "I"
	}
	t.r.bad(t.pv1.at(2, 1), "patient class", expect(want+" for "+t.m.typ+"^"+t.m.event, v.class))
}

// insutype reads the insurance type from the first IN1 (IN1-2).
func (t *txn) insutype() string {
	if t.in1 == nil {
		if t.r.err == nil {
			t.r.missingSegment("IN1", "insutype")
		}
		return ""
	}
	return t.r.need(t.in1, 2, 1, "insutype")
}

// insuredAdmdvs reads the insured place (IN1-3), when the message has it.
func (t *txn) insuredAdmdvs() string {
	v := t.r.value(t.in1, 3, 1)
	if v != "" && (len(v) != 6 || !digits(v)) {
		t.r.bad(t.in1.at(3, 1), "insuplc_admdvs", expect("6位医保区划代码 / a 6-digit region code", v))
	}
	return v
}
