package national

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/tif"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// The credentials of the tests.
const (
	hubPaas, hubSecret = "hub", "hub-secret"
	gxPaas, gxSecret   = "paas-gx", "gx-secret" // Guangxi (45), the calling province in most tests
	jxPaas, jxSecret   = "paas-jx", "jx-secret" // Jiangxi (36)
	adminToken         = "admin-token"
)

// stamp is the replicated time a treatment-place node would put in a Call.
var stamp = time.Date(2026, 3, 14, 9, 26, 53, 0, infTimeZone)

// testCall is a cross-province settlement from a Guangxi hospital for a
// person insured in Jiangxi (Nanchang).
func testCall(msgid string) Call {
	return Call{
		Infno: "2207", MsgID: msgid, TreatAdmdvs: "450100", InsuredAdmdvs: "360100",
		Hospital: "H45010000001", HospitalName: "广西医科大学第一附属医院",
		Input: json.RawMessage(`{"data":{"psn_no":"36000000000000000001","mdtrt_id":"M1","medfee_sumamt":"123.45"}}`),
		Time:  stamp,
	}
}

// fakeProvince is the national-facing endpoint of one node of an insured
// province's cluster: it checks the hub's signature, commits each msgid
// once (its own deduplication, as the replicated cluster does) and answers
// the committed result again for a duplicate.
type fakeProvince struct {
	t    testing.TB
	name string
	srv  *httptest.Server

	mu        sync.Mutex
	received  map[string]int    // msgid → requests that reached the node
	committed map[string][]byte // msgid → the answer it committed
	bodies    [][]byte
	commits   int
	// answer, when set, replaces the normal answer; ok false falls through.
	answer func(w http.ResponseWriter, msgid string) bool
	// gate, when set, holds every request until it is closed; arrived is
	// told about each held request.
	gate    chan struct{}
	arrived chan string
}

func newProvince(t testing.TB, name string) *fakeProvince {
	p := &fakeProvince{t: t, name: name, received: map[string]int{}, committed: map[string][]byte{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvince) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	ts, nonce := r.Header.Get(tif.HeaderTimestamp), r.Header.Get(tif.HeaderNonce)
	if r.Header.Get(tif.HeaderPaasID) != hubPaas || r.Header.Get(tif.HeaderSignature) != tif.Sign(ts, hubSecret, nonce) {
		p.t.Errorf("%s: request not signed by the hub: %v", p.name, r.Header)
	}
	var env struct {
		MsgID string `json:"msgid"`
	}
	json.Unmarshal(body, &env)
	p.mu.Lock()
	p.received[env.MsgID]++
	p.bodies = append(p.bodies, body)
	gate, arrived, override := p.gate, p.arrived, p.answer
	p.mu.Unlock()
	if gate != nil {
		if arrived != nil {
			arrived <- env.MsgID
		}
		<-gate
	}
	if override != nil && override(w, env.MsgID) {
		return
	}
	p.mu.Lock()
	ans, ok := p.committed[env.MsgID]
	if !ok {
		p.commits++
		ans = fmt.Appendf(nil, `{"infcode":0,"inf_refmsgid":"360000202603140926530000000001","refmsg_time":"20260314092653.000",`+
			`"respond_time":"20260314092653.000","err_msg":"","output":{"province":%q,"msgid":%q,"commit":%d}}`, p.name, env.MsgID, p.commits)
		p.committed[env.MsgID] = ans
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if ok {
		w.Header().Set("Idempotent-Replayed", "true") // as a provgate node marks a stored answer
	}
	w.Write(ans)
}

func (p *fakeProvince) count(msgid string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received[msgid]
}

func (p *fakeProvince) committedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.commits
}

func (p *fakeProvince) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.bodies)
}

func (p *fakeProvince) lastBody() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bodies) == 0 {
		return nil
	}
	return p.bodies[len(p.bodies)-1]
}

func (p *fakeProvince) set(f func(p *fakeProvince)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// deadURL is the URL of a server that no longer listens.
func deadURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

// startHub serves a hub routing to Guangxi (45) and Jiangxi (36) on
// loopback, with the nodes given.
func startHub(t *testing.T, gx, jx []string, change ...func(*HubConfig)) (*Hub, *httptest.Server) {
	t.Helper()
	cfg := HubConfig{
		PaasID: hubPaas, Secret: hubSecret, AdminToken: adminToken,
		Provinces: []Province{
			{Name: "广西", Prefix: "45", Nodes: gx, PaasID: gxPaas, Secret: gxSecret},
			{Name: "江西", Prefix: "36", Nodes: jx, PaasID: jxPaas, Secret: jxSecret},
		},
	}
	for _, c := range change {
		c(&cfg)
	}
	h, err := NewHub(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

// newClient is Guangxi's client of the hub at url, with test-sized
// backoffs and a breaker that stays out of the way unless asked.
func newClient(t *testing.T, url string, change ...func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{URL: url, PaasID: gxPaas, Secret: gxSecret, BackoffBase: time.Millisecond,
		BackoffMax: 2 * time.Millisecond, BreakerFailures: 1000}
	for _, c := range change {
		c(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// post sends raw bytes to the hub as province paasID would, signed at now.
func post(t *testing.T, url, infno string, body []byte, sign func(*http.Request)) (int, Reply) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/national/"+infno, bytes.NewReader(body))
	if sign != nil {
		sign(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r, ok := decodeReply(data)
	if !ok {
		t.Fatalf("HTTP %d, not a response envelope: %s", resp.StatusCode, data)
	}
	return resp.StatusCode, r
}

func signedBy(paasID, secret string, at time.Time) func(*http.Request) {
	return func(r *http.Request) { tif.SignRequest(r, paasID, secret, at) }
}

// adminDo calls the hub's admin API and decodes the answer into out.
func adminDo(t *testing.T, method, url, token string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
