package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/settlement"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return append(out.Bytes(), '\n')
}

// refusedAt is the time printed in refusals of the golden files.
var refusedAt = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// TestDecodeGolden decodes every message in testdata/decode and compares
// the domain requests, or the refusal as an OperationOutcome, with its
// .golden file. Files named err-* must be refused, the others accepted.
func TestDecodeGolden(t *testing.T) {
	goldenfile.Decodes(t, ".json", 1, func(t *testing.T, body []byte) ([]byte, error) {
		m, err := Decode(body)
		if e := settlement.AsError(err); e != nil {
			return indent(t, EncodeError(nil, e, refusedAt)), err
		} else if err != nil {
			return nil, err // Decodes fails: not a domain error
		}
		return goldenfile.JSON(m.Requests), nil
	})
}

// TestRefusals pins each refusal's code and the FHIRPath it names.
func TestRefusals(t *testing.T) {
	tests := []struct {
		file string
		code settlement.Code
		path string // the OperationOutcome expression; "" when the refusal names no element
	}{
		{"err-charset-gbk", settlement.CodeBadCharset, ""},
		{"err-charset-utf16", settlement.CodeBadCharset, ""},
		{"err-truncated", settlement.CodeBadMessage, ""},
		{"err-not-object", settlement.CodeBadMessage, ""},
		{"err-unknown-insutype", settlement.CodeUnknownCode, "Claim.contained[2].type.coding.code"},
		{"err-unknown-med-type", settlement.CodeUnknownCode, "Claim.subType.coding.code"},
		{"err-unknown-resource", settlement.CodeUnknownCode, ""},
		{"err-currency", settlement.CodeUnknownCode, "Claim.item[0].unitPrice.currency"},
		{"err-eligibility-purpose", settlement.CodeUnknownCode, "CoverageEligibilityRequest.purpose[1]"},
		{"err-missing-net", settlement.CodeMissingField, "Claim.item[1].net"},
		{"err-missing-certificate", settlement.CodeMissingField, "Claim.contained[0].identifier"},
		{"err-missing-identifier", settlement.CodeMissingField, "Claim.identifier"},
		{"err-cancel-no-setl-id", settlement.CodeMissingField, "Claim.related.reference"},
		{"err-bundle-first-entry", settlement.CodeUnknownCode, "Bundle.entry[0].resource.resourceType"},
		{"err-bad-amount", settlement.CodeBadAmount, "Claim.item[0].unitPrice.value"},
		{"err-line-amount", settlement.CodeLineAmount, "Claim.item[2].net"},
		{"err-wrong-type", settlement.CodeBadMessage, "Claim.item[1].quantity.value"},
		{"err-bad-date", settlement.CodeBadField, "Claim.contained[3].period.start"},
		{"err-class-mismatch", settlement.CodeBadField, "Claim.contained[3].class"},
		{"err-total", settlement.CodeBadField, "Claim.total"},
		{"err-reference", settlement.CodeBadMessage, "Claim.patient.reference"},
		{"err-id-number", settlement.CodeBadField, "Claim.contained[0].identifier[0].value"},
		{"err-refund-line", settlement.CodeBadField, "Claim.item[2].quantity.value"},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		body, err := os.ReadFile("testdata/decode/" + tc.file + ".json")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(body)
		e := settlement.AsError(err)
		if e == nil || e.Code != tc.code {
			t.Errorf("%s: %v, want %s", tc.file, err, tc.code)
			continue
		}
		if got := expression(e.EN); got != tc.path {
			t.Errorf("%s: expression %q, want %q (%s)", tc.file, got, tc.path, e.EN)
		}
		// Patients' ID numbers never appear in refusals.
		if strings.Contains(e.Error(), "150826198003150018") || strings.Contains(e.Error(), "15082619800315001") {
			t.Errorf("%s: the refusal echoes the ID number: %s", tc.file, e.Error())
		}
	}
	files, _ := filepath.Glob("testdata/decode/err-*.json")
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !seen[name] {
			t.Errorf("%s has no expectation in TestRefusals", name)
		}
	}
}

// TestSteps pins the national steps each kind of message stands for, and
// their msgids.
func TestSteps(t *testing.T) {
	tests := map[string][]string{
		"outpatient-claim":            {"2201", "2203", "2204", "2207"},
		"outpatient-predetermination": {"2201", "2203", "2204", "2206"},
		"outpatient-cancel":           {"2208"},
		"inpatient-claim":             {"2401", "2301", "2402", "2304"},
		"inpatient-predetermination":  {"2401", "2301", "2402", "2303"},
		"inpatient-cancel":            {"2305"},
		"eligibility":                 {"1101"},
		"eligibility-benefits":        {"1101", "2001"},
		"bundle-chronic-claim":        {"2201", "2203", "2204", "2207"},
	}
	for name, kinds := range tests {
		m := decodeFile(t, name)
		var got []string
		for _, r := range m.Requests {
			got = append(got, string(r.Kind))
			if r.MsgID != m.identValue+"-"+string(r.Kind) {
				t.Errorf("%s: msgid %s for step %s", name, r.MsgID, r.Kind)
			}
			if r.Hospital == "" || r.Digest != settlement.ContentDigest("fhir", r) {
				t.Errorf("%s %s: hospital %q, digest not the content digest", name, r.Kind, r.Hospital)
			}
			if r.Ref == nil || r.Ref.CertNo == "" {
				t.Errorf("%s %s: no HospitalRef", name, r.Kind)
			}
		}
		if strings.Join(got, " ") != strings.Join(kinds, " ") {
			t.Errorf("%s: steps %v, want %v", name, got, kinds)
		}
	}
}

func decodeFile(t *testing.T, name string) *Message {
	t.Helper()
	body, err := os.ReadFile("testdata/decode/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(body)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestRetryReplays: a predetermination and then the claim for the same
// visit under the same identifier share their registration, visit and fee
// steps (same msgid, same digest: the ledger replays them) and differ only
// in the last one; whitespace, key order and a byte order mark change no
// digest; a changed amount changes the fee step's.
func TestRetryReplays(t *testing.T) {
	pre, claim := decodeFile(t, "outpatient-predetermination"), decodeFile(t, "outpatient-claim")
	for i := 0; i < 3; i++ {
		if pre.Requests[i].MsgID != claim.Requests[i].MsgID || pre.Requests[i].Digest != claim.Requests[i].Digest {
			t.Errorf("step %s differs between predetermination and claim", claim.Requests[i].Kind)
		}
	}
	if pre.Requests[3].MsgID == claim.Requests[3].MsgID {
		t.Error("the preview and the settlement share a msgid")
	}

	body, _ := os.ReadFile("testdata/decode/outpatient-claim.json")
	var tree map[string]any
	if err := json.Unmarshal(body, &tree); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(tree) // keys sorted, no whitespace
	same, err := Decode(append([]byte("\xef\xbb\xbf"), compact...))
	if err != nil {
		t.Fatal(err)
	}
	for i := range claim.Requests {
		if same.Requests[i].Digest != claim.Requests[i].Digest {
			t.Errorf("step %s: digest changed with the layout", claim.Requests[i].Kind)
		}
	}
	changed, err := Decode(bytes.Replace(body, []byte(`"value": 600, "currency"`), []byte(`"value": 600.00, "currency"`), 1))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Requests[2].Digest != claim.Requests[2].Digest {
		t.Error("600 and 600.00 are the same amount but digest differently")
	}
	priced := bytes.Replace(body, []byte(`"value": 200, "currency"`), []byte(`"value": 201, "currency"`), 1)
	priced = bytes.Replace(priced, []byte(`"value": 600, "currency"`), []byte(`"value": 603, "currency"`), 1)
	priced = bytes.Replace(priced, []byte(`"value": 18000.00, "currency"`), []byte(`"value": 18003, "currency"`), 1)
	other, err := Decode(priced)
	if err != nil {
		t.Fatal(err)
	}
	if other.Requests[2].Digest == claim.Requests[2].Digest || other.Requests[0].Digest != claim.Requests[0].Digest {
		t.Error("a changed price must change the fee step's digest, and only the steps that carry it")
	}
}

func TestDateTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-03-02T08:30:00+08:00", "2026-03-02 08:30:00"},
		{"2026-03-02T00:30:00Z", "2026-03-02 08:30:00"},
		{"2026-03-01T20:30:00-04:00", "2026-03-02 08:30:00"},
		{"2026-03-02T08:30:00.123+08:00", "2026-03-02 08:30:00"},
		{"2026-03-02T08:30:00", "2026-03-02 08:30:00"},
		{"2026-03-02", "2026-03-02 00:00:00"},
		{"2026-03", ""},
		{"2026", ""},
		{"2026-02-29", ""},
		{"2026-03-02T25:00:00+08:00", ""},
		{"2026-03-02T08:30+08:00", ""},
		{"2026-03-02T08:30:00+8:00", ""},
		{"2026-03-02T08:30:00.+08:00", ""},
		{"２026-03-02", ""},
	}
	for _, tc := range tests {
		got, ok := dateTime([]byte(tc.in))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("dateTime(%q) = %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestExpression(t *testing.T) {
	tests := []struct{ reason, want string }{
		{"field Claim.item[2].net has an invalid value: x", "Claim.item[2].net"},
		{"required field Claim.related.reference (system http://x) is missing", "Claim.related.reference"},
		{"malformed FHIR R4 message at Bundle.entry[0].resource.item[0].quantity.value: wrong", "Bundle.entry[0].resource.item[0].quantity.value"},
		{"fee line Claim.item[0].net: amount 1.00 does not equal price × quantity 2.00", "Claim.item[0].net"},
		{"malformed FHIR R4 message at byte 12: not valid JSON", ""},
		{"visit already settled, setl_id S1", ""},
		{"a ClaimResponse.item is not a path here", ""},
		{"field Claim.: trailing dot", "Claim"},
	}
	for _, tc := range tests {
		if got := expression(tc.reason); got != tc.want {
			t.Errorf("expression(%q) = %q, want %q", tc.reason, got, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	if _, err := Decode(make([]byte, maxBody+1)); settlement.AsError(err) == nil || settlement.AsError(err).Code != settlement.CodeTooLarge {
		t.Errorf("an oversized body: %v", err)
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	body := []byte(`{"resourceType":"Claim","extension":` + deep + `}`)
	if _, err := Decode(body); settlement.AsError(err) == nil || settlement.AsError(err).Code != settlement.CodeBadMessage {
		t.Errorf("deep nesting: %v", err)
	}
	var claim map[string]any
	b, _ := os.ReadFile("testdata/decode/outpatient-claim.json")
	_ = json.Unmarshal(b, &claim)
	item := claim["item"].([]any)[2]
	items := make([]any, maxItems+1)
	for i := range items {
		items[i] = item
	}
	claim["item"] = items
	delete(claim, "total")
	b, _ = json.Marshal(claim)
	if _, err := Decode(b); settlement.AsError(err) == nil || expression(settlement.AsError(err).EN) != "Claim.item" {
		t.Errorf("%d items: %v", maxItems+1, err)
	}
}
