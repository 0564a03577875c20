package legacyxml

import (
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// writer appends an indented XML reply in the reply's charset. Markup and
// numbers are ASCII, the same in every charset; a value with other
// characters is escaped in UTF-8 and then encoded on its own (encodeText),
// so that a reply, mostly ASCII, is not transcoded as a whole.
type writer struct {
	b     []byte
	depth int
	cs    charset
}

func (w *writer) prolog(cs charset) {
	w.b = append(w.b, `<?xml version="1.0" encoding="`...)
	w.b = append(w.b, cs.String()...)
	w.b = append(w.b, "\"?>"...)
}

func (w *writer) indent() { w.b = appendIndent(w.b, w.depth) }

// newlineIndent is a line break and the indentation of the deepest
// element a reply has, two spaces a level.
const newlineIndent = "\n                                "

// appendIndent starts a line at depth. The writer's methods build on
// local slices, storing w.b once: each store of its pointer through w
// costs a write barrier while the collector marks.
func appendIndent(b []byte, depth int) []byte {
	if n := 1 + 2*depth; n <= len(newlineIndent) {
		return append(b, newlineIndent[:n]...)
	}
	b = append(b, '\n')
	for i := 0; i < depth; i++ {
		b = append(b, ' ', ' ')
	}
	return b
}

// appendStart and appendEnd write <name> on a new line and </name>.
func appendStart(b []byte, depth int, name string) []byte {
	b = appendIndent(b, depth)
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendEnd(b []byte, name string) []byte {
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}

func (w *writer) open(name string) {
	w.b = appendStart(w.b, w.depth, name)
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	b := appendEnd(appendIndent(w.b, w.depth), name)
	if w.depth == 0 {
		b = append(b, '\n')
	}
	w.b = b
}

func (w *writer) start(name string) { w.b = appendStart(w.b, w.depth, name) }

func (w *writer) end(name string) { w.b = appendEnd(w.b, name) }

// leaf writes <name>v</name>, or <name/> for an empty value.
func (w *writer) leaf(name, v string) {
	if v == "" {
		b := appendIndent(w.b, w.depth)
		b = append(b, '<')
		b = append(b, name...)
		w.b = append(b, '/', '>')
		return
	}
	w.start(name)
	w.text(v)
	w.end(name)
}

// fen writes an amount as yuan with two decimals: 11165.00, -0.50.
func (w *writer) fen(name string, v settlement.Fen) {
	w.b = appendEnd(appendScaled(appendStart(w.b, w.depth, name), int64(v), 100), name)
}

// qty and price write a quantity and a unit price as the national
// interface writes them (String), without a string per value.
func (w *writer) qty(name string, q settlement.Qty) {
	w.b = appendEnd(q.Append(appendStart(w.b, w.depth, name)), name)
}

func (w *writer) price(name string, p settlement.Price) {
	w.b = appendEnd(p.Append(appendStart(w.b, w.depth, name)), name)
}

// ratio writes basis points as a four-decimal fraction: 0.7000.
func (w *writer) ratio(name string, v settlement.BP) {
	w.b = appendEnd(appendScaled(appendStart(w.b, w.depth, name), int64(v), 10000), name)
}

// appendScaled writes v / unit (100 or 10000) with its decimals, by
// settlement's printer, which writes the digits straight into b.
func appendScaled(b []byte, v int64, unit uint64) []byte {
	if unit == 100 {
		return settlement.AppendScaled(b, v, 2)
	}
	return settlement.AppendScaled(b, v, 4)
}

// tags are an element's start tag on a new line at one depth, its end
// tag, and its empty form, written once for elements written often.
type tags struct{ start, end, empty string }

func tagsAt(depth int, name string) tags {
	line := newlineIndent[:1+2*depth]
	return tags{line + "<" + name + ">", "</" + name + ">", line + "<" + name + "/>"}
}

// appendLeaf is leaf with the element's tags made.
func appendLeaf(b []byte, t *tags, v string, cs charset) []byte {
	if v == "" {
		return append(b, t.empty...)
	}
	return append(appendTextIn(append(b, t.start...), v, cs), t.end...)
}

// text escapes character data. Characters XML 1.0 cannot carry (most C0
// controls) and bytes that are not UTF-8 become U+FFFD, so the reply is
// always well formed. Runs that need nothing are copied whole.
func (w *writer) text(s string) { w.b = appendTextIn(w.b, s, w.cs) }

// appendTextIn is text on a slice of its own.
func appendTextIn(b []byte, s string, cs charset) []byte {
	mark := len(b)
	b, high := appendText(b, s)
	if cs != csUTF8 && high {
		b = append(b[:mark], encodeText(b[mark:], cs)...)
	}
	return b
}

// appendText is text's escaping, in UTF-8, on a slice of its own; high
// reports whether it wrote anything but ASCII, which the reply's charset
// then encodes.
func appendText(b []byte, s string) (_ []byte, high bool) {
	for len(s) > 0 {
		i := 0
		for i < len(s) && plainText[s[i]] {
			i++
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return b, high
		}
		c, n := s[i], 1
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c < utf8.RuneSelf: // a control character
			b, high = append(b, "\uFFFD"...), true
		default:
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			high = true
		}
		s = s[i+n:]
	}
	return b, high
}

// plainText marks the bytes text copies unchanged: printable ASCII but
// '&', '<' and '>', and tab, line feed and carriage return.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '&' && c != '<' && c != '>'
	}
	t['\t'], t['\n'], t['\r'] = true, true, true
	return t
}()
