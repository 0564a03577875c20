package hl7v2

import (
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/provgate/provgate/internal/swar"
)

// Limits on what Decode accepts. They bound the work and the memory of one
// message whatever its bytes: the fields are sliced out of one copy of the
// text, and the only per-field allocation is one shared slice of strings.
const (
	maxBytes    = 1 << 20 // a 1000-line fee upload is about 250 KiB
	maxSegments = 1200    // maxFeeLines FT1 plus the header segments
	maxFeeLines = 1000    // the national limit for one upload
	maxFields   = 100     // PV1 has 52 in v2.5; vendors pad
)

// delims are the message's encoding characters, declared in MSH-1 and
// MSH-2 (usually |^~\&). A reply uses the same ones.
type delims struct {
	field, comp, rep, esc, sub byte
	trunc                      byte // v2.7 truncation character, 0 when not declared
}

var defaultDelims = delims{field: '|', comp: '^', rep: '~', esc: '\\', sub: '&'}

// msh2 is MSH-2 as the delimiters are written in a header.
func (d delims) msh2() string {
	b := []byte{d.comp, d.rep, d.esc, d.sub}
	if d.trunc != 0 {
		b = append(b, d.trunc)
	}
	return string(b)
}

// readDelims reads MSH-1 and MSH-2 from the start of a message. It works on
// raw bytes: the delimiters are ASCII in every charset provgate accepts.
func readDelims(b []byte) (delims, bool) {
	if len(b) < 8 || string(b[:3]) != "MSH" {
		return delims{}, false
	}
	d := delims{field: b[3]}
	enc := b[4:]
	n := 0
	for n < len(enc) && enc[n] != d.field && enc[n] != '\r' && enc[n] != '\n' {
		n++
	}
	if n < 4 || n > 5 || n == len(enc) || enc[n] != d.field {
		return delims{}, false
	}
	d.comp, d.rep, d.esc, d.sub = enc[0], enc[1], enc[2], enc[3]
	if n == 5 {
		d.trunc = enc[4]
	}
	var seen [256]bool
	for i, c := range [...]byte{d.field, d.comp, d.rep, d.esc, d.sub, d.trunc} {
		if i == 5 && c == 0 {
			continue // no truncation character
		}
		alnum := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if c <= ' ' || c >= 0x7f || alnum || seen[c] {
			return delims{}, false
		}
		seen[c] = true
	}
	return d, true
}

// segment is one segment of a message. Field 0 is the segment name and
// field n is field n, still escaped; for MSH, field 1 is the field
// separator and field 2 the encoding characters, so that the HL7 field
// numbers hold for every segment.
type segment struct {
	name string
	seq  int    // occurrence among segments of the same name, from 1
	line string // the segment's text
	// fields are the fields' bounds in line. Bounds rather than strings:
	// storing a string stores a pointer, and each costs a write barrier
	// while the collector marks; a fee upload has hundreds of fields.
	fields []span
}

type span struct{ from, to int32 }

// field returns field n, or "" when the segment is shorter.
func (s *segment) field(n int) string {
	if n < len(s.fields) {
		return s.line[s.fields[n].from:s.fields[n].to]
	}
	return ""
}

// parseError is a structural fault found while splitting: where and what.
type parseError struct {
	at     pos
	zh, en string
}

// split cuts decoded text into segments and fields. Segments end in \r; \n
// and \r\n are accepted too, and blank lines are skipped. Fields are
// slices of text: nothing is copied.
func split(text string, d delims) ([]segment, *parseError) {
	return splitInto(text, d, new(splitBuf))
}

// splitBuf holds the segments and field bounds of one message, reused from
// message to message: they live only while Decode translates, and on a fee
// upload allocating and clearing them was a tenth of the round trip.
type splitBuf struct {
	segs []segment
	slab []span
}

var splitBufs = sync.Pool{New: func() any { return new(splitBuf) }}

// release drops the segments' references to the text and pools b.
func (b *splitBuf) release() {
	clear(b.segs)
	b.segs = b.segs[:0]
	splitBufs.Put(b)
}

// splitInto is split with the slices of buf, which it keeps for reuse.
func splitInto(text string, d delims, buf *splitBuf) ([]segment, *parseError) {
	nseg := strings.Count(text, "\r") + strings.Count(text, "\n") + 1
	if nseg > 2*(maxSegments+1) { // \r\n counts twice
		return nil, tooManySegments()
	}
	// The slab never grows past the limits, whatever the text holds.
	if n := min(strings.Count(text, string(d.field))+2*nseg, maxSegments*(maxFields+2)); cap(buf.slab) < n {
		buf.slab = make([]span, 0, n)
	}
	if cap(buf.segs) < nseg {
		clear(buf.segs)
		buf.segs = make([]segment, 0, nseg)
	}
	slab, segs := buf.slab[:0], buf.segs[:0]
	defer func() { buf.slab, buf.segs = slab[:0], segs }()
	var countBuf [16]nameCount
	counts := countBuf[:0]
	ends := lineEnds{text: text, cr: -1, lf: -1}
	for off := 0; off < len(text); {
		end := ends.next(off)
		s := text[off:end]
		off = end + 1
		if blank(s) {
			continue
		}
		line := len(segs) + 1
		if line > maxSegments {
			return nil, tooManySegments()
		}
		name := s
		if i := strings.IndexByte(s, d.field); i >= 0 {
			name = s[:i]
		}
		at := func() pos { return pos{seg: "segment " + strconv.Itoa(line)} }
		if !segmentName(name) {
			return nil, &parseError{at: at(), zh: "段名应为3位大写字母或数字，实际为 " + quote(name),
				en: "a segment name is 3 upper-case letters or digits, got " + quote(name)}
		}
		if line == 1 && name != "MSH" {
			return nil, &parseError{at: at(), zh: "报文应以 MSH 段开始", en: "a message starts with MSH"}
		}
		if c := control(s); c >= 0 {
			return nil, &parseError{at: at(), zh: "含控制字符 0x" + strconv.FormatInt(int64(c), 16),
				en: "control character 0x" + strconv.FormatInt(int64(c), 16) + " in the segment"}
		}
		var seq int
		seq, counts = count(counts, name)
		seg := segment{name: name, seq: seq, line: s}
		start := len(slab)
		var at0 int // where the fields after the name begin
		if name == "MSH" {
			slab = append(slab, span{0, 3}, span{3, 4}) // the name, then MSH-1, the separator itself
			at0 = min(len(s), 4)                        // MSH-2 onwards
		} else {
			slab = append(slab, span{0, int32(len(name))})
			at0 = min(len(s), len(name)+1)
		}
		limit := start + maxFields + 2
		if slab = cutFields(s, d.field, at0, slab, limit); len(slab) == limit {
			return nil, &parseError{at: pos{seg: name, seq: seg.seq},
				zh: "每段最多 " + strconv.Itoa(maxFields) + " 个字段", en: "at most " + strconv.Itoa(maxFields) + " fields per segment"}
		}
		seg.fields = slab[start:len(slab):len(slab)]
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return nil, &parseError{at: pos{seg: "MSH"}, zh: "报文为空", en: "the message is empty"}
	}
	return segs, nil
}

func tooManySegments() *parseError {
	n := strconv.Itoa(maxSegments)
	return &parseError{at: pos{seg: "segment " + strconv.Itoa(maxSegments+1)},
		zh: "报文最多 " + n + " 个段", en: "at most " + n + " segments per message"}
}

// lineEnds finds segment terminators, \r or \n, in a time linear in the
// text: it remembers where the next of each is, so that a text ending its
// lines in \n is not searched for \r again at every line.
type lineEnds struct {
	text   string
	cr, lf int // next \r and \n at or after the last offset; len(text) when none
}

// next returns the end of the line that starts at off.
func (e *lineEnds) next(off int) int {
	find := func(c byte, at int) int {
		if at >= off {
			return at
		}
		if i := strings.IndexByte(e.text[off:], c); i >= 0 {
			return off + i
		}
		return len(e.text)
	}
	e.cr, e.lf = find('\r', e.cr), find('\n', e.lf)
	return min(e.cr, e.lf)
}

// nameCount counts the segments of one name; a message has few names, so
// a slice searched in order beats a map.
type nameCount struct {
	name string
	n    int
}

// count counts one more segment called name and returns how many there
// are; the slice is passed and returned rather than by pointer, which
// keeps its first array on the stack.
func count(counts []nameCount, name string) (int, []nameCount) {
	for i := range counts {
		if counts[i].name == name {
			counts[i].n++
			return counts[i].n, counts
		}
	}
	return 1, append(counts, nameCount{name, 1})
}

func segmentName(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// cutFields appends to slab the bounds of the fields of s from f on, cut
// at sep, and stops once slab holds limit spans. Eight bytes are tested at
// a time, each separator found by its bit: most fields are short or
// empty, where a call to IndexByte per field costs more than the bytes.
func cutFields(s string, sep byte, f int, slab []span, limit int) []span {
	i, pat := f, swar.Ones*uint64(sep)
	for ; i+8 <= len(s); i += 8 {
		for m := swar.Zeros(swar.Word(s[i:i+8]) ^ pat); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			if slab = append(slab, span{int32(f), int32(j)}); len(slab) == limit {
				return slab
			}
			f = j + 1
		}
	}
	for ; i < len(s); i++ {
		if s[i] == sep {
			if slab = append(slab, span{int32(f), int32(i)}); len(slab) == limit {
				return slab
			}
			f = i + 1
		}
	}
	return append(slab, span{int32(f), int32(len(s))})
}

// control returns the first control character in s other than tab, or -1.
// Eight bytes at a time are first tested for any byte below 0x20 or equal
// to 0x7f; only a word that has one is looked at byte by byte.
func control(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := swar.Word(s[i : i+8])
		below := (x - 0x20*swar.Ones) &^ x & swar.Highs // a byte below 0x20 (or a false alarm past one)
		del := swar.FirstZero(x ^ 0x7f*swar.Ones)       // a byte equal to 0x7f
		if below|del != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return int(c)
		}
	}
	return -1
}

// blank reports whether s holds only white space (strings.TrimSpace would
// leave nothing), looking no further than its first other character.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
		default:
			if s[i] >= utf8.RuneSelf {
				return strings.TrimSpace(s[i:]) == ""
			}
			return false
		}
	}
	return true
}

// nth returns the n-th (from 1) piece of s cut at sep, or "".
func nth(s string, sep byte, n int) string {
	for ; n > 1; n-- {
		i := strings.IndexByte(s, sep)
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

// component returns component c (from 1) of the first repetition of a
// raw field, still escaped; c = 0 is the whole first repetition.
func (d delims) component(raw string, c int) string {
	raw = nth(raw, d.rep, 1)
	if c == 0 {
		return raw
	}
	return nth(raw, d.comp, c)
}

// subcomponent returns subcomponent 1 of component c (from 1) of the
// first repetition of a raw field, still escaped, and whether it holds the
// escape character; c = 0 is the whole first repetition. It is component
// followed by nth for the subcomponent, in one pass over the field: values
// are read field by field on every fee line.
func (d delims) subcomponent(raw string, c int) (string, bool) {
	return d.subcomponentStops(d.stops(), raw, c)
}

// stopSet marks the bytes subcomponent stops at: the repetition,
// component, subcomponent and escape characters. Testing one table entry
// per byte is about twice as fast as comparing each byte with four
// delimiters, and most bytes of a field are none of them.
type stopSet [256]bool

var defaultStops = defaultDelims.newStops()

func (d delims) newStops() *stopSet {
	s := new(stopSet)
	s[d.rep], s[d.comp], s[d.sub], s[d.esc] = true, true, true, true
	return s
}

// stops returns the stop set of d, shared for the usual delimiters.
func (d delims) stops() *stopSet {
	if d.rep == defaultDelims.rep && d.comp == defaultDelims.comp && d.sub == defaultDelims.sub && d.esc == defaultDelims.esc {
		return defaultStops
	}
	return d.newStops()
}

// subcomponentStops is subcomponent with the stop set of d given.
func (d delims) subcomponentStops(stop *stopSet, raw string, c int) (string, bool) {
	n, start, esc := 1, 0, false
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if !stop[b] {
			continue
		}
		switch {
		case b == d.rep:
			if n == c || c == 0 {
				return raw[start:i], esc
			}
			return "", false
		case c == 0:
			esc = esc || b == d.esc
		case b == d.comp:
			if n == c {
				return raw[start:i], esc
			}
			n, start, esc = n+1, i+1, false
		case b == d.sub && n == c:
			return raw[start:i], esc
		case b == d.esc:
			esc = true
		}
	}
	if n == c || c == 0 {
		return raw[start:], esc
	}
	return "", false
}

// unescape decodes the escape sequences of one value: \F\ \S\ \T\ \R\ \E\
// (and \P\ when a truncation character is declared) become the delimiter
// they stand for; \H\ and \N\ (highlighting) are dropped. Other sequences
// (\X..\ hex data, \Z..\, \.br\, charset switches) have no meaning in the
// fields provgate reads and are refused, as is an escape left open.
func (d delims) unescape(s string) (string, bool) {
	i := strings.IndexByte(s, d.esc)
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i+1:]
		j := strings.IndexByte(s, d.esc)
		if j < 0 {
			return "", false
		}
		switch s[:j] {
		case "F":
			b.WriteByte(d.field)
		case "S":
			b.WriteByte(d.comp)
		case "T":
			b.WriteByte(d.sub)
		case "R":
			b.WriteByte(d.rep)
		case "E":
			b.WriteByte(d.esc)
		case "P":
			if d.trunc == 0 {
				return "", false
			}
			b.WriteByte(d.trunc)
		case "H", "N":
		default:
			return "", false
		}
		s = s[j+1:]
		i = strings.IndexByte(s, d.esc)
	}
	b.WriteString(s)
	return b.String(), true
}

// defaultEscapes marks the bytes appendEscaped changes with the default
// delimiters: the delimiters and the control characters.
var defaultEscapes = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	d := defaultDelims
	t[0x7f], t[d.field], t[d.comp], t[d.rep], t[d.esc], t[d.sub] = true, true, true, true, true, true
	return t
}()

// defaultPlain marks the ASCII bytes appendEscaped leaves as they are with
// the default delimiters.
var defaultPlain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = !defaultEscapes[c]
	}
	return t
}()

// plainPrefix is the length of the start of v that is ASCII appendEscaped
// with the default delimiters copies as it is.
func plainPrefix(v string) int {
	i := 0
	for i < len(v) && defaultPlain[v[i]] {
		i++
	}
	return i
}

// appendEscaped appends v with every delimiter escaped and control
// characters (which would break the segment or the MLLP frame) replaced by
// spaces. Runs of plain bytes are copied whole.
func (d delims) appendEscaped(b []byte, v string) []byte {
	if d == defaultDelims { // nearly every message: one table lookup a byte
		i := 0
		for i < len(v) && !defaultEscapes[v[i]] {
			i++
		}
		if i == len(v) {
			return append(b, v...)
		}
	}
	plain := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		var code byte
		switch {
		case c >= 0x20 && c != 0x7f && c != d.field && c != d.comp && c != d.rep && c != d.esc && c != d.sub && (d.trunc == 0 || c != d.trunc):
			continue
		case c < 0x20 || c == 0x7f:
			code = ' '
		case c == d.esc:
			code = 'E'
		case c == d.field:
			code = 'F'
		case c == d.comp:
			code = 'S'
		case c == d.rep:
			code = 'R'
		case c == d.sub:
			code = 'T'
		default:
			code = 'P'
		}
		b = append(b, v[plain:i]...)
		if code == ' ' {
			b = append(b, ' ')
		} else {
			b = append(b, d.esc, code, d.esc)
		}
		plain = i + 1
	}
	return append(b, v[plain:]...)
}
