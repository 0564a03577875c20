package national

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// TestHubRoutes: the insured region picks the province by the longest
// matching prefix; the body reaches it byte for byte; an unknown region is
// refused by the hub.
func TestHubRoutes(t *testing.T) {
	gx, jx, nanchang := newProvince(t, "广西"), newProvince(t, "江西"), newProvince(t, "南昌")
	_, srv := startHub(t, []string{gx.srv.URL}, []string{jx.srv.URL}, func(cfg *HubConfig) {
		cfg.Provinces = append(cfg.Provinces, Province{Name: "南昌", Prefix: "3601", Nodes: []string{nanchang.srv.URL}, PaasID: "paas-nc", Secret: "nc"})
	})
	c := newClient(t, srv.URL)
	for _, tc := range []struct {
		insured string
		want    *fakeProvince // nil: refused by the hub
	}{
		{"450100", gx},
		{"360700", jx},
		{"360100", nanchang}, // 3601 is longer than 36
		{"110000", nil},
	} {
		t.Run(tc.insured, func(t *testing.T) {
			call := testCall("M-" + tc.insured)
			call.InsuredAdmdvs = tc.insured
			r, err := c.Call(context.Background(), call)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if r.Infcode != -1 || !strings.HasPrefix(r.ErrMsg, "[E4006]") || !strings.Contains(r.ErrMsg, "insuplc_admdvs") || !strings.Contains(r.ErrMsg, "110000") {
					t.Fatalf("reply %+v, want a refusal naming insuplc_admdvs 110000", r)
				}
				if n := gx.total() + jx.total() + nanchang.total(); n != 3 {
					t.Fatalf("an unroutable call was forwarded")
				}
				return
			}
			if r.Infcode != 0 || tc.want.count(call.MsgID) != 1 {
				t.Fatalf("reply %+v; %s received %d", r, tc.want.name, tc.want.count(call.MsgID))
			}
			body, _ := call.encode()
			if !bytes.Equal(tc.want.lastBody(), body) {
				t.Fatalf("forwarded body differs:\n%s\n%s", tc.want.lastBody(), body)
			}
		})
	}
}

// TestHubAuthenticates: only a province with valid, fresh x-tif headers may
// call; nothing else is forwarded.
func TestHubAuthenticates(t *testing.T) {
	jx := newProvince(t, "江西")
	now := time.Now()
	_, srv := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL}, func(cfg *HubConfig) { cfg.Now = func() time.Time { return now } })
	body, _ := testCall("M1").encode()
	replay := signedBy(gxPaas, gxSecret, now)
	for _, tc := range []struct {
		name string
		sign func(*http.Request)
		code settlement.Code
	}{
		{"no headers", nil, settlement.CodeAuthMissing},
		{"unknown paas id", signedBy("paas-xx", gxSecret, now), settlement.CodeAuthMissing},
		{"hub's own credentials", signedBy(hubPaas, hubSecret, now), settlement.CodeAuthMissing},
		{"wrong secret", signedBy(gxPaas, jxSecret, now), settlement.CodeAuthSignature},
		{"clock 301s behind", signedBy(gxPaas, gxSecret, now.Add(-301*time.Second)), settlement.CodeAuthClock},
		{"clock 301s ahead", signedBy(gxPaas, gxSecret, now.Add(301*time.Second)), settlement.CodeAuthClock},
		{"replayed nonce", func(r *http.Request) {
			replay(r)
			h := r.Header.Clone()
			replay = func(r *http.Request) { r.Header = h }
		}, ""}, // first use passes
		{"replayed nonce again", func(r *http.Request) { replay(r) }, settlement.CodeAuthReplay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := jx.total()
			status, r := post(t, srv.URL, "2207", body, tc.sign)
			if tc.code == "" {
				if r.Infcode != 0 {
					t.Fatalf("refused: %s", r.ErrMsg)
				}
				return
			}
			if status != http.StatusOK || r.Infcode != -1 || !strings.HasPrefix(r.ErrMsg, "["+string(tc.code)+"]") {
				t.Fatalf("HTTP %d %+v, want infcode -1 with %s", status, r, tc.code)
			}
			if jx.total() != before {
				t.Fatal("an unauthenticated call was forwarded")
			}
		})
	}
}

// TestHubRefusesBadEnvelopes: the hub refuses what it cannot route, naming
// the field.
func TestHubRefusesBadEnvelopes(t *testing.T) {
	jx := newProvince(t, "江西")
	_, srv := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL}, func(cfg *HubConfig) { cfg.MaxBodyBytes = 1024 })
	sign := func(r *http.Request) { signedBy(gxPaas, gxSecret, time.Now())(r) }
	for _, tc := range []struct {
		name, infno, body string
		code              settlement.Code
		names             string
	}{
		{"not JSON", "2207", `{"msgid":`, settlement.CodeMalformed, "JSON"},
		{"no msgid", "2207", `{"infno":"2207","insuplc_admdvs":"360100","input":{}}`, settlement.CodeMissingField, "msgid"},
		{"no insured region", "2207", `{"msgid":"M1","input":{}}`, settlement.CodeMissingField, "insuplc_admdvs"},
		{"short insured region", "2207", `{"msgid":"M1","insuplc_admdvs":"36","input":{}}`, settlement.CodeBadField, "insuplc_admdvs"},
		{"infno differs from the URL", "2207", `{"infno":"2208","msgid":"M1","insuplc_admdvs":"360100","input":{}}`, settlement.CodeBadField, "2208"},
		{"too large", "2207", `{"msgid":"M1","insuplc_admdvs":"360100","input":{"x":"` + strings.Repeat("x", 2000) + `"}}`, settlement.CodeTooLarge, "1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := post(t, srv.URL, tc.infno, []byte(tc.body), sign)
			if r.Infcode != -1 || !strings.HasPrefix(r.ErrMsg, "["+string(tc.code)+"]") || !strings.Contains(r.ErrMsg, tc.names) {
				t.Fatalf("%+v, want %s naming %s", r, tc.code, tc.names)
			}
		})
	}
	if jx.total() != 0 {
		t.Fatal("a refused envelope was forwarded")
	}
}

// TestHubFailsOver: an unreachable node, one answering 503 and one asking
// for a retry are passed over; the node that answered is tried first next
// time.
func TestHubFailsOver(t *testing.T) {
	busy, electing, good := newProvince(t, "江西-2"), newProvince(t, "江西-3"), newProvince(t, "江西-4")
	busy.set(func(p *fakeProvince) {
		p.answer = func(w http.ResponseWriter, _ string) bool { w.WriteHeader(503); return true }
	})
	electing.set(func(p *fakeProvince) {
		p.answer = func(w http.ResponseWriter, _ string) bool { w.Write([]byte(retryBody)); return true }
	})
	hub, srv := startHub(t, []string{deadURL(t)}, []string{deadURL(t), busy.srv.URL, electing.srv.URL, good.srv.URL})
	c := newClient(t, srv.URL, func(cfg *ClientConfig) { cfg.Attempts = 1 })
	r, err := c.Call(context.Background(), testCall("M1"))
	if err != nil || r.Infcode != 0 || !strings.Contains(string(r.Output), `"province":"江西-4"`) {
		t.Fatalf("reply %+v, err %v; want the answer of the working node", r, err)
	}
	if s := hub.Stats(); s.Failovers != 3 || s.Forwarded["M1"] != 3 {
		t.Fatalf("stats %+v, want 3 failovers and 3 requests answered by nodes", s)
	}
	if _, err := c.Call(context.Background(), testCall("M2")); err != nil {
		t.Fatal(err)
	}
	if busy.total() != 1 || electing.total() != 1 || good.count("M2") != 1 {
		t.Fatalf("second call: busy %d, electing %d, good %d; want the working node tried first", busy.total(), electing.total(), good.count("M2"))
	}
}

// TestHubNoNodeAnswers: with every node of the insured province down the
// hub answers 503 and stores nothing; the client reports ErrUnavailable and
// a later retry reaches the province once it is back.
func TestHubNoNodeAnswers(t *testing.T) {
	jx := newProvince(t, "江西")
	var down atomic.Bool
	down.Store(true)
	jx.set(func(p *fakeProvince) {
		p.answer = func(w http.ResponseWriter, _ string) bool {
			if down.Load() {
				w.WriteHeader(http.StatusBadGateway)
			}
			return down.Load()
		}
	})
	_, srv := startHub(t, []string{deadURL(t)}, []string{deadURL(t), jx.srv.URL})
	status, r := post(t, srv.URL, "2207", mustEncode(t, testCall("M1")), signedBy(gxPaas, gxSecret, time.Now()))
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(r.ErrMsg, "[E5002]") || !strings.Contains(r.ErrMsg, "江西") {
		t.Fatalf("HTTP %d %+v, want 503 naming the province", status, r)
	}
	c := newClient(t, srv.URL, func(cfg *ClientConfig) { cfg.Attempts = 2 })
	if _, err := c.Call(context.Background(), testCall("M1")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	down.Store(false)
	if r, err := c.Call(context.Background(), testCall("M1")); err != nil || r.Infcode != 0 {
		t.Fatalf("after recovery: %+v, %v", r, err)
	}
}

func mustEncode(t *testing.T, c Call) []byte {
	t.Helper()
	b, err := c.encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHubDeduplicates: a duplicate gets the stored answer without reaching
// the province; the same msgid with another body is refused; duplicates of
// a call in flight wait for it. Each calling province has its own msgids.
func TestHubDeduplicates(t *testing.T) {
	gx, jx := newProvince(t, "广西"), newProvince(t, "江西")
	hub, srv := startHub(t, []string{gx.srv.URL}, []string{jx.srv.URL})
	c := newClient(t, srv.URL)
	ctx := context.Background()

	first, err := c.Call(ctx, testCall("M1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Call(ctx, testCall("M1"))
	if err != nil || string(again.Output) != string(first.Output) || again.RefMsgID != first.RefMsgID {
		t.Fatalf("duplicate answered %+v (%v), want %+v", again, err, first)
	}
	if jx.count("M1") != 1 || hub.Stats().DedupHits != 1 {
		t.Fatalf("province received M1 %d times, dedup hits %d; want 1 and 1", jx.count("M1"), hub.Stats().DedupHits)
	}

	other := testCall("M1")
	other.Input = json.RawMessage(`{"data":{"mdtrt_id":"M2"}}`)
	r, err := c.Call(ctx, other)
	if err != nil || r.Infcode != -1 || !strings.HasPrefix(r.ErrMsg, "["+string(settlement.CodeMsgIDConflict)+"]") || !strings.Contains(r.ErrMsg, "M1") {
		t.Fatalf("conflicting body: %+v, %v; want the msgid conflict", r, err)
	}

	// Jiangxi may use the same msgid for a call of its own.
	jxClient := newClient(t, srv.URL, func(cfg *ClientConfig) { cfg.PaasID, cfg.Secret = jxPaas, jxSecret })
	call := testCall("M1")
	call.TreatAdmdvs, call.InsuredAdmdvs = "360100", "450100"
	if r, err := jxClient.Call(ctx, call); err != nil || r.Infcode != 0 || gx.count("M1") != 1 {
		t.Fatalf("Jiangxi's own M1: %+v, %v, Guangxi received %d", r, err, gx.count("M1"))
	}

	// Concurrent duplicates while the first is held at the province.
	gate, arrived := make(chan struct{}), make(chan string, 16)
	jx.set(func(p *fakeProvince) { p.gate, p.arrived = gate, arrived })
	const n = 8
	var wg sync.WaitGroup
	replies := make([]Reply, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { replies[i], errs[i] = c.Call(ctx, testCall("M-concurrent")) })
	}
	<-arrived
	for hub.Stats().Calls < 4+n { // every duplicate has reached the hub
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || string(replies[i].Output) != string(replies[0].Output) {
			t.Fatalf("caller %d: %+v, %v; want the shared answer %s", i, replies[i], errs[i], replies[0].Output)
		}
	}
	if jx.count("M-concurrent") != 1 {
		t.Fatalf("province received the concurrent call %d times, want 1", jx.count("M-concurrent"))
	}
}

// TestHubFaults: each fault action does what the tests of the cluster rely
// on, and only to the calls its rule matches.
func TestHubFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		faults   []Fault
		attempts int
		call     string // msgid
		wantErr  bool   // ErrUnavailable
		received int    // requests that reached the insured province
		commits  int
		stats    func(HubStats) string // "" when as expected
	}{
		{name: "delay then forward", faults: []Fault{{Action: FaultDelay, DelayMS: 20, Times: 1}}, attempts: 1, call: "M1", received: 1, commits: 1,
			stats: func(s HubStats) string { return want(s.FaultsApplied[FaultDelay] == 1, "one delay") }},
		{name: "fail twice, third attempt answered", faults: []Fault{{Action: FaultFail, Times: 2}}, attempts: 3, call: "M1", received: 1, commits: 1,
			stats: func(s HubStats) string {
				return want(s.FaultsApplied[FaultFail] == 2 && s.Unavailable == 2, "two fails answered 503")
			}},
		{name: "fail until cleared", faults: []Fault{{Action: FaultFail}}, attempts: 3, call: "M1", wantErr: true,
			stats: func(s HubStats) string { return want(s.FaultsApplied[FaultFail] == 3, "three fails") }},
		{name: "drop the request", faults: []Fault{{Action: FaultDropRequest, Times: 1}}, attempts: 2, call: "M1", received: 1, commits: 1,
			stats: func(s HubStats) string {
				return want(s.Forwarded["M1"] == 1 && s.Replayed["M1"] == 0, "one forward, not a replay")
			}},
		{name: "drop the answer: the retry reaches the province again", faults: []Fault{{Action: FaultDropAnswer, Times: 1}}, attempts: 2, call: "M1", received: 2, commits: 1,
			stats: func(s HubStats) string {
				return want(s.Forwarded["M1"] == 2 && s.Replayed["M1"] == 1 && s.DedupHits == 0,
					"two forwards, the second answered from the province's idempotency store, no dedup hit")
			}},
		{name: "drop every answer", faults: []Fault{{Action: FaultDropAnswer}}, attempts: 3, call: "M1", wantErr: true, received: 3, commits: 1},
		{name: "rule for another msgid", faults: []Fault{{Action: FaultFail, MsgID: "M2"}}, attempts: 1, call: "M1", received: 1, commits: 1},
		{name: "rule for another infno", faults: []Fault{{Action: FaultFail, Infno: "2208"}}, attempts: 1, call: "M1", received: 1, commits: 1},
		{name: "rule for another region", faults: []Fault{{Action: FaultFail, Prefix: "45"}}, attempts: 1, call: "M1", received: 1, commits: 1},
		{name: "rule for this region and infno", faults: []Fault{{Action: FaultFail, Prefix: "3601", Infno: "2207", MsgID: "M1"}}, attempts: 2, call: "M1", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jx := newProvince(t, "江西")
			hub, srv := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL})
			for _, f := range tc.faults {
				if code := adminDo(t, http.MethodPost, srv.URL+"/hub/v1/faults", adminToken, f, nil); code != http.StatusCreated {
					t.Fatalf("adding %+v: HTTP %d", f, code)
				}
			}
			c := newClient(t, srv.URL, func(cfg *ClientConfig) { cfg.Attempts = tc.attempts })
			r, err := c.Call(context.Background(), testCall(tc.call))
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrUnavailable)) || (err == nil && r.Infcode != 0) {
				t.Fatalf("reply %+v, err %v; want error %v", r, err, tc.wantErr)
			}
			if jx.count(tc.call) != tc.received || jx.committedCount() != tc.commits {
				t.Fatalf("province received %d, committed %d; want %d, %d", jx.count(tc.call), jx.committedCount(), tc.received, tc.commits)
			}
			if tc.stats != nil {
				if msg := tc.stats(hub.Stats()); msg != "" {
					t.Fatalf("stats %+v: want %s", hub.Stats(), msg)
				}
			}
		})
	}
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return what
}

// TestHubDelayHoldsTheCall: a call delayed longer than the caller waits is
// never forwarded: the caller gives up first.
func TestHubDelayHoldsTheCall(t *testing.T) {
	jx := newProvince(t, "江西")
	hub, srv := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL})
	if err := hub.AddFault(Fault{Action: FaultDelay, DelayMS: int(time.Hour / time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv.URL, func(cfg *ClientConfig) { cfg.Attempts, cfg.AttemptTimeout = 2, 50*time.Millisecond })
	if _, err := c.Call(context.Background(), testCall("M1")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if hub.ClearFaults() != 1 {
		t.Fatal("the delay rule should still be in force")
	}
	if r, err := c.Call(context.Background(), testCall("M1")); err != nil || r.Infcode != 0 {
		t.Fatalf("after clearing: %+v, %v", r, err)
	}
	if jx.count("M1") != 1 {
		t.Fatalf("province received %d, want only the call after clearing", jx.count("M1"))
	}
}

// TestHubAdmin: the admin API needs the token, refuses malformed rules and
// reports the counts.
func TestHubAdmin(t *testing.T) {
	jx := newProvince(t, "江西")
	_, srv := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL})
	faults := srv.URL + "/hub/v1/faults"
	for _, tc := range []struct {
		name, method, url, token string
		body                     any
		status                   int
	}{
		{"healthz is open", http.MethodGet, srv.URL + "/healthz", "", nil, http.StatusOK},
		{"stats need the token", http.MethodGet, srv.URL + "/hub/v1/stats", "", nil, http.StatusUnauthorized},
		{"wrong token", http.MethodPost, faults, "nope", Fault{Action: FaultFail}, http.StatusUnauthorized},
		{"unknown action", http.MethodPost, faults, adminToken, Fault{Action: "explode"}, http.StatusBadRequest},
		{"delay without delay_ms", http.MethodPost, faults, adminToken, Fault{Action: FaultDelay}, http.StatusBadRequest},
		{"negative times", http.MethodPost, faults, adminToken, Fault{Action: FaultFail, Times: -1}, http.StatusBadRequest},
		{"bad prefix", http.MethodPost, faults, adminToken, Fault{Action: FaultFail, Prefix: "4x"}, http.StatusBadRequest},
		{"misspelt matcher", http.MethodPost, faults, adminToken, map[string]any{"action": "fail", "msg_id": "M1"}, http.StatusBadRequest},
		{"a good rule", http.MethodPost, faults, adminToken, Fault{Action: FaultFail, MsgID: "M9", Times: 2}, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := adminDo(t, tc.method, tc.url, tc.token, tc.body, nil); got != tc.status {
				t.Fatalf("HTTP %d, want %d", got, tc.status)
			}
		})
	}
	var list struct{ Faults []Fault }
	adminDo(t, http.MethodGet, faults, adminToken, nil, &list)
	if len(list.Faults) != 1 || list.Faults[0].MsgID != "M9" || list.Faults[0].Times != 2 {
		t.Fatalf("faults %+v, want the good rule only", list.Faults)
	}
	var cleared map[string]int
	if adminDo(t, http.MethodDelete, faults, adminToken, nil, &cleared); cleared["cleared"] != 1 {
		t.Fatalf("cleared %v", cleared)
	}
	newClient(t, srv.URL).Call(context.Background(), testCall("M1"))
	var stats HubStats
	if adminDo(t, http.MethodGet, srv.URL+"/hub/v1/stats", adminToken, nil, &stats); stats.Calls != 1 || stats.Forwarded["M1"] != 1 {
		t.Fatalf("stats %+v, want one call forwarded", stats)
	}

	_, off := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL}, func(cfg *HubConfig) { cfg.AdminToken = "" })
	if got := adminDo(t, http.MethodGet, off.URL+"/hub/v1/stats", "", nil, nil); got != http.StatusNotFound {
		t.Fatalf("admin API without a token configured: HTTP %d, want 404", got)
	}
}

func TestNewHubRefusesBadConfig(t *testing.T) {
	good := func() HubConfig {
		return HubConfig{PaasID: hubPaas, Secret: hubSecret, Provinces: []Province{
			{Name: "广西", Prefix: "45", Nodes: []string{"http://127.0.0.1:1"}, PaasID: gxPaas, Secret: gxSecret},
			{Name: "江西", Prefix: "36", Nodes: []string{"http://127.0.0.1:2"}, PaasID: jxPaas, Secret: jxSecret},
		}}
	}
	for _, tc := range []struct {
		name   string
		change func(*HubConfig)
		want   string
	}{
		{"good", func(*HubConfig) {}, ""},
		{"no hub credentials", func(c *HubConfig) { c.Secret = "" }, "secret"},
		{"no provinces", func(c *HubConfig) { c.Provinces = nil }, "provinces"},
		{"prefix not digits", func(c *HubConfig) { c.Provinces[1].Prefix = "JX" }, "provinces[1].prefix"},
		{"prefix too long", func(c *HubConfig) { c.Provinces[0].Prefix = "4501001" }, "provinces[0].prefix"},
		{"same prefix twice", func(c *HubConfig) { c.Provinces[1].Prefix = "45" }, "prefix 45 is also used by hub: provinces[0]"},
		{"same paas id twice", func(c *HubConfig) { c.Provinces[1].PaasID = gxPaas }, "paas_id"},
		{"no nodes", func(c *HubConfig) { c.Provinces[0].Nodes = nil }, "provinces[0].nodes"},
		{"node not a URL", func(c *HubConfig) { c.Provinces[0].Nodes = []string{"127.0.0.1:8080"} }, "provinces[0].nodes[0]"},
		{"province without secret", func(c *HubConfig) { c.Provinces[0].Secret = "" }, "provinces[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.change(&cfg)
			_, err := NewHub(cfg)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}
