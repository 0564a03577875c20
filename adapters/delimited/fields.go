package delimited

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/provgate/provgate/internal/swar"
	"github.com/provgate/provgate/settlement"
)

// col is one position of a record: its national field name, the label a
// DLL-era interface document gives it, and whether it must have a value.
type col struct {
	name string
	zh   string
	req  bool
}

// format names the dialect in CodeBadMessage refusals.
var format = settlement.Bi("分隔文本 delimited", "delimited")

// decoder reads the fields of one record at a time, in the order of the
// record's layout, and keeps the first refusal. After a refusal every read
// returns the zero value, so a transaction reader can run to its end and
// check d.err once.
type decoder struct {
	rec  int // record number; 0 is the header
	cols []col
	line string // the record being read
	nf   int    // its number of fields
	i    int    // index of the next column to read
	err  error
	// spans are the fields' bounds in line, white space trimmed. Bounds
	// rather than strings: storing a string stores a pointer, which costs
	// a write barrier whenever the collector is marking.
	spans [maxFields + 2]span
}

type span struct{ from, to int32 }

// f returns field i of the current record.
func (d *decoder) f(i int) string { return d.line[d.spans[i].from:d.spans[i].to] }

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// start splits record n at sep and checks its field count against the
// layout: from min to len(cols) fields, plus one empty field when the record
// ends with a separator (the DLL strings close every field with one).
func (d *decoder) start(n int, rec string, sep byte, cols []col, min int) bool {
	d.rec, d.cols, d.i, d.nf, d.line = n, cols, 0, 0, rec
	if d.err != nil {
		return false
	}
	nf := 0
	for at := 0; ; {
		i := indexFrom(rec, at, sep)
		if i < 0 {
			d.spans[nf] = trimmed(rec, at, len(rec))
			nf++
			break
		}
		if nf == len(cols)+1 {
			d.spans[nf] = span{} // one too many is enough to refuse
			nf++
			break
		}
		d.spans[nf] = trimmed(rec, at, i)
		nf++
		at = i + 1
	}
	if nf == len(cols)+1 && d.spans[len(cols)].from == d.spans[len(cols)].to {
		nf = len(cols)
	}
	switch {
	case nf < min:
		want := settlement.Bi("应有 "+strconv.Itoa(len(cols))+" 个字段", strconv.Itoa(len(cols))+" fields expected")
		if min < len(cols) {
			want = settlement.Bi("应有至少 "+strconv.Itoa(min)+" 个字段", "at least "+strconv.Itoa(min)+" fields expected")
		}
		d.fail(settlement.Errorf(settlement.CodeBadMessage, format, d.pos(nf), settlement.Bi(
			"记录不完整："+want.ZH+"，在第 "+strconv.Itoa(nf)+" 个字段后结束",
			"the record is cut short: "+want.EN+", it ends after field "+strconv.Itoa(nf))))
		return false
	case nf > len(cols):
		d.fail(settlement.Errorf(settlement.CodeBadMessage, format, d.pos(len(cols)), settlement.Bi(
			"字段过多：最多 "+strconv.Itoa(len(cols))+" 个字段", "too many fields: at most "+strconv.Itoa(len(cols)))))
		return false
	}
	d.nf = nf
	return true
}

// trimmed is the span of s[from:to] without the white space
// strings.TrimSpace removes.
func trimmed(s string, from, to int) span {
	v := s[from:to]
	if v != "" && plainEnd(v[0]) && plainEnd(v[len(v)-1]) {
		return span{int32(from), int32(to)} // the usual field: nothing to trim
	}
	if v != "" && !startsWithSpace(v) && !endsWithSpace(v) {
		return span{int32(from), int32(to)}
	}
	t := strings.TrimSpace(v)
	if t == "" {
		return span{int32(from), int32(from)}
	}
	lead := len(v) - len(strings.TrimLeftFunc(v, unicode.IsSpace))
	return span{int32(from + lead), int32(from + lead + len(t))}
}

// plainEnd reports whether c, the first or last byte of a field, is
// printable ASCII, which TrimSpace never removes: true of nearly every
// field, told without a call.
func plainEnd(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

// indexFrom is the index of the first sep in s from at, or -1. Fields are
// short: eight bytes are tested at a time without a call per field.
func indexFrom(s string, at int, sep byte) int {
	i, pat := at, swar.Ones*uint64(sep)
	for ; i+8 <= len(s); i += 8 {
		if m := swar.FirstZero(swar.Word(s[i:i+8]) ^ pat); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if s[i] == sep {
			return i
		}
	}
	return -1
}

// startsWithSpace and endsWithSpace tell whether strings.TrimSpace has
// anything to remove, without its work on the usual field.
func startsWithSpace(v string) bool {
	if c := v[0]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeRuneInString(v)
	return unicode.IsSpace(r)
}

func endsWithSpace(v string) bool {
	if c := v[len(v)-1]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeLastRuneInString(v)
	return unicode.IsSpace(r)
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// pos names position i of the current record in both languages.
func (d *decoder) pos(i int) settlement.Text {
	field := strconv.Itoa(i + 1)
	zh, en := "", ""
	if i < len(d.cols) {
		zh, en = "（"+d.cols[i].zh+" "+d.cols[i].name+"）", " ("+d.cols[i].name+")"
	}
	if d.rec == 0 {
		return settlement.Bi("报文头第"+field+"个字段"+zh, "header field "+field+en)
	}
	r := strconv.Itoa(d.rec)
	return settlement.Bi("第"+r+"条记录第"+field+"个字段"+zh, "record "+r+" field "+field+en)
}

// field names position i of the current record name first, for the codes
// whose reasons begin with "field": "cnt (record 2, field 6)".
func (d *decoder) field(i int) settlement.Text {
	c := d.cols[i]
	n := strconv.Itoa(i + 1)
	if d.rec == 0 {
		return settlement.Bi(c.zh+" "+c.name+"（报文头第"+n+"个字段）", c.name+" (header field "+n+")")
	}
	r := strconv.Itoa(d.rec)
	return settlement.Bi(c.zh+" "+c.name+"（第"+r+"条记录第"+n+"个字段）", c.name+" (record "+r+", field "+n+")")
}

// next returns the next field, refusing it when it is required and empty.
func (d *decoder) next() (string, int) {
	i := d.i
	d.i++
	if d.err != nil || i >= d.nf {
		return "", i
	}
	v := d.f(i)
	if v == "" && d.cols[i].req {
		d.fail(settlement.Errorf(settlement.CodeMissingField, d.field(i)))
	}
	return v, i
}

// need refuses an empty value that a condition makes required.
func (d *decoder) need(v string, i int) {
	if v == "" && d.err == nil {
		d.fail(settlement.Errorf(settlement.CodeMissingField, d.field(i)))
	}
}

// text is a free-text field (names), taken as sent.
func (d *decoder) text() string {
	v, _ := d.next()
	return v
}

// id is an identifier: at most 30 printable ASCII characters.
func (d *decoder) id() string {
	v, i := d.next()
	if !printable(v, 30) {
		d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect("最多30位可打印ASCII字符", "at most 30 printable ASCII characters", v)))
		return ""
	}
	return v
}

// certNo is a certificate number. Its value never appears in a refusal.
func (d *decoder) certNo() string {
	v, i := d.next()
	if !printable(v, 50) {
		d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), settlement.Bi(
			"应为最多50位可打印ASCII字符（证件号码不在错误信息中显示）",
			"expected at most 50 printable ASCII characters (certificate numbers are not shown in errors)")))
		return ""
	}
	return v
}

// code reads a coded field and returns the national code it stands for.
func (d *decoder) code(set codeSet) string {
	v, i := d.next()
	if v == "" || d.err != nil {
		return ""
	}
	to, ok := set.to[v]
	if !ok {
		d.fail(settlement.Errorf(settlement.CodeUnknownCode, d.field(i), quote(v), set.known))
	}
	return to
}

// money reads an amount in yuan with at most two decimals.
func (d *decoder) money() settlement.Fen {
	v, i := d.next()
	return d.parseMoney(v, i)
}

func (d *decoder) parseMoney(v string, i int) settlement.Fen {
	if v == "" || d.err != nil {
		return 0
	}
	f, err := settlement.ParseFen(v)
	if err != nil {
		d.fail(settlement.Errorf(settlement.CodeBadAmount, d.field(i), quote(v)))
	}
	return f
}

func (d *decoder) qty() settlement.Qty {
	v, i := d.next()
	if v == "" || d.err != nil {
		return 0
	}
	q, err := settlement.ParseQty(v)
	if err != nil {
		d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect("数量，最多4位小数", "a quantity with at most 4 decimals", v)))
	}
	return q
}

func (d *decoder) price() settlement.Price {
	v, i := d.next()
	if v == "" || d.err != nil {
		return 0
	}
	p, err := settlement.ParsePrice(v)
	if err != nil {
		d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect("单价，最多6位小数", "a price with at most 6 decimals", v)))
	}
	return p
}

// dateTime reads yyyy-MM-dd HH:mm:ss, or the DLL era's yyyyMMddHHmmss, and
// returns it in the national form.
func (d *decoder) dateTime() string {
	v, i := d.next()
	if v == "" || d.err != nil {
		return ""
	}
	if settlement.IsDateTime(v) {
		return v
	}
	if t, ok := settlement.CompactDateTime(v); ok {
		return t
	}
	d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect(
		"yyyy-MM-dd HH:mm:ss 或 yyyyMMddHHmmss", "yyyy-MM-dd HH:mm:ss or yyyyMMddHHmmss", v)))
	return ""
}

const compactDateTime = "20060102150405"

// flag reads 0 or 1; empty is 0.
func (d *decoder) flag() bool {
	v, i := d.next()
	switch v {
	case "", "0":
		return false
	case "1":
		return true
	}
	d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect("0 / 1", "0 / 1", v)))
	return false
}

// oneOf reads a field that must be one of a few short values.
func (d *decoder) oneOf(values ...string) string {
	v, i := d.next()
	if v == "" || d.err != nil {
		return v
	}
	for _, ok := range values {
		if v == ok {
			return v
		}
	}
	d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect(strings.Join(values, " / "), strings.Join(values, " / "), v)))
	return ""
}

func printable(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// expect says what a field should hold and what it held.
func expect(zh, en, got string) settlement.Text {
	return settlement.Bi("应为 "+zh+"，实际为 "+quote(got), "expected "+en+", got "+quote(got))
}

// quote shows a value in a refusal, shortened so that a long value cannot
// flood the message.
func quote(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}
