package hl7v2

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// Reading a message before its charset is known: MSH-18 from the raw
// bytes, then the text decoded and cut into segments.

// echoRaw keeps what a refusal echoes of the header (MSH-3 to MSH-6, the
// message type, control id, processing id and version) from the raw
// bytes, where it is printable ASCII, so that even a message whose charset
// is refused gets a routable reply naming it. Decoding the header replaces
// them.
func (m *Message) echoRaw(f *rawHeader) {
	keep := func(n int) string {
		if v := f.field(n); printable(v) {
			return v
		}
		return ""
	}
	m.sendApp, m.sendFac, m.recvApp, m.recvFac = keep(3), keep(4), keep(5), keep(6)
	m.procID, m.version = m.d.component(keep(11), 1), m.d.component(keep(12), 1)
	m.typ, m.event = m.d.component(keep(9), 1), m.d.component(keep(9), 2)
	if id, ok := m.d.unescape(m.d.component(keep(10), 1)); ok && printable(id) && len(id) <= maxMsgID {
		m.ctrlID = id
	}
}

// decodeText decodes the message in the charset MSH-18 names and splits it
// into segments. MSH-18 is first read from the raw bytes plainly, which is
// right for ASCII, 8859/1 and UTF-8 (whose multi-byte sequences never hold
// an ASCII byte). A GBK or GB 18030 trail byte can equal a delimiter,
// though, so when that reading fails the header is read again skipping the
// byte after each lead byte. A reading is accepted when the bytes are
// valid in its charset and MSH-18, read again from the decoded text, names
// the same charset. Refusals describe the plain reading.
func (m *Message) decodeText(body, line []byte, plain *rawHeader, buf *splitBuf) ([]segment, error) {
	name := m.d.component(plain.field(18), 0)
	segs, at, err := m.tryCharset(body, name, buf)
	if err == nil {
		return segs, nil
	}
	if err.Code != settlement.CodeBadCharset { // the charset was right
		return nil, m.refusal(at, err)
	}
	pairs := rawFields(line, m.d.field, true)
	if other := m.d.component(pairs.field(18), 0); other != name {
		if segs, _, err2 := m.tryCharset(body, other, buf); err2 == nil {
			return segs, nil
		}
	}
	return nil, m.refusal(at, err)
}

func (m *Message) tryCharset(body []byte, name string, buf *splitBuf) ([]segment, pos, *settlement.Error) {
	msh18 := pos{seg: "MSH", field: 18}
	cs, known := lookupCharset(name)
	if !known {
		return nil, msh18, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			"MSH-18 "+quote(name)+" 不是支持的字符集（可用："+knownCharsets+"）",
			"MSH-18 "+quote(name)+" is not a supported character set (known: "+knownCharsets+")"))
	}
	text, bad, ok := cs.decode(body)
	if !ok {
		where := segmentAt(body, bad)
		if text != "" {
			where = segmentAt([]byte(text), bad)
		}
		shown := name
		if shown == "" {
			shown = "UNICODE UTF-8"
		}
		return nil, msh18, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			where+" 含有不符合 MSH-18 所声明字符集 "+shown+" 的字节",
			where+" holds bytes that are not valid "+shown+", the character set MSH-18 declares"))
	}
	segs, perr := splitInto(text, m.d, buf)
	if perr != nil {
		m.cs, m.csName = cs, name // the charset is right: answer in it
		return nil, perr.at, settlement.Errorf(settlement.CodeBadMessage, format, perr.at.String(), settlement.Bi(perr.zh, perr.en))
	}
	if again, _ := lookupCharset(m.d.component(segs[0].field(18), 0)); again != cs {
		return nil, msh18, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			"解码后 MSH-18 与原始字节中读取的不一致：MSH-18 之前的字段含有与分隔符冲突的字节",
			"MSH-18 reads differently once the message is decoded: a field before it holds a byte that collides with a delimiter"))
	}
	m.cs, m.csName = cs, name
	return segs, pos{}, nil
}

// rawHeader is the first line of a message cut into MSH fields on raw
// bytes, up to MSH-18.
type rawHeader struct {
	line  string
	start [19]int // start[n] is where MSH-n begins, for n ≥ 3; 0 when absent
	end   [19]int
}

// rawFields cuts a raw header line. With pairs, the byte after each GBK or
// GB 18030 lead byte is taken as part of its character.
func rawFields(line []byte, sep byte, pairs bool) rawHeader {
	h := rawHeader{line: string(line)}
	n := 2 // the separator after MSH-2 starts MSH-3
	for i := 4; i < len(line) && n <= 18; i++ {
		switch {
		case pairs && line[i] >= 0x81 && line[i] != 0xff:
			i++
		case line[i] == sep:
			if n >= 3 {
				h.end[n] = i
			}
			if n++; n <= 18 {
				h.start[n], h.end[n] = i+1, len(line)
			}
		}
	}
	return h
}

// field returns MSH-n as raw text.
func (h *rawHeader) field(n int) string {
	if n < 3 || n > 18 || h.start[n] == 0 {
		return ""
	}
	return h.line[h.start[n]:h.end[n]]
}

// segmentAt names the segment holding byte off: "segment 3 (FT1)".
func segmentAt(b []byte, off int) string {
	n, start := 1, 0
	for i := 0; i < off && i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			if i > start {
				n++
			}
			start = i + 1
		}
	}
	name := b[start:min(start+3, len(b))]
	if !segmentName(string(name)) {
		return "segment " + strconv.Itoa(n)
	}
	return "segment " + strconv.Itoa(n) + " (" + string(name) + ")"
}
