package legacyxml

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Entity and character references. Only the five entities XML predefines
// are known: with DTDs refused there is no way to declare another, and
// so nothing to expand.

type textErr struct {
	zh, en string
	at     int // byte offset in the unescaped text
}

// unescape resolves the predefined entities and character references.
func unescape(s string) (string, *textErr) {
	if strings.IndexByte(s, '&') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	done := 0 // bytes of the original consumed, for error offsets
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		at := done + i
		s = s[i+1:]
		j := strings.IndexByte(s, ';')
		if j < 0 || j > 10 {
			return "", &textErr{"“&”之后应为实体引用，如 &amp;", "'&' must start an entity reference such as &amp;", at}
		}
		ref := s[:j]
		s = s[j+1:]
		done = at + 1 + j + 1
		switch ref {
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "amp":
			b.WriteByte('&')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			r, ok := charRef(ref)
			switch {
			case ok:
			case ref != "" && ref[0] == '#':
				return "", &textErr{"字符引用无效", "invalid character reference", at}
			case !isLetters(ref):
				return "", &textErr{"“&”之后应为实体引用，如 &amp;", "'&' must start an entity reference such as &amp;", at}
			default: // a named entity: its name is safe to show
				return "", &textErr{"未知的实体引用 &" + ref + ";（只接受 XML 预定义实体和字符引用）",
					"unknown entity &" + ref + "; (only the predefined entities and character references are accepted)", at}
			}
			b.WriteRune(r)
		}
	}
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// charRef reads "#123" or "#x7B" as a character XML allows.
func charRef(ref string) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, false
	}
	r := rune(n)
	switch {
	case r == '\t' || r == '\n' || r == '\r':
	case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r > utf8.MaxRune:
		return 0, false
	}
	return r, true
}
