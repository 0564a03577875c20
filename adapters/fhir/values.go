package fhir

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// format names this package in E4008 refusals.
const format = "FHIR R4"

// chinaTime is UTC+8: national date-times are Chinese wall-clock times.
var chinaTime = time.FixedZone("CST", 8*3600)

// badMessage refuses a message whose structure is wrong at path.
func badMessage(path string, zh, en string) *settlement.Error {
	return settlement.Errorf(settlement.CodeBadMessage, format, path, settlement.Bi(zh, en))
}

func missing(path string) *settlement.Error {
	return settlement.Errorf(settlement.CodeMissingField, path)
}

func badField(path, zh, en string) *settlement.Error {
	return settlement.Errorf(settlement.CodeBadField, path, settlement.Bi(zh, en))
}

func unknownCode(path, code string, known any) *settlement.Error {
	return settlement.Errorf(settlement.CodeUnknownCode, path, quote(code), known)
}

// quote shows a value in a reason, shortened (on a character boundary) so
// a long value cannot flood it.
func quote(s string) string {
	if len(s) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// index appends "[i]" to a path; paths are built only when refusing.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// dateTimeOf reads the member key of v, a FHIR date or dateTime, as the
// national "yyyy-MM-dd HH:mm:ss" in China time; "" when absent.
func dateTimeOf(v value, key string) (string, error) { return dateTimeAt(v, key, get(v, key)) }

func dateTimeAt(v value, key string, x value) (string, error) {
	if x == nil {
		return "", nil
	}
	b, err := x.StringBytes()
	if err != nil {
		return "", wrongType(v, member(key), "string")
	}
	// The items of a Claim mostly share one time: the last one read is
	// kept, as it was written and converted.
	d := x.d
	if d.lastTimeIn != nil && string(b) == string(d.lastTimeIn) {
		return d.lastTime, nil
	}
	s, ok := dateTime(b)
	if !ok {
		got := quote(string(b))
		return "", badAt(v, member(key), "应为 FHIR dateTime，如 2026-03-02T08:30:00+08:00，实为 "+got,
			"want a FHIR dateTime such as 2026-03-02T08:30:00+08:00, got "+got)
	}
	d.lastTime, d.lastTimeIn = s, b
	return s, nil
}

// dateTime reads a FHIR date or dateTime. A date alone is midnight; a
// dateTime without an offset (which FHIR forbids, and some HIS send) is
// taken as China time. Partial dates (a year, a month) are refused: a visit
// needs a day.
func dateTime(s []byte) (string, bool) {
	bad := func() (string, bool) { return "", false }
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	var h, mi, sec int
	zone := chinaTime
	if len(s) > 10 {
		if len(s) < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
			return bad()
		}
		var ok4, ok5, ok6 bool
		h, ok4 = digits(s[11:13])
		mi, ok5 = digits(s[14:16])
		sec, ok6 = digits(s[17:19])
		if !ok4 || !ok5 || !ok6 {
			return bad()
		}
		rest := s[19:]
		if len(rest) > 0 && rest[0] == '.' { // fractions of a second: not kept nationally
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == 1 {
				return bad()
			}
			rest = rest[i:]
		}
		switch {
		case len(rest) == 0:
		case string(rest) == "Z":
			zone = time.UTC
		case string(rest) == "+08:00":
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
			oh, ok7 := digits(rest[1:3])
			om, ok8 := digits(rest[4:6])
			if !ok7 || !ok8 || oh > 14 || om > 59 {
				return bad()
			}
			off := (oh*60 + om) * 60
			if rest[0] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		default:
			return bad()
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > settlement.DaysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return bad()
	}
	var out [19]byte
	if zone == chinaTime { // the usual case: the digits as they are
		copy(out[:10], s[:10])
		out[10] = ' '
		if len(s) > 10 {
			copy(out[11:], s[11:19])
		} else {
			copy(out[11:], "00:00:00")
		}
		return string(out[:]), true
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, zone)
	return string(t.In(chinaTime).AppendFormat(out[:0], time.DateTime)), true
}

// digits reads a short run of ASCII digits.
func digits[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// fhirTimeLayout writes a stamp or refusal time as a FHIR dateTime in China
// time (see writer.time).
const fhirTimeLayout = "2006-01-02T15:04:05+08:00"

// amount reads a Money (the member key of v): CNY or no currency, at most
// two decimals. ok is false when it is absent.
func amount(v value, key string) (f settlement.Fen, ok bool, err error) {
	return amountAt(v, key, get(v, key))
}

func amountAt(v value, key string, x value) (f settlement.Fen, ok bool, err error) {
	m, err := objAt(v, key, x)
	if m == nil || err != nil {
		return 0, false, err
	}
	vx, cx := pair(m, "value", "currency")
	val, err := numberAt(m, "value", vx)
	if err != nil {
		return 0, false, err
	}
	if len(val) == 0 {
		return 0, false, missingAt(m, ".value")
	}
	if cur := stringBytes(cx); len(cur) > 0 && string(cur) != "CNY" {
		return 0, false, unknownAt(m, ".currency", string(cur), "CNY")
	}
	if f, err = settlement.ParseFen(string(val)); err != nil {
		got := quote(string(val))
		return 0, false, faultAt(m, ".value", func(p string) *settlement.Error {
			return settlement.Errorf(settlement.CodeBadAmount, p, got)
		})
	}
	return f, true, nil
}

// printable reports whether s is non-empty printable ASCII without spaces:
// what ids that become msgids and keys may hold.
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isRegion reports whether s is a 6-digit region code (医保区划).
func isRegion(s string) bool {
	_, ok := digits(s)
	return ok && len(s) == 6
}

// isIDNumber reports whether s has the shape of a resident ID number: 18
// characters, the last a digit or X, or the old 15 digits.
func isIDNumber(s string) bool {
	switch len(s) {
	case 15:
		_, ok := digits(s)
		return ok
	case 18:
		_, ok := digits(s[:17])
		return ok && (s[17] >= '0' && s[17] <= '9' || s[17] == 'X')
	}
	return false
}

// oneOf reports whether code is in the space-separated list known.
func oneOf(code, known string) bool {
	// strings.Cut, a general substring search, was most of the time a
	// Claim's items spent checking their approval flags.
	for known != "" {
		i := strings.IndexByte(known, ' ')
		if i < 0 {
			return known == code
		}
		if known[:i] == code {
			return true
		}
		known = known[i+1:]
	}
	return false
}

// listed shows a space-separated list in a reason.
func listed(known string) string { return strings.ReplaceAll(known, " ", ", ") }
