package legacyxml

import (
	"strconv"
	"time"

	"github.com/provgate/provgate/settlement"
)

// builder reads typed values out of a parsed message and keeps the first
// refusal, so that a request can be assembled in one expression and
// checked once.
type builder struct {
	d   *doc
	err error
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// where names a message field for a refusal: the element it came in when
// it was sent, its canonical name when it was not.
func (b *builder) where(f field) string {
	if at := b.d.at[f]; at != "" {
		return at + "/" + fieldNames[f]
	}
	return fieldNames[f]
}

func (b *builder) opt(f field) string { return b.d.v[f] }

func (b *builder) need(f field) string {
	v := b.d.v[f]
	if v == "" {
		b.fail(settlement.Errorf(settlement.CodeMissingField, fieldNames[f]))
	}
	return v
}

// id reads a required identifier, printable ASCII of at most 30
// characters like the national msgid, fixmedins_code and setl_id.
func (b *builder) id(f field) string {
	v := b.need(f)
	if v != "" && !isID(v) {
		b.fail(settlement.Errorf(settlement.CodeBadField, b.where(f), asciiID))
	}
	return v
}

func (b *builder) region(f field) string {
	v := b.opt(f)
	if v != "" && !isRegion(v) {
		b.fail(settlement.Errorf(settlement.CodeBadField, b.where(f), expect("6位医保区划代码 / a 6-digit region code", v)))
	}
	return v
}

func (b *builder) dateTime(f field) string {
	v := b.need(f)
	if v == "" {
		return ""
	}
	t, ok := nationalTime(v)
	if !ok {
		b.fail(settlement.Errorf(settlement.CodeBadField, b.where(f), expect(timeFormats, v)))
	}
	return t
}

func (b *builder) money(f field) settlement.Fen {
	v := b.need(f)
	if v == "" {
		return 0
	}
	a, err := settlement.ParseFen(v)
	if err != nil {
		b.fail(settlement.Errorf(settlement.CodeBadAmount, b.where(f), quote(v)))
	}
	return a
}

func (b *builder) flag(f field, required bool) bool {
	switch v := b.d.v[f]; v {
	case "":
		if required {
			b.need(f)
		}
		return false
	case "0":
		return false
	case "1":
		return true
	default:
		b.fail(settlement.Errorf(settlement.CodeBadField, b.where(f), expect("0 / 1", v)))
		return false
	}
}

// code reads a required code from a fixed list.
func (b *builder) code(f field, list []string, known string) string {
	v := b.need(f)
	if v != "" && !contains(list, v) {
		b.fail(settlement.Errorf(settlement.CodeUnknownCode, b.where(f), quote(v), known))
	}
	return v
}

// medType reads AKA130 and maps it to the national med_type.
func (b *builder) medType(required bool) string {
	v := b.opt(fMedType)
	if v == "" {
		if required {
			b.need(fMedType)
		}
		return ""
	}
	n, ok := nationalMedType(v)
	if !ok {
		b.fail(settlement.Errorf(settlement.CodeUnknownCode, b.where(fMedType), quote(v), knownMedTypes))
	}
	return n
}

// cert reads the person's certificate: the ID number (AAC002, national
// certificate type 02) or, without one, the social security card number
// (AKC020, type 03). Its value never appears in a refusal.
func (b *builder) cert() (certType, certNo string) {
	for _, c := range [...]struct {
		f field
		t string
	}{{fIDNo, "02"}, {fCardNo, "03"}} {
		if v := b.d.v[c.f]; v != "" {
			if len(v) > 50 {
				b.fail(settlement.Errorf(settlement.CodeBadField, b.where(c.f), settlement.Bi("最多50个字符", "at most 50 characters")))
			}
			return c.t, v
		}
	}
	b.fail(settlement.Errorf(settlement.CodeMissingField, fieldNames[fIDNo]+" / "+fieldNames[fCardNo]))
	return "", ""
}

// ref names the person and the visit the hospital's way.
func (b *builder) ref() *settlement.HospitalRef {
	t, n := b.cert()
	return &settlement.HospitalRef{CertType: t, CertNo: n, VisitNo: b.id(fVisitNo)}
}

// timeFormats are the date-time spellings accepted: the old compact one
// and the national one. Both become the national yyyy-MM-dd HH:mm:ss.
const timeFormats = "yyyyMMddHHmmss / yyyy-MM-dd HH:mm:ss"

func nationalTime(v string) (string, bool) {
	var d [6]int // year, month, day, hour, minute, second
	switch {
	case len(v) == 14 && digitsAt(v, 0, 14, &d):
		return formatTime(d), true
	case len(v) == 19 && v[4] == '-' && v[7] == '-' && v[10] == ' ' && v[13] == ':' && v[16] == ':' &&
		digitsAt(v[:4]+v[5:7]+v[8:10]+v[11:13]+v[14:16]+v[17:], 0, 14, &d):
		return v, true
	}
	return "", false
}

// digitsAt reads yyyyMMddHHmmss from v[i:j] into d and checks that it is
// a real calendar time.
func digitsAt(v string, i, j int, d *[6]int) bool {
	widths := [6]int{4, 2, 2, 2, 2, 2}
	for k, w := range widths {
		n := 0
		for _, c := range []byte(v[i : i+w]) {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		d[k] = n
		i += w
	}
	t := time.Date(d[0], time.Month(d[1]), d[2], d[3], d[4], d[5], 0, time.UTC)
	return i == j && t.Year() == d[0] && int(t.Month()) == d[1] && t.Day() == d[2] &&
		d[3] < 24 && d[4] < 60 && d[5] < 60
}

func formatTime(d [6]int) string {
	b := make([]byte, 0, 19)
	for k, sep := range [6]byte{0, '-', '-', ' ', ':', ':'} {
		if sep != 0 {
			b = append(b, sep)
		}
		if k == 0 {
			b = append(b, byte('0'+d[0]/1000), byte('0'+d[0]/100%10))
		}
		b = append(b, byte('0'+d[k]/10%10), byte('0'+d[k]%10))
	}
	return string(b)
}

func isID(s string) bool {
	if len(s) > 30 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isRegion(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var asciiID = settlement.Bi("最多30位可打印ASCII字符", "at most 30 printable ASCII characters")

// expect describes what a field should hold and what it held.
func expect(want, got string) settlement.Text {
	return settlement.Bi("应为 "+want+"，实际为 "+quote(got), "expected "+want+", got "+quote(got))
}

// quote shows a value in a refusal, shortened so that a long value cannot
// flood the message.
func quote(s string) string {
	if len(s) > 40 {
		cut := 40
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a character
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
