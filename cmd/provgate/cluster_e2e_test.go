package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// procCluster is a cluster of provgate processes on loopback.
type procCluster struct {
	t     *testing.T
	mu    sync.Mutex
	nodes map[string]*process
	args  map[string][]string
	// retries counts the answers that asked a client to retry.
	retries atomic.Int64
}

func startProcCluster(t *testing.T, size int, extra ...func(id string) []string) *procCluster {
	t.Helper()
	return startCluster(t, "node", "", size, extra...)
}

// startCluster starts size nodes named prefix1, prefix2... from config (""
// is the example configuration): the first bootstraps, the others join it.
func startCluster(t *testing.T, prefix, config string, size int, extra ...func(id string) []string) *procCluster {
	t.Helper()
	c := &procCluster{t: t, nodes: map[string]*process{}, args: map[string][]string{}}
	var first string
	for i := 1; i <= size; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		args := []string{"--node-id", id, "--data-dir", t.TempDir(), "--http-addr", freeAddr(t), "--raft-addr", freeAddr(t)}
		if config != "" {
			args = append(args, "--config", config)
		}
		if i == 1 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", first)
		}
		for _, x := range extra {
			args = append(args, x(id)...)
		}
		c.args[id] = args
		p := startServeArgs(t, args, "PROVGATE_ADMIN_TOKEN=s3cret")
		c.nodes[id] = p
		if i == 1 {
			first = strings.TrimPrefix(p.base, "http://")
		}
	}
	return c
}

func (c *procCluster) get(p *process, path string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, p.base+path, nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// leader finds the node that says it leads.
func (c *procCluster) leader() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, p := range c.nodes {
		var s struct{ State string }
		if c.get(p, "/status", &s) == nil && s.State == "Leader" {
			return id
		}
	}
	return ""
}

func (c *procCluster) any() *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.nodes))
	for id := range c.nodes {
		ids = append(ids, id)
	}
	return c.nodes[ids[rand.IntN(len(ids))]]
}

// killAndRestart SIGKILLs a node and starts it again on its data, joining
// through a surviving member.
func (c *procCluster) killAndRestart(id string, down time.Duration) {
	c.restart(id, down, (*process).kill, binary)
}

// restart takes a node out of the clients' rotation (as a load balancer
// does when its readiness fails), stops it with stop, and starts bin on the
// same data, joining through a surviving member.
func (c *procCluster) restart(id string, down time.Duration, stop func(*process), bin string) {
	c.stop(id, stop)
	time.Sleep(down)
	c.rejoin(id, bin)
}

// stop takes a node out of the clients' rotation and stops it with stop.
func (c *procCluster) stop(id string, stop func(*process)) {
	c.mu.Lock()
	p := c.nodes[id]
	delete(c.nodes, id)
	c.mu.Unlock()
	stop(p)
}

// rejoin starts bin on a stopped node's data, joining through a member.
func (c *procCluster) rejoin(id string, bin string) {
	c.mu.Lock()
	var through string
	for _, q := range c.nodes {
		through = strings.TrimPrefix(q.base, "http://")
	}
	c.mu.Unlock()
	args := []string{}
	for i := 0; i < len(c.args[id]); i++ {
		switch c.args[id][i] {
		case "--bootstrap":
		case "--join":
			i++
		default:
			args = append(args, c.args[id][i])
		}
	}
	q := startServeBin(c.t, bin, append(args, "--join", through), "PROVGATE_ADMIN_TOKEN=s3cret")
	c.mu.Lock()
	c.nodes[id] = q
	c.mu.Unlock()
}

// retried counts a retry and logs the first few reasons.
func (c *procCluster) retried(p *process, why string) {
	if n := c.retries.Add(1); n <= 5 {
		c.t.Logf("retry %d (%s): %s", n, p.base, why)
	}
}

// retrying sends a request until it gets a definite answer, retrying with
// the same msgid on "outcome unknown", "unavailable" and broken connections,
// through any node: what a careful HIS does. c.retries counts the answers
// that asked for a retry and the broken connections.
func (c *procCluster) retrying(t *testing.T, infno, msgid string, input any) answer {
	return c.retryingFor(t, "150826", infno, msgid, input)
}

// retryingFor is retrying for a patient insured at insuplc; cross-province
// answers "in progress" and "platform unavailable" are retried too.
func (c *procCluster) retryingFor(t *testing.T, insuplc, infno, msgid string, input any) answer {
	body, _ := json.Marshal(map[string]any{
		"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "150100", "insuplc_admdvs": insuplc,
		"recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "load",
		"inf_time": "2026-01-01 10:00:00", "fixmedins_code": "H15010100001", "fixmedins_name": "t", "input": input,
	})
	for attempt := 0; attempt < 200; attempt++ {
		p := c.any()
		req, _ := http.NewRequest(http.MethodPost, p.base+"/nhsa/"+infno, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		signRequest(req, time.Now())
		client := http.Client{Timeout: 15 * time.Second}
		resp, err := client.Do(req)
		if err != nil {
			c.retried(p, err.Error())
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var a answer
		a.raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		json.Unmarshal(a.raw, &a)
		a.replayed, a.header = resp.Header.Get("Idempotent-Replayed") == "true", resp.Header
		if code := a.code(); code == "E5001" || code == "E5002" || code == "E5003" || code == "E5004" {
			c.retried(p, string(a.raw))
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return a
	}
	t.Errorf("%s %s: no definite answer after 200 attempts", infno, msgid)
	return answer{}
}

// traffic runs workers hospital clients that settle outpatient visits
// (register, upload, settle, each retried with its msgid) until done is
// closed and each has settled at least minVisits. It returns once they
// stop, with the visits started and acknowledged.
func (c *procCluster) traffic(t *testing.T, workers, minVisits int, done <-chan struct{}) (started, acked int64) {
	var nStarted, nAcked atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for v := 0; ; v++ {
				if v >= minVisits {
					select {
					case <-done:
						return
					default:
					}
				}
				nStarted.Add(1)
				tag := fmt.Sprintf("H15010100001%02d%02d", w, v)
				a := c.retrying(t, "2201", tag+"2201", map[string]any{"data": map[string]any{"psn_no": psn, "insutype": "310",
					"begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018",
					"ipt_otp_no": tag, "atddr_no": "D1", "dr_name": "医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
				if a.code() != "0" {
					t.Errorf("2201: %s", a.raw)
					return
				}
				m := field(t, a.Output, "data", "mdtrt_id")
				if a = c.retrying(t, "2204", tag+"2204", feeLines(m)); a.code() != "0" {
					t.Errorf("2204: %s", a.raw)
					return
				}
				in := settleInput(m)
				in["data"].(map[string]any)["acct_used_flag"] = "0" // the account would run out; funds still pay
				if a = c.retrying(t, "2207", tag+"2207", in); a.code() != "0" {
					t.Errorf("2207: %s", a.raw)
					return
				}
				nAcked.Add(1)
			}
		}(w)
	}
	wg.Wait()
	return nStarted.Load(), nAcked.Load()
}

// converged waits until every replica holds exactly acked settlements, none
// twice, every person's accumulators equal the sum of their records (the
// replica's own check), and all state digests are identical.
func (c *procCluster) converged(t *testing.T, acked int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		digests := map[string]string{}
		ok := true
		c.mu.Lock()
		for id, p := range c.nodes {
			var v struct {
				Records  int
				Digest   string
				Problems []string
			}
			if err := c.get(p, "/admin/v1/verify", &v); err != nil {
				ok = false
				continue
			}
			if len(v.Problems) > 0 {
				t.Errorf("%s: %v", id, v.Problems)
			}
			if int64(v.Records) != acked {
				ok = false
			}
			digests[v.Digest] = id
		}
		c.mu.Unlock()
		if ok && len(digests) == 1 {
			t.Logf("%d acknowledged settlements on every node, state digest identical", acked)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas did not converge: %d digests, %d acknowledged", len(digests), acked)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestClusterOfProcessesSurvivesLeaderKills(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test (-short)")
	}
	c := startProcCluster(t, 3)
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for i := 0; i < 3; {
			time.Sleep(700 * time.Millisecond)
			if id := c.leader(); id != "" {
				t.Logf("SIGKILL the leader %s", id)
				c.killAndRestart(id, 500*time.Millisecond)
				i++
			}
		}
	}()
	started, acked := c.traffic(t, 6, 4, killed)
	if acked != started {
		t.Errorf("%d of %d visits settled", acked, started)
	}
	c.converged(t, acked)
	t.Logf("clients were asked to retry %d times", c.retries.Load())
	// The nodes run with --verify-writes: a follower that stored the
	// leader's writes also computed them and would have stopped on a
	// difference. Check the shortcut was taken at all.
	var taken uint64
	for _, p := range c.nodes {
		var st struct {
			Taken uint64 `json:"writes_taken"`
		}
		if err := c.get(p, "/status", &st); err == nil {
			taken += st.Taken
		}
	}
	if taken == 0 {
		t.Error("no follower stored the leader's writes")
	}

	out, err := run(t, "cluster", "status", "--addr", c.any().base, "--token", "s3cret")
	if err != nil || strings.Count(out, "node") < 4 || !strings.Contains(out, "leader") {
		t.Errorf("cluster status: %v\n%s", err, out)
	}
	before := c.leader()
	if out, err := run(t, "cluster", "transfer-leader", "--addr", c.any().base, "--token", "s3cret"); err != nil {
		t.Errorf("transfer-leader: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(10 * time.Second); c.leader() == before && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if after := c.leader(); after == before || after == "" {
		t.Errorf("leadership stayed with %s", before)
	}
}

// TestRollingUpgrade replaces every node of a three-process cluster, one
// at a time and the leader included, with a newer build (SIGTERM, then the
// new binary on the same data), while hospitals keep settling through the
// nodes in rotation. No settlement is refused, none is lost or doubled, and
// the nodes end on the new version.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test (-short)")
	}
	next := filepath.Join(t.TempDir(), "provgate-next")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=next", "-o", next, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the next version: %v\n%s", err, out)
	}
	c := startProcCluster(t, 3)
	upgraded := make(chan struct{})
	go func() {
		defer close(upgraded)
		time.Sleep(500 * time.Millisecond)
		// Followers first, the leader last: the usual order, and the leader's
		// SIGTERM hands leadership over before it stops.
		order := []string{}
		leader := c.leader()
		for _, id := range []string{"node1", "node2", "node3"} {
			if id != leader {
				order = append(order, id)
			}
		}
		for _, id := range append(order, leader) {
			t.Logf("upgrade %s", id)
			c.restart(id, 200*time.Millisecond, func(p *process) {
				if err := p.terminate(); err != nil {
					t.Errorf("%s did not stop cleanly: %v\n%s", id, err, p.logs.String())
				}
			}, next)
			time.Sleep(500 * time.Millisecond)
		}
	}()
	started, acked := c.traffic(t, 6, 3, upgraded)
	if acked != started {
		t.Errorf("%d of %d visits settled", acked, started)
	}
	c.converged(t, acked)
	for id, p := range c.nodes {
		var st struct{ Version string }
		if err := c.get(p, "/status", &st); err != nil || st.Version != "next" {
			t.Errorf("%s runs version %q (%v), want next", id, st.Version, err)
		}
	}
	out, err := run(t, "cluster", "status", "--addr", c.any().base, "--token", "s3cret")
	var rows, leaders int
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "node") {
			rows++
			if !strings.HasSuffix(line, " next") {
				rows = -100
			}
			if strings.Contains(line, " Leader ") {
				leaders++
			}
		}
	}
	if err != nil || rows != 3 || leaders != 1 {
		t.Errorf("cluster status after the upgrade should list three members on next, one leading: %v\n%s", err, out)
	}
	// Nodes leave the rotation before they stop and a stopping leader hands
	// over, and nodes retry a leader change within the deadline themselves:
	// no hospital should have been asked to retry.
	if n := c.retries.Load(); n != 0 {
		t.Errorf("clients were asked to retry %d times during the upgrade", n)
	}
	t.Logf("%d visits during the upgrade, none asked to retry", acked)
}

// TestClusterOverMutualTLS runs three processes whose Raft traffic and
// relayed requests are mutual TLS with certificates from `provgate certs`,
// settles through a follower, and checks that the internal channel refuses
// peers without a certificate from the cluster CA.
func TestClusterOverMutualTLS(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if out, err := run(t, "certs", "--dir", d, "--nodes", "node1,node2,node3"); err != nil {
			t.Fatalf("certs: %v\n%s", err, out)
		}
	}
	internal := map[string]string{}
	c := startProcCluster(t, 3, func(id string) []string {
		internal[id] = freeAddr(t)
		return []string{"--tls-ca", dir + "/ca.pem", "--tls-cert", dir + "/" + id + ".pem", "--tls-key", dir + "/" + id + "-key.pem",
			"--internal-addr", internal[id]}
	})
	var follower *process
	var followerID string
	for id, p := range c.nodes {
		if id != c.leader() {
			follower, followerID = p, id
			break
		}
	}
	// A relay marker sent by a hospital to the public port is dropped, so the
	// follower still relays instead of answering "not leader".
	req := envelope("2201", "H15010100001202601011000000061", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
		"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": "MZ1", "atddr_no": "D1", "dr_name": "医生",
		"dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	a := follower.postSigned("/nhsa/2201", req, func(r *http.Request) {
		r.Header.Set("X-Provgate-Forwarded", "node9")
		signRequest(r, time.Now())
	})
	if a.code() != "0" {
		t.Fatalf("register through follower %s over the internal channel: %s", followerID, a.raw)
	}
	m := field(t, a.Output, "data", "mdtrt_id")
	follower.post("/nhsa/2204", envelope("2204", "H15010100001202601011000000062", feeLines(m)))
	st := follower.post("/nhsa/2207", envelope("2207", "H15010100001202601011000000063", settleInput(m)))
	if st.code() != "0" {
		t.Fatalf("settle through a follower over TLS: %s", st.raw)
	}

	// A report query (5203) is relayed to the leader (linearizable) unless
	// it asks for a stale read, which the follower answers from its own
	// replica, naming the log index its state includes.
	setl := field(t, st.Output, "setlinfo", "setl_id")
	for i, stale := range []bool{false, true} {
		q := envelope("5203", fmt.Sprintf("H1501010000120260101100000007%d", i), map[string]any{"data": map[string]any{"psn_no": psn, "setl_id": setl, "mdtrt_id": m}})
		var consistency, leader string
		for deadline := time.Now().Add(10 * time.Second); ; {
			a := follower.postSigned("/nhsa/5203", q, func(r *http.Request) {
				if stale {
					r.Header.Set("X-Provgate-Consistency", "stale")
				}
				signRequest(r, time.Now())
			})
			consistency, leader = a.header.Get("X-Provgate-Consistency"), a.header.Get("X-Provgate-Leader")
			if a.code() == "0" || !stale || time.Now().After(deadline) {
				if a.code() != "0" {
					t.Fatalf("5203 stale=%v: %s", stale, a.raw)
				}
				break
			}
			time.Sleep(50 * time.Millisecond) // the follower has not applied the settlement yet
		}
		if stale && (!strings.HasPrefix(consistency, "stale; applied_index=") || leader != "") {
			t.Errorf("stale 5203 on a follower: consistency %q, relayed to %q", consistency, leader)
		}
		if !stale && (consistency != "" || leader == "") {
			t.Errorf("5203 on a follower was not relayed to the leader: consistency %q, leader %q", consistency, leader)
		}
	}

	// The internal channel: plain HTTP, TLS without a client certificate, and
	// a certificate from another CA are all refused; the cluster's own works.
	target := internal[c.leader()]
	if resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + target + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP to the internal channel was served")
		}
	}
	tlsFor := func(d, node string, withCert bool) *http.Client {
		caPEM, _ := os.ReadFile(d + "/ca.pem")
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		conf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
		if withCert {
			cert, err := tls.LoadX509KeyPair(d+"/"+node+".pem", d+"/"+node+"-key.pem")
			if err != nil {
				t.Fatal(err)
			}
			conf.Certificates = []tls.Certificate{cert}
		}
		if d == other {
			conf.InsecureSkipVerify = true // the stranger does not care who the server is
		}
		return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
	}
	for _, tc := range []struct {
		name   string
		client *http.Client
		ok     bool
	}{
		{"no client certificate", tlsFor(dir, "node1", false), false},
		{"certificate from another CA", tlsFor(other, "node1", true), false},
		{"cluster certificate", tlsFor(dir, "node2", true), true},
	} {
		resp, err := tc.client.Get("https://" + target + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if got := err == nil && resp.StatusCode == http.StatusOK; got != tc.ok {
			t.Errorf("%s: answered=%v, want %v (err %v)", tc.name, got, tc.ok, err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		digests := map[string]bool{}
		for _, p := range c.nodes {
			var v struct {
				Records int
				Digest  string
			}
			if c.get(p, "/admin/v1/verify", &v) == nil && v.Records == 1 {
				digests[v.Digest] = true
			}
		}
		if len(digests) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the TLS cluster did not converge")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
