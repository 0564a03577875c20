package national

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// The answers a scripted hub gives.
const (
	okBody      = `{"infcode":0,"inf_refmsgid":"360000202603140926530000000007","err_msg":"","output":{"setlinfo":{"setl_id":"S1"}}}`
	refusedBody = `{"infcode":-1,"inf_refmsgid":"360000202603140926530000000008","err_msg":"[E4104] 人员未参保 / person is not insured","output":{}}`
	retryBody   = `{"infcode":-1,"inf_refmsgid":"360000202603140926530000000009","err_msg":"[E5002] 平台暂不可用 / gateway temporarily unavailable (the cluster is electing a leader), retry with the same msgid","output":{}}`
)

// step is how a scripted hub answers one request.
type step func(w http.ResponseWriter, r *http.Request)

func answer200(body string) step { return status(http.StatusOK, body) }

func status(code int, body string) step {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

// broken closes the connection without an answer.
func broken(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }

// hang answers only when the caller has given up.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// scriptedHub answers request i with steps[i], the last step repeating,
// and records what it received.
type scriptedHub struct {
	srv   *httptest.Server
	mu    sync.Mutex
	steps []step
	seen  []*http.Request
	body  [][]byte
}

func newScriptedHub(t *testing.T, steps ...step) *scriptedHub {
	s := &scriptedHub{steps: steps}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		s.mu.Lock()
		i := min(len(s.seen), len(s.steps)-1)
		s.seen = append(s.seen, r)
		s.body = append(s.body, b.Bytes())
		next := s.steps[i]
		s.mu.Unlock()
		next(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scriptedHub) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *scriptedHub) setSteps(steps ...step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps, s.seen, s.body = steps, nil, nil
}

// TestClientRetries: what is retried (same body, fresh nonce), what is not,
// and giving up after Attempts.
func TestClientRetries(t *testing.T) {
	for _, tc := range []struct {
		name        string
		steps       []step
		attempts    int
		wantSent    int
		wantInfcode int  // of the reply, when there is one
		unavailable bool // the Call fails with ErrUnavailable
	}{
		{"answer at once", []step{answer200(okBody)}, 4, 1, 0, false},
		{"503 then answer", []step{status(503, retryBody), status(502, "bad gateway"), answer200(okBody)}, 4, 3, 0, false},
		{"429 then answer", []step{status(429, ""), answer200(okBody)}, 4, 2, 0, false},
		{"broken connection then answer", []step{broken, answer200(okBody)}, 4, 2, 0, false},
		{"200 without an envelope then answer", []step{answer200(`<html>proxy</html>`), answer200(okBody)}, 4, 2, 0, false},
		{"refusal is final", []step{answer200(refusedBody), answer200(okBody)}, 4, 1, -1, false},
		{"refusal with infcode as a string", []step{answer200(`{"infcode":"-1","err_msg":"[E4104] x"}`)}, 4, 1, -1, false},
		{"retry-later refusal is retried", []step{answer200(retryBody), answer200(okBody)}, 4, 2, 0, false},
		{"gives up after Attempts", []step{status(503, "")}, 3, 3, 0, true},
		{"retry-later refusals until Attempts", []step{answer200(retryBody)}, 2, 2, 0, true},
		{"404 without an envelope is not retried", []step{status(404, "not found"), answer200(okBody)}, 4, 1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := newScriptedHub(t, tc.steps...)
			c := newClient(t, hub.srv.URL, func(cfg *ClientConfig) { cfg.Attempts = tc.attempts })
			call := testCall("H45010000001202603140926530001")
			r, err := c.Call(context.Background(), call)
			switch {
			case tc.unavailable && !errors.Is(err, ErrUnavailable):
				t.Fatalf("err = %v, want ErrUnavailable", err)
			case !tc.unavailable && err != nil:
				t.Fatalf("err = %v", err)
			case !tc.unavailable && r.Infcode != tc.wantInfcode:
				t.Fatalf("infcode = %d, want %d", r.Infcode, tc.wantInfcode)
			}
			if got := hub.requests(); got != tc.wantSent {
				t.Fatalf("hub received %d requests, want %d", got, tc.wantSent)
			}
			want, _ := call.encode()
			nonces := map[string]bool{}
			hub.mu.Lock()
			defer hub.mu.Unlock()
			for i, req := range hub.seen {
				if req.URL.Path != "/national/2207" || req.Method != http.MethodPost {
					t.Errorf("request %d: %s %s", i, req.Method, req.URL.Path)
				}
				if !bytes.Equal(hub.body[i], want) {
					t.Errorf("request %d body differs from the first:\n%s\n%s", i, hub.body[i], want)
				}
				ts, nonce := req.Header.Get(tif.HeaderTimestamp), req.Header.Get(tif.HeaderNonce)
				if req.Header.Get(tif.HeaderPaasID) != gxPaas || req.Header.Get(tif.HeaderSignature) != tif.Sign(ts, gxSecret, nonce) {
					t.Errorf("request %d is not signed by Guangxi: %v", i, req.Header)
				}
				if nonces[nonce] {
					t.Errorf("request %d reuses nonce %s", i, nonce)
				}
				nonces[nonce] = true
			}
		})
	}
}

// TestClientReply: the answer's fields reach the caller as sent.
func TestClientReply(t *testing.T) {
	hub := newScriptedHub(t, answer200(refusedBody))
	r, err := newClient(t, hub.srv.URL).Call(context.Background(), testCall("M1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Reply{Infcode: -1, ErrMsg: "[E4104] 人员未参保 / person is not insured", RefMsgID: "360000202603140926530000000008", Output: json.RawMessage(`{}`)}
	if r.Infcode != want.Infcode || r.ErrMsg != want.ErrMsg || r.RefMsgID != want.RefMsgID || string(r.Output) != string(want.Output) {
		t.Fatalf("reply %+v, want %+v", r, want)
	}
}

// TestClientAttemptTimeout: an attempt the hub does not answer within
// AttemptTimeout is abandoned and the call retried.
func TestClientAttemptTimeout(t *testing.T) {
	hub := newScriptedHub(t, hang, answer200(okBody))
	c := newClient(t, hub.srv.URL, func(cfg *ClientConfig) { cfg.AttemptTimeout = 50 * time.Millisecond })
	r, err := c.Call(context.Background(), testCall("M1"))
	if err != nil || r.Infcode != 0 {
		t.Fatalf("reply %+v, err %v", r, err)
	}
	if hub.requests() != 2 {
		t.Fatalf("hub received %d requests, want 2", hub.requests())
	}
}

// TestClientContext: the caller's deadline bounds the whole Call, whatever
// Attempts and AttemptTimeout allow.
func TestClientContext(t *testing.T) {
	hub := newScriptedHub(t, hang)
	c := newClient(t, hub.srv.URL, func(cfg *ClientConfig) { cfg.Attempts, cfg.AttemptTimeout = 1000, time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, testCall("M1"))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if hub.requests() != 1 {
		t.Fatalf("hub received %d requests, want 1 (the deadline ends the only attempt)", hub.requests())
	}

	// A caller that gives up is not the platform failing: the breaker
	// does not count it.
	c = newClient(t, hub.srv.URL, func(cfg *ClientConfig) { cfg.BreakerFailures, cfg.BreakerCooldown = 1, time.Hour })
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.Call(ctx, testCall("M2")); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrUnavailable and Canceled", err)
	}
	if c.Breaker() != "closed" {
		t.Fatalf("breaker %s after a cancelled call, want closed", c.Breaker())
	}
}

// TestClientBreaker: BreakerFailures failed Calls open the circuit; while
// open nothing is sent; after the cooldown one probe goes through, and its
// success closes the circuit (its failure opens it again).
func TestClientBreaker(t *testing.T) {
	hub := newScriptedHub(t, status(503, ""))
	const cooldown = 20 * time.Millisecond
	c := newClient(t, hub.srv.URL, func(cfg *ClientConfig) {
		cfg.Attempts, cfg.BreakerFailures, cfg.BreakerCooldown = 2, 3, cooldown
	})
	for i := range 3 {
		if c.Breaker() != "closed" {
			t.Fatalf("breaker %s after %d failed calls, want closed", c.Breaker(), i)
		}
		if _, err := c.Call(context.Background(), testCall("M1")); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("call %d: err = %v", i, err)
		}
	}
	sent := hub.requests()
	if sent != 6 {
		t.Fatalf("hub received %d requests, want 3 calls × 2 attempts", sent)
	}
	// Right after opening, well within the cooldown (gobreaker reads the
	// clock itself, so the test waits the short cooldown out below rather
	// than moving a clock).
	if _, err := c.Call(context.Background(), testCall("M1")); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "circuit") {
		t.Fatalf("err = %v, want ErrUnavailable from the open circuit", err)
	}
	if hub.requests() != sent {
		t.Fatalf("a request reached the hub while the circuit was open")
	}

	waitBreaker(t, c, "half-open", cooldown)
	hub.setSteps(status(503, ""))
	if _, err := c.Call(context.Background(), testCall("M1")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("failed probe: err = %v", err)
	}
	if got := c.Breaker(); got != "open" || hub.requests() != 2 {
		t.Fatalf("after a failed probe: breaker %s, %d requests; want open, 2 (one probe call)", got, hub.requests())
	}

	waitBreaker(t, c, "half-open", cooldown)
	hub.setSteps(answer200(refusedBody)) // a refusal is an answer: the platform works
	if r, err := c.Call(context.Background(), testCall("M1")); err != nil || r.Infcode != -1 {
		t.Fatalf("probe: %+v, %v", r, err)
	}
	if c.Breaker() != "closed" {
		t.Fatalf("breaker %s after a successful probe, want closed", c.Breaker())
	}
}

// waitBreaker polls until the breaker reaches state, which it does once the
// cooldown has passed.
func waitBreaker(t *testing.T, c *Client, state string, cooldown time.Duration) {
	t.Helper()
	for c.Breaker() != state {
		time.Sleep(cooldown / 4)
	}
}

// TestCallRefusedBeforeSending: a Call the platform could not route is
// refused with a domain error naming the field, and nothing is sent.
func TestCallRefusedBeforeSending(t *testing.T) {
	hub := newScriptedHub(t, answer200(okBody))
	c := newClient(t, hub.srv.URL)
	for _, tc := range []struct {
		name   string
		change func(*Call)
		code   settlement.Code
		field  string
	}{
		{"no infno", func(c *Call) { c.Infno = "" }, settlement.CodeMissingField, "infno"},
		{"infno with a slash", func(c *Call) { c.Infno = "22/07" }, settlement.CodeBadField, "infno"},
		{"no msgid", func(c *Call) { c.MsgID = "" }, settlement.CodeMissingField, "msgid"},
		{"short treatment region", func(c *Call) { c.TreatAdmdvs = "4501" }, settlement.CodeBadField, "mdtrtarea_admvs"},
		{"insured region not digits", func(c *Call) { c.InsuredAdmdvs = "36010X" }, settlement.CodeBadField, "insuplc_admdvs"},
		{"no time", func(c *Call) { c.Time = time.Time{} }, settlement.CodeMissingField, "inf_time"},
		{"no input", func(c *Call) { c.Input = nil }, settlement.CodeMissingField, "input"},
		{"input not an object", func(c *Call) { c.Input = json.RawMessage(`[1]`) }, settlement.CodeBadField, "input"},
		{"input not JSON", func(c *Call) { c.Input = json.RawMessage(`{"data":`) }, settlement.CodeBadField, "input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := testCall("M1")
			tc.change(&call)
			_, err := c.Call(context.Background(), call)
			e := settlement.AsError(err)
			if e == nil || e.Code != tc.code || !strings.Contains(e.EN, tc.field) {
				t.Fatalf("err = %v, want %s naming %s", err, tc.code, tc.field)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Fatal("a refused Call is not unavailability")
			}
		})
	}
	if hub.requests() != 0 {
		t.Fatalf("%d requests sent for refused calls", hub.requests())
	}
}

// TestEncodeGolden: the request envelope, byte for byte. The same Call
// gives the same bytes whatever the zone of its Time.
func TestEncodeGolden(t *testing.T) {
	call := testCall("H45010000001202603140926530001")
	call.Input = json.RawMessage("{\n  \"data\": {\"psn_no\": \"36000000000000000001\", \"mdtrt_id\": \"M1\", \"medfee_sumamt\": \"123.45\"},\n  \"feedetail\": [{\"fee_ocur_time\": \"2026-03-14 09:00:00\", \"memo\": \"A&B<1>\"}]\n}")
	got, err := call.encode()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "request-2207.golden", append(got, '\n'))
	call.Time = call.Time.UTC()
	again, _ := call.encode()
	if !bytes.Equal(got, again) {
		t.Fatalf("encoding depends on the zone of Time:\n%s\n%s", got, again)
	}
}

func TestNewClientRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ClientConfig
		want string
	}{
		{"no URL", ClientConfig{PaasID: "p", Secret: "s"}, "URL"},
		{"not http", ClientConfig{URL: "ftp://x", PaasID: "p", Secret: "s"}, "URL"},
		{"no credentials", ClientConfig{URL: "http://127.0.0.1:9000"}, "PaasID"},
		{"negative attempts", ClientConfig{URL: "http://127.0.0.1:9000", PaasID: "p", Secret: "s", Attempts: -1}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewClient(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// TestDecodeReply: what counts as a response envelope.
func TestDecodeReply(t *testing.T) {
	for _, tc := range []struct {
		body       string
		ok         bool
		infcode    int
		retryLater bool
	}{
		{okBody, true, 0, false},
		{`{"infcode":"0","output":{}}`, true, 0, false},
		{`{"infcode":-1,"err_msg":null}`, true, -1, false},
		{retryBody, true, -1, true},
		{`{"infcode":-1,"err_msg":"[E5001] 处理结果未知"}`, true, -1, true},
		{`{"infcode":-1,"err_msg":"[E5000] 内部错误"}`, true, -1, false}, // internal: final
		{`{"infcode":-1,"err_msg":"[E4901] msgid conflict"}`, true, -1, false},
		{`{"infcode":0,"err_msg":"[E5002] ignored on success"}`, true, 0, false},
		{`{"output":{}}`, false, 0, false},
		{`{"infcode":"x"}`, false, 0, false},
		{`{"infcode":{}}`, false, 0, false},
		{`not json`, false, 0, false},
		{``, false, 0, false},
	} {
		r, ok := decodeReply([]byte(tc.body))
		if ok != tc.ok || (ok && (r.Infcode != tc.infcode || r.retryLater() != tc.retryLater)) {
			t.Errorf("%s: ok %v infcode %d retryLater %v; want %v %d %v", tc.body, ok, r.Infcode, r.retryLater(), tc.ok, tc.infcode, tc.retryLater)
		}
	}
}
