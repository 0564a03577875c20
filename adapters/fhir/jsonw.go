package fhir

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// writer appends JSON to one buffer. Replies have a fixed shape, so they
// are written element by element rather than built as Go values for an
// encoder to reflect over: about half the time goccy took (see the package
// documentation). Commas are placed by the writer: a bit per open object or
// array says whether it has a member yet. A writer lives on its caller's
// stack; its buffer, sized for the reply, becomes the reply.
type writer struct {
	b      []byte
	filled uint64 // bit d: the container at depth d has a member
	depth  int    // replies nest a few levels, far below 64
	keyed  bool   // a key was just written: the value needs no comma
}

func (w *writer) sep() {
	if w.keyed {
		w.keyed = false
		return
	}
	bit := uint64(1) << w.depth
	if w.filled&bit != 0 {
		w.b = append(w.b, ',')
	}
	w.filled |= bit
}

func (w *writer) open(c byte) {
	w.sep()
	w.b = append(w.b, c)
	w.depth++
	w.filled &^= 1 << w.depth
}

func (w *writer) close(c byte) {
	w.b = append(w.b, c)
	w.depth--
}

// key writes an object key; keys are ASCII names, written as they are.
//
// Here and below, bytes are appended to a local slice stored back once:
// each store of the slice into the writer is a pointer write, which costs
// a write barrier while the collector runs.
func (w *writer) key(k string) {
	w.sep()
	b := append(w.b, '"')
	b = append(b, k...)
	w.b = append(b, '"', ':')
	w.keyed = true
}

func (w *writer) str(s string) {
	w.sep()
	w.b = appendString(w.b, s)
}

func (w *writer) int(n int) {
	w.sep()
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

func (w *writer) bool(v bool) {
	w.sep()
	w.b = strconv.AppendBool(w.b, v)
}

// number writes a decimal as formatted (money with two decimals, ratios
// with four).
func (w *writer) number(s string) {
	w.sep()
	w.b = append(w.b, s...)
}

// field writes "k":"v"; an empty v writes nothing, as FHIR has no empty
// strings.
func (w *writer) field(k, v string) {
	if v != "" {
		w.key(k)
		w.str(v)
	}
}

// constant writes "k":"v" for a v of this package (a code system, a fixed
// code), which needs no escaping.
func (w *writer) constant(k, v string) {
	w.key(k)
	w.keyed = false
	b := append(w.b, '"')
	b = append(b, v...)
	w.b = append(b, '"')
}

// time writes "k":t, a FHIR dateTime in China time, formatted in place:
// its digits and punctuation need no escaping.
func (w *writer) time(k string, t time.Time) { w.chinaTime(k, t, true) }

// date writes "k":t's date in China time, as a FHIR date.
func (w *writer) date(k string, t time.Time) { w.chinaTime(k, t, false) }

func (w *writer) chinaTime(k string, t time.Time, clock bool) {
	w.key(k)
	w.keyed = false
	b := append(w.b, '"')
	b = appendChinaTime(b, t, clock)
	w.b = append(b, '"')
}

// appendChinaTime appends t in China time (UTC+8 all year) as a FHIR
// dateTime (fhirTimeLayout) or, without clock, a date (2006-01-02). The
// digits are worked out from the Unix time rather than through the time
// package's formatter, which took a tenth of writing a ClaimResponse;
// times before 1970 or after 9999 are left to the formatter
// (TestChinaTime checks the two agree).
func appendChinaTime(b []byte, t time.Time, clock bool) []byte {
	sec := t.Unix() + 8*3600
	if sec < 0 || sec >= 253402300800 { // 10000-01-01
		if clock {
			return t.In(chinaTime).AppendFormat(b, fhirTimeLayout)
		}
		return t.In(chinaTime).AppendFormat(b, "2006-01-02")
	}
	// The civil date of a day count from 1970-01-01, in eras of 400
	// years from 0000-03-01 (March first, so that the leap day ends a
	// year).
	days := sec/86400 + 719468
	era := days / 146097
	doe := days - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	if !clock {
		return b
	}
	s := sec % 86400
	h, mi, se := s/3600, s/60%60, s%60
	return append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+se/10), byte('0'+se%10), '+', '0', '8', ':', '0', '0')
}

// money writes a Money in yuan.
func (w *writer) money(k string, f settlement.Fen) {
	w.key(k)
	w.keyed = false
	b := append(w.b, `{"value":`...)
	b = f.Append(b)
	w.b = append(b, `,"currency":"CNY"}`...)
}

// concept writes a CodeableConcept of one coding in one of this package's
// code systems.
func (w *writer) concept(k, system, code, display string) {
	w.key(k)
	w.keyed = false
	b := append(w.b, `{"coding":[{"system":"`...)
	b = append(b, system...)
	b = append(b, `","code":`...)
	b = appendString(b, code)
	if display != "" {
		b = append(b, `,"display":`...)
		b = appendString(b, display)
	}
	w.b = append(b, `}]}`...)
}

// identifier writes an Identifier.
func (w *writer) identifier(k, system, value string) {
	w.key(k)
	w.open('{')
	w.field("system", system)
	w.field("value", value)
	w.close('}')
}

// newWriter starts a reply of about size bytes. The buffer is allocated
// for the reply and returned as it is: a pooled buffer would save the
// allocation but cost a copy of the whole reply, the larger of the two.
func newWriter(size int) writer { return writer{b: make([]byte, 0, size)} }

// done returns the JSON written.
func (w *writer) done() []byte { return w.b }

// plain marks the bytes a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string. Control characters, quotes and
// backslashes are escaped, U+2028 and U+2029 too (for readers that treat
// JSON as JavaScript); invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
