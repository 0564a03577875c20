package hl7v2

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// FuzzDecode: Decode never panics and refuses with *settlement.Error only;
// what it accepts has what the gateway needs, and its replies, accepted or
// refused, encode without panicking and can be framed.
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"testdata/decode", "testdata/day"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.hl7"))
		for _, file := range files {
			f.Add(read(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			e := settlement.AsError(err)
			if e == nil {
				t.Fatalf("refusal is not a *settlement.Error: %v", err)
			}
			if m != nil && len(m.Requests) != 0 {
				t.Fatal("a refused message has requests")
			}
			checkReply(t, EncodeError(m, e, time.Unix(0, 0)))
			return
		}
		if len(m.Requests) == 0 || len(m.Requests) > 2 {
			t.Fatalf("%d requests", len(m.Requests))
		}
		for _, r := range m.Requests {
			if r.Kind == "" || r.Hospital == "" || r.MsgID == "" || r.Digest == "" {
				t.Fatalf("incomplete request %+v", r)
			}
		}
		answers := make([]settlement.Answer, len(m.Requests))
		for i, r := range m.Requests {
			answers[i] = syntheticAnswer(r)
		}
		reply, err := m.Encode(answers)
		if err != nil {
			t.Fatalf("Encode of a complete answer: %v", err)
		}
		checkReply(t, reply)
		checkReply(t, EncodeError(m, settlement.Errorf(settlement.CodeAlreadySettled, "S1"), time.Unix(0, 0)))
	})
}

func checkReply(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("MSH")) || b[len(b)-1] != '\r' {
		t.Fatalf("reply %q", b)
	}
	if err := WriteFrame(new(bytes.Buffer), b); err != nil {
		t.Fatalf("the reply cannot be framed: %v", err)
	}
}

// syntheticAnswer is an answer with every part a reply may use.
func syntheticAnswer(r settlement.Request) settlement.Answer {
	o := settlement.Outcome{
		Person: &settlement.PersonInfo{Balance: 100, Person: settlement.Person{PsnNo: "P|1", CertType: "01", CertNo: "C^1", Name: "名~字",
			Birthdate: "1980-01-01", Insurances: []settlement.Insurance{{Insutype: "310", Since: "x"}},
			Identities: []settlement.Identity{{Type: "1", Begin: "2020-01-01"}}}},
		Visit: &settlement.Visit{MdtrtID: "M\\1", Begntime: "2026-03-02 08:00:00"},
		Record: &settlement.Record{SetlID: "S&1", SetlTime: "bad", Amounts: settlement.Amounts{Medfee: -1, FundPay: 1 << 62},
			Details: []settlement.FundDetail{{FundPayType: "310100", Process: "a\rb\x0bc\x1cd"}}},
	}
	if r.Fees != nil {
		for _, l := range r.Fees.Lines {
			o.Lines = append(o.Lines, settlement.LineSplit{FeeLine: l, Memo: "\xff"})
		}
	}
	return settlement.Answer{Outcome: o, Stamp: settlement.Stamp{UnixMilli: 1, Index: 2}}
}
