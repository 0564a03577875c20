package storage

import (
	"strconv"
	"testing"

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
