package delimited

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

var stamp = settlement.Stamp{UnixMilli: time.Date(2024, 5, 1, 1, 31, 2, 345e6, time.UTC).UnixMilli(), Index: 42}

func exampleRecord() *settlement.Record {
	return &settlement.Record{
		SetlID: "S150100202405010000000042", MdtrtID: "M1", PsnNo: "15082600000001", PsnName: "王建国", PsnCertType: "01",
		CertNo: "150826198001011234", Gender: "1", Birthdate: "1980-01-01", Insutype: "310", PsnType: "11", MedType: "11",
		SetlTime: "2024-05-01 09:31:02", MsgID: "H15010100001202405010900000008", ClrOptins: "150100", ClrWay: "01", ClrType: "11",
		Amounts: settlement.Amounts{Medfee: 1800000, Fulamt: 60000, Preselfpay: 25000, Inscp: 1715000, ActPayDedc: 120000,
			Hifp: 1116500, PoolProp: 7000, FundPay: 1116500, PsnPart: 683500, AcctPay: 683500, Balc: 316500},
		Details: []settlement.FundDetail{{FundPayType: "310100", Name: "城镇职工基本医疗保险统筹基金", Inscp: 1595000,
			LimitLeft: 30000000, Paid: 1116500, Process: "ratio 0.7000; a ^ and a\ttab stay in their column"}},
	}
}

func exampleLines() []settlement.LineSplit {
	return []settlement.LineSplit{
		{FeeLine: settlement.FeeLine{FeedetlSn: "1", Amount: 1240000, Qty: 10000, Price: 12400000000}, Class: settlement.ClassA,
			ChargeType: "05", Inscp: 1240000},
		{FeeLine: settlement.FeeLine{FeedetlSn: "2", Amount: 500000, Qty: 40000, Price: 1250000000}, Class: settlement.ClassB,
			ChargeType: "09", SelfPay: 500, PriceCap: 100000, Restricted: true, Overlmt: 100000, Preselfpay: 20000, Inscp: 380000,
			Memo: "over the price cap"},
	}
}

// TestEncodeGolden decodes a message from testdata/decode, answers it, and
// compares the reply bytes (in the message's charset) with
// testdata/encode/<case>.golden.
func TestEncodeGolden(t *testing.T) {
	negative := exampleRecord()
	negative.Amounts = settlement.Amounts{Medfee: -1800000, Fulamt: -60000, Preselfpay: -25000, Inscp: -1715000,
		ActPayDedc: -120000, Hifp: -1116500, PoolProp: 7000, FundPay: -1116500, PsnPart: -683500, AcctPay: -683500, Balc: 1000000}
	negative.Details[0].Paid, negative.Details[0].Inscp = -1116500, -1595000
	person := &settlement.PersonInfo{Balance: 1000000, Person: settlement.Person{
		PsnNo: "15082600000001", CertType: "01", CertNo: "150826198001011234", Name: "王建国", Gender: "1", Nation: "01",
		Birthdate: "1980-05-02", Insurances: []settlement.Insurance{
			{Insutype: "310", PsnType: "11", Status: "1", InsuredAdmdvs: "150826", Since: "2003-07-01", CvlservFlag: "0", EmpName: "示范企业"},
			{Insutype: "390", PsnType: "15", Status: "0", InsuredAdmdvs: "150826", Since: "2001-01-01", CvlservFlag: "0"}},
		Identities: []settlement.Identity{{Type: "DIBAO", Begin: "2024-01-01"}}}}
	visit := &settlement.Visit{MdtrtID: "M150100202405010000000042", PsnNo: "15082600000001", IptOtpNo: "MZ20240501001"}
	cases := map[string][]settlement.Outcome{
		"1101":     {{Person: person}},
		"2201-gbk": {{Visit: visit}},
		"2204":     {{Lines: exampleLines()}},
		"2206":     {{Record: exampleRecord()}},
		"2207":     {{Record: exampleRecord()}},
		"2208":     {{Record: negative}},
		"2401-gbk": {{Visit: visit}},
		"2402":     {{Visit: visit}},
		"2720":     {{Lines: exampleLines()[:1]}, {Record: exampleRecord()}},
	}
	for name, outs := range cases {
		t.Run(name, func(t *testing.T) {
			m := decodeFile(t, "testdata/decode/"+name+".txt")
			answers := make([]settlement.Answer, len(outs))
			for i, o := range outs {
				answers[i] = settlement.Answer{Outcome: o, Stamp: stamp}
			}
			b, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "encode/"+name+".golden", b)
			again, _ := m.Encode(answers)
			if !bytes.Equal(b, again) {
				t.Error("encoding the same answers twice gave different bytes")
			}
			rep := parseReply(t, b, m.charset)
			if rep.code != "0" || rep.serial != "202405010931020000000042" || rep.msgID != m.msgID ||
				rep.signNo != "SN0001" || rep.time != "2024-05-01 09:31:02" {
				t.Errorf("reply header %+v", rep)
			}
		})
	}
}

// TestEncodeErrorGolden: a refusal echoes what is known of the message and
// carries the code and both reasons in one row.
func TestEncodeErrorGolden(t *testing.T) {
	at := time.Unix(stamp.UnixMilli/1000, 0)
	gbkRefused := encodeText([]byte("2401^H1^0001^SN0001^M-GBK-1^^02|150826198001011234|ZY1|310|24|2024-05-01 10:00:00|A05|外科|D002|王医生||||^"), gb18030)
	cases := map[string][]byte{
		"err-bad-amount":       mustRead(t, "testdata/decode/err-bad-amount.txt"),
		"err-charset":          mustRead(t, "testdata/decode/err-charset.txt"),
		"err-unknown-med-type": gbkRefused,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Decode(body)
			e := settlement.AsError(err)
			if e == nil {
				t.Fatalf("not refused: %v", err)
			}
			b := EncodeError(m, e, at)
			golden(t, "encode/"+name+".golden", b)
			cs := gb18030
			if m != nil {
				cs = m.charset
			}
			rep := parseReply(t, b, cs)
			if rep.code != "-1" || rep.serial != "" || rep.time != "2024-05-01 09:31:02" || len(rep.rows) != 1 ||
				len(rep.rows[0]) != 3 || rep.rows[0][0] != string(e.Code) || rep.rows[0][1] != e.ZH || rep.rows[0][2] != e.EN {
				t.Errorf("refusal %+v", rep)
			}
			if m != nil && rep.msgID != m.msgID {
				t.Errorf("msgid %q, want %q", rep.msgID, m.msgID)
			}
		})
	}
}

// TestEncodeRefusesWrongAnswers: an answer that does not fit the request is
// an error, never a panic or a half reply.
func TestEncodeRefusesWrongAnswers(t *testing.T) {
	m := decodeFile(t, "testdata/decode/2207.txt")
	for name, answers := range map[string][]settlement.Answer{
		"none":      nil,
		"two":       {{Stamp: stamp}, {Stamp: stamp}},
		"no record": {{Outcome: settlement.Outcome{Visit: &settlement.Visit{}}, Stamp: stamp}},
	} {
		if b, err := m.Encode(answers); err == nil {
			t.Errorf("%s: encoded %q", name, b)
		}
	}
	if b := EncodeError(nil, nil, time.Unix(0, 0)); !strings.HasPrefix(string(b), "-1^^^^1970-01-01 08:00:00^E5000\t") {
		t.Errorf("EncodeError without an error: %q", b)
	}
}

func decodeFile(t *testing.T, path string) *Message {
	t.Helper()
	return mustDecode(t, mustRead(t, path))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValuesCannotShiftColumns: a value holding a reply separator stays in
// its column.
func TestValuesCannotShiftColumns(t *testing.T) {
	var w writer
	w.row()
	w.str("a^b\tc\nd\re")
	w.fen(-5)
	w.scaled(7000, 4)
	if got := string(w.b); got != "a b c d e\t-0.05\t0.7000" {
		t.Errorf("%q", got)
	}
}

// TestFieldScanners: the field scanners agree with the strings package.
func TestFieldScanners(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOf(rapid.SampledFrom([]rune("ab|^ \t\u3000\u00a0甲\r\n"))).Draw(t, "s")
		at := rapid.IntRange(0, len(s)).Draw(t, "at")
		want := strings.IndexByte(s[at:], '|')
		if want >= 0 {
			want += at
		}
		if got := indexFrom(s, at, '|'); got != want {
			t.Fatalf("indexFrom(%q, %d) = %d, want %d", s, at, got, want)
		}
		sp := trimmed(s, at, len(s))
		if got := s[sp.from:sp.to]; got != strings.TrimSpace(s[at:]) {
			t.Fatalf("trimmed(%q, %d) = %q", s, at, got)
		}
	})
}
