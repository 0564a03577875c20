package nhsa

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// TestDecodeGolden decodes every request in testdata/decode and compares
// the domain request, or the refusal, with its .golden file.
func TestDecodeGolden(t *testing.T) {
	goldenfile.Decodes(t, ".json", 1, func(t *testing.T, body []byte) ([]byte, error) {
		m, err := Decode(body, "")
		if err != nil {
			return goldenfile.JSON(map[string]string{"err_msg": goldenfile.Reason(err)}), err
		}
		return goldenfile.JSON(m.Request), nil
	})
}

func TestDecodeRefusalCodes(t *testing.T) {
	tests := map[string]settlement.Code{
		"err-malformed":      settlement.CodeMalformed,
		"err-missing-msgid":  settlement.CodeMissingField,
		"err-missing-data":   settlement.CodeMissingField,
		"err-unknown-infno":  settlement.CodeUnknownInfno,
		"err-three-decimals": settlement.CodeBadAmount,
		"err-line-amount":    settlement.CodeLineAmount,
		"err-inf-time":       settlement.CodeBadField,
		"err-refund-line":    settlement.CodeBadField,
		"err-bad-flag":       settlement.CodeBadField,
	}
	for name, code := range tests {
		body, err := os.ReadFile("testdata/decode/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(body, "")
		if e := settlement.AsError(err); e == nil || e.Code != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
}

func TestFoldKeys(t *testing.T) {
	in := `{"psn_no":"A_B","feedetail":[{"med_list_codg" : "X_1","memo":"say \"psn_no\": yes"}], "n_1":1}`
	want := `{"psnno":"A_B","feedetail":[{"medlistcodg" : "X_1","memo":"say \"psn_no\": yes"}], "n1":1}`
	if got := string(foldKeys([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestInfnoFromURL(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/2208.json")
	if _, err := Decode(body, "2208"); err != nil {
		t.Errorf("matching URL infno refused: %v", err)
	}
	if _, err := Decode(body, "2207"); settlement.AsError(err) == nil || settlement.AsError(err).Code != settlement.CodeBadField {
		t.Errorf("mismatching URL infno: %v", err)
	}
	noInfno := bytes.Replace(body, []byte(`"infno":"2208",`), nil, 1)
	m, err := Decode(noInfno, "2208")
	if err != nil || m.Request.Kind != settlement.KindCancelSettle {
		t.Errorf("infno only in the URL: %v %v", m.Request.Kind, err)
	}
}

func TestDigest(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/2207.json")
	base, err := Decode(body, "")
	if err != nil {
		t.Fatal(err)
	}
	same := [][]byte{
		bytes.Replace(body, []byte(`"inf_time":"2024-05-01 09:00:00"`), []byte(`"inf_time":"2024-05-01 09:00:07"`), 1),
		bytes.Replace(body, []byte(`"psn_no":"15082600000001","mdtrt_cert_type":"02"`), []byte(`"psn_no": "15082600000001", "mdtrt_cert_type":"02"`), 1),
	}
	for i, b := range same {
		m, err := Decode(b, "")
		if err != nil || m.Request.Digest != base.Request.Digest {
			t.Errorf("variant %d: digest changed for the same business content (%v)", i, err)
		}
	}
	other, _ := Decode(bytes.Replace(body, []byte(`"invono":"INV001"`), []byte(`"invono":"INV002"`), 1), "")
	if other.Request.Digest == base.Request.Digest {
		t.Error("different input, same digest")
	}
}

// TestEncodeGolden encodes a fixed answer for each transaction.
func TestEncodeGolden(t *testing.T) {
	st := settlement.Stamp{UnixMilli: time.Date(2024, 5, 1, 1, 31, 2, 345e6, time.UTC).UnixMilli(), Index: 42}
	r := Receiver{Admdvs: "150000"}
	rec := exampleRecord()
	cases := map[string]struct {
		kind settlement.Kind
		out  settlement.Outcome
	}{
		"1101": {settlement.KindPersonInfo, settlement.Outcome{Person: &settlement.PersonInfo{Balance: 1000000, Person: settlement.Person{
			PsnNo: "15082600000001", CertType: "01", CertNo: "150826198001011234", Name: "王建国", Gender: "1", Nation: "01",
			Birthdate: "1980-01-01", Insurances: []settlement.Insurance{{Insutype: "310", PsnType: "11", Status: "1", InsuredAdmdvs: "150826"}}}}}},
		"2201": {settlement.KindRegister, settlement.Outcome{Visit: &settlement.Visit{MdtrtID: "M1", PsnNo: "P", IptOtpNo: "MZ1"}}},
		"2204": {settlement.KindUploadFees, settlement.Outcome{Lines: []settlement.LineSplit{
			{FeeLine: settlement.FeeLine{FeedetlSn: "2", Amount: 500000, Qty: 40000, Price: 1250000000}, Class: settlement.ClassB,
				SelfPay: 500, Preselfpay: 25000, Inscp: 475000}}}},
		"2207": {settlement.KindSettle, settlement.Outcome{Record: &rec}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := r.Encode(c.kind, settlement.Answer{Outcome: c.out, Stamp: st})
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, b, "", "  ")
			golden(t, "encode/"+name+".golden", append(pretty.Bytes(), '\n'))
			again, _ := r.Encode(c.kind, settlement.Answer{Outcome: c.out, Stamp: st})
			if !bytes.Equal(b, again) {
				t.Error("encoding the same answer twice gave different bytes")
			}
		})
	}
	e := r.EncodeError(settlement.Errorf(settlement.CodeAlreadySettled, "S1"), time.Unix(st.UnixMilli/1000, 0), 7)
	var resp Response
	if err := json.Unmarshal(e, &resp); err != nil || resp.Infcode != -1 || !strings.HasPrefix(resp.ErrMsg, "[E4202] ") ||
		resp.InfRefmsgid != "150000202405010931020000000007" {
		t.Errorf("error envelope %s", e)
	}
}

func exampleRecord() settlement.Record {
	return settlement.Record{
		SetlID: "S1", MdtrtID: "M1", PsnNo: "15082600000001", PsnName: "王建国", PsnCertType: "01", CertNo: "150826198001011234",
		Gender: "1", Birthdate: "1980-01-01", Insutype: "310", PsnType: "11", MedType: "11", SetlTime: "2024-05-01 09:31:02",
		MsgID: "H15010100001202405010900000004", ClrOptins: "150100", ClrWay: "01", ClrType: "11",
		Amounts: settlement.Amounts{Medfee: 1800000, Fulamt: 60000, Preselfpay: 25000, Inscp: 1715000, ActPayDedc: 120000,
			Hifp: 1116500, PoolProp: 7000, FundPay: 1116500, PsnPart: 683500, AcctPay: 683500, Balc: 316500},
		Details: []settlement.FundDetail{{FundPayType: "310100", Name: "城镇职工基本医疗保险统筹基金", Inscp: 1595000,
			LimitLeft: 30000000, Paid: 1116500, Process: "ratio 0.7000"}},
	}
}

// text's shortcut for plain string literals must decode as the decoder does.
func TestTextAgreesWithTheDecoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		lit, _ := json.Marshal(s)
		if rapid.Bool().Draw(t, "raw") { // also literals a HIS writes by hand
			lit = []byte(`"` + rapid.StringOf(rapid.SampledFrom([]rune("aZ09 \\\"\t/甲\u2028\x7f"))).Draw(t, "body") + `"`)
		}
		var want string
		wantErr := json.Unmarshal(lit, &want)
		var got text
		gotErr := got.UnmarshalJSON(lit)
		if (wantErr != nil) != (gotErr != nil) || wantErr == nil && string(got) != want {
			t.Fatalf("%q: text %q (%v), decoder %q (%v)", lit, got, gotErr, want, wantErr)
		}
	})
}

// TestBlankIsTrimSpace checks blank's shortcut on the first byte against
// strings.TrimSpace, for every rune and every byte that starts no rune.
func TestBlankIsTrimSpace(t *testing.T) {
	check := func(s string) {
		if got, want := blank(s), strings.TrimSpace(s) == ""; got != want {
			t.Fatalf("blank(%q) = %v, want %v", s, got, want)
		}
	}
	for r := rune(0); r <= 0x10ffff; r++ {
		check(string(r))
		check(string(r) + " ")
		check(string(r) + "x")
	}
	for c := 0x80; c < 0x100; c++ {
		check(string([]byte{byte(c)}))
		check(string([]byte{byte(c), ' '}))
	}
}
