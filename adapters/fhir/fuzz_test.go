package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// FuzzDecode feeds Decode arbitrary bytes, starting from every message in
// testdata/decode. Decode must not panic; a refusal must be a
// *settlement.Error whose OperationOutcome is JSON; an accepted message
// must give steps with kind, hospital, msgid and digest, decode the same a
// second time, and encode a reply (valid JSON) to synthetic answers. And
// the tape and fastjson's tree must read every body alike (see
// tape_test.go), and an item's members be found in one walk as by
// lookups (items_test.go).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/decode/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// The compact form too: smaller inputs mutate into more shapes.
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			f.Add(compact.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		agree(t, body)
		sameMembers(t, body)
		m, err := Decode(body)
		if err != nil {
			e := settlement.AsError(err)
			if e == nil {
				t.Fatalf("refusal is not a *settlement.Error: %T %v", err, err)
			}
			if out := EncodeError(nil, e, time.Unix(0, 0)); !json.Valid(out) {
				t.Fatalf("refusal is not JSON: %s", out)
			}
			return
		}
		if len(m.Requests) == 0 {
			t.Fatal("accepted with no steps")
		}
		for _, r := range m.Requests {
			if r.Kind == "" || r.Hospital == "" || r.MsgID == "" || r.Digest == "" {
				t.Fatalf("incomplete step %+v", r)
			}
		}
		again, err := Decode(body)
		if err != nil || !reflect.DeepEqual(again.Requests, m.Requests) {
			t.Fatalf("decoding twice differs: %v", err)
		}
		out, err := m.Encode(synthetic(m))
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("reply is not JSON: %s", out)
		}
	})
}

// synthetic answers each step with an outcome of the shape its kind has.
func synthetic(m *Message) []settlement.Answer {
	answers := make([]settlement.Answer, len(m.Requests))
	for i, r := range m.Requests {
		a := &answers[i]
		a.Stamp = settlement.Stamp{UnixMilli: 1772409600000, Index: uint64(i + 1)}
		switch {
		case r.Fees != nil:
			for _, l := range r.Fees.Lines {
				a.Outcome.Lines = append(a.Outcome.Lines, settlement.LineSplit{FeeLine: l, Class: settlement.ClassB,
					SelfPay: 1000, Preselfpay: l.Amount / 10, Inscp: l.Amount - l.Amount/10})
			}
		case r.Settle != nil || r.Cancel != nil:
			var medfee settlement.Fen
			if r.Settle != nil {
				medfee = r.Settle.Medfee
			}
			a.Outcome.Record = &settlement.Record{SetlID: "S1", MdtrtID: "M1", PsnNo: "P1", Hospital: r.Hospital,
				Amounts: settlement.Amounts{Medfee: medfee, Inscp: medfee, Hifp: medfee / 2, FundPay: medfee / 2,
					PsnPart: medfee - medfee/2, PsnCash: medfee - medfee/2},
				Details: []settlement.FundDetail{{FundPayType: "310100", Paid: medfee / 2}}}
			if r.Cancel != nil {
				a.Outcome.Record.Cancels = r.Cancel.SetlID
			}
		case r.Person != nil:
			a.Outcome.Person = &settlement.PersonInfo{Balance: 100, Person: settlement.Person{PsnNo: "P1",
				Insurances: []settlement.Insurance{{Insutype: "310", Status: "1", InsuredAdmdvs: "150826"}}}}
		case r.Benefit != nil:
			a.Outcome.Benefits = []settlement.BenefitRow{{FundPayType: "310100", Enjoys: true}}
		default:
			a.Outcome.Visit = &settlement.Visit{MdtrtID: "M1"}
		}
	}
	return answers
}
