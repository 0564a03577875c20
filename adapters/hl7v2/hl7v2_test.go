package hl7v2

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/settlement"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeGolden decodes every message in testdata/decode and compares
// the domain requests, or the refusal, with its .golden file.
func TestDecodeGolden(t *testing.T) {
	goldenfile.Decodes(t, ".hl7", 40, func(t *testing.T, body []byte) ([]byte, error) {
		m, err := Decode(body)
		if err != nil {
			at := ""
			if m != nil {
				at = m.failAt.String()
			}
			return goldenfile.JSON(map[string]string{"err_msg": goldenfile.Reason(err), "at": at}), err
		}
		checkRequests(t, m)
		return goldenfile.JSON(m.Requests), nil
	})
}

// checkRequests asserts what the gateway relies on in every decoded request.
func checkRequests(t *testing.T, m *Message) {
	t.Helper()
	for i, r := range m.Requests {
		if r.Kind == "" || r.Hospital == "" || r.MsgID == "" || r.Digest == "" {
			t.Errorf("request %d lacks kind, hospital, msgid or digest: %+v", i, r)
		}
		if r.Digest != settlement.ContentDigest("hl7v2", r) {
			t.Errorf("request %d: digest is not the content digest of the request", i)
		}
		if (r.Ref == nil) != (r.Kind == settlement.KindPersonInfo) {
			t.Errorf("request %d (%s): Ref is %+v", i, r.Kind, r.Ref)
		}
		if r.TreatAdmdvs != "" {
			t.Errorf("request %d: TreatAdmdvs %q; HL7 does not carry it, the gateway fills it", i, r.TreatAdmdvs)
		}
	}
	if len(m.Requests) > 1 {
		for i, r := range m.Requests {
			if want := m.ctrlID + "-" + string(r.Kind); r.MsgID != want {
				t.Errorf("step %d: msgid %q, want %q", i, r.MsgID, want)
			}
		}
	}
}

func TestDecodeRefusalCodes(t *testing.T) {
	tests := map[string]settlement.Code{
		"err-charset-unknown":         settlement.CodeBadCharset,
		"err-charset-invalid-bytes":   settlement.CodeBadCharset,
		"err-charset-ascii-8bit":      settlement.CodeBadCharset,
		"err-charset-gb18030-invalid": settlement.CodeBadCharset,
		"err-truncated-header":        settlement.CodeMissingField,
		"err-truncated-fee-line":      settlement.CodeMissingField,
		"err-unknown-patient-class":   settlement.CodeUnknownCode,
		"err-unknown-zps-action":      settlement.CodeUnknownCode,
		"err-unknown-diag-type":       settlement.CodeUnknownCode,
		"err-credit-line":             settlement.CodeUnknownCode,
		"err-missing-certificate":     settlement.CodeMissingField,
		"err-missing-insurance":       settlement.CodeMissingField,
		"err-missing-visit-number":    settlement.CodeMissingField,
		"err-missing-split":           settlement.CodeMissingField,
		"err-three-decimals":          settlement.CodeBadAmount,
		"err-line-amount":             settlement.CodeLineAmount,
		"err-bad-datetime":            settlement.CodeBadField,
		"err-class-mismatch":          settlement.CodeBadField,
		"err-batch-mismatch":          settlement.CodeBadField,
		"err-negative-quantity":       settlement.CodeBadField,
		"err-long-msgid":              settlement.CodeBadField,
		"err-unsupported-message":     settlement.CodeUnknownInfno,
		"err-not-hl7":                 settlement.CodeBadMessage,
		"err-bad-escape":              settlement.CodeBadMessage,
		"err-two-pid":                 settlement.CodeBadMessage,
		"err-control-character":       settlement.CodeBadMessage,
		"err-cancel-with-fees":        settlement.CodeBadMessage,
		"err-bad-encoding-characters": settlement.CodeBadMessage,
	}
	files, _ := filepath.Glob("testdata/decode/err-*.hl7")
	if len(files) != len(tests) {
		t.Errorf("%d refusal cases on disk, %d in the table", len(files), len(tests))
	}
	for name, code := range tests {
		_, err := Decode(read(t, "testdata/decode/"+name+".hl7"))
		if e := settlement.AsError(err); e == nil || e.Code != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
}

// TestRefusalsHideCertificates: a certificate number never appears in a
// refusal, wherever the message goes wrong.
func TestRefusalsHideCertificates(t *testing.T) {
	files, _ := filepath.Glob("testdata/decode/err-*.hl7")
	for _, f := range files {
		_, err := Decode(read(t, f))
		for _, cert := range []string{"150826198003150018", "150826196505050043", "C12345678"} {
			if err != nil && strings.Contains(err.Error(), cert) {
				t.Errorf("%s: the refusal shows a certificate number: %v", f, err)
			}
		}
	}
}

func TestTooLarge(t *testing.T) {
	body := append(read(t, "testdata/decode/2201-a04.hl7"), bytes.Repeat([]byte("NTE|1|x\r"), maxBytes/8)...)
	_, err := Decode(body)
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeTooLarge {
		t.Errorf("over %d bytes: %v, want %s", maxBytes, err, settlement.CodeTooLarge)
	}
	many := append(read(t, "testdata/decode/2201-a04.hl7"), bytes.Repeat([]byte("NTE|1\r"), maxSegments)...)
	_, err = Decode(many)
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeBadMessage || !strings.Contains(e.EN, "segments") {
		t.Errorf("over %d segments: %v", maxSegments, err)
	}
	lines := read(t, "testdata/decode/2204-dft.hl7")
	line := lines[bytes.Index(lines, []byte("FT1|1")):]
	line = line[:bytes.IndexByte(line, '\n')+1]
	fees := append(lines, bytes.Repeat(line, maxFeeLines)...)
	_, err = Decode(fees)
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeBadField || !strings.Contains(e.EN, "FT1[1001]") {
		t.Errorf("over %d fee lines: %v", maxFeeLines, err)
	}
}

// TestSameContentSameDigest: the digest follows the business content, not
// the bytes: charset, segment terminators, framing and escaping do not
// change it, another insurance type does.
func TestSameContentSameDigest(t *testing.T) {
	digest := func(path string) string {
		m, err := Decode(read(t, path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return m.Requests[0].Digest
	}
	base := digest("testdata/decode/2201-a04.hl7")
	if d := digest("testdata/decode/2201-gb18030.hl7"); d != base {
		t.Error("the same registration in GB 18030 has another digest")
	}
	utf := read(t, "testdata/decode/2201-a04.hl7")
	crlf := bytes.ReplaceAll(utf, []byte("\r"), []byte("\r\n"))
	m, err := Decode(crlf)
	if err != nil || m.Requests[0].Digest != base {
		t.Errorf("CRLF terminators changed the digest (%v)", err)
	}
	framed := append(append([]byte("\ufeff\x0b"), utf...), 0x1c, '\r')
	if m, err := Decode(framed); err != nil || m.Requests[0].Digest != base {
		t.Errorf("a byte order mark and MLLP block bytes changed the digest (%v)", err)
	}
	escaped := bytes.Replace(utf, []byte("MZ0001^^^"), []byte("MZ\\H\\0001^^^"), 1)
	if m, err := Decode(escaped); err != nil || m.Requests[0].Digest != base {
		t.Errorf("a highlight escape changed the digest (%v)", err)
	}
	other := bytes.Replace(utf, []byte("|310|"), []byte("|390|"), 1)
	if m, err := Decode(other); err != nil || m.Requests[0].Digest == base {
		t.Errorf("another insurance type kept the digest (%v)", err)
	}
}

func TestDateTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"202603020830", "2026-03-02 08:30:00"},
		{"20260302083015", "2026-03-02 08:30:15"},
		{"20260302083015.1234", "2026-03-02 08:30:15"},
		{"20260302083015+0800", "2026-03-02 08:30:15"},
		{"20260302003015+0000", "2026-03-02 08:30:15"},
		{"20260301193015-0500", "2026-03-02 08:30:15"},
		{"20241231230000-0100", "2025-01-01 08:00:00"},
		{"20240229120000", "2024-02-29 12:00:00"},
		{"20250229120000", ""},
		{"20260302", ""},
		{"2026030208", ""},
		{"20261302083000", ""},
		{"20260302243000", ""},
		{"20260302086000", ""},
		{"2026-03-02 08:30:00", ""},
		{"20260302083000+08", ""},
		{"20260302083000.", ""},
		{"20260302083000+2400", ""},
	}
	for _, tt := range tests {
		got, ok := dateTime(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("dateTime(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestEscapes(t *testing.T) {
	d := defaultDelims
	tests := []struct{ in, want string }{
		{`plain`, "plain"},
		{`a\F\b\S\c\T\d\R\e\E\f`, `a|b^c&d~e\f`},
		{`\H\bold\N\`, "bold"},
		{`open\F`, ""},
		{`hex\X41\`, ""},
		{`\P\`, ""}, // no truncation character declared
		{`中文\F\`, "中文|"},
	}
	for _, tt := range tests {
		got, ok := d.unescape(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("unescape(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	trunc := delims{field: '|', comp: '^', rep: '~', esc: '\\', sub: '&', trunc: '#'}
	for _, dd := range []delims{d, trunc, {field: '#', comp: '$', rep: '*', esc: '!', sub: '@'}} {
		for _, v := range []string{"a|b^c&d~e\\f#g", "!#$*@", "", "内科|外科"} {
			esc := string(dd.appendEscaped(nil, v))
			back, ok := dd.unescape(esc)
			for _, c := range []byte{dd.field, dd.comp, dd.rep, dd.sub} {
				if strings.IndexByte(esc, c) >= 0 {
					t.Errorf("%q escaped with %q still holds delimiter %q: %q", v, dd.msh2(), c, esc)
				}
			}
			if !ok || back != v {
				t.Errorf("round trip of %q with %q: %q, %v", v, dd.msh2(), back, ok)
			}
		}
	}
	if got := string(d.appendEscaped(nil, "a\rb\x0bc")); got != "a b c" {
		t.Errorf("control characters: %q", got)
	}
}

func TestCharsetNames(t *testing.T) {
	tests := map[string]*charset{
		"": utf8Set, "UNICODE UTF-8": utf8Set, "utf-8": utf8Set, "ASCII": ascii, "8859/1": latin1,
		"GB 18030-2000": gb18030, "gb18030": gb18030, "GBK": gbk, "GB2312": gbk, "ISO IR58": gbk,
	}
	for name, want := range tests {
		if got, ok := lookupCharset(name); !ok || got != want {
			t.Errorf("%q: %v %v", name, got, ok)
		}
	}
	for _, name := range []string{"BIG-5", "UNICODE", "UNICODE UTF-16", "ISO IR87", "8859/2"} {
		if _, ok := lookupCharset(name); ok {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestContentType(t *testing.T) {
	if got := ContentType(nil); got != "x-application/hl7-v2+er7; charset=UTF-8" {
		t.Errorf("nil message: %s", got)
	}
	tests := map[string]string{
		"2201-gb18030": "GB18030", "2201-gbk-delimiter-bytes": "GBK", "2201-latin1": "ISO-8859-1", "2201-a04": "UTF-8",
	}
	for name, cs := range tests {
		m, err := Decode(read(t, "testdata/decode/"+name+".hl7"))
		if err != nil {
			t.Fatal(err)
		}
		if got := ContentType(m); got != "x-application/hl7-v2+er7; charset="+cs {
			t.Errorf("%s: %s", name, got)
		}
	}
}

func TestRawHeader(t *testing.T) {
	line := []byte(`MSH|^~\&|A|B|C|D|T||ADT^A04|ID1|P|2.5|||||CHN|GBK|X`)
	h := rawFields(line, '|', false)
	for n, want := range map[int]string{3: "A", 6: "D", 9: "ADT^A04", 10: "ID1", 12: "2.5", 17: "CHN", 18: "GBK", 2: "", 19: ""} {
		if got := h.field(n); got != want {
			t.Errorf("MSH-%d = %q, want %q", n, got, want)
		}
	}
	short := rawFields([]byte(`MSH|^~\&|A|B`), '|', false)
	if short.field(4) != "B" || short.field(5) != "" || short.field(18) != "" {
		t.Errorf("short header: %q %q", short.field(4), short.field(5))
	}
}

// TestDecimals: the reply writes numbers as the settlement types print
// them.
func TestDecimals(t *testing.T) {
	values := []int64{0, 1, 5, 10, 99, 100, 101, 12345, 1_000_000, 123_456_789, -1, -100, -12345, 1 << 62, -(1 << 62)}
	rapid.Check(t, func(t *rapid.T) { values = append(values, rapid.Int64().Draw(t, "v")) })
	for _, v := range values {
		for _, c := range []struct {
			scale int
			trim  bool
			want  string
		}{
			{2, false, settlement.Fen(v).String()},
			{4, false, settlement.BP(v).Fraction()},
			{4, true, settlement.Qty(v).String()},
			{6, true, settlement.Price(v).String()},
		} {
			w := writer{d: defaultDelims}
			w.decimal(v, c.scale, c.trim)
			if got := string(w.b[1:]); got != c.want {
				t.Errorf("decimal(%d, %d, %v) = %q, want %q", v, c.scale, c.trim, got, c.want)
			}
		}
	}
}

func TestTooManyFields(t *testing.T) {
	body := append(read(t, "testdata/decode/2201-a04.hl7"), "NTE|"+strings.Repeat("|", maxFields)+"\r"...)
	_, err := Decode(body)
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeBadMessage || !strings.Contains(e.EN, "NTE") {
		t.Errorf("a segment of %d fields: %v", maxFields+1, err)
	}
	ok := append(read(t, "testdata/decode/2201-a04.hl7"), "NTE|"+strings.Repeat("|", maxFields-1)+"\r"...)
	if _, err := Decode(ok); err != nil {
		t.Errorf("a segment of %d fields: %v", maxFields, err)
	}
}

// The one-pass readers must agree with the plain ones they replace.
func TestScannersAgreeWithPlainOnes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOf(rapid.SampledFrom([]rune("ab|^~\\&\t\x01\x7f 甲\r"))).Draw(t, "s")
		c := rapid.IntRange(0, 5).Draw(t, "component")
		d := defaultDelims
		want := d.component(s, c)
		if c > 0 {
			want = nth(want, d.sub, 1)
		}
		if got, esc := d.subcomponent(s, c); got != want || esc != strings.Contains(want, `\`) {
			t.Fatalf("subcomponent(%q, %d) = %q, %v; want %q", s, c, got, esc, want)
		}
		wantControl := -1
		for i := 0; i < len(s); i++ {
			if ch := s[i]; (ch < 0x20 && ch != '\t') || ch == 0x7f {
				wantControl = int(ch)
				break
			}
		}
		if got := control(s); got != wantControl {
			t.Fatalf("control(%q) = %d, want %d", s, got, wantControl)
		}
		if got := defaultDelims.stops(); got != defaultStops {
			t.Fatal("the default delimiters do not share their stop set")
		}
		limit := rapid.IntRange(1, 12).Draw(t, "limit")
		var wantFields []string
		for _, f := range strings.Split(s, "|") {
			if wantFields = append(wantFields, f); len(wantFields) == limit {
				break
			}
		}
		spans := cutFields(s, '|', 0, nil, limit)
		if len(spans) != len(wantFields) {
			t.Fatalf("cutFields(%q) = %d fields, wantFields %d", s, len(spans), len(wantFields))
		}
		for i, sp := range spans {
			if s[sp.from:sp.to] != wantFields[i] {
				t.Fatalf("cutFields(%q) field %d = %q, wantFields %q", s, i, s[sp.from:sp.to], wantFields[i])
			}
		}
		var plainEsc []byte
		for i := 0; i < len(s); i++ { // appendEscaped's own loop, as the reference
			plainEsc = defaultDelims.appendEscaped(plainEsc, s[i:i+1])
		}
		if got := string(defaultDelims.appendEscaped([]byte("x"), s)); got != "x"+string(plainEsc) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, plainEsc)
		}
		if trimSpace(s) != strings.TrimSpace(s) {
			t.Fatalf("trimSpace(%q) = %q", s, trimSpace(s))
		}
		if blank(s) != (strings.TrimSpace(s) == "") {
			t.Fatalf("blank(%q) = %v", s, blank(s))
		}
	})
}
