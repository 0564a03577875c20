package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// Test framing, MLLP's: VT, the message, FS CR. (The hl7v2 adapter's
// ReadFrame/WriteFrame are wired in by cmd.)
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if b != 0x0b {
		return nil, errors.New("no start byte")
	}
	var msg []byte
	tooLarge := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == 0x1c {
			if cr, err := r.ReadByte(); err != nil || cr != 0x0d {
				return nil, errors.New("no CR after FS")
			}
			if tooLarge {
				return nil, errFrameTooLarge
			}
			return msg, nil
		}
		if len(msg) == max {
			tooLarge = true // read on to the end: the stream stays in step
			continue
		}
		msg = append(msg, b)
	}
}

var errFrameTooLarge = errors.New("frame too large")

func writeFrame(w io.Writer, msg []byte) error {
	_, err := w.Write(append(append([]byte{0x0b}, msg...), 0x1c, 0x0d))
	return err
}

// mllpNode serves MLLP on loopback with the tiny format as hl7v2.
func mllpNode(t *testing.T, l Ledger, reg credentials, max int) (*Server, string, chan error) {
	t.Helper()
	s := New(Config{Province: "150000", Ledger: l, Credentials: reg, RequestTimeout: 5 * time.Second, Now: testNow,
		MLLP: &MLLP{Format: tiny{"hl7v2"}, ReadFrame: readFrame, WriteFrame: writeFrame, MaxFrame: max, ErrTooLarge: errFrameTooLarge}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.ServeMLLP(ln) }()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, ln.Addr().String(), served
}

// exchangeFrame sends one message on conn and reads the answer.
func exchangeFrame(t *testing.T, conn net.Conn, br *bufio.Reader, msg []byte) string {
	t.Helper()
	if err := writeFrame(conn, msg); err != nil {
		t.Fatal(err)
	}
	out, err := readFrame(br, 1<<20)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return string(out)
}

func fromHospital(code string, r settlement.Request) settlement.Request {
	r.Hospital = code
	return r
}

// TestMLLPSourceIsTheCredential: a message is decided only if the
// institution MSH-4 names lists the connection's source address and is
// registered for hl7v2; otherwise the answer is a refusal with the reason
// and nothing is decided.
func TestMLLPSourceIsTheCredential(t *testing.T) {
	elsewhere := registry()
	h := elsewhere[hospA]
	h.MLLPSources = []string{"10.20.0.0/16"}
	elsewhere[hospA] = h
	tests := []struct {
		name  string
		reg   credentials
		from  string
		want  string
		asked int
	}{
		{"listed source", registry(), hospA, "2201 m2 ok", 1},
		{"source not listed", elsewhere, hospA, "REFUSED E4601 (decoded true): missing or unknown gateway credentials (MLLP source address 127.0.0.1 is not among the mllp_sources registered for " + hospA + ")", 0},
		{"not registered for hl7v2", registry(), hospB, "REFUSED E4606", 0},
		{"unknown institution", registry(), "H99999999999", "REFUSED E4101", 0},
		{"no institution named", registry(), "", "REFUSED E4002", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &recordingLedger{}
			_, addr, _ := mllpNode(t, l, tt.reg, 1<<20)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			got := exchangeFrame(t, conn, bufio.NewReader(conn), requests(fromHospital(tt.from, register("m2"))))
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("answer %q, want %q", got, tt.want)
			}
			if len(l.asked) != tt.asked {
				t.Errorf("ledger asked %d times, want %d", len(l.asked), tt.asked)
			}
		})
	}
}

// TestMLLPManyConnections: connections are served side by side, each in
// order, and every message is answered on the connection it came on.
func TestMLLPManyConnections(t *testing.T) {
	l := &recordingLedger{}
	_, addr, _ := mllpNode(t, l, registry(), 1<<20)
	const conns, each = 16, 3
	var wg sync.WaitGroup
	errs := make(chan error, conns*each)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for i := 0; i < each; i++ {
				msgid := fmt.Sprintf("c%d-m%d", c, i)
				if err := writeFrame(conn, requests(fromHospital(hospA, register(msgid)))); err != nil {
					errs <- err
					return
				}
				out, err := readFrame(br, 1<<20)
				if err != nil || !strings.Contains(string(out), " "+msgid+" ok") {
					errs <- fmt.Errorf("connection %d message %d: %q %v", c, i, out, err)
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(l.msgids()); n != conns*each {
		t.Errorf("%d decisions, want %d", n, conns*each)
	}
}

// TestMLLPBadFrames: a frame over the limit is refused and the connection
// kept (the frame was read to its end); a stream that is not MLLP is
// refused and the connection closed, since it can no longer be trusted.
func TestMLLPBadFrames(t *testing.T) {
	l := &recordingLedger{}
	_, addr, _ := mllpNode(t, l, registry(), 1024)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	got := exchangeFrame(t, conn, br, bytes.Repeat([]byte("x"), 2000))
	if !strings.HasPrefix(got, "REFUSED E4007") || !strings.Contains(got, "limit 1024 bytes") {
		t.Errorf("frame over the limit: %q", got)
	}
	if got := exchangeFrame(t, conn, br, requests(fromHospital(hospA, register("m2")))); !strings.Contains(got, "m2 ok") {
		t.Errorf("the next frame on the same connection: %q", got)
	}
	conn.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	out, err := readFrame(br, 1<<20)
	if err != nil || !strings.HasPrefix(string(out), "REFUSED E4008") {
		t.Errorf("not MLLP: %q %v", out, err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("the connection stayed open after a stream that is not MLLP")
	}
	if got := l.msgids(); len(got) != 1 {
		t.Errorf("decisions %v, want only m2's", got)
	}
}

// blockingLedger holds every decision until release is closed.
type blockingLedger struct {
	recordingLedger
	entered chan struct{}
	release chan struct{}
}

func (b *blockingLedger) Submit(ctx context.Context, r settlement.Request) (settlement.Answer, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.recordingLedger.Submit(ctx, r)
}

// TestMLLPGracefulStop: Shutdown closes idle connections and the listener
// at once, lets a connection in the middle of a message answer it, and
// returns when every connection is done.
func TestMLLPGracefulStop(t *testing.T) {
	l := &blockingLedger{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s, addr, served := mllpNode(t, l, registry(), 1<<20)
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// The idle connection is served before shutdown starts: one exchange.
	go func() { l.release <- struct{}{} }()
	if got := exchangeFrame(t, idle, bufio.NewReader(idle), requests(fromHospital(hospA, register("warm")))); !strings.Contains(got, "warm ok") {
		t.Fatalf("warm-up: %q", got)
	}
	<-l.entered
	writeFrame(busy, requests(fromHospital(hospA, register("in-flight"))))
	<-l.entered // the busy connection's message is being decided
	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	if err := <-served; err != nil {
		t.Errorf("ServeMLLP returned %v", err)
	}
	if _, err := bufio.NewReader(idle).ReadByte(); err == nil {
		t.Error("the idle connection stayed open after Shutdown")
	}
	close(l.release)
	br := bufio.NewReader(busy)
	out, err := readFrame(br, 1<<20)
	if err != nil || !strings.Contains(string(out), "in-flight ok") {
		t.Errorf("the message in flight was not answered: %q %v", out, err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("the busy connection stayed open after its answer")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts")
	}
}

// TestMLLPIdleConnectionsClose: a connection that sends nothing for the
// idle timeout is closed by the gateway.
func TestMLLPIdleConnectionsClose(t *testing.T) {
	s := New(Config{Province: "150000", Ledger: &recordingLedger{}, Credentials: registry(),
		MLLP: &MLLP{Format: tiny{"hl7v2"}, ReadFrame: readFrame, WriteFrame: writeFrame, IdleTimeout: 10 * time.Millisecond}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeMLLP(ln)
	defer s.Shutdown(context.Background())
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %v, want EOF from the gateway closing it", err)
	}
}
