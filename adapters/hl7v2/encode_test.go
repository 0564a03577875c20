package hl7v2

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// readable shows a reply one segment per line, as the encode goldens do;
// TestReplyFraming checks the real terminators.
func readable(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), []byte("\n")) }

func decodeFile(t *testing.T, path string) *Message {
	t.Helper()
	m, err := Decode(read(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// gbkSettle is the day's final inpatient settlement sent in GBK.
func gbkSettle(t *testing.T) []byte {
	msg := read(t, "testdata/day/36-2304.hl7")
	msg = bytes.Replace(msg, []byte("|P|2.5\n"), []byte("|P|2.5||||||GBK\n"), 1)
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes(msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncodeGolden encodes the replies to decoded messages, answered with
// what the day's national replies report.
func TestEncodeGolden(t *testing.T) {
	cases := []struct {
		name, in string
		out      []string // national replies of the day the answers come from
	}{
		{"1101", "day/02-1101", []string{"02-1101-person-info"}},
		{"2201", "day/04-2201", []string{"04-2201-register"}},
		{"2204", "day/06-2204", []string{"06-2204-upload-fees"}},
		{"2206", "day/07-2206", []string{"07-2206-pre-settle"}},
		{"2207", "day/08-2207", []string{"08-2207-settle"}},
		{"2204-2207", "day/06-08-2204-2207", []string{"06-2204-upload-fees", "08-2207-settle"}},
		{"2208", "day/14-2208", []string{"14-2208-cancel-settlement-2"}},
		{"2401", "day/25-2401", []string{"25-2401-admit"}},
		{"2402", "day/32-2402", []string{"32-2402-discharge"}},
		{"2304", "day/36-2304", []string{"36-2304-final-settle"}},
		{"custom-delimiters", "decode/2201-custom-delimiters", []string{"04-2201-register"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := decodeFile(t, "testdata/"+c.in+".hl7")
			answers := make([]settlement.Answer, len(c.out))
			for i, name := range c.out {
				answers[i] = settlement.Answer{Outcome: outcomeOf(t, m.Requests[i].Kind, nationalOutput(t, name)), Stamp: dayStamp}
			}
			b, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "encode/"+c.name+".golden", readable(b))
			again, _ := m.Encode(answers)
			if !bytes.Equal(b, again) {
				t.Error("encoding the same answers twice gave different bytes")
			}
		})
	}
	t.Run("2304-gbk", func(t *testing.T) {
		m, err := Decode(gbkSettle(t))
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Encode([]settlement.Answer{{Outcome: outcomeOf(t, settlement.KindInpSettle, nationalOutput(t, "36-2304-final-settle")), Stamp: dayStamp}})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "encode/2304-gbk.golden", readable(b)) // GBK bytes
		utf, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
		if err != nil || !bytes.Contains(utf, []byte("城乡居民大病医疗保险基金")) || !bytes.Contains(utf, []byte("|GBK\r")) {
			t.Errorf("the reply is not GBK with MSH-18 GBK: %q", utf)
		}
	})
}

// TestEncodeErrorGolden writes refusals: found by Decode (with the error
// location), refused by the state machine, before the message could be
// read, to a query, and in charsets that cannot hold Chinese.
func TestEncodeErrorGolden(t *testing.T) {
	at := time.Date(2026, 3, 2, 0, 0, 5, 0, time.UTC)
	cases := []struct {
		name string
		in   string
		err  *settlement.Error // nil: Decode's refusal
	}{
		{"line-amount", "decode/err-line-amount", nil},
		{"charset-unknown", "decode/err-charset-unknown", nil},
		{"not-hl7", "decode/err-not-hl7", nil},
		{"already-settled", "day/08-2207", settlement.Errorf(settlement.CodeAlreadySettled, "S150100202603020000000019")},
		{"unknown-person", "day/02-1101", settlement.Errorf(settlement.CodeUnknownPerson, settlement.Bi("按证件查询", "by certificate"))},
		{"unavailable-gb18030", "decode/2201-gb18030", settlement.Errorf(settlement.CodeUnavailable, settlement.Bi("无主节点", "no leader"))},
		{"visit-not-found-latin1", "decode/2201-latin1", settlement.Errorf(settlement.CodeVisitNotFound, "MZ0001")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(read(t, "testdata/"+c.in+".hl7"))
			e := c.err
			if e == nil {
				e = settlement.AsError(err)
				if e == nil {
					t.Fatalf("decoding %s did not fail: %v", c.in, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			b := EncodeError(m, e, at)
			golden(t, "encode/error-"+c.name+".golden", readable(b))
			if !bytes.Equal(b, EncodeError(m, e, at)) {
				t.Error("the same refusal encoded twice gave different bytes")
			}
		})
	}
}

// TestReplyFraming: replies end every segment with \r and nothing else,
// swap sender and receiver, answer MSH-10 in MSA-2, and keep the
// request's delimiters and charset.
func TestReplyFraming(t *testing.T) {
	m := decodeFile(t, "testdata/decode/2201-custom-delimiters.hl7")
	b, err := m.Encode([]settlement.Answer{{Outcome: settlement.Outcome{Visit: &settlement.Visit{MdtrtID: "M1", PsnNo: "P1", IptOtpNo: "MZ0005"}}, Stamp: dayStamp}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(b, '\n') >= 0 || b[len(b)-1] != '\r' {
		t.Errorf("reply terminators: %q", b)
	}
	segs, perr := split(string(b), m.d)
	if perr != nil {
		t.Fatal(perr.en)
	}
	msh := segs[0]
	if msh.field(2) != "$*!@" || msh.field(3) != "PROVGATE" || msh.field(4) != "150000" || msh.field(5) != "HIS" || msh.field(6) != "H15010100001" {
		t.Errorf("MSH %q", msh.line)
	}
	if segs[1].name != "MSA" || segs[1].field(1) != "AA" || segs[1].field(2) != "MSG0005" {
		t.Errorf("MSA %q", segs[1].line)
	}
	for _, e := range []*settlement.Error{settlement.Errorf(settlement.CodeBadField, "x|y^z", settlement.Bi("甲", "a")), nil} {
		r := EncodeError(nil, e, time.Unix(0, 0))
		if bytes.IndexByte(r, '\n') >= 0 || !bytes.HasPrefix(r, []byte(`MSH|^~\&|PROVGATE||||`)) || !bytes.Contains(r, []byte("\rMSA|")) {
			t.Errorf("refusal without a message: %q", r)
		}
	}
}

func TestAckCodes(t *testing.T) {
	tests := map[settlement.Code]string{
		settlement.CodeLineAmount: "AE", settlement.CodeAlreadySettled: "AE", settlement.CodeUnknownInfno: "AR",
		settlement.CodeUnavailable: "AR", settlement.CodeOutcomeUnknown: "AR", settlement.CodeInternal: "AR",
		settlement.CodeAuthMissing: "AR", settlement.CodeFormatNotAllowed: "AR", settlement.CodeAuthHospital: "AR",
		settlement.CodeUnknownHospital: "AR", settlement.CodeHospitalDisabled: "AR",
	}
	for code, want := range tests {
		if got := ackCode(settlement.Errorf(code, "a", "b", "c", "d")); got != want {
			t.Errorf("%s: %s, want %s", code, got, want)
		}
	}
}

// TestEncodeMismatch: Encode refuses answers that do not fit, without
// panicking.
func TestEncodeMismatch(t *testing.T) {
	m := decodeFile(t, "testdata/day/06-08-2204-2207.hl7")
	if _, err := m.Encode([]settlement.Answer{{}}); err == nil {
		t.Error("one answer for two requests accepted")
	}
	if _, err := m.Encode([]settlement.Answer{{}, {}}); err == nil || !strings.Contains(err.Error(), "Record") {
		t.Errorf("a settlement answer without a record: %v", err)
	}
	var nilMsg *Message
	if _, err := nilMsg.Encode(nil); err == nil {
		t.Error("nil message encoded")
	}
}

// TestWriterTail checks that writing into the free end of the buffer
// (tail and keep) gives what appending to it did, however full it is.
func TestWriterTail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := defaultDelims
		alphabet := []byte{'a', ' ', '|', '^', '~', '\\', '&', '\r', 0x7f, 0xe4, 0xb8, 0x80, 0xff}
		w := writer{d: d, b: make([]byte, 0, rapid.IntRange(0, 8).Draw(t, "cap"))}
		var want []byte
		for i, n := 0, rapid.IntRange(1, 12).Draw(t, "n"); i < n; i++ {
			v := string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 12).Draw(t, "v"))
			switch op := rapid.IntRange(0, 5).Draw(t, "op"); op {
			case 0:
				w.field(v)
				want = d.appendEscaped(append(want, d.field), strings.ToValidUTF8(v, "?"))
			case 1:
				w.seg("ZFL")
				want = append(want, "\rZFL"...)
			case 2:
				w.raw(v)
				want = append(append(want, d.field), v...)
			case 3:
				w.empty(len(v) % 4)
				want = append(want, bytes.Repeat([]byte{d.field}, len(v)%4)...)
			case 4:
				x := rapid.Int64().Draw(t, "x")
				w.decimal(x, 4, true)
				want = settlement.AppendTrimmed(append(want, d.field), x, 4)
			default:
				dt := fmt.Sprintf("2024-%02d-01 09:%02d:00", len(v)%12+1, len(v))
				w.dtm(dt)
				w.date(dt)
				want = append(want, "|2024"+dt[5:7]+"0109"+dt[14:16]+"00+0800|2024"+dt[5:7]+"01"...)
			}
		}
		if !bytes.Equal(w.b, want) {
			t.Fatalf("writer wrote %q, want %q", w.b, want)
		}
	})
}

// TestLineIsItsFields checks the ZFL writer, which appends a line in one
// go, against the same segment written a value at a time.
func TestLineIsItsFields(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.SampledFrom([]delims{defaultDelims, {field: '#', comp: '1', rep: '.', esc: '0', sub: '$'}}).Draw(t, "delims")
		str := func(name string) string {
			alphabet := []byte{'a', '0', '1', '.', ' ', '|', '^', '~', '\\', '&', '#', '$', '\r', 0x7f, 0xe4, 0xb8, 0x80, 0xff}
			return string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 8).Draw(t, name))
		}
		fen := func(name string) settlement.Fen {
			return settlement.Fen(rapid.OneOf(rapid.Int64Range(-1000, 1_000_000), rapid.Int64()).Draw(t, name))
		}
		l := settlement.LineSplit{FeeLine: settlement.FeeLine{FeedetlSn: str("sn"), Amount: fen("amount"),
			Qty: settlement.Qty(fen("qty")), Price: settlement.Price(fen("price"))},
			PriceCap: fen("cap"), SelfPay: settlement.BP(fen("selfpay")), Fulamt: fen("fulamt"), Overlmt: fen("overlmt"),
			Preselfpay: fen("preselfpay"), Inscp: fen("inscp"), HospPart: fen("hosppart"), Class: settlement.ItemClass(str("class")),
			ChargeType: str("type"), Restricted: rapid.Bool().Draw(t, "restricted"), Memo: str("memo")}
		got := writer{d: d, b: []byte("x")}
		got.line(&l)
		want := writer{d: d, b: []byte("x")}
		want.seg("ZFL")
		want.field(l.FeedetlSn)
		want.fen(l.Amount)
		want.decimal(int64(l.Qty), 4, true)
		want.decimal(int64(l.Price), 6, true)
		if l.PriceCap > 0 {
			want.fen(l.PriceCap)
		} else {
			want.empty(1)
		}
		want.decimal(int64(l.SelfPay), 4, false)
		for _, v := range []settlement.Fen{l.Fulamt, l.Overlmt, l.Preselfpay, l.Inscp, l.HospPart} {
			want.fen(v)
		}
		want.field(string(l.Class))
		want.field(l.ChargeType)
		want.flag(l.Restricted)
		want.field(l.Memo)
		if !bytes.Equal(got.b, want.b) {
			t.Fatalf("line wrote %q, want %q", got.b, want.b)
		}
	})
}
