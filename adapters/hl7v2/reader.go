package hl7v2

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// format names HL7 v2 in refusals.
const format = "HL7v2"

// pos names a place in a message the way HL7 people write it: PID-3,
// FT1[2]-12, PV1-7.2. A refusal carries it in its text, and the ERR
// segment of the reply carries it as an error location.
type pos struct {
	seg   string
	seq   int // occurrence, shown for segments that may repeat
	field int
	comp  int
}

// repeating are the segments a message may carry several of; their
// positions show which one.
var repeating = map[string]bool{"FT1": true, "DG1": true, "IN1": true}

func (p pos) String() string {
	var b strings.Builder
	b.WriteString(p.seg)
	if repeating[p.seg] && p.seq > 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.seq))
		b.WriteByte(']')
	}
	if p.field > 0 {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(p.field))
		if p.comp > 0 {
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(p.comp))
		}
	}
	return b.String()
}

func (s *segment) at(field, comp int) pos {
	return pos{seg: s.name, seq: s.seq, field: field, comp: comp}
}

// reader reads values out of segments and keeps the first refusal, so a
// translation reads a whole segment in straight-line code and checks once.
// Every refusal names the position and the national field it feeds.
type reader struct {
	d    delims
	stop *stopSet // d.stops()
	err  *settlement.Error
	at   pos
	// The last date-time converted: fee lines of one batch mostly share it.
	lastDTM, lastDateTime string
}

func (r *reader) fail(at pos, e *settlement.Error) {
	if r.err == nil {
		r.err, r.at = e, at
	}
}

// label is what a refusal calls a field: its position and national name.
func label(at pos, name string) string {
	if name == "" {
		return at.String()
	}
	return at.String() + " (" + name + ")"
}

// value returns subcomponent 1 of component comp of field f, unescaped
// and trimmed of surrounding spaces; comp 0 is the whole first repetition.
// Values are unescaped only after they are cut out, so an escaped
// delimiter stays data.
func (r *reader) value(s *segment, f, comp int) string {
	if s == nil || r.err != nil {
		return ""
	}
	v, esc := r.d.subcomponentStops(r.stop, s.field(f), comp)
	ok := true
	if esc {
		v, ok = r.d.unescape(v)
	}
	if !ok {
		r.fail(s.at(f, comp), settlement.Errorf(settlement.CodeBadMessage, format, s.at(f, comp).String(),
			settlement.Bi("转义序列无效（支持 \\F\\ \\S\\ \\T\\ \\R\\ \\E\\）", `invalid escape sequence (\F\ \S\ \T\ \R\ \E\ are supported)`)))
		return ""
	}
	return trimSpace(v)
}

// trimSpace is strings.TrimSpace, returning at once a value that starts
// and ends with a printable ASCII byte, as nearly all do.
func trimSpace(v string) string {
	if v == "" || v[0] > ' ' && v[0] < utf8.RuneSelf && v[len(v)-1] > ' ' && v[len(v)-1] < utf8.RuneSelf {
		return v
	}
	return strings.TrimSpace(v)
}

// need is value for a required field.
func (r *reader) need(s *segment, f, comp int, name string) string {
	v := r.value(s, f, comp)
	if v == "" && r.err == nil {
		r.fail(s.at(f, comp), settlement.Errorf(settlement.CodeMissingField, label(s.at(f, comp), name)))
	}
	return v
}

// missingSegment refuses a message without a segment it needs.
func (r *reader) missingSegment(name, why string) {
	r.fail(pos{seg: name}, settlement.Errorf(settlement.CodeMissingField, name+" ("+why+")"))
}

// bad refuses a value that is present but wrong.
func (r *reader) bad(at pos, name string, why settlement.Text) {
	r.fail(at, settlement.Errorf(settlement.CodeBadField, label(at, name), why))
}

// code checks a coded value against the codes provgate knows.
func (r *reader) code(s *segment, f, comp int, name, v string, known ...string) string {
	if r.err != nil {
		return v
	}
	for _, k := range known {
		if v == k {
			return v
		}
	}
	r.fail(s.at(f, comp), settlement.Errorf(settlement.CodeUnknownCode, label(s.at(f, comp), name), quote(v), strings.Join(known, ", ")))
	return v
}

// money reads a required amount in yuan with at most two decimals, from
// the first subcomponent (a CP or MO value) of the field.
func (r *reader) money(s *segment, f int, name string) settlement.Fen {
	v := r.value(s, f, 1)
	if r.err != nil {
		return 0
	}
	if v == "" {
		r.fail(s.at(f, 0), settlement.Errorf(settlement.CodeMissingField, label(s.at(f, 0), name)))
		return 0
	}
	a, err := settlement.ParseFen(v)
	if err != nil {
		r.fail(s.at(f, 0), settlement.Errorf(settlement.CodeBadAmount, label(s.at(f, 0), name), quote(v)))
	}
	return a
}

// dateTime reads a required HL7 date/time and returns it in the national
// form, "2006-01-02 15:04:05", China time.
func (r *reader) dateTime(s *segment, f, comp int, name string) string {
	v := r.need(s, f, comp, name)
	if r.err != nil {
		return ""
	}
	if v == r.lastDTM {
		return r.lastDateTime
	}
	t, ok := dateTime(v)
	if !ok {
		r.bad(s.at(f, comp), name, expect("YYYYMMDDHHMM[SS][+ZZZZ]", v))
		return ""
	}
	r.lastDTM, r.lastDateTime = v, t
	return t
}

// flag reads a yes/no value: Y/N (HL7 table 0136) or the national 1/0.
func (r *reader) flag(s *segment, f int, name string, required bool) bool {
	v := r.value(s, f, 1)
	switch v {
	case "Y", "y", "1":
		return true
	case "N", "n", "0":
		return false
	case "":
		if required && r.err == nil {
			r.fail(s.at(f, 0), settlement.Errorf(settlement.CodeMissingField, label(s.at(f, 0), name)))
		}
		return false
	}
	if r.err == nil {
		r.bad(s.at(f, 0), name, expect("Y / N", v))
	}
	return false
}

var chinaTime = time.FixedZone("CST", 8*3600)

// dateTime converts an HL7 DTM with at least minutes,
// YYYYMMDDHHMM[SS[.S+]][+/-ZZZZ], to "2006-01-02 15:04:05" in China time.
// Fractions of a second are dropped; an offset other than +0800 is
// converted.
func dateTime(s string) (string, bool) {
	main, zone := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		main, zone = s[:i], s[i:]
	}
	if i := strings.IndexByte(main, '.'); i >= 0 {
		if !digits(main[i+1:]) || i+1 == len(main) {
			return "", false
		}
		main = main[:i]
	}
	if (len(main) != 12 && len(main) != 14) || !digits(main) {
		return "", false
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	y, mo, d, h, mi := atoi(main[0:4]), atoi(main[4:6]), atoi(main[6:8]), atoi(main[8:10]), atoi(main[10:12])
	sec := 0
	if len(main) == 14 {
		sec = atoi(main[12:14])
	}
	loc := chinaTime
	if zone != "" && zone != "+0800" {
		if len(zone) != 5 || !digits(zone[1:]) {
			return "", false
		}
		off := (atoi(zone[1:3])*60 + atoi(zone[3:5])) * 60
		if atoi(zone[1:3]) > 14 || atoi(zone[3:5]) > 59 {
			return "", false
		}
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	if mo < 1 || mo > 12 || d < 1 || d > settlement.DaysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return "", false
	}
	if loc == chinaTime { // the usual case: no time arithmetic
		var b [19]byte
		copy(b[:], "0000-00-00 00:00:00")
		copy(b[0:4], main[0:4])
		copy(b[5:7], main[4:6])
		copy(b[8:10], main[6:8])
		copy(b[11:13], main[8:10])
		copy(b[14:16], main[10:12])
		if len(main) == 14 {
			copy(b[17:19], main[12:14])
		}
		return string(b[:]), true
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc).In(chinaTime).Format(time.DateTime), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// printable reports whether s is printable ASCII without spaces: what a
// msgid or an institution code may hold.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// expect describes what a field should hold and what it held.
func expect(want, got string) settlement.Text {
	return settlement.Bi("应为 "+want+"，实际为 "+quote(got), "expected "+want+", got "+quote(got))
}

// quote shows a value in a refusal, shortened so a long value cannot flood
// the message.
func quote(s string) string {
	if len(s) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}
