package delimited

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/settlement"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func decodeInputs(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("testdata/decode/*.txt")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	return files
}

// TestDecodeGolden decodes every message in testdata/decode and compares
// the domain requests, or the refusal, with its .golden file. Inputs named
// err-* must be refused, the others accepted.
func TestDecodeGolden(t *testing.T) {
	goldenfile.Decodes(t, ".txt", 1, func(t *testing.T, body []byte) ([]byte, error) {
		m, err := Decode(body)
		if err != nil {
			if m != nil && m.Requests != nil {
				t.Error("a refused message carries requests")
			}
			return goldenfile.JSON(map[string]string{"err_msg": goldenfile.Reason(err)}), err
		}
		return goldenfile.JSON(m.Requests), nil
	})
}

// TestDecodeRefusalCodes pins the code of every refusal case, so that a
// golden rewrite cannot silently change what a hospital is told.
func TestDecodeRefusalCodes(t *testing.T) {
	tests := map[string]settlement.Code{
		"err-empty":                  settlement.CodeBadMessage,
		"err-truncated-header":       settlement.CodeBadMessage,
		"err-truncated-line":         settlement.CodeBadMessage,
		"err-too-many-fields":        settlement.CodeBadMessage,
		"err-too-many-header-fields": settlement.CodeBadMessage,
		"err-extra-record":           settlement.CodeBadMessage,
		"err-charset":                settlement.CodeBadCharset,
		"err-charset-bom":            settlement.CodeBadCharset,
		"err-charset-cut":            settlement.CodeBadCharset,
		"err-unknown-code":           settlement.CodeUnknownCode,
		"err-unknown-med-type":       settlement.CodeUnknownCode,
		"err-unknown-insutype":       settlement.CodeUnknownCode,
		"err-unknown-cert-type":      settlement.CodeUnknownCode,
		"err-missing-cert-no":        settlement.CodeMissingField,
		"err-missing-msgid":          settlement.CodeMissingField,
		"err-missing-split":          settlement.CodeMissingField,
		"err-missing-card-sn":        settlement.CodeMissingField,
		"err-no-fee-lines":           settlement.CodeMissingField,
		"err-bad-amount":             settlement.CodeBadAmount,
		"err-bad-amount-line":        settlement.CodeBadAmount,
		"err-line-amount":            settlement.CodeLineAmount,
		"err-refund-line":            settlement.CodeBadField,
		"err-bad-datetime":           settlement.CodeBadField,
		"err-bad-flag":               settlement.CodeBadField,
		"err-bad-centre":             settlement.CodeBadField,
		"err-bad-msgid":              settlement.CodeBadField,
		"err-offline":                settlement.CodeBadField,
		"err-long-cert-no":           settlement.CodeBadField,
		"err-medfee-sum":             settlement.CodeAmountsMismatch,
	}
	seen := 0
	for _, f := range decodeInputs(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		if !strings.HasPrefix(name, "err-") {
			continue
		}
		seen++
		code, ok := tests[name]
		if !ok {
			t.Errorf("%s: no expected code in the table", name)
			continue
		}
		body, _ := os.ReadFile(f)
		_, err := Decode(body)
		if e := settlement.AsError(err); e == nil || e.Code != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
	if seen != len(tests) {
		t.Errorf("%d refusal inputs for %d table entries", seen, len(tests))
	}
}

// TestRefusalsNameThePlace: the refusals the brief asks for each say where
// the message is wrong, and none echoes a certificate number.
func TestRefusalsNameThePlace(t *testing.T) {
	tests := map[string]string{
		"err-charset":          "line 1, byte ",
		"err-truncated-header": "at header field 5 (msgid)",
		"err-truncated-line":   "at record 3 field 9 (bilg_dept_name)",
		"err-unknown-code":     "infno (header field 1)",
		"err-unknown-med-type": "med_type (record 1, field 5)",
		"err-missing-cert-no":  "mdtrt_cert_no (record 1, field 2)",
		"err-bad-amount":       "medfee_sumamt (record 1, field 7)",
		"err-bad-amount-line":  "det_item_fee_sumamt (record 2, field 7)",
		"err-line-amount":      "record 3 (feedetl_sn 2)",
		"err-long-cert-no":     "mdtrt_cert_no (record 1, field 2)",
	}
	for name, where := range tests {
		body, _ := os.ReadFile("testdata/decode/" + name + ".txt")
		_, err := Decode(body)
		e := settlement.AsError(err)
		if e == nil || !strings.Contains(e.EN, where) {
			t.Errorf("%s: %v, want it to name %q", name, err, where)
		}
		if e != nil && strings.Contains(e.Error(), "150826198001011234") {
			t.Errorf("%s: the refusal shows a certificate number: %v", name, e)
		}
	}
}

// TestSameContentSameDigest: the charset, the record separators, padding
// spaces and the date-time form are the message's form, not its content;
// the digest ignores them and sees any change of content.
func TestSameContentSameDigest(t *testing.T) {
	const utf8Msg = "2204^H15010100001^0001^SN0001^M1^0000^02|150826198001011234|MZ1|CB1|\n" +
		"1|2024-05-01 09:30:00|XA01|YY-0001|12400|1|12400.00|A03|内科|D001|张医生|0|0||^1^"
	gbk := encodeText([]byte(utf8Msg), gb18030)
	same := [][]byte{
		gbk,
		[]byte(strings.Replace(utf8Msg, "\n", "#", 1)),
		[]byte(strings.Replace(utf8Msg, "\n", "\r\n\r\n", 1)),
		[]byte(strings.Replace(utf8Msg, "2024-05-01 09:30:00", "20240501093000", 1)),
		[]byte(strings.Replace(utf8Msg, "|内科|", "| 内科 |", 1)),
		[]byte(strings.TrimSuffix(utf8Msg, "^1^")),
	}
	base := mustDecode(t, []byte(utf8Msg)).Requests[0].Digest
	for i, b := range same {
		if d := mustDecode(t, b).Requests[0].Digest; d != base {
			t.Errorf("variant %d: digest changed for the same content", i)
		}
	}
	other := mustDecode(t, []byte(strings.Replace(utf8Msg, "|XA01|", "|XA02|", 1))).Requests[0].Digest
	if other == base {
		t.Error("different content, same digest")
	}
}

// TestCharsetDetection: the reply speaks the charset the message came in.
func TestCharsetDetection(t *testing.T) {
	tests := []struct {
		file, contentType string
	}{
		{"2201-gbk.txt", "text/plain; charset=GB18030"},
		{"2401-gbk.txt", "text/plain; charset=GB18030"},
		{"2204.txt", "text/plain; charset=UTF-8"},
		{"bom-utf8.txt", "text/plain; charset=UTF-8"}, // pure ASCII marked UTF-8
		{"2206.txt", "text/plain; charset=GB18030"},   // pure ASCII: the DLL era's charset
	}
	for _, tc := range tests {
		body, _ := os.ReadFile("testdata/decode/" + tc.file)
		m := mustDecode(t, body)
		if got := ContentType(m); got != tc.contentType {
			t.Errorf("%s: %s, want %s", tc.file, got, tc.contentType)
		}
	}
	if got := ContentType(nil); got != "text/plain; charset=GB18030" {
		t.Errorf("ContentType(nil) = %s", got)
	}
}

// TestComposite: 2720 is two steps, each with its own msgid.
func TestComposite(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/2720.txt")
	m := mustDecode(t, body)
	if len(m.Requests) != 2 {
		t.Fatalf("%d requests", len(m.Requests))
	}
	fees, settle := m.Requests[0], m.Requests[1]
	if fees.Kind != settlement.KindUploadFees || settle.Kind != settlement.KindSettle {
		t.Errorf("steps %s, %s", fees.Kind, settle.Kind)
	}
	if fees.MsgID == settle.MsgID || !strings.HasSuffix(fees.MsgID, "-2204") || !strings.HasSuffix(settle.MsgID, "-2207") {
		t.Errorf("msgids %s, %s", fees.MsgID, settle.MsgID)
	}
	if fees.Fees.Lines[0].ChrgBchno != settle.Settle.ChrgBchno || settle.Settle.Split != nil {
		t.Errorf("batch %s / %s, split %v", fees.Fees.Lines[0].ChrgBchno, settle.Settle.ChrgBchno, settle.Settle.Split)
	}
}

// TestMedTypeMapping: old aka130 codes are re-mapped, never passed through.
func TestMedTypeMapping(t *testing.T) {
	tests := map[string]string{"11": "11", "12": "41", "14": "14", "16": "13", "21": "21", "51": "51", "53": "52"}
	for old, national := range tests {
		msg := "2206^H1^0001^^M1^^02|150826198001011234|MZ1|CB1|" + old + "|310|1.00|0|01||||||^"
		if got := mustDecode(t, []byte(msg)).Requests[0].Settle.MedType; got != national {
			t.Errorf("aka130 %s: med_type %s, want %s", old, got, national)
		}
	}
	for _, old := range []string{"13", "22", "24", "52", "54", "41", "110104"} {
		msg := "2206^H1^0001^^M1^^02|150826198001011234|MZ1|CB1|" + old + "|310|1.00|0|01||||||^"
		_, err := Decode([]byte(msg))
		if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeUnknownCode {
			t.Errorf("aka130 %s: %v, want %s", old, err, settlement.CodeUnknownCode)
		}
	}
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("#"), MaxBytes+1)
	if _, err := Decode(big); settlement.AsError(err) == nil || settlement.AsError(err).Code != settlement.CodeTooLarge {
		t.Errorf("oversized body: %v", err)
	}
	line := "1|2024-05-01 09:30:00|XA01|YY-0001|1|1|1.00|A03|内科|D001|张医生|0|0||"
	msg := "2204^H1^0001^^M1^^02|150826198001011234|MZ1|CB1|" + strings.Repeat("#"+line, MaxRecords) + "^"
	_, err := Decode([]byte(msg))
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeBadMessage || !strings.Contains(e.EN, "record 1002") {
		t.Errorf("1001 fee lines: %v", err)
	}
	msg = "2204^H1^0001^^M1^^02|150826198001011234|MZ1|CB1|" + strings.Repeat("#"+line, MaxRecords-1) + "^"
	if m := mustDecode(t, []byte(msg)); len(m.Requests[0].Fees.Lines) != MaxRecords-1 {
		t.Errorf("%d lines", len(m.Requests[0].Fees.Lines))
	}
}

func mustDecode(t *testing.T, body []byte) *Message {
	t.Helper()
	m, err := Decode(body)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return m
}
