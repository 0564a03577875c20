package legacyxml

import (
	"os"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// FuzzDecode: whatever the bytes, Decode returns a request set that can be
// submitted and answered, or a *settlement.Error; it never panics. And
// the GBK table reads the body as the decoder does, and a GBK message
// read in place reads as it does decoded.
func FuzzDecode(f *testing.F) {
	for _, file := range decodeFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, piece := range gbkPieces {
		f.Add([]byte(`<?xml version="1.0" encoding="GBK"?><HOSDATA><MSGNO>2630</MSGNO>` + piece + `</HOSDATA>`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, cs := range []charset{csGBK, csGB2312} {
			got, gotErr := transcodeStringWith(decoder(cs), body, cs, true)
			want, wantErr := transcodeStringWith(decoder(cs), body, cs, false)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("% x: table %q (%v), decoder %q (%v)", body, got, gotErr, want, wantErr)
			}
		}
		sameDecode(t, body)
		m, err := Decode(body)
		if err != nil {
			if settlement.AsError(err) == nil {
				t.Fatalf("refusal is not a *settlement.Error: %v", err)
			}
			EncodeError(m, settlement.AsError(err), time.Unix(0, 0))
			return
		}
		if len(m.Requests) == 0 {
			t.Fatal("accepted with no requests")
		}
		answers := make([]settlement.Answer, len(m.Requests))
		for i, r := range m.Requests {
			if r.Kind == "" || r.Hospital == "" || r.MsgID == "" || r.Digest == "" {
				t.Fatalf("request %d incomplete: %+v", i, r)
			}
			if r.Digest != settlement.ContentDigest(Format, r) {
				t.Fatalf("request %d: digest is not ContentDigest", i)
			}
			answers[i] = syntheticAnswer(r)
		}
		if _, err := m.Encode(answers); err != nil {
			t.Fatalf("encoding a synthetic answer: %v", err)
		}
	})
}

// syntheticAnswer is an answer of the right shape for r, with values taken
// from the request so that odd input reaches the encoder too.
func syntheticAnswer(r settlement.Request) settlement.Answer {
	a := settlement.Answer{Stamp: settlement.Stamp{UnixMilli: 1772409600000, Index: 7}}
	o := &a.Outcome
	switch {
	case r.Person != nil:
		o.Person = &settlement.PersonInfo{Person: settlement.Person{PsnNo: "P1", CertNo: r.Person.CertNo,
			Insurances: []settlement.Insurance{{Insutype: "310"}}}, Balance: 100}
	case r.Fees != nil:
		for _, l := range r.Fees.Lines {
			o.Lines = append(o.Lines, settlement.LineSplit{FeeLine: l, Inscp: l.Amount, Memo: l.MedinsListCodg})
		}
	case r.Settle != nil || r.Cancel != nil:
		rec := &settlement.Record{SetlID: "S1", MsgID: r.MsgID, Details: []settlement.FundDetail{{Name: r.Hospital}}}
		if r.Settle != nil {
			rec.MedType, rec.Amounts.Medfee = r.Settle.MedType, r.Settle.Medfee
		}
		o.Record = rec
	case r.Register != nil:
		o.Visit = &settlement.Visit{MdtrtID: "M1", IptOtpNo: r.Register.IptOtpNo}
	case r.Admission != nil:
		o.Visit = &settlement.Visit{MdtrtID: "M1", IptOtpNo: r.Admission.IptNo}
	}
	return a
}
