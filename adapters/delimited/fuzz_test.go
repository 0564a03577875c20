package delimited

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// FuzzDecode: whatever the bytes, Decode neither panics nor hangs; a
// refusal is a *settlement.Error that EncodeError can answer; an accepted
// message has complete requests, and the reply to a synthetic answer has
// exactly the reply's six fields, whatever the message held.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/decode/*.txt")
	day, _ := filepath.Glob("testdata/day/*.txt")
	for _, p := range append(seeds, day...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			e := settlement.AsError(err)
			if e == nil {
				t.Fatalf("refusal %T is not a *settlement.Error: %v", err, err)
			}
			if m != nil && m.Requests != nil {
				t.Fatal("a refused message carries requests")
			}
			checkReply(t, EncodeError(m, e, time.Unix(0, 0)), m, "-1")
			return
		}
		if len(m.Requests) == 0 {
			t.Fatal("accepted with no requests")
		}
		answers := make([]settlement.Answer, len(m.Requests))
		for i, r := range m.Requests {
			if r.Kind == "" || r.Hospital == "" || r.MsgID == "" || r.Digest == "" {
				t.Fatalf("incomplete request %+v", r)
			}
			if r.Digest != settlement.ContentDigest("delimited", r) {
				t.Fatal("Digest is not the request's ContentDigest")
			}
			answers[i] = syntheticAnswer(r)
		}
		b, err := m.Encode(answers)
		if err != nil {
			t.Fatalf("encoding a fitting answer: %v", err)
		}
		checkReply(t, b, m, "0")
	})
}

// noisy holds every reply separator: it must not shift a column.
const noisy = "名^\t\r\n字"

// syntheticAnswer is an answer of the right shape for a request, carrying
// the request's own values where the reply shows them.
func syntheticAnswer(r settlement.Request) settlement.Answer {
	var o settlement.Outcome
	visitNo := ""
	if r.Ref != nil {
		visitNo = r.Ref.VisitNo
	}
	switch r.Kind {
	case settlement.KindPersonInfo:
		o.Person = &settlement.PersonInfo{Person: settlement.Person{PsnNo: "P1", CertNo: r.Person.CertNo, Name: noisy,
			Birthdate: "1980-02-29", Insurances: []settlement.Insurance{{Insutype: "310", EmpName: noisy}},
			Identities: []settlement.Identity{{Type: noisy}}}, Balance: -1}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		for _, l := range r.Fees.Lines {
			o.Lines = append(o.Lines, settlement.LineSplit{FeeLine: l, Inscp: l.Amount, Memo: noisy})
		}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindInpPreSettle, settlement.KindInpSettle,
		settlement.KindCancelSettle, settlement.KindInpCancel:
		o.Record = &settlement.Record{SetlID: "S1", PsnName: noisy, MsgID: r.MsgID,
			Details: []settlement.FundDetail{{FundPayType: "310100", Name: noisy, Paid: -1 << 62}}}
		if r.Settle != nil {
			o.Record.Amounts.Medfee = r.Settle.Medfee
		}
	default:
		o.Visit = &settlement.Visit{MdtrtID: "M1", PsnNo: noisy, IptOtpNo: visitNo}
	}
	return settlement.Answer{Outcome: o, Stamp: settlement.Stamp{UnixMilli: 1714527062345, Index: 1<<64 - 1}}
}

// checkReply requires the reply's shape: the return code, then exactly six
// '^'-separated fields, readable in the message's charset.
func checkReply(t *testing.T, b []byte, m *Message, code string) {
	t.Helper()
	cs := gb18030
	if m != nil {
		cs = m.charset
	}
	if cs == gb18030 {
		text, _, err := decodeText(b)
		if err != nil {
			t.Fatalf("the reply is not readable as GB18030: %v", err)
		}
		b = []byte(text)
	}
	s := string(b)
	if !strings.HasPrefix(s, code+"^") || !strings.HasSuffix(s, "^") || strings.Count(s, "^") != 6 {
		t.Fatalf("reply %q does not have the six fields", s)
	}
}
