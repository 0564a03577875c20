package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/national"
	"github.com/provgate/provgate/settlement"
)

// The two-province set-up of the cross-province tests: Inner Mongolia (15,
// three nodes, the treatment place), Jiangxi (36, the insured place, one
// node or three) and the hub between them, all on loopback.
const (
	jxPsn  = "36010000000001"
	jxCert = "360102198506120024"
	jxPlc  = "360100"
)

type testHub struct {
	t    *testing.T
	addr string
	hub  *national.Hub
	mu   sync.Mutex
	srv  *http.Server
}

func (h *testHub) start() {
	h.t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly after a stop
		if l, err = net.Listen("tcp", h.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	srv := &http.Server{Handler: h.hub}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	go srv.Serve(l)
}

func (h *testHub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.srv.Close()
}

func (h *testHub) admin(method, path string, body any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+h.addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer hubtoken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		h.t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
}

// startTwoProvinces starts Inner Mongolia's three nodes, Jiangxi's jxSize
// (jx1, jx2...) and the hub, which knows every node of both and fails over
// between them in that order.
func startTwoProvinces(t *testing.T, jxSize int) (*procCluster, *procCluster, *testHub) {
	hubAddr := freeAddr(t)
	hubURL := func(string) []string { return []string{"--national-url", "http://" + hubAddr} }
	im := startProcCluster(t, 3, hubURL)
	jx := startCluster(t, "jx", "../../configs/jiangxi/provgate.yaml", jxSize, hubURL)
	hub, err := national.NewHub(national.HubConfig{PaasID: "nhsa-hub", Secret: "hub-demo-secret", AdminToken: "hubtoken",
		Provinces: []national.Province{
			{Name: "内蒙古", Prefix: "15", Nodes: im.urls(), PaasID: "prov-15", Secret: "inner-mongolia-demo-secret"},
			{Name: "江西", Prefix: "36", Nodes: jx.urls(), PaasID: "prov-36", Secret: "jiangxi-demo-secret"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := &testHub{t: t, addr: hubAddr, hub: hub}
	h.start()
	t.Cleanup(h.stop)
	for _, c := range []*procCluster{im, jx} {
		c.awaitLeader(t, "")
	}
	return im, jx, h
}

// urls is the base URL of every node, in the order of their ids.
func (c *procCluster) urls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := slices.Sorted(maps.Keys(c.nodes))
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = c.nodes[id].base
	}
	return out
}

// awaitLeader waits until a node other than not leads, and returns it.
func (c *procCluster) awaitLeader(t *testing.T, not string) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if id := c.leader(); id != "" && id != not {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader (other than %q) after 20s", not)
		}
	}
}

// visitFor registers the Jiangxi patient at the Hohhot hospital and
// uploads the three fee lines; it returns the mdtrt_id.
func visitFor(t *testing.T, im *procCluster, tag string) string {
	t.Helper()
	a := im.retryingFor(t, jxPlc, "2201", tag+"2201", map[string]any{"data": map[string]any{"psn_no": jxPsn, "insutype": "310",
		"begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": jxCert,
		"ipt_otp_no": tag, "atddr_no": "D1", "dr_name": "医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	if a.code() != "0" {
		t.Fatalf("2201: %s", a.raw)
	}
	m := field(t, a.Output, "data", "mdtrt_id")
	if a = im.retryingFor(t, jxPlc, "2204", tag+"2204", feeLinesFor(m, jxPsn, "CB1")); a.code() != "0" {
		t.Fatalf("2204: %s", a.raw)
	}
	return m
}

func jxSettle(m string) map[string]any {
	in := settleInput(m)
	d := in["data"].(map[string]any)
	d["psn_no"], d["mdtrt_cert_no"] = jxPsn, jxCert
	return in
}

// agree checks that the insured place's record of a settlement has the
// amounts the treatment place told the hospital, to the fen.
func agree(t *testing.T, client *national.Client, setlID, mdtrtID string, told answer) {
	t.Helper()
	wire := settlement.Request{Kind: settlement.KindSetlQuery, Hospital: "H15010100001", TreatAdmdvs: "150100", InsuredAdmdvs: jxPlc,
		SetlQuery: &settlement.CancelRequest{SetlID: setlID, MdtrtID: mdtrtID, PsnNo: jxPsn},
		Remote:    &settlement.RemoteOrigin{Hospital: settlement.Hospital{Code: "H15010100001", Admdvs: "150100"}}}
	input, _ := nhsa.WireInput(wire)
	reply, err := client.Call(context.Background(), national.Call{Infno: "5203", MsgID: "Q" + setlID[len(setlID)-12:],
		TreatAdmdvs: "150100", InsuredAdmdvs: jxPlc, Hospital: "H15010100001", Input: input, Time: time.Now()})
	if err != nil || reply.Infcode != 0 {
		t.Fatalf("5203 at the insured place: %v %s", err, reply.ErrMsg)
	}
	for _, f := range []string{"medfee_sumamt", "fund_pay_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay", "hifmi_pay", "maf_pay"} {
		ours, theirs := field(t, told.Output, "setlinfo", f), field(t, reply.Output, "setlinfo", f)
		if ours == "" || ours != theirs {
			t.Errorf("%s %s: hospital told %q, insured place recorded %q", setlID, f, ours, theirs)
		}
	}
}

// verified waits until every node of c reports no problem (accumulators =
// sum of records) and records settlements, identically.
func verified(t *testing.T, c *procCluster, records int64, what string) {
	t.Helper()
	c.converged(t, records)
	t.Logf("%s: %d records, accumulators equal the sum of the records", what, records)
}

// TestCrossProvinceSettlementThroughTheHub runs the cross-province flows
// between two real clusters, Inner Mongolia (treatment place) and Jiangxi
// (insured place), three processes each, and the hub: settlements, cancel,
// reversal, a read retried with its msgid, and each failure the platform
// must survive: the answer dropped, the hub down, the leader of either
// province SIGKILLed while a call is held. Every acknowledged settlement is
// decided once, on every node of both provinces, with the same amounts on
// both sides.
func TestCrossProvinceSettlementThroughTheHub(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process two-province test (-short)")
	}
	im, jx, hub := startTwoProvinces(t, 3)
	client, err := national.NewClient(national.ClientConfig{URL: "http://" + hub.addr, PaasID: "prov-15", Secret: "inner-mongolia-demo-secret"})
	if err != nil {
		t.Fatal(err)
	}
	records := int64(0)

	// A cross-province read, which the hospital retries later with the same
	// msgid (below): it is answered again, not refused as the msgid's reuse.
	person := map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": jxCert}}
	read := im.retryingFor(t, jxPlc, "1101", "XP001101", person)
	if read.code() != "0" || field(t, read.Output, "baseinfo", "psn_no") != jxPsn {
		t.Fatalf("cross-province 1101: %s", read.raw)
	}
	readAt := time.Now()

	// Outpatient: settle, replay, cancel, settle again, reverse.
	m := visitFor(t, im, "XP01")
	a := im.retryingFor(t, jxPlc, "2207", "XP012207", jxSettle(m))
	if a.code() != "0" {
		t.Fatalf("cross-province 2207: %s", a.raw)
	}
	setl := field(t, a.Output, "setlinfo", "setl_id")
	records++
	agree(t, client, setl, m, a)
	again := im.retryingFor(t, jxPlc, "2207", "XP012207", jxSettle(m))
	if !again.replayed || !bytes.Equal(again.raw, a.raw) {
		t.Errorf("retry with the same msgid: replayed=%v, identical=%v", again.replayed, bytes.Equal(again.raw, a.raw))
	}
	c := im.retryingFor(t, jxPlc, "2208", "XP012208", map[string]any{"data": map[string]any{"setl_id": setl, "mdtrt_id": m, "psn_no": jxPsn}})
	if c.code() != "0" {
		t.Fatalf("cross-province 2208: %s", c.raw)
	}
	records++
	a = im.retryingFor(t, jxPlc, "2207", "XP01220B", jxSettle(m))
	if a.code() != "0" {
		t.Fatalf("settle again after the cancel: %s", a.raw)
	}
	records++
	setl = field(t, a.Output, "setlinfo", "setl_id")
	r := im.retryingFor(t, jxPlc, "2601", "XP012601", map[string]any{"data": map[string]any{"psn_no": jxPsn, "omsgid": "XP01220B", "oinfno": "2207"}})
	if r.code() != "0" {
		t.Fatalf("cross-province 2601: %s", r.raw)
	}
	records++

	// Inpatient: admit, fees, discharge, settle, through the hub.
	stay := inpatientStay(t, im)
	records++
	_ = stay

	// The read's retry, a second or more after it: its inf_time has moved,
	// and it goes out under a msgid of its own.
	time.Sleep(time.Until(readAt.Add(1100 * time.Millisecond)))
	if again := im.retryingFor(t, jxPlc, "1101", "XP001101", person); again.code() != "0" ||
		field(t, again.Output, "baseinfo", "psn_no") != jxPsn {
		t.Errorf("1101 retried with the same msgid: %s", again.raw)
	}

	// The hub loses the answer after the insured place committed: the
	// platform client retries with the same msgid and gets the committed one.
	m = visitFor(t, im, "XP02")
	stats, jxRecords := hub.hub.Stats(), recordsAt(t, jx)
	hub.admin(http.MethodPost, "/hub/v1/faults", map[string]any{"msgid": "XP022207", "action": "drop_answer", "times": 1})
	if a = im.retryingFor(t, jxPlc, "2207", "XP022207", jxSettle(m)); a.code() != "0" {
		t.Fatalf("2207 with the answer dropped once: %s", a.raw)
	}
	records++
	agree(t, client, field(t, a.Output, "setlinfo", "setl_id"), m, a)
	// What the hub itself saw: the fault fired once; the retry was forwarded
	// again (a dropped answer is not kept for deduplication), and Jiangxi
	// answered it from its idempotency store; Jiangxi holds one more record,
	// so the settlement was decided once.
	after := hub.hub.Stats()
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"drop_answer faults applied", after.FaultsApplied[national.FaultDropAnswer] - stats.FaultsApplied[national.FaultDropAnswer], 1},
		{"forwards of XP022207 (the call and its retry)", after.Forwarded["XP022207"], 2},
		{"of those, answered from Jiangxi's idempotency store", after.Replayed["XP022207"], 1},
		{"records Jiangxi added", recordsAt(t, jx) - jxRecords, 1},
	} {
		if c.got != c.want {
			t.Errorf("dropped answer: %s = %d, want %d (hub stats %+v)", c.what, c.got, c.want, after)
		}
	}

	// The hub is down: the hospital hears "unavailable, retry", the intent
	// stays pending, and completes once the hub is back.
	m = visitFor(t, im, "XP03")
	hub.stop()
	down := im.post(t, jxPlc, "2207", "XP032207", jxSettle(m))
	if code := down.code(); code != "E5004" && code != "E5003" {
		t.Errorf("hub down: want E5004 (or E5003), got %s", down.raw)
	}
	hub.start()
	if a = im.retryingFor(t, jxPlc, "2207", "XP032207", jxSettle(m)); a.code() != "0" {
		t.Fatalf("2207 after the hub returned: %s", a.raw)
	}
	records++
	agree(t, client, field(t, a.Output, "setlinfo", "setl_id"), m, a)

	// The treatment place's leader is killed while a call is pending: the
	// new leader re-drives it with the same msgid; it completes once.
	m = visitFor(t, im, "XP04")
	hub.admin(http.MethodPost, "/hub/v1/faults", map[string]any{"msgid": "XP042207", "action": "delay", "delay_ms": 2500, "times": 1})
	leader := im.leader()
	done := make(chan answer, 1)
	go func() { done <- im.retryingFor(t, jxPlc, "2207", "XP042207", jxSettle(m)) }()
	time.Sleep(800 * time.Millisecond)
	im.killAndRestart(leader, 200*time.Millisecond)
	if a = <-done; a.code() != "0" {
		t.Fatalf("2207 across the leader's death: %s", a.raw)
	}
	records++
	agree(t, client, field(t, a.Output, "setlinfo", "setl_id"), m, a)

	// The insured place's leader is SIGKILLed while the hub holds the call.
	m = visitFor(t, im, "XP05")
	jxLeaderKilledMidCall(t, im, jx, hub, client, m, "XP052207")
	records++

	// Every acknowledged settlement is on every node of both provinces,
	// exactly once; the insured place's accumulators equal its records.
	verified(t, jx, records, "Jiangxi (insured place)")
	verified(t, im, records, "Inner Mongolia (treatment place)")
	if os.Getenv("PROVGATE_TEST_VERBOSE") != "" {
		t.Logf("hospital retries: %d", im.retries.Load())
	}
}

// jxLeaderKilledMidCall settles visit m under msgid while the hub holds
// the call (its delay fault) and Jiangxi's leader is SIGKILLed. When the
// delay ends the hub forwards the call to the node that answered it last,
// the dead leader: the connection is refused and it fails over to the
// next node, which has the new leader decide. If no leader is elected yet
// the live nodes ask for a retry, the hub answers 503, and the treatment
// place's client sends the call again, same msgid and bytes (or, its
// drive over, the outbox re-drives the intent). The hospital gets one
// settlement, Jiangxi holds one more record, and the killed node, started
// again, catches up.
func jxLeaderKilledMidCall(t *testing.T, im, jx *procCluster, hub *testHub, client *national.Client, m, msgid string) {
	t.Helper()
	leader := jx.awaitLeader(t, "")
	stats, jxRecords := hub.hub.Stats(), recordsAt(t, jx)
	hub.admin(http.MethodPost, "/hub/v1/faults", map[string]any{"msgid": msgid, "action": "delay", "delay_ms": 1500, "times": 1})
	done := make(chan answer, 1)
	go func() { done <- im.retryingFor(t, jxPlc, "2207", msgid, jxSettle(m)) }()
	for deadline := time.Now().Add(10 * time.Second); hub.hub.Stats().FaultsApplied[national.FaultDelay] == stats.FaultsApplied[national.FaultDelay]; {
		if time.Now().After(deadline) {
			t.Fatalf("the call %s never reached the hub", msgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	jx.stop(leader, (*process).kill)
	t.Logf("SIGKILL Jiangxi's leader %s while the hub holds %s", leader, msgid)
	a := <-done
	if a.code() != "0" {
		t.Fatalf("2207 across the insured place's leader's death: %s", a.raw)
	}
	newLeader := jx.awaitLeader(t, leader)
	after := hub.hub.Stats()
	t.Logf("settled %.1fs after the kill; Jiangxi's leader is now %s; hub: forwarded %d, replayed %d, failovers +%d, unavailable +%d",
		time.Since(start).Seconds(), newLeader, after.Forwarded[msgid], after.Replayed[msgid],
		after.Failovers-stats.Failovers, after.Unavailable-stats.Unavailable)
	if added := recordsAt(t, jx) - jxRecords; added != 1 {
		t.Errorf("Jiangxi's new leader holds %d more records after one settlement", added)
	}
	// The hub tries first the node that answered last: Jiangxi's first
	// node, which bootstrapped the cluster and led it until now, unless an
	// election moved the lead before the kill.
	if leader == "jx1" && after.Failovers == stats.Failovers {
		t.Errorf("the hub did not fail over from the dead leader (stats %+v)", after)
	}
	agree(t, client, field(t, a.Output, "setlinfo", "setl_id"), m, a)
	jx.rejoin(leader, binary)
}

// recordsAt is how many settlement records (settlements, cancellations)
// the leader of c holds, as its own verification counts them: the leader
// has applied every write it acknowledged, a follower may lag.
func recordsAt(t *testing.T, c *procCluster) int64 {
	t.Helper()
	id := c.awaitLeader(t, "")
	c.mu.Lock()
	p := c.nodes[id]
	c.mu.Unlock()
	var v struct{ Records int64 }
	if err := c.get(p, "/admin/v1/verify", &v); err != nil {
		t.Fatal(err)
	}
	return v.Records
}

// post sends one signed request to any node, once.
func (c *procCluster) post(t *testing.T, insuplc, infno, msgid string, input any) answer {
	body, _ := json.Marshal(map[string]any{
		"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "150100", "insuplc_admdvs": insuplc,
		"recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "e2e",
		"inf_time": "2026-01-01 10:00:00", "fixmedins_code": "H15010100001", "fixmedins_name": "t", "input": input,
	})
	p := c.any()
	req, _ := http.NewRequest(http.MethodPost, p.base+"/nhsa/"+infno, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	signRequest(req, time.Now())
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.raw, _ = io.ReadAll(resp.Body)
	json.Unmarshal(a.raw, &a)
	return a
}

// inpatientStay runs stay 2 of the hospital day (admission, fees,
// discharge, final settlement) for the Jiangxi patient.
func inpatientStay(t *testing.T, im *procCluster) string {
	t.Helper()
	load := func(name, mdtrtID string) map[string]any {
		b, err := os.ReadFile("testdata/day/" + name + ".request.json")
		if err != nil {
			t.Fatal(err)
		}
		s := strings.NewReplacer("15010000000001", jxPsn, "150102195802020051", jxCert, "M150100202603020000000047", mdtrtID).Replace(string(b))
		var env map[string]any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&env); err != nil {
			t.Fatal(err)
		}
		return env["input"].(map[string]any)
	}
	a := im.retryingFor(t, jxPlc, "2401", "XI012401", load("42-2401-admit-2", ""))
	if a.code() != "0" {
		t.Fatalf("2401: %s", a.raw)
	}
	m := field(t, a.Output, "result", "mdtrt_id")
	fees := load("43-2301-upload-fees-stay-2", m)
	var sum float64
	for _, l := range fees["feedetail"].([]any) {
		f, _ := l.(map[string]any)["det_item_fee_sumamt"].(json.Number).Float64()
		sum += f
	}
	if a = im.retryingFor(t, jxPlc, "2301", "XI012301", fees); a.code() != "0" {
		t.Fatalf("2301: %s", a.raw)
	}
	if a = im.retryingFor(t, jxPlc, "2402", "XI012402", load("46-2402-discharge-stay-2", m)); a.code() != "0" {
		t.Fatalf("2402: %s", a.raw)
	}
	settle := load("47-2304-settle-stay-2", m)
	settle["data"].(map[string]any)["medfee_sumamt"] = json.Number(settlement.Fen(int64(sum*100 + 0.5)).String())
	if a = im.retryingFor(t, jxPlc, "2304", "XI012304", settle); a.code() != "0" {
		t.Fatalf("cross-province 2304: %s", a.raw)
	}
	return m
}

// TestCrossProvinceOtherFormatsThroughAFollower: a hospital that speaks an
// older format (legacy XML, HL7 v2 over HTTP) settles a patient insured in
// Jiangxi by sending its messages to a follower of Inner Mongolia's
// cluster. The follower decodes them and relays each decoded request to the
// leader (/internal/v1/decide); the leader writes the intent, drives the
// call through the hub and completes it; the follower answers in the
// hospital's format. Each format settles the same visit for a Jiangxi
// person of its own (same insurance and opening balance), and Jiangxi's
// record of it has the national format's amounts to the fen.
func TestCrossProvinceOtherFormatsThroughAFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process two-province test (-short)")
	}
	im, jx, hub := startTwoProvinces(t, 1)
	client, err := national.NewClient(national.ClientConfig{URL: "http://" + hub.addr, PaasID: "prov-15", Secret: "inner-mongolia-demo-secret"})
	if err != nil {
		t.Fatal(err)
	}
	leader := im.leader()
	var follower *process
	for id, p := range im.nodes {
		if id != leader {
			follower = p
			break
		}
	}
	cfg, err := loadConfig("../../configs/jiangxi/provgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seed, err := cfg.loadSeed()
	if err != nil {
		t.Fatal(err)
	}
	drivers := map[string]driver{}
	for _, d := range formatDrivers() {
		drivers[d.name] = d
	}
	ids := regexp.MustCompile(`\b[SM]\d{24}\b`)
	var baseline map[string]string
	for i, name := range []string{"nhsa", "legacyxml", "hl7v2"} {
		t.Run(name, func(t *testing.T) {
			d, ok := drivers[name]
			if !ok {
				t.Fatalf("%s is not wired (cmd/provgate/formats.go)", name)
			}
			v := theVisit(name, 60+i)
			v.insured, v.psnNo, v.cert = jxPlc, fmt.Sprintf("3601000000%04d", 9060+i), fmt.Sprintf("36010219850612%04d", 9060+i)
			p := seed.Persons[0]
			p.PsnNo, p.CertNo, p.CardNo = v.psnNo, v.cert, ""
			body, _ := json.Marshal(p)
			req, _ := http.NewRequest(http.MethodPost, jx.any().base+"/admin/v1/persons", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer s3cret")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("register the person in Jiangxi: %v %v", err, resp)
			}
			// What a careful HIS does: "in progress" and "unavailable, retry"
			// are sent again with the same msgid.
			send := func(o outbound) reply {
				t.Helper()
				for attempt := 0; attempt < 50; attempt++ {
					r := deliver(t, follower.base, "", o)
					switch r.code() {
					case "E5001", "E5002", "E5003", "E5004":
						time.Sleep(100 * time.Millisecond)
						continue
					case "":
						if r.status != http.StatusOK {
							t.Fatalf("%s through the follower: HTTP %d\n%s", name, r.status, r.body)
						}
						if name != "nhsa" && r.leader == "" {
							t.Errorf("the answer does not name the leader that decided it")
						}
						return r
					}
					t.Fatalf("%s through the follower refused %s:\n%s\nmessage:\n%s", name, r.code(), r.body, o.body)
				}
				t.Fatalf("%s: no definite answer", name)
				return reply{}
			}
			lookupsBefore := hub.hub.Stats().ByInfno["1101"]
			settleMsg := d.run(t, v, send)
			r := send(settleMsg)
			var setlID, mdtrtID string
			for _, id := range ids.FindAllString(string(r.body), -1) {
				if id[0] == 'S' && setlID == "" {
					setlID = id
				}
				if id[0] == 'M' && mdtrtID == "" {
					mdtrtID = id
				}
			}
			if setlID == "" || mdtrtID == "" {
				t.Fatalf("the settlement answer names no setl_id or mdtrt_id:\n%s", r.body)
			}
			// The settlement went through the hub once, under its msgid. A
			// format without psn_no had the registration ask Jiangxi for
			// it, once (a 1101 under a msgid of its own).
			stats := hub.hub.Stats()
			var settled int64
			for msgid, n := range stats.Forwarded {
				if msgid == v.msgid(3) || strings.HasPrefix(msgid, v.msgid(2)+"-") {
					settled += n // the older formats' steps carry derived msgids
				}
			}
			lookups := stats.ByInfno["1101"] - lookupsBefore
			wantLookups := int64(1)
			if name == "nhsa" {
				wantLookups = 0 // the national HIS sends the psn_no itself
			}
			if settled != 1 || lookups != wantLookups {
				t.Errorf("the hub forwarded the settlement %d times and the person lookup %d times, want 1 and %d (stats %+v)",
					settled, lookups, wantLookups, hub.hub.Stats())
			}
			// Jiangxi's own record of the settlement, to the fen.
			got := insuredRecord(t, client, setlID, mdtrtID, v.psnNo)
			if got["medfee_sumamt"] != v.medfee.String() {
				t.Errorf("medfee_sumamt %s, want %s", got["medfee_sumamt"], v.medfee)
			}
			if baseline == nil {
				baseline = got
				t.Logf("national format: %v", got)
				return
			}
			for f, want := range baseline {
				if got[f] != want {
					t.Errorf("%s = %s, the national format's is %s", f, got[f], want)
				}
			}
		})
	}
	verified(t, jx, 3, "Jiangxi (insured place)")
	verified(t, im, 3, "Inner Mongolia (treatment place)")
}

// insuredRecord asks the insured place (5203 through the hub, as the
// treatment place) for its record of a settlement: the amounts it decided.
func insuredRecord(t *testing.T, client *national.Client, setlID, mdtrtID, psnNo string) map[string]string {
	t.Helper()
	wire := settlement.Request{Kind: settlement.KindSetlQuery, Hospital: "H15010100001", TreatAdmdvs: "150100", InsuredAdmdvs: jxPlc,
		SetlQuery: &settlement.CancelRequest{SetlID: setlID, MdtrtID: mdtrtID, PsnNo: psnNo},
		Remote:    &settlement.RemoteOrigin{Hospital: settlement.Hospital{Code: "H15010100001", Admdvs: "150100"}}}
	input, _ := nhsa.WireInput(wire)
	reply, err := client.Call(context.Background(), national.Call{Infno: "5203", MsgID: "Q" + setlID[len(setlID)-12:],
		TreatAdmdvs: "150100", InsuredAdmdvs: jxPlc, Hospital: "H15010100001", Input: input, Time: time.Now()})
	if err != nil || reply.Infcode != 0 {
		t.Fatalf("5203 at the insured place: %v %s", err, reply.ErrMsg)
	}
	out := map[string]string{}
	for _, f := range []string{"medfee_sumamt", "fulamt_ownpay_amt", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
		"hifp_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc", "psn_no", "insutype"} {
		out[f] = field(t, reply.Output, "setlinfo", f)
	}
	out["psn_no"] = strings.Replace(out["psn_no"], psnNo, "(the format's person)", 1)
	return out
}
