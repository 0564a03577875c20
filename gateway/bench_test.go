package gateway

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/provgate/provgate/tif"
)

// BenchmarkFlowHTTP measures the gateway's own share of a message over
// HTTP: authentication, the flow, and a ledger that answers at once.
func BenchmarkFlowHTTP(b *testing.B) {
	s := tinyServer(&recordingLedger{})
	s.cfg.Now = time.Now
	body := requests(register("m2"), fees("m3"))
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/legacy/xml", bytes.NewReader(body))
		tif.SignRequest(req, "paas-a", "token-a", time.Now())
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Body)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkMLLP measures one MLLP connection sending message after message
// on loopback, the ledger answering at once.
func BenchmarkMLLP(b *testing.B) {
	s := New(Config{Province: "150000", Ledger: &recordingLedger{}, Credentials: registry(),
		MLLP: &MLLP{Format: tiny{"hl7v2"}, ReadFrame: readFrame, WriteFrame: writeFrame}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.ServeMLLP(ln)
	defer s.Shutdown(context.Background())
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	msg := requests(fromHospital(hospA, register("m2")), fromHospital(hospA, fees("m3")))
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := writeFrame(conn, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := readFrame(br, 1<<20); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}
