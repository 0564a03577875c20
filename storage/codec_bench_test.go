package storage

import (
	"strconv"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// benchVisit is a settled outpatient visit with twenty fee lines, the
// largest value a typical visit writes.
func benchVisit() settlement.Visit {
	v := hotVisit()
	v.Batches[0].SetlID = "S150100202611260000000001"
	lines := make([]settlement.LineSplit, 20)
	for i := range lines {
		var l settlement.LineSplit
		l.FeedetlSn, l.MedListCodg, l.MedinsListCodg = strconv.Itoa(i+1), "XL01XC028B001010104325", "L"+strconv.Itoa(i)
		l.Amount, l.Qty, l.Price, l.Name, l.Class, l.SelfPay = 2500, 20000, 12_500_000, "注射用紫杉醇", "01", 1000
		l.Fulamt, l.Preselfpay, l.Inscp = 0, 250, 2250
		lines[i] = l
	}
	v.Batches[0].Lines = lines
	return v
}

func BenchmarkVisitValue(b *testing.B) {
	v := benchVisit()
	enc, err := encodeValue(v)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeValue(v)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out settlement.Visit
			decodeValue(enc, &out)
		}
	})
	b.Run("clone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cloneVisit(v)
		}
	})
}

// BenchmarkIdemValue stores the answer to a 20-line fee upload, the largest
// answer of a typical visit; "json" is the form before idemcodec.go.
func BenchmarkIdemValue(b *testing.B) {
	v := benchVisit()
	e := IdemEntry{Kind: "2204", Digest: "2:nhsa:0123456789abcdef", Stamp: settlement.Stamp{UnixMilli: 1764100000000, Index: 42},
		Outcome: settlement.Outcome{Lines: v.Batches[0].Lines}}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeValue(e)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(e)
		}
	})
}
