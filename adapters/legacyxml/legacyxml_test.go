package legacyxml

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/settlement"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// indentJSON writes v as indented JSON without HTML escaping, so golden
// files read as the messages do.
func indentJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeFiles(t testing.TB) []string {
	files, _ := filepath.Glob("testdata/decode/*.xml")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	return files
}

// TestDecodeGolden decodes every message in testdata/decode and compares
// the domain requests, or the refusal, with its .golden file. Files named
// err-* must be refused, all others accepted.
func TestDecodeGolden(t *testing.T) {
	goldenfile.Decodes(t, ".xml", 1, func(t *testing.T, body []byte) ([]byte, error) {
		m, err := Decode(body)
		if err != nil {
			return indentJSON(t, map[string]string{"err_msg": goldenfile.Reason(err), "reply_charset": ContentType(m)}), err
		}
		return indentJSON(t, m.Requests), nil
	})
}

// TestRefusalCodes pins the code of each refusal case, so a golden update
// cannot quietly change what kind of refusal a hospital gets.
func TestRefusalCodes(t *testing.T) {
	tests := map[string]settlement.Code{
		"err-charset-latin1":                  settlement.CodeBadCharset,
		"err-charset-bad-gbk-bytes":           settlement.CodeBadCharset,
		"err-charset-utf8-declared-gbk-bytes": settlement.CodeBadCharset,
		"err-truncated":                       settlement.CodeBadMessage,
		"err-doctype":                         settlement.CodeBadMessage,
		"err-unknown-entity":                  settlement.CodeBadMessage,
		"err-mismatched-tag":                  settlement.CodeBadMessage,
		"err-unknown-msgno":                   settlement.CodeUnknownCode,
		"err-unknown-aka130":                  settlement.CodeUnknownCode,
		"err-unknown-aae140":                  settlement.CodeUnknownCode,
		"err-missing-akc190":                  settlement.CodeMissingField,
		"err-missing-certificate":             settlement.CodeMissingField,
		"err-missing-akc227":                  settlement.CodeMissingField,
		"err-three-decimals":                  settlement.CodeBadAmount,
		"err-settle-three-decimals":           settlement.CodeBadAmount,
		"err-line-amount":                     settlement.CodeLineAmount,
		"err-row-visit-mismatch":              settlement.CodeBadField,
		"err-pre-settle-with-rows":            settlement.CodeBadMessage,
		"err-bad-time":                        settlement.CodeBadField,
		"err-duplicate-element":               settlement.CodeBadMessage,
		"err-mixed-content":                   settlement.CodeBadMessage,
		"err-two-roots":                       settlement.CodeBadMessage,
		"err-refund-row":                      settlement.CodeBadField,
		"err-empty":                           settlement.CodeBadMessage,
	}
	for _, f := range decodeFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		if strings.HasPrefix(name, "err-") && tests[name] == "" {
			t.Errorf("%s has no expected code here", name)
		}
	}
	for name, code := range tests {
		body, err := os.ReadFile("testdata/decode/" + name + ".xml")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(body)
		if e := settlement.AsError(err); e == nil || e.Code != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
}

// TestRefusalsNeverEchoCertificates: a certificate number is a patient's
// ID number; no refusal may carry it, whatever else is wrong.
func TestRefusalsNeverEchoCertificates(t *testing.T) {
	for _, f := range decodeFiles(t) {
		body, _ := os.ReadFile(f)
		for _, mutate := range []func([]byte) []byte{
			func(b []byte) []byte { return b },
			func(b []byte) []byte {
				return bytes.Replace(b, []byte("</AAC002>"), []byte("X</AAC002><AAC002>1</AAC002>"), 1)
			},
			func(b []byte) []byte {
				return bytes.Replace(b, []byte("<AAC002>"), []byte("<AAC002>"+strings.Repeat("9", 60)), 1)
			},
			func(b []byte) []byte { return bytes.Replace(b, []byte("</AAC002>"), []byte("&bad;</AAC002>"), 1) },
			func(b []byte) []byte { return entityIn(b, "&") },
			func(b []byte) []byte { return entityIn(b, "&#") },
			func(b []byte) []byte { return bytes.Replace(b, []byte("<AAC002>1"), []byte("<AAC002>\x011"), 1) },
		} {
			_, err := Decode(mutate(body))
			if e := settlement.AsError(err); e != nil {
				for _, cert := range []string{"150826198003150018", "150826196505050043", "150102195802020051", "430102199001011234"} {
					if strings.Contains(e.Error(), cert[:10]) {
						t.Errorf("%s: refusal carries a certificate number: %s", f, e.Error())
					}
				}
			}
		}
	}
}

// entityIn turns the first ten digits of the certificate into an entity
// reference: &1508261980; or &#1508261980;.
func entityIn(b []byte, prefix string) []byte {
	i := bytes.Index(b, []byte("<AAC002>"))
	if i < 0 || i+18 > len(b) {
		return b
	}
	i += len("<AAC002>")
	out := append([]byte{}, b[:i]...)
	out = append(append(append(out, prefix...), b[i:i+10]...), ';')
	return append(out, b[i+10:]...)
}

// TestDigest: whitespace, charset, element order, aliases, comments and
// the HIS clock do not change a request's digest; business content does.
func TestDigest(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/day-08-2720-settle.xml")
	base := mustDecode(t, body)
	gbk := string(body)
	utf, err := decoder(csGBK).String(gbk)
	if err != nil {
		t.Fatal(err)
	}
	same := map[string]string{
		"utf-8":     strings.Replace(utf, `encoding="GBK"`, `encoding="UTF-8"`, 1),
		"opttime":   strings.Replace(utf, "<OPTTIME>20260302080000", "<OPTTIME>20260302080507", 1),
		"spacing":   strings.ReplaceAll(utf, "\n    ", "\n"),
		"order":     strings.Replace(strings.Replace(utf, "    <AKA130>11</AKA130>\n", "", 1), "<AKC264>", "<AKA130>11</AKA130><AKC264>", 1),
		"alias":     strings.Replace(strings.Replace(utf, "<AKC264>", "<medfee_sumamt>", 1), "</AKC264>", "</medfee_sumamt>", 1),
		"comment":   strings.Replace(utf, "<BODY>", "<BODY><!-- 门诊结算 -->", 1),
		"reference": strings.Replace(utf, "INV-CB1", "INV&#45;CB1", 1),
	}
	for name, b := range same {
		m := mustDecode(t, []byte(b))
		if m.Requests[0].Digest != base.Requests[0].Digest {
			t.Errorf("%s: digest changed for the same business content", name)
		}
	}
	other := mustDecode(t, []byte(strings.Replace(utf, "INV-CB1", "INV-CB2", 1)))
	if other.Requests[0].Digest == base.Requests[0].Digest {
		t.Error("different content, same digest")
	}
	for _, r := range base.Requests {
		if r.Digest != settlement.ContentDigest(Format, r) {
			t.Error("the digest is not ContentDigest of the finished request")
		}
	}
}

func mustDecode(t testing.TB, body []byte) *Message {
	t.Helper()
	m, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCombinedMessage: a settlement that carries its fee rows stands for
// two national steps, the upload first, each with its own msgid.
func TestCombinedMessage(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/day-06-08-2720-fees-and-settle.xml")
	m := mustDecode(t, body)
	if len(m.Requests) != 2 {
		t.Fatalf("%d requests, want 2", len(m.Requests))
	}
	kinds := []settlement.Kind{settlement.KindUploadFees, settlement.KindSettle}
	for i, r := range m.Requests {
		if r.Kind != kinds[i] || r.MsgID != "H15010100001202603020800000068-"+string(kinds[i]) {
			t.Errorf("step %d: %s %s", i, r.Kind, r.MsgID)
		}
		if r.Ref == nil || r.Ref.VisitNo != "MZ0001" {
			t.Errorf("step %d: ref %+v", i, r.Ref)
		}
	}
	if m.Requests[0].Digest == m.Requests[1].Digest {
		t.Error("two steps, one digest")
	}
	if m.Requests[0].Fees.Lines[0].ChrgBchno != "CB1" {
		t.Errorf("rows did not take the message's CHRG_BCHNO: %+v", m.Requests[0].Fees.Lines[0])
	}
}

// TestLimits: every bound of doc.go is enforced with a refusal, not a
// panic or an unbounded allocation.
func TestLimits(t *testing.T) {
	row := "<KC22ROW><FEEDETL_SN>1</FEEDETL_SN><AKC221>20260302090000</AKC221><AKC515>L</AKC515><AKE001>X</AKE001>" +
		"<AKC225>1</AKC225><AKC226>1</AKC226><AKC227>1</AKC227></KC22ROW>"
	msg := func(body string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><HOSDATA><HEAD><MSGNO>2630</MSGNO><MSGID>M1</MSGID>` +
			`<AKB020>H1</AKB020><OPERID>1</OPERID></HEAD><BODY><AAC002>1</AAC002><AKC190>MZ1</AKC190>` +
			`<CHRG_BCHNO>CB1</CHRG_BCHNO>` + body + `</BODY></HOSDATA>`)
	}
	tests := []struct {
		name string
		body []byte
		code settlement.Code
		says string
	}{
		{"body size", append(msg(""), bytes.Repeat([]byte(" "), MaxBodyBytes)...), settlement.CodeTooLarge, strconv.Itoa(MaxBodyBytes)},
		{"rows", msg("<KC22XML>" + strings.Repeat(row, MaxFeeRows+1) + "</KC22XML>"), settlement.CodeBadMessage, "more than 1000 fee rows"},
		{"depth", msg(strings.Repeat("<A>", maxDepth) + strings.Repeat("</A>", maxDepth)), settlement.CodeBadMessage, "nested too deep"},
		{"elements", msg(strings.Repeat("<X/>", maxElements)), settlement.CodeBadMessage, "too many elements"},
		{"value", msg("<DR_NAME>" + strings.Repeat("a", maxValueLen+1) + "</DR_NAME>"), settlement.CodeBadMessage, "too long"},
		{"name", msg("<" + strings.Repeat("A", maxNameLen+1) + "/>"), settlement.CodeBadMessage, "name too long"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.body)
		e := settlement.AsError(err)
		if e == nil || e.Code != tt.code || !strings.Contains(e.EN, tt.says) {
			t.Errorf("%s: %v, want %s saying %q", tt.name, err, tt.code, tt.says)
		}
	}
	ok := msg("<KC22XML>" + strings.Repeat(strings.Replace(row, "<FEEDETL_SN>1", "<FEEDETL_SN>1", 1), MaxFeeRows) + "</KC22XML>")
	if _, err := Decode(ok); err != nil {
		t.Errorf("%d rows, the limit, refused: %v", MaxFeeRows, err)
	}
}

// TestCharsets: the reply goes out in the charset the request came in,
// with a declaration naming it.
func TestCharsets(t *testing.T) {
	tests := map[string]string{
		"day-02-1401-person.xml":               "UTF-8",
		"day-04-2610-register.xml":             "GBK",
		"day-35-2420-inpatient-pre-settle.xml": "GB18030",
		"charset-gb2312-declared.xml":          "GB2312",
		"charset-gb18030-undeclared.xml":       "GB18030",
		"charset-utf8-bom-undeclared.xml":      "UTF-8",
		"variant-hunan-lowercase.xml":          "GBK",
	}
	for file, cs := range tests {
		body, _ := os.ReadFile("testdata/decode/" + file)
		m := mustDecode(t, body)
		if got := ContentType(m); got != "application/xml; charset="+cs {
			t.Errorf("%s: %s, want %s", file, got, cs)
		}
		reply := EncodeError(m, settlement.Errorf(settlement.CodeVisitNotFound, "MZ0001"), time.Unix(0, 0))
		if !bytes.HasPrefix(reply, []byte(`<?xml version="1.0" encoding="`+cs+`"?>`)) {
			t.Errorf("%s: reply declares %.50s", file, reply)
		}
	}
	if got := ContentType(nil); got != "application/xml; charset=GBK" {
		t.Errorf("default content type %s", got)
	}
	// The rare ideograph of the GB18030 message survives decoding.
	body, _ := os.ReadFile("testdata/decode/charset-gb18030-undeclared.xml")
	if m := mustDecode(t, body); m.Requests[0].Register.DrName != "王\U0002A6A5" {
		t.Errorf("DR_NAME %q", m.Requests[0].Register.DrName)
	}
}

// TestEncodeCharsetFallback: a character the reply's charset cannot hold
// becomes a character reference; GB2312 replies hold no GBK-only bytes.
func TestEncodeCharsetFallback(t *testing.T) {
	name := "王\U0002A6A5 堃 €" // an Extension B ideograph (not in GBK), a GBK-only one, the euro sign
	tests := []struct {
		cs   charset
		want string // how the name reads in the reply, decoded as the reply declares
	}{
		{csUTF8, name},
		{csGB18030, name},
		{csGBK, "王&#173733; 堃 €"},
		{csGB2312, "王&#173733; &#22531; &#8364;"},
	}
	for _, tt := range tests {
		got := encodeText([]byte(name), tt.cs)
		read := string(got)
		if tt.cs != csUTF8 {
			var err error
			if read, err = encodingOf(tt.cs).NewDecoder().String(string(got)); err != nil {
				t.Fatal(err)
			}
		}
		if read != tt.want {
			t.Errorf("%s: %q, want %q", tt.cs, read, tt.want)
		}
		if tt.cs == csGB2312 {
			for i := 0; i < len(got); i++ {
				if got[i] >= 0x80 && (got[i] < 0xA1 || got[i] > 0xF7) {
					t.Errorf("GB2312 reply holds byte %#x", got[i])
				}
			}
		}
	}
}

// TestEncodeGolden writes the replies to the day's messages, with the
// answers the settlement gave them (see TestSameVisitSameAmounts), and
// refusals, in the charset of each request.
func TestEncodeGolden(t *testing.T) {
	for _, c := range sameDay {
		name := strings.TrimSuffix(c.legacy, ".xml")
		t.Run(name, func(t *testing.T) {
			body, _ := os.ReadFile("testdata/decode/" + c.legacy)
			m := mustDecode(t, body)
			answers := make([]settlement.Answer, len(c.national))
			for i, n := range c.national {
				golden, err := os.ReadFile(dayDir + n + ".response.json")
				if err != nil {
					t.Fatal(err)
				}
				answers[i], _ = rebuildAnswer(t, m.Requests[i].Kind, golden)
			}
			reply, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "encode/"+name+".golden", reply)
			if again, _ := m.Encode(answers); !bytes.Equal(reply, again) {
				t.Error("encoding the same answers twice gave different bytes")
			}
		})
	}
	at := time.Date(2026, 3, 2, 0, 0, 5, 0, time.UTC)
	refusals := []struct {
		name, file string
		err        *settlement.Error
	}{
		{"error-unidentified", "", settlement.Errorf(settlement.CodeBadCharset, settlement.Bi("不支持 UTF-16", "UTF-16 is not supported"))},
		{"error-gbk-visit-not-found", "day-08-2720-settle.xml", settlement.Errorf(settlement.CodeVisitNotFound, "MZ0001")},
		{"error-utf8-amounts", "day-06-08-2720-fees-and-settle.xml", settlement.Errorf(settlement.CodeAmountsMismatch, "medfee_sumamt", "18000.00", "17400.00")},
	}
	for _, r := range refusals {
		var m *Message
		if r.file != "" {
			body, _ := os.ReadFile("testdata/decode/" + r.file)
			m = mustDecode(t, body)
		}
		golden(t, "encode/"+r.name+".golden", EncodeError(m, r.err, at))
	}
}

// TestEncodeMisuse: answers that do not fit the message are an error of
// the caller, never a panic or a reply with holes.
func TestEncodeMisuse(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/day-06-08-2720-fees-and-settle.xml")
	m := mustDecode(t, body)
	for name, answers := range map[string][]settlement.Answer{
		"too few":     {{}},
		"too many":    {{}, {}, {}},
		"no record":   {{}, {}},
		"none at all": nil,
	} {
		if b, err := m.Encode(answers); err == nil {
			t.Errorf("%s: encoded %s", name, b)
		}
	}
	var nilMsg *Message
	if _, err := nilMsg.Encode(nil); err == nil {
		t.Error("a nil message encoded")
	}
	if b := EncodeError(nil, nil, time.Unix(0, 0)); !bytes.Contains(b, []byte("<ERRORCODE>E5000</ERRORCODE>")) {
		t.Errorf("a nil error gave %s", b)
	}
}

// TestInvalidByteOffsets: a charset refusal names the first bad byte, also
// after characters of every width and after a U+FFFD that GB18030 carries
// legitimately.
func TestInvalidByteOffsets(t *testing.T) {
	legit := "\x84\x31\xA4\x37" // U+FFFD in GB18030
	tests := []struct {
		cs   charset
		src  string
		want int
	}{
		{csGBK, "ab\xc4\xda\xff", 4},                           // 内, then 0xFF
		{csGBK, "\xc4\xda\x81\x20x", 2},                        // a lead byte followed by a space
		{csGB18030, "a" + legit + "b\x95\x32\x82\x36\xff", 10}, // legitimate U+FFFD, a four-byte character, 0xFF
		{csGB18030, legit + legit, -1},
		{csGBK, "abc", -1},
	}
	for _, tt := range tests {
		out, err := transcode(decoder(tt.cs), []byte(tt.src), tt.cs)
		if err != nil {
			t.Fatal(err)
		}
		if got := invalidAt(string(out), []byte(tt.src), tt.cs); got != tt.want {
			t.Errorf("%s %q: offset %d, want %d", tt.cs, tt.src, got, tt.want)
		}
	}
}

// TestConcurrentUse: the gateway decodes and encodes on many goroutines at
// once; nothing in the package may be shared and written (run with -race).
func TestConcurrentUse(t *testing.T) {
	var bodies [][]byte
	for _, c := range sameDay {
		b, _ := os.ReadFile("testdata/decode/" + c.legacy)
		bodies = append(bodies, b)
	}
	done := make(chan []byte)
	for g := 0; g < 4; g++ {
		go func() {
			var all []byte
			for _, b := range bodies {
				m, err := Decode(b)
				if err != nil {
					done <- nil
					return
				}
				all = append(all, EncodeError(m, settlement.Errorf(settlement.CodeVisitNotFound, "MZ0001"), time.Unix(0, 0))...)
			}
			done <- all
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if got := <-done; first == nil || !bytes.Equal(got, first) {
			t.Error("concurrent runs disagree")
		}
	}
}

// transcodeString must decode exactly as transcode does, invalid bytes
// and long runs of Chinese included.
func TestTranscodeStringIsTranscode(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := rapid.SampledFrom([]charset{csGBK, csGB18030}).Draw(t, "charset")
		var src []byte
		for range rapid.IntRange(0, 400).Draw(t, "pieces") {
			src = append(src, rapid.SampledFrom([]string{"a", "<X>", "\xc4\xda", "\x95\x32\x82\x36", "\xff", "\x81", "\x84\x31\xA4\x37"}).Draw(t, "piece")...)
		}
		want, err1 := transcode(decoder(cs), src, cs)
		got, err2 := transcodeString(decoder(cs), src, cs)
		if (err1 != nil) != (err2 != nil) || got != string(want) {
			t.Fatalf("%s %q: %q (%v), transcode %q (%v)", cs, src, got, err2, want, err1)
		}
	})
}

// TestWriterEncodesAsTheWholeReplyWas: the writer encodes each value in the
// reply's charset; the result must be what encoding the whole UTF-8 reply
// at the end gave.
func TestWriterEncodesAsTheWholeReplyWas(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := rapid.SampledFrom([]charset{csUTF8, csGBK, csGB2312, csGB18030}).Draw(t, "charset")
		values := rapid.SliceOf(rapid.OneOf(rapid.SampledFrom([]string{"", "12.50", "王\U0002A6A5 堃 €", "内科", "a&b<c>", "\x01\xff\ufffe"}),
			rapid.String())).Draw(t, "values")
		direct, whole := writer{cs: cs}, writer{cs: csUTF8}
		for _, w := range []*writer{&direct, &whole} {
			w.prolog(cs)
			w.open("HOSDATA")
			for _, v := range values {
				w.leaf("V", v)
			}
			w.close("HOSDATA")
		}
		if want := encodeText(whole.b, cs); !bytes.Equal(direct.b, want) {
			t.Fatalf("%s %q:\n got %q\nwant %q", cs, values, direct.b, want)
		}
	})
}

// TestOptTimeIsRefMsgIDsTime: Encode writes OPTTIME as REFMSGID's first
// part, which must be the stamp's time as OPTTIME always read, for any
// stamp (years of fewer or more than four digits too).
func TestOptTimeIsRefMsgIDsTime(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := settlement.Stamp{
			UnixMilli: rapid.OneOf(rapid.Int64Range(-1e14, 1e15), rapid.Int64Range(1.7e12, 1.8e12)).Draw(t, "ms"),
			Index:     rapid.Uint64().Draw(t, "index"),
		}
		ref := refMsgID(s)
		if got, want := ref[:len(ref)-10], s.Time().Format("20060102150405"); got != want {
			t.Fatalf("%+v: REFMSGID %q starts with %q, OPTTIME is %q", s, ref, got, want)
		}
	})
}
