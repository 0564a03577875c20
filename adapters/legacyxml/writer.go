package legacyxml

import (
	"strconv"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// writer appends an indented XML reply in UTF-8; encodeText turns it into
// the reply's charset at the end.
type writer struct {
	b     []byte
	depth int
}

func (w *writer) prolog(cs charset) {
	w.b = append(w.b, `<?xml version="1.0" encoding="`...)
	w.b = append(w.b, cs.String()...)
	w.b = append(w.b, "\"?>"...)
}

func (w *writer) indent() {
	w.b = append(w.b, '\n')
	for i := 0; i < w.depth; i++ {
		w.b = append(w.b, ' ', ' ')
	}
}

func (w *writer) open(name string) {
	w.indent()
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	if w.depth == 0 {
		w.b = append(w.b, '\n')
	}
}

func (w *writer) start(name string) {
	w.indent()
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *writer) end(name string) {
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

// leaf writes <name>v</name>, or <name/> for an empty value.
func (w *writer) leaf(name, v string) {
	if v == "" {
		w.indent()
		w.b = append(w.b, '<')
		w.b = append(w.b, name...)
		w.b = append(w.b, "/>"...)
		return
	}
	w.start(name)
	w.text(v)
	w.end(name)
}

// fen writes an amount as yuan with two decimals: 11165.00, -0.50.
func (w *writer) fen(name string, v settlement.Fen) {
	w.start(name)
	w.b = appendScaled(w.b, int64(v), 100)
	w.end(name)
}

// ratio writes basis points as a four-decimal fraction: 0.7000.
func (w *writer) ratio(name string, v settlement.BP) {
	w.start(name)
	w.b = appendScaled(w.b, int64(v), 10000)
	w.end(name)
}

func appendScaled(b []byte, v int64, unit uint64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/unit, 10)
	b = append(b, '.')
	r := u % unit
	for d := unit / 10; d > 0; d /= 10 {
		b = append(b, byte('0'+r/d%10))
	}
	return b
}

// text escapes character data. Characters XML 1.0 cannot carry (most C0
// controls) and bytes that are not UTF-8 become U+FFFD, so the reply is
// always well formed. Runs that need nothing are copied whole.
func (w *writer) text(s string) {
	for len(s) > 0 {
		i := 0
		for i < len(s) && plainText[s[i]] {
			i++
		}
		w.b = append(w.b, s[:i]...)
		if i == len(s) {
			return
		}
		c, n := s[i], 1
		switch {
		case c == '&':
			w.b = append(w.b, "&amp;"...)
		case c == '<':
			w.b = append(w.b, "&lt;"...)
		case c == '>':
			w.b = append(w.b, "&gt;"...)
		case c < utf8.RuneSelf: // a control character
			w.b = append(w.b, "\uFFFD"...)
		default:
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
				w.b = append(w.b, "\uFFFD"...)
			} else {
				w.b = append(w.b, s[i:i+n]...)
			}
		}
		s = s[i+n:]
	}
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
