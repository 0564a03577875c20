package national

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkEncode: building the request envelope of one settlement.
func BenchmarkEncode(b *testing.B) {
	call := testCall("H45010000001202603140926530001")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := call.encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall: one cross-province call over loopback, client → hub →
// insured province's node and back, each with a new msgid. "parallel" runs
// GOMAXPROCS×8 callers at once, as a busy treatment place would.
func BenchmarkCall(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := "sequential"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			jx := newProvince(b, "江西")
			h, err := NewHub(HubConfig{PaasID: hubPaas, Secret: hubSecret, Provinces: []Province{
				{Name: "广西", Prefix: "45", Nodes: []string{jx.srv.URL}, PaasID: gxPaas, Secret: gxSecret},
				{Name: "江西", Prefix: "36", Nodes: []string{jx.srv.URL}, PaasID: jxPaas, Secret: jxSecret},
			}})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c, err := NewClient(ClientConfig{URL: srv.URL, PaasID: gxPaas, Secret: gxSecret})
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			call := func() {
				r, err := c.Call(context.Background(), testCall("M"+strconv.FormatInt(n.Add(1), 10)))
				if err != nil || r.Infcode != 0 {
					b.Errorf("%+v %v", r, err)
				}
			}
			b.ReportAllocs()
			if parallel {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						call()
					}
				})
			} else {
				for b.Loop() {
					call()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
