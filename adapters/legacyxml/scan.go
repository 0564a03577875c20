package legacyxml

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// The XML reader. It reads the subset of XML 1.0 that HIS software
// writes: elements, attributes (read and ignored), text, CDATA, comments,
// processing instructions and the five predefined entities with character
// references. A DTD (<!DOCTYPE ...>) is refused outright, so no entity can
// be declared and nothing can expand. It reads straight into a doc,
// without building a tree, and each value is a substring of the decoded
// text unless it holds an entity reference.

// Limits. One message is bounded in every direction; see doc.go.
const (
	MaxBodyBytes = 1 << 20 // bytes of one message as sent
	MaxFeeRows   = 1000    // KC22ROW per message, as the national uploads
	maxDiagRows  = 50
	maxDepth     = 10
	maxElements  = 40000
	maxNameLen   = 64
	maxValueLen  = 4000 // the national exp_content, the longest text field
)

// doc is what a message says: the message's elements by field, and the
// rows of its lists.
type doc struct {
	v     [nFields]string
	at    [nFields]string // the element each value came from, as written
	fees  []feeRow
	diags []diagRow
	lists [2]bool // a KC22XML, a DIAGXML seen
}

type feeRow struct {
	v    [nFeeFields]string
	name string // the row element as written, for refusals
}

// feeRows keeps the row lists of decoded messages for the next: a row
// is large, and rows live only until the requests are built.
var feeRowLists = sync.Pool{New: func() any { return new([]feeRow) }}

// maxPooledRows bounds the lists kept; longer ones go to the collector.
const maxPooledRows = 256

// takeFeeRows returns an empty row list, of capacity hint if it is new.
func takeFeeRows(hint int) []feeRow {
	rows := *feeRowLists.Get().(*[]feeRow)
	if rows == nil {
		rows = make([]feeRow, 0, hint)
	}
	return rows
}

// release gives the doc's rows back, cleared: they hold substrings of
// the message, which the pool must not keep alive.
func (d *doc) release() {
	if d.fees == nil || cap(d.fees) > maxPooledRows {
		return
	}
	clear(d.fees)
	rows := d.fees[:0]
	d.fees = nil
	feeRowLists.Put(&rows)
}

type diagRow struct {
	v    [nDiagFields]string
	name string
}

type frameKind uint8

const (
	plain    frameKind = iota
	feeRows            // a KC22XML: its children are fee rows
	diagRows           // a DIAGXML
	feeItem            // a KC22ROW: its children are fee fields
	diagItem           // a DIAGROW
	rowField           // a child of a row: holds a value only
)

type frame struct {
	// The name as written is src[at:end], and upper is its upper case
	// when that differs. Offsets rather than strings: a frame is written
	// for every element, and a string stored costs a write barrier while
	// the collector marks.
	at, end int32
	upper   string
	kind    frameKind
	child   bool // has child elements
	// The text content so far: src[textAt:textEnd] when it is one run
	// without references (textEnd > 0), else text.
	textAt, textEnd int32
	text            string
	nonSpace        bool  // text holds more than white space
	high            bool  // text holds non-ASCII bytes
	seq             uint8 // leaf elements leafElement read in a fee row, up to 255
}

type parser struct {
	src      string
	pos      int
	stack    [maxDepth]frame
	depth    int
	elements int
	root     bool
	// gbk: src is the message's GBK bytes as sent (source with inPlace),
	// not UTF-8. Markup is ASCII in both and no GBK trail byte is one of
	// the bytes that delimit it (< > & ; = quotes, white space), so the
	// reader takes the same steps; each stretch with other bytes (text,
	// comment, processing instruction, attribute value) is checked
	// against gbkTable where it is met, values kept are decoded (close),
	// and columns count GBK characters (position). What it could not read
	// exactly as in UTF-8 (bytes the table lacks, a non-ASCII name, a
	// reference next to non-ASCII text, CDATA holding non-ASCII, whose
	// "]]>" a trail byte could fake) is errInPlace: Decode then reads the
	// message decoded.
	gbk    bool
	leaves bool // read leaf elements with leaf
	d      *doc
	joins  *rowJoins // taken from joinTables when a fee row is first read
}

// errInPlace is parse giving up on GBK read in place; never a refusal.
var errInPlace = errors.New("legacyxml: read the message decoded")

// parse reads the message text into d; gbk as in parser, and leaves
// turns parser.leaf on.
func parse(src string, d *doc, gbk, leaves bool) error {
	p := parser{src: src, d: d, gbk: gbk, leaves: leaves}
	err := p.run()
	if p.joins != nil {
		joinTables.Put(p.joins)
	}
	return err
}

// ascii reports whether s has no byte above 0x7F.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (p *parser) run() error {
	s := p.src
	for p.pos < len(s) {
		if s[p.pos] != '<' {
			// Runs of text are short (indentation, a value): read up to
			// the next '<' and classify the bytes in the same loop.
			n, class := scanText(s[p.pos:])
			end := p.pos + n
			// White space between child elements, the indentation, is
			// what classified would drop: dropped here.
			if class != 0 || p.depth == 0 || !p.stack[p.depth-1].child {
				if err := p.classified(s[p.pos:end], p.pos, true, class); err != nil {
					return err
				}
			}
			p.pos = end
			continue
		}
		rest := s[p.pos:]
		// The byte after '<' tells the kinds apart; most are start and
		// end tags, which then need no prefix comparison.
		var next byte
		if len(rest) > 1 {
			next = rest[1]
		}
		switch {
		case next != '!' && next != '?' && next != '/':
			if done, err := p.leafElement(); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
			if err := p.startTag(); err != nil {
				return err
			}
			if err := p.leaf(); err != nil {
				return err
			}
		case next == '/':
			if err := p.endTag(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!--"):
			k := strings.Index(rest[4:], "-->")
			if k < 0 {
				return p.truncated(zhEn("注释未结束", "inside a comment"))
			}
			if p.gbk && !gbkSpan(rest[4:4+k]) {
				return errInPlace
			}
			p.pos += 4 + k + 3
		case strings.HasPrefix(rest, "<![CDATA["):
			k := strings.Index(rest[9:], "]]>")
			if p.gbk && !ascii(rest[9:9+max(k, 0)]) {
				return errInPlace
			}
			if k < 0 {
				return p.truncated(zhEn("CDATA 段未结束", "inside a CDATA section"))
			}
			if err := p.text(rest[9:9+k], p.pos, false); err != nil {
				return err
			}
			p.pos += 9 + k + 3
		case next == '!':
			return p.bad(p.pos, "不接受 DTD（<!DOCTYPE>）和实体声明", "DTDs (<!DOCTYPE>) and entity declarations are not accepted")
		default: // "<?"
			k := strings.Index(rest, "?>")
			if k < 0 {
				return p.truncated(zhEn("处理指令未结束", "inside a processing instruction"))
			}
			if target, _, _ := p.name(p.pos + 2); strings.EqualFold(target, "xml") && !blank(s[:p.pos]) {
				return p.bad(p.pos, "XML 声明必须位于报文开头", "the XML declaration must come first")
			}
			if p.gbk && !gbkSpan(rest[:k]) {
				return errInPlace
			}
			p.pos += k + 2
		}
	}
	if p.depth > 0 {
		top := p.rawOf(&p.stack[p.depth-1])
		return p.truncated(zhEn("缺少 </"+top+">", "before </"+top+">"))
	}
	if !p.root {
		return p.bad(p.pos, "报文中没有XML元素", "the message holds no XML element")
	}
	return nil
}

// leaf reads, right after its start tag, the usual rest of a leaf
// element: ASCII text without references or control characters, then
// its end tag as written. It takes the steps the loop in run would take
// (classified, then endTag's usual case), without going round the loop;
// for anything else it leaves p as it was, and run reads on.
func (p *parser) leaf() error {
	if !p.leaves || p.depth == 0 {
		return nil
	}
	// Only the element just opened can be open with neither children nor
	// text: any element opened after it would be its child.
	f := &p.stack[p.depth-1]
	if f.child || f.textEnd != 0 || f.text != "" {
		return nil
	}
	s := p.src
	at := p.pos
	n, class := scanText(s[at:])
	end := at + n
	top := p.rawOf(f)
	close := end + 2 + len(top)
	if end == at || end-at > maxValueLen || class&(badText|ampText|highText) != 0 ||
		close >= len(s) || s[end+1] != '/' || s[close] != '>' || s[end+2:close] != top {
		return nil
	}
	f.textAt, f.textEnd = int32(at), int32(end)
	f.nonSpace = class&nonSpaceText != 0
	p.pos = close + 1
	return p.close()
}

// leafElement reads, at a '<', the usual element of a message whole:
// <NAME>text</NAME>, an upper-case name without attributes, text
// without references or control characters, under an element that holds
// fields or is a row, and not a list. It does what startTag, leaf and
// close would do, without a frame; for anything else it reports false
// and leaves p as it was. In a fee row it reads on (rowLeaves).
func (p *parser) leafElement() (bool, error) {
	if !p.leaves || p.depth == 0 || p.depth == maxDepth || p.elements == maxElements {
		return false, nil
	}
	// The parent first: a row under its list (a KC22ROW) is never read
	// here, and is told so before its name and text are read.
	parent := &p.stack[p.depth-1]
	switch parent.kind {
	case plain, feeItem, diagItem:
	default:
		return false, nil
	}
	if parent.nonSpace {
		return false, nil
	}
	s := p.src
	raw, i, class := p.name(p.pos + 1)
	if raw == "" || class&(nameLower|nameHigh) != 0 || len(raw) > maxNameLen || i >= len(s) || s[i] != '>' ||
		parent.kind == plain && (raw == feeList || raw == diagList) {
		return false, nil
	}
	start := i + 1
	end, text, ok := p.leafText(raw, start)
	if !ok {
		return false, nil
	}
	p.elements++
	parent.child = true
	p.pos = end + 3 + len(raw)
	t := s[start:end]
	high := text&highText != 0
	switch parent.kind {
	case feeItem:
		row := &p.d.fees[len(p.d.fees)-1]
		if id, ok := feeRowField(raw); ok && !set(&row.v[id], p.leafValue(t, high)) {
			return true, twice(rowAt(row.name, len(p.d.fees), feeFieldNames[id]))
		}
		if parent.seq < 255 {
			parent.seq++
		}
		return true, p.rowLeaves(parent, row, raw, end)
	case diagItem:
		row := &p.d.diags[len(p.d.diags)-1]
		if id, ok := diagRowField(raw); ok && !set(&row.v[id], p.leafValue(t, high)) {
			return true, twice(rowAt(row.name, len(p.d.diags), diagFieldNames[id]))
		}
	default:
		if id, ok := messageField(raw); ok {
			v := p.leafValue(t, high)
			if !set(&p.d.v[id], v) {
				return true, twice(p.rawOf(parent) + "/" + fieldNames[id])
			}
			if v != "" && p.d.at[id] == "" {
				p.d.at[id] = p.rawOf(parent)
			}
		}
	}
	return true, nil
}

// leafText reads the text of a leaf element named name from start, up
// to the '<' of its end tag (end), and the bytes' textClass ORed; ok
// reports whether leafElement may read it: text without references or
// control characters, not too long, and the end tag </name> right after.
func (p *parser) leafText(name string, start int) (end int, class uint8, ok bool) {
	s := p.src
	n, class := scanText(s[start:])
	end = start + n
	closeAt := end + 2 + len(name)
	if end-start > maxValueLen || class&(badText|ampText) != 0 ||
		closeAt >= len(s) || s[end+1] != '/' || s[closeAt] != '>' || s[end+2:closeAt] != name {
		return end, class, false
	}
	// Non-ASCII text (an item's name) read in place is checked here as
	// classified checks it; what classified would hand back to the
	// decoded reading (bytes GBK lacks, a value near the limit) is left
	// to the loop, which then does.
	if class&highText != 0 && p.gbk && (end-start > maxValueLen*2/3 || !gbkSpan(s[start:end])) {
		return end, class, false
	}
	return end, class, true
}

// rowJoin is what stands between two leaf elements of a fee row, the
// first one's end tag to the second one's start tag, white space
// between: "</AKC221>\n        <AKC515>". The rows of a message repeat
// their elements in the same order, so the joins met in the first row
// say what the next rows hold, and a match reads the next element's name
// and what field it is at once.
type rowJoin struct {
	s    string   // a substring of the message
	next string   // the second element's name, which ends s but for its '>'
	id   feeField // the field the second element is, if ok
	ok   bool
	// none names the element last seen here without a leaf after it
	// (the row's last), which is then not looked for again: run reads
	// what follows it.
	none string
}

// rowJoins are the joins of a fee row's leaves, by the leaf they follow.
type rowJoins [24]rowJoin

// joinTables keeps the joins learnt for the next messages: the rows of
// one hospital's messages are alike, so a message's first row finds
// them known. They hold copies, not the messages' text.
var joinTables = sync.Pool{New: func() any { return new(rowJoins) }}

// rowLeaves reads on in a fee row after leafElement read the leaf
// element name, whose end tag starts at end: while the next element is
// another leaf, it does what run would do (drop the white space between,
// then leafElement), going from join to join. It stops, with p after
// the last element read, at anything else.
func (p *parser) rowLeaves(parent *frame, row *feeRow, name string, end int) error {
	s := p.src
	// The element just read is the row's k-th leaf; parent.seq is left
	// at k+1 (at most len(p.joins)) for the next call.
	if p.joins == nil {
		p.joins = joinTables.Get().(*rowJoins)
	}
	k := int(parent.seq) - 1
	for ; k < len(p.joins); k++ {
		j := &p.joins[k]
		if j.s == "" || !strings.HasPrefix(s[end:], j.s) {
			if j.none == name || !p.learnJoin(j, name, end) {
				break
			}
		}
		next := j.next
		start := end + len(j.s)
		if p.elements == maxElements {
			p.pos = start - len(next) - 2 // its '<'; the loop refuses it
			break
		}
		e, text, ok := p.leafText(next, start)
		if !ok {
			p.pos = start - len(next) - 2
			break
		}
		p.elements++
		p.pos = e + 3 + len(next)
		if j.ok && !set(&row.v[j.id], p.leafValue(s[start:e], text&highText != 0)) {
			return twice(rowAt(row.name, len(p.d.fees), feeFieldNames[j.id]))
		}
		name, end = next, e
	}
	parent.seq = uint8(k + 1)
	return nil
}

// learnJoin makes j the join at end, after the end tag of name, if what
// follows it is white space and then the start tag of a leaf element as
// leafElement reads one.
func (p *parser) learnJoin(j *rowJoin, name string, end int) bool {
	s := p.src
	i := end + 3 + len(name)
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != '<' {
		j.none = strings.Clone(name)
		return false
	}
	raw, k, class := p.name(i + 1)
	if raw == "" || class&(nameLower|nameHigh) != 0 || len(raw) > maxNameLen || k >= len(s) || s[k] != '>' {
		j.none = strings.Clone(name)
		return false
	}
	id, ok := feeRowField(raw)
	js := strings.Clone(s[end : k+1])
	*j = rowJoin{s: js, next: js[len(js)-1-len(raw) : len(js)-1], id: id, ok: ok}
	return true
}

// leafValue is value for leafElement's text t; high as in frame.
// Small enough to be inlined: most values need neither trimming nor
// decoding.
func (p *parser) leafValue(t string, high bool) string {
	if p.gbk && high {
		return gbkString(trimSpace(t))
	}
	if len(t) > 0 && (isSpace(t[0]) || isSpace(t[len(t)-1])) {
		return trimSpace(t)
	}
	return t
}

// name reads an XML name at i and returns it with the index after it,
// and its bytes' nameClass ORed: whether it has lower-case letters, or
// bytes above 0x7F, is known without reading it again.
func (p *parser) name(i int) (string, int, uint8) {
	// Indexing t from 0, with the table by a pointer, keeps the loop to
	// a few instructions a byte: no bounds check, no table address.
	t := p.src[i:]
	nc := &nameClass
	var class uint8
	n := 0
	if len(t) > 0 && nc[t[0]]&nameStart != 0 {
		for ; n < len(t); n++ {
			c := nc[t[n]]
			if c&nameByte == 0 {
				break
			}
			class |= c
		}
	}
	return t[:n], i + n, class
}

// scanText reads t up to its first '<' (or its end) and returns where
// that is and the bytes' textClass ORed: the reader's loop over every
// run of text, written as name's.
func scanText(t string) (int, uint8) {
	tc := &textClass
	var class uint8
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '<' {
			return i, class
		}
		class |= tc[c]
	}
	return len(t), class
}

// nameClass sorts bytes for names: those a name may start with (letters,
// '_', ':', any byte of a multi-byte character) and hold (also '-', '.'
// and digits), lower-case letters and bytes above 0x7F. A table, since
// every tag's name is read.
const (
	nameStart = 1 << iota
	nameByte
	nameLower
	nameHigh
)

var nameClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if c >= 0x80 || c == '_' || c == ':' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
			t[c] |= nameStart | nameByte
		}
		if c == '-' || c == '.' || '0' <= c && c <= '9' {
			t[c] |= nameByte
		}
		if 'a' <= c && c <= 'z' {
			t[c] |= nameLower
		}
		if c >= 0x80 {
			t[c] |= nameHigh
		}
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// blank reports whether s is only XML white space.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func (p *parser) skipSpace(i int) int {
	for i < len(p.src) && isSpace(p.src[i]) {
		i++
	}
	return i
}

func (p *parser) startTag() error {
	s := p.src
	at := p.pos + 1
	raw, i, class := p.name(at)
	if p.gbk && class&nameHigh != 0 {
		return errInPlace
	}
	if raw == "" {
		if p.pos+1 >= len(s) {
			return p.truncated(zhEn("在标签内", "inside a tag"))
		}
		return p.bad(p.pos, "“<”之后应为元素名", "expected an element name after '<'")
	}
	if len(raw) > maxNameLen {
		return p.bad(p.pos, "元素名过长", "element name too long")
	}
	for {
		j := p.skipSpace(i)
		if j >= len(s) {
			return p.truncated(zhEn("在标签 <"+raw+"> 内", "inside the tag <"+raw+">"))
		}
		switch {
		case s[j] == '>':
			p.pos = j + 1
			return p.open(at, raw, class, false)
		case s[j] == '/':
			if j+1 >= len(s) {
				return p.truncated(zhEn("在标签 <"+raw+"> 内", "inside the tag <"+raw+">"))
			}
			if s[j+1] != '>' {
				return p.bad(j, "“/”之后应为“>”", "expected '>' after '/'")
			}
			p.pos = j + 2
			return p.open(at, raw, class, true)
		case j == i:
			return p.bad(j, "标签 <"+raw+"> 中属性之前应有空白", "expected white space before an attribute in <"+raw+">")
		}
		var err error
		if i, err = p.attribute(j, raw); err != nil {
			return err
		}
	}
}

// attribute reads name="value" at i. Attributes carry nothing the dialect
// uses; they are read only so that a tag is well formed.
func (p *parser) attribute(i int, tag string) (int, error) {
	s := p.src
	attr, j, class := p.name(i)
	if p.gbk && class&nameHigh != 0 {
		return 0, errInPlace
	}
	if attr == "" {
		return 0, p.bad(i, "标签 <"+tag+"> 中的属性名无效", "invalid attribute name in <"+tag+">")
	}
	j = p.skipSpace(j)
	if j >= len(s) {
		return 0, p.truncated(zhEn("在标签 <"+tag+"> 内", "inside the tag <"+tag+">"))
	}
	if s[j] != '=' {
		return 0, p.bad(j, "属性 "+attr+" 之后应为“=”", "expected '=' after attribute "+attr)
	}
	j = p.skipSpace(j + 1)
	if j >= len(s) {
		return 0, p.truncated(zhEn("在标签 <"+tag+"> 内", "inside the tag <"+tag+">"))
	}
	q := s[j]
	if q != '"' && q != '\'' {
		return 0, p.bad(j, "属性 "+attr+" 的值应加引号", "the value of attribute "+attr+" must be quoted")
	}
	k := strings.IndexByte(s[j+1:], q)
	if k < 0 {
		return 0, p.truncated(zhEn("在属性 "+attr+" 的值内", "inside the value of attribute "+attr))
	}
	if v := s[j+1 : j+1+k]; p.gbk && !gbkSpan(v) {
		return 0, errInPlace
	} else if strings.IndexByte(v, '<') >= 0 {
		return 0, p.bad(j, "属性值中不能有“<”", "'<' is not allowed in an attribute value")
	} else if p.gbk && strings.IndexByte(v, '&') >= 0 && !ascii(v) {
		return 0, errInPlace // a reference's length to its ';' is counted in bytes
	} else if _, err := unescape(v); err != nil {
		return 0, p.bad(j+1+err.at, err.zh, err.en)
	}
	return j + 1 + k + 1, nil
}

func (p *parser) endTag() error {
	s := p.src
	if p.depth > 0 {
		// The usual end tag closes the top element as written, with
		// nothing before its '>': compared in place, without reading a
		// name first.
		top := p.rawOf(&p.stack[p.depth-1])
		if i := p.pos + 2 + len(top); i < len(s) && s[i] == '>' && s[p.pos+2:i] == top {
			p.pos = i + 1
			return p.close()
		}
	}
	raw, i, class := p.name(p.pos + 2)
	if p.gbk && class&nameHigh != 0 {
		return errInPlace
	}
	i = p.skipSpace(i)
	if i >= len(s) {
		return p.truncated(zhEn("在结束标签内", "inside an end tag"))
	}
	if raw == "" || s[i] != '>' {
		return p.bad(p.pos, "结束标签格式错误", "malformed end tag")
	}
	if p.depth == 0 {
		return p.bad(p.pos, "多余的结束标签 </"+raw+">", "end tag </"+raw+"> without a start tag")
	}
	if top := p.rawOf(&p.stack[p.depth-1]); top != raw {
		return p.bad(p.pos, "应为 </"+top+">，实际为 </"+raw+">", "expected </"+top+">, found </"+raw+">")
	}
	p.pos = i + 1
	return p.close()
}

// open pushes an element, deciding what it is from where it stands;
// class is its name's (see name).
func (p *parser) open(at int, raw string, class uint8, empty bool) error {
	if p.elements++; p.elements > maxElements {
		return p.bad(p.pos, "元素过多（上限 "+strconv.Itoa(maxElements)+"）", "too many elements (limit "+strconv.Itoa(maxElements)+")")
	}
	if p.depth == maxDepth {
		return p.bad(p.pos, "元素嵌套过深（上限 "+strconv.Itoa(maxDepth)+" 层）", "elements nested too deep (limit "+strconv.Itoa(maxDepth)+")")
	}
	// The frame is made in place, above the top: it counts once depth
	// is raised, and a refusal before leaves nothing.
	f := &p.stack[p.depth]
	*f = frame{at: int32(at), end: int32(at + len(raw))}
	if class&nameLower != 0 {
		f.upper = strings.ToUpper(raw) // "" for a name in upper case, the usual spelling
	}
	if p.depth == 0 {
		if p.root {
			return p.bad(p.pos, "报文只能有一个根元素，多出 <"+raw+">", "a message has one root element; <"+raw+"> is a second")
		}
		p.root = true
	} else {
		parent := &p.stack[p.depth-1]
		if parent.nonSpace {
			return p.bad(p.pos, "<"+p.rawOf(parent)+"> 中不能既有文本又有子元素", "<"+p.rawOf(parent)+"> mixes text with elements")
		}
		parent.child = true
		switch parent.kind {
		case feeRows:
			if len(p.d.fees) == MaxFeeRows {
				return p.bad(p.pos, "费用明细超过 "+strconv.Itoa(MaxFeeRows)+" 条", "more than "+strconv.Itoa(MaxFeeRows)+" fee rows")
			}
			if p.d.fees == nil {
				// Rows are large: rather than grow the list row by row,
				// size it for what is left of the message, at about 400
				// bytes a row (a hint: the list grows if rows are shorter).
				p.d.fees = takeFeeRows(min(MaxFeeRows, 4+(len(p.src)-p.pos)/400))
			}
			// A row is large: the list is lengthened in place rather than
			// a zero row copied in (pooled rows are cleared, new ones zero).
			if n := len(p.d.fees); n < cap(p.d.fees) {
				p.d.fees = p.d.fees[:n+1]
			} else {
				p.d.fees = append(p.d.fees, feeRow{})
			}
			p.d.fees[len(p.d.fees)-1].name = raw
			f.kind = feeItem
		case diagRows:
			if len(p.d.diags) == maxDiagRows {
				return p.bad(p.pos, "诊断超过 "+strconv.Itoa(maxDiagRows)+" 条", "more than "+strconv.Itoa(maxDiagRows)+" diagnoses")
			}
			p.d.diags = append(p.d.diags, diagRow{name: raw})
			f.kind = diagItem
		case feeItem, diagItem:
			f.kind = rowField
		case rowField:
			return p.bad(p.pos, "<"+p.rawOf(parent)+"> 是明细字段，不能包含子元素", "<"+p.rawOf(parent)+"> is a row field and cannot hold elements")
		}
	}
	if f.kind == plain {
		switch p.nameOf(f) {
		case feeList, diagList:
			i := 0
			f.kind = feeRows
			if p.nameOf(f) == diagList {
				i, f.kind = 1, diagRows
			}
			if p.d.lists[i] {
				return p.bad(p.pos, "<"+raw+"> 只能出现一次", "<"+raw+"> may appear only once")
			}
			p.d.lists[i] = true
		}
	}
	p.depth++
	if empty {
		return p.close()
	}
	return nil
}

// close pops the top element; a leaf gives its value to the doc.
func (p *parser) close() error {
	p.depth--
	f := &p.stack[p.depth]
	if f.child || p.depth == 0 {
		return nil
	}
	parent := &p.stack[p.depth-1]
	switch f.kind {
	case rowField:
		if parent.kind == feeItem {
			row := &p.d.fees[len(p.d.fees)-1]
			if id, ok := feeRowField(p.nameOf(f)); ok && !set(&row.v[id], p.value(f)) {
				return twice(rowAt(row.name, len(p.d.fees), feeFieldNames[id]))
			}
			return nil
		}
		row := &p.d.diags[len(p.d.diags)-1]
		if id, ok := diagRowField(p.nameOf(f)); ok && !set(&row.v[id], p.value(f)) {
			return twice(rowAt(row.name, len(p.d.diags), diagFieldNames[id]))
		}
	case plain:
		if id, ok := messageField(p.nameOf(f)); ok {
			v := p.value(f)
			if !set(&p.d.v[id], v) {
				return twice(p.rawOf(parent) + "/" + fieldNames[id])
			}
			if v != "" && p.d.at[id] == "" {
				p.d.at[id] = p.rawOf(parent)
			}
		}
	}
	return nil
}

// value is the trimmed text of a leaf the doc keeps, in UTF-8.
func (p *parser) value(f *frame) string {
	v := trimSpace(p.textOf(f))
	if p.gbk && f.high {
		v = gbkString(v)
	}
	return v
}

// set stores a value unless the field already holds another one: a
// second, different value for the same field (say AKE001 and AKC222 on one
// row) is ambiguous.
func set(dst *string, v string) bool {
	switch {
	case v == "" || *dst == v:
	case *dst == "":
		*dst = v
	default:
		return false
	}
	return true
}

func twice(at string) error {
	return settlement.Errorf(settlement.CodeBadMessage, format, at, settlement.Bi(
		"同一字段出现两次且取值不同", "the field appears twice with different values"))
}

// rowAt names a field of the i-th row (from 1), e.g. KC22ROW[2]/AKC226.
func rowAt(row string, i int, field string) string {
	return row + "[" + strconv.Itoa(i) + "]/" + field
}

// text adds character data at off to the open element; escaped is false
// for CDATA.
func (p *parser) text(t string, off int, escaped bool) error {
	// One pass for both questions asked of every run of text, most of it
	// the indentation between elements: a control character, and
	// anything but white space.
	var class uint8
	for i := 0; i < len(t); i++ {
		class |= textClass[t[i]]
	}
	return p.classified(t, off, escaped, class)
}

// classified is text for a run whose bytes' classes, ORed, are class.
func (p *parser) classified(t string, off int, escaped bool, class uint8) error {
	if p.gbk && class&highText != 0 && !gbkSpan(t) {
		return errInPlace
	}
	if class&badText != 0 {
		i := 0
		for textClass[t[i]]&badText == 0 {
			i++
		}
		return p.bad(off+i, "不允许的控制字符", "control character not allowed")
	}
	nonSpace := class&nonSpaceText != 0
	if p.depth == 0 {
		if nonSpace || !escaped {
			return p.bad(off, "根元素之外不能有文本", "text outside the root element")
		}
		return nil
	}
	f := &p.stack[p.depth-1]
	if f.child {
		if nonSpace {
			return p.bad(off, "<"+p.rawOf(f)+"> 中不能既有文本又有子元素", "<"+p.rawOf(f)+"> mixes text with elements")
		}
		return nil // white space between elements: nothing to keep
	}
	sub := escaped && class&ampText == 0 // t is src[off:off+len(t)]
	if escaped && class&ampText != 0 {
		if p.gbk {
			// A character reference would put UTF-8 among the GBK bytes.
			return errInPlace
		}
		u, err := unescape(t)
		if err != nil {
			return p.bad(off+err.at, err.zh, err.en)
		}
		t = u
		nonSpace = !blank(t) // a character reference may stand for a space
	}
	if sub && f.text == "" && f.textEnd == 0 {
		f.textAt, f.textEnd = int32(off), int32(off+len(t)) // the usual: one run
	} else {
		f.text = p.textOf(f) + t
		f.textAt, f.textEnd = 0, 0
	}
	f.nonSpace = f.nonSpace || nonSpace
	f.high = f.high || class&highText != 0
	if p.gbk && f.high && len(p.textOf(f)) > maxValueLen*2/3 {
		// The limit is on UTF-8 bytes, up to 3/2 of the GBK bytes: near
		// it, only the decoded text tells.
		return errInPlace
	}
	if len(p.textOf(f)) > maxValueLen {
		return p.bad(off, "<"+p.rawOf(f)+"> 的值过长（上限 "+strconv.Itoa(maxValueLen)+" 字节）", "<"+p.rawOf(f)+"> is too long (limit "+strconv.Itoa(maxValueLen)+" bytes)")
	}
	return nil
}

// textClass sorts the bytes of character data for text, which ORs the
// classes of a run's bytes instead of testing each byte twice.
const (
	nonSpaceText = 1 << iota // anything but XML white space
	badText                  // a control character XML 1.0 does not allow
	ampText                  // '&', which starts a reference
	highText                 // a byte above 0x7F
)

var textClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case isSpace(byte(c)):
		case c < 0x20:
			t[c] = badText | nonSpaceText
		case c == '&':
			t[c] = ampText | nonSpaceText
		case c >= utf8.RuneSelf:
			t[c] = highText | nonSpaceText
		default:
			t[c] = nonSpaceText
		}
	}
	return t
}()

// rawOf is a frame's name as written.
func (p *parser) rawOf(f *frame) string { return p.src[f.at:f.end] }

// textOf is a frame's text content so far.
func (p *parser) textOf(f *frame) string {
	if f.textEnd > 0 {
		return p.src[f.textAt:f.textEnd]
	}
	return f.text
}

// nameOf is a frame's name in upper case.
func (p *parser) nameOf(f *frame) string {
	if f.upper != "" {
		return f.upper
	}
	return p.rawOf(f)
}
