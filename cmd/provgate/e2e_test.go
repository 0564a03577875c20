package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/tif"
)

// binary is the provgate binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "provgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "provgate")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build provgate:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a provgate node running as a child process.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
}

// syncBuffer collects a child's output; the test reads it while the child
// still writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Test ports come from below the kernel's ephemeral range (32768 and up on
// Linux): a port found free there and handed to a child process a moment later
// cannot meanwhile be taken by some outgoing connection's local port, which is
// what made a node fail with "address already in use". Ports handed out once
// are never handed out again by this test binary.
const testPortLow, testPortHigh = 20000, 32700

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

func freeAddr(t testing.TB) string {
	t.Helper()
	return freeBlock(t, 1)
}

// freeBlock finds n consecutive free loopback ports and returns the first.
func freeBlock(t testing.TB, n int) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for try := 0; try < 200; try++ {
		base := testPortLow + rand.IntN(testPortHigh-testPortLow-n)
		var ls []net.Listener
		for i := 0; i < n && !handedOut.ports[base+i]; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if len(ls) == n {
			for i := 0; i < n; i++ {
				handedOut.ports[base+i] = true
			}
			return fmt.Sprintf("127.0.0.1:%d", base)
		}
	}
	t.Fatal("no free block of ports")
	return ""
}

// startServe runs `provgate serve` with the example configuration on a data
// directory and loopback ports, and waits until it is ready.
func startServe(t *testing.T, dataDir, httpAddr, raftAddr string, env ...string) *process {
	t.Helper()
	return startServeArgs(t, []string{"--data-dir", dataDir, "--http-addr", httpAddr, "--raft-addr", raftAddr}, env...)
}

// startServeArgs runs `provgate serve` with the example configuration and
// extra flags; without a --data-dir it gets a fresh one and loopback ports.
func startServeArgs(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	return startServeBin(t, binary, args, env...)
}

// startServeBin is startServeArgs with another build of provgate.
func startServeBin(t *testing.T, bin string, args []string, env ...string) *process {
	t.Helper()
	if !slices.Contains(args, "--data-dir") {
		args = append(args, "--data-dir", t.TempDir(), "--http-addr", freeAddr(t), "--raft-addr", freeAddr(t))
	}
	if bin == binary {
		// Followers compute what they take from the leader's writes too,
		// and stop on a difference: every multi-process test checks it.
		args = append(args, "--verify-writes")
	}
	httpAddr := args[slices.Index(args, "--http-addr")+1]
	p := &process{t: t, base: "http://" + httpAddr, logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, append([]string{"serve", "--config", "../../configs/provgate.yaml"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node did not become ready; its output:\n%s", p.logs.String())
	return nil
}

func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// terminate stops the node as an operator does (SIGTERM) and waits for it
// to exit; it reports the exit error.
func (p *process) terminate() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.cmd.Wait()
}

// answer is a national response with its raw bytes.
type answer struct {
	raw      []byte
	replayed bool
	header   http.Header
	Infcode  int             `json:"infcode"`
	ErrMsg   string          `json:"err_msg"`
	Output   json.RawMessage `json:"output"`
}

func (a answer) code() string {
	if a.Infcode == 0 {
		return "0"
	}
	if i := strings.Index(a.ErrMsg, "]"); strings.HasPrefix(a.ErrMsg, "[") && i > 0 {
		return a.ErrMsg[1:i]
	}
	return "?"
}

func (p *process) post(path string, body []byte) answer {
	p.t.Helper()
	return p.postSigned(path, body, func(req *http.Request) { signRequest(req, time.Now()) })
}

// postSigned posts with the headers sign sets.
func (p *process) postSigned(path string, body []byte, sign func(*http.Request)) answer {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sign(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		p.t.Fatalf("POST %s: not a national envelope: %s", path, raw)
	}
	a.raw, a.replayed, a.header = raw, resp.Header.Get("Idempotent-Replayed") == "true", resp.Header
	return a
}

// envelope builds a request from the demo hospital.
func envelope(infno, msgid string, input any) []byte {
	b, _ := json.Marshal(map[string]any{
		"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "150100", "insuplc_admdvs": "150826",
		"recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "e2e",
		"inf_time": "2026-01-01 10:00:00", "fixmedins_code": "H15010100001", "fixmedins_name": "呼和浩特市第一示范医院",
		"input": input,
	})
	return b
}

func field(t *testing.T, raw json.RawMessage, path ...string) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.Decode(&v)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s in %s", strings.Join(path, "."), raw)
		}
		v = m[p]
	}
	return fmt.Sprint(v)
}

const psn = "15082600000001"

func feeLines(mdtrtID string) map[string]any {
	line := func(sn, code, amount, cnt, price string) map[string]any {
		return map[string]any{"feedetl_sn": sn, "mdtrt_id": mdtrtID, "psn_no": psn, "chrg_bchno": "CB1",
			"rx_circ_flag": "0", "fee_ocur_time": "2026-01-01 09:30:00", "med_list_codg": code, "medins_list_codg": "L" + sn,
			"det_item_fee_sumamt": json.Number(amount), "cnt": json.Number(cnt), "pric": json.Number(price),
			"bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "D1", "bilg_dr_name": "医生"}
	}
	return map[string]any{"feedetail": []any{
		line("1", "003201000010000-320100001", "12400.00", "1", "12400"),
		line("2", "XL01XC028B001010104325", "5000.00", "2", "2500"),
		line("3", "ZZ-NONCOVERED-0003", "600.00", "3", "200"),
	}}
}

func settleInput(mdtrtID string) map[string]any {
	return map[string]any{"data": map[string]any{"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018",
		"med_type": "11", "medfee_sumamt": json.Number("18000.00"), "psn_setlway": "01", "mdtrt_id": mdtrtID, "chrg_bchno": "CB1",
		"acct_used_flag": "1", "insutype": "310", "invono": "INV1", "fulamt_ownpay_amt": json.Number("600.00"),
		"overlmt_selfpay": json.Number("0"), "preselfpay_amt": json.Number("250.00"), "inscp_scp_amt": json.Number("17150.00")}}
}

// TestOutpatientFlowSurvivesSIGKILL is the walking skeleton end to end: a real
// node process, real HTTP, real Raft and badger on disk.
func TestOutpatientFlowSurvivesSIGKILL(t *testing.T) {
	dataDir := t.TempDir()
	httpAddr, raftAddr := freeAddr(t), freeAddr(t)
	p := startServe(t, dataDir, httpAddr, raftAddr)

	a := p.post("/nhsa/1101", envelope("1101", "H15010100001202601011000000001",
		map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018"}}))
	if a.code() != "0" || field(t, a.Output, "baseinfo", "psn_no") != psn {
		t.Fatalf("1101: %s", a.raw)
	}
	a = p.post("/nhsa/2201", envelope("2201", "H15010100001202601011000000002", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
		"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": "MZ1", "atddr_no": "D1", "dr_name": "医生",
		"dept_code": "A03", "dept_name": "内科", "caty": "A03"}}))
	if a.code() != "0" {
		t.Fatalf("2201: %s", a.raw)
	}
	mdtrtID := field(t, a.Output, "data", "mdtrt_id")
	// infno only in the envelope, posted to /nhsa.
	a = p.post("/nhsa", envelope("2204", "H15010100001202601011000000003", feeLines(mdtrtID)))
	if a.code() != "0" {
		t.Fatalf("2204: %s", a.raw)
	}
	settleMsg := envelope("2207", "H15010100001202601011000000004", settleInput(mdtrtID))
	first := p.post("/nhsa/2207", settleMsg)
	if first.code() != "0" {
		t.Fatalf("2207: %s", first.raw)
	}
	for k, want := range map[string]string{"hifp_pay": "11165.00", "psn_part_amt": "6835.00", "acct_pay": "6835.00",
		"psn_cash_pay": "0.00", "balc": "3165.00", "act_pay_dedc": "1200.00", "medins_setl_id": "H15010100001202601011000000004"} {
		if got := field(t, first.Output, "setlinfo", k); got != want {
			t.Errorf("2207 %s = %s, want %s", k, got, want)
		}
	}
	setlID := field(t, first.Output, "setlinfo", "setl_id")

	// SIGKILL right after the acknowledged settlement, then start again.
	p.kill()
	p = startServe(t, dataDir, httpAddr, raftAddr)

	again := p.post("/nhsa/2207", settleMsg)
	if !bytes.Equal(again.raw, first.raw) || !again.replayed {
		t.Errorf("after restart the same msgid answered differently (replayed=%v):\n first %s\n again %s", again.replayed, first.raw, again.raw)
	}
	dup := p.post("/nhsa/2207", envelope("2207", "H15010100001202601011000000005", settleInput(mdtrtID)))
	if dup.code() != "E4202" || !strings.Contains(dup.ErrMsg, setlID) {
		t.Errorf("second settlement with a new msgid: %s, want E4202 naming %s", dup.ErrMsg, setlID)
	}
	changed := p.post("/nhsa/2207", bytes.Replace(settleMsg, []byte(`"INV1"`), []byte(`"INV2"`), 1))
	if changed.code() != "E4901" {
		t.Errorf("same msgid, different body: %s, want E4901", changed.ErrMsg)
	}

	cancelInput := map[string]any{"data": map[string]any{"setl_id": setlID, "mdtrt_id": mdtrtID, "psn_no": psn}}
	c := p.post("/nhsa/2208", envelope("2208", "H15010100001202601011000000006", cancelInput))
	if c.code() != "0" {
		t.Fatalf("2208: %s", c.raw)
	}
	for k, want := range map[string]string{"medfee_sumamt": "-18000.00", "hifp_pay": "-11165.00", "acct_pay": "-6835.00",
		"act_pay_dedc": "-1200.00", "balc": "10000.00"} {
		if got := field(t, c.Output, "setlinfo", k); got != want {
			t.Errorf("2208 %s = %s, want %s", k, got, want)
		}
	}
	c2 := p.post("/nhsa/2208", envelope("2208", "H15010100001202601011000000007", cancelInput))
	if c2.code() != "E4206" {
		t.Errorf("second cancellation: %s, want E4206", c2.ErrMsg)
	}
	// The account was restored: 1101 shows the opening balance again.
	a = p.post("/nhsa/1101", envelope("1101", "H15010100001202601011000000008",
		map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018"}}))
	if !strings.Contains(string(a.Output), `"balc":10000.00`) {
		t.Errorf("balance after cancel: %s", a.Output)
	}
}

// TestBadInputIsRefusedAndWritesNothing sends each kind of bad input over
// HTTP and checks the answer's code and that the Raft log did not move.
func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	p := startServe(t, t.TempDir(), freeAddr(t), freeAddr(t))
	good := envelope("2201", "H15010100001202601011000000010", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
		"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": "MZ1", "atddr_no": "D1", "dr_name": "医生",
		"dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	lines := func(amount string) []byte {
		fl := feeLines("M1")
		fl["feedetail"].([]any)[0].(map[string]any)["det_item_fee_sumamt"] = json.Number(amount)
		return envelope("2204", "H15010100001202601011000000011", fl)
	}
	tests := []struct {
		name, path string
		body       []byte
		code       string
	}{
		{"malformed JSON", "/nhsa/2201", []byte(`{"infno":"2201",`), "E4001"},
		{"missing envelope field", "/nhsa/2201", bytes.Replace(good, []byte(`"opter_name":"e2e",`), nil, 1), "E4002"},
		{"unknown infno", "/nhsa/9999", bytes.Replace(good, []byte(`"2201"`), []byte(`"9999"`), 1), "E4003"},
		{"credentials of another institution", "/nhsa/2201", bytes.ReplaceAll(good, []byte(`H15010100001`), []byte(`H99999999999`)), "E4605"},
		{"amount with three decimals", "/nhsa/2204", lines("12400.001"), "E4004"},
		{"amount not price × quantity", "/nhsa/2204", lines("12400.01"), "E4005"},
		{"body too large", "/nhsa/2201", append(good[:len(good)-1], []byte(`,"pad":"`+strings.Repeat("x", 3<<20)+`"}`)...), "E4007"},
	}
	signed := func(ts time.Time, token, nonce string) func(*http.Request) {
		return func(req *http.Request) {
			s := strconv.FormatInt(ts.Unix(), 10)
			req.Header.Set("x-tif-paasid", demoPaasID)
			req.Header.Set("x-tif-timestamp", s)
			req.Header.Set("x-tif-nonce", nonce)
			req.Header.Set("x-tif-signature", tif.Sign(s, token, nonce))
		}
	}
	auth := []struct {
		name string
		sign func(*http.Request)
		code string
	}{
		{"no credentials", func(*http.Request) {}, "E4601"},
		{"unknown paas id", func(r *http.Request) { signed(time.Now(), demoToken, "n1")(r); r.Header.Set("x-tif-paasid", "nobody") }, "E4601"},
		{"wrong token", signed(time.Now(), "not-the-token", "n2"), "E4602"},
		{"timestamp outside the window", signed(time.Now().Add(-time.Hour), demoToken, "n3"), "E4603"},
	}
	before := p.status()
	for _, tt := range auth {
		t.Run(tt.name, func(t *testing.T) {
			if a := p.postSigned("/nhsa/2201", good, tt.sign); a.code() != tt.code {
				t.Errorf("answer %s, want %s", a.raw, tt.code)
			}
		})
	}
	t.Run("nonce replayed", func(t *testing.T) {
		sign := signed(time.Now(), demoToken, "same-nonce")
		p.postSigned("/nhsa/1101", envelope("1101", "H15010100001202601011000000012",
			map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018"}}), sign)
		if a := p.postSigned("/nhsa/2201", good, sign); a.code() != "E4604" {
			t.Errorf("replayed nonce: %s", a.raw)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := p.post(tt.path, tt.body)
			if a.Infcode != -1 || a.code() != tt.code {
				t.Errorf("answer %s, want infcode -1 and %s", a.raw, tt.code)
			}
			if !strings.Contains(a.ErrMsg, " / ") || !containsHan(a.ErrMsg) {
				t.Errorf("err_msg %q is not in Chinese and English", a.ErrMsg)
			}
		})
	}
	if after := p.status(); after["applied_index"] != before["applied_index"] {
		t.Errorf("bad input moved the applied index from %v to %v", before["applied_index"], after["applied_index"])
	}
}

func (p *process) status() map[string]any {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/status", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s map[string]any
	json.NewDecoder(resp.Body).Decode(&s)
	return s
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestDemo runs the README's run command: the sample flow prints Example 3,
// Ctrl-C stops the node cleanly, and a second run on the same directory gets
// the stored answers back.
func TestDemo(t *testing.T) {
	dataDir := t.TempDir()
	// The demo puts Jiangxi's node ten ports above Inner Mongolia's first.
	httpAddr, raftAddr, hubAddr := freeBlock(t, 11), freeBlock(t, 11), freeAddr(t)
	run := func() string {
		t.Helper()
		var out syncBuffer
		cmd := exec.Command(binary, "demo", "--config", "../../configs/provgate.yaml",
			"--data-dir", dataDir, "--http-addr", httpAddr, "--raft-addr", raftAddr, "--hub-addr", hubAddr)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.String(), "serving; press Ctrl-C") {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("demo did not finish its flow:\n%s", out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("demo did not stop cleanly on Ctrl-C: %v\n%s", err, out.String())
		}
		return out.String()
	}
	first := run()
	for _, want := range []string{"3-node Raft cluster", "node2", "leader", "follower", "forwarded to the leader",
		"hifp_pay             11165.00", "acct_pay              6835.00", "balc                  3165.00", "stopping",
		"江西省", "decided in Jiangxi through the hub", "fund 11165.00"} {
		if !strings.Contains(first, want) {
			t.Errorf("demo output lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "sample flow failed") || strings.Contains(first, "intra-province flow failed") ||
		strings.Contains(first, "cross-province flow failed") {
		t.Errorf("sample flow failed:\n%s", first)
	}
	checkIntraProvince(t, first)
	second := run()
	if !strings.Contains(second, "(replayed: same msgid, stored answer)") || !strings.Contains(second, "hifp_pay             11165.00") {
		t.Errorf("second run on the same directory did not replay:\n%s", second)
	}
	if intra := section(second, "Intra-province visit", "Intra-province result"); !strings.Contains(intra, "2207 settle") ||
		!strings.Contains(intra, "(replayed: same msgid, stored answer)") {
		t.Errorf("second run: the intra-province settlement was not replayed:\n%s", intra)
	}
	checkIntraProvince(t, second)
}

// checkIntraProvince checks the demo's intra-province visit (configs/demo):
// a Baotou employee (150200) at the Hohhot hospital (150100), no filing.
// The amounts are worked out by hand from Baotou's policy BT-2024.1
// (outpatient: annual deductible 1,000.00, one band at 75%, account pays
// everything but 丙类) and the demo's bill, split by Hohhot's catalog:
//
//	bill 18,000.00 = 12,400.00 甲 + 5,000.00 乙 (5% self-pay first: 250.00) + 600.00 丙
//	in scope       = 12,400.00 + 4,750.00                        = 17,150.00
//	deductible     = min(17,150.00, 1,000.00 − 0 paid this year) =  1,000.00
//	pooled fund    = round(16,150.00 × 7500 / 10000)             = 12,112.50  (免备案: no reduction)
//	patient share  = 18,000.00 − 12,112.50                        =  5,887.50
//	account        = min(8,000.00 balance, 250.00 + (17,150.00 − 12,112.50)) = 5,287.50
//	cash           = 5,887.50 − 5,287.50                          =    600.00  (the 丙类 line)
//	balance after  = 8,000.00 − 5,287.50                          =  2,712.50
func checkIntraProvince(t *testing.T, out string) {
	t.Helper()
	result := section(out, "Intra-province result", "second province:")
	if !strings.Contains(result, "within the insured province, no filing needed (免备案)") {
		t.Errorf("the intra-province result does not say the filing was waived:\n%s", result)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  (\w+) +(-?\d+\.\d{2}) `).FindAllStringSubmatch(result, -1) {
		rows[m[1]] = m[2]
	}
	for _, tc := range []struct{ field, want string }{
		{"act_pay_dedc", "1000.00"}, {"hifp_pay", "12112.50"}, {"fund_pay_sumamt", "12112.50"},
		{"acct_pay", "5287.50"}, {"psn_cash_pay", "600.00"}, {"balc", "2712.50"},
	} {
		if got := rows[tc.field]; got != tc.want {
			t.Errorf("intra-province %s = %q, want %s\n%s", tc.field, got, tc.want, result)
		}
	}
}

// section is the part of out from the line starting with from to the next
// one containing to (or the end).
func section(out, from, to string) string {
	i := strings.Index(out, from)
	if i < 0 {
		return ""
	}
	out = out[i:]
	if j := strings.Index(out[len(from):], to); j >= 0 {
		return out[:len(from)+j]
	}
	return out
}

// run runs the provgate CLI and returns its combined output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

// TestPolicyApply is the operator's path: list, apply a new version through
// the admin API and the Raft log, and see settlements use it by date.
func TestPolicyApply(t *testing.T) {
	p := startServe(t, t.TempDir(), freeAddr(t), freeAddr(t), "PROVGATE_ADMIN_TOKEN=s3cret")
	auth := []string{"--addr", p.base, "--token", "s3cret"}

	out, err := run(t, append([]string{"policy", "list"}, auth...)...)
	if err != nil || !strings.Contains(out, "P1-2024.1") || !strings.Contains(out, "P2-2024.1") || !strings.Contains(out, "P3-2024.1") {
		t.Fatalf("policy list: %v\n%s", err, out)
	}

	// A new P1 version from 2026 lowers the other-temporary reduction to 5 points.
	orig, err := os.ReadFile("../../configs/policies/150826-310-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	next := strings.NewReplacer(`version: "P1-2024.1"`, `version: "P1-2026.1"`,
		`effective_from: "2024-01-01"`, `effective_from: "2026-01-01"`, "TEMP_OTHER: 1000", "TEMP_OTHER: 500").Replace(string(orig))
	file := filepath.Join(t.TempDir(), "p1-2026.yaml")
	os.WriteFile(file, []byte(next), 0o644)
	out, err = run(t, append([]string{"policy", "apply", "-f", file}, auth...)...)
	if err != nil || !strings.Contains(out, "applied policy 150826/310@P1-2026.1") {
		t.Fatalf("policy apply: %v\n%s", err, out)
	}
	out, err = run(t, append([]string{"policy", "apply", "-f", file}, auth...)...)
	if err != nil {
		t.Errorf("re-applying the same version was refused: %v\n%s", err, out)
	}
	os.WriteFile(file, []byte(strings.Replace(next, "TEMP_OTHER: 500", "TEMP_OTHER: 700", 1)), 0o644)
	out, err = run(t, append([]string{"policy", "apply", "-f", file}, auth...)...)
	if err == nil || !strings.Contains(out, "409") || !strings.Contains(out, "E4405") {
		t.Errorf("changing a published version: %v\n%s", err, out)
	}
	out, err = run(t, "policy", "list", "--addr", p.base, "--token", "wrong")
	if err == nil || !strings.Contains(out, "401") {
		t.Errorf("wrong token: %v\n%s", err, out)
	}
	os.WriteFile(file, []byte(strings.Replace(next, "ratio_bp: 8000", "ratio_bp: 80000", 1)), 0o644)
	out, err = run(t, append([]string{"policy", "apply", "-f", file}, auth...)...)
	if err == nil || !regexp.MustCompile(`p1-2026.yaml:\d+: med_types\[0\]\.pool\.band_sets\[0\]\.bands\[0\]\.ratio_bp`).MatchString(out) {
		t.Errorf("a broken file did not name file, line and field: %v\n%s", err, out)
	}

	out, err = run(t, append([]string{"catalog", "apply", "-f", "../../configs/catalogs/150100-2024.yaml"}, auth...)...)
	if err != nil || !strings.Contains(out, "applied catalog 150100@2024.1") {
		t.Errorf("catalog apply: %v\n%s", err, out)
	}
	req, _ := http.NewRequest(http.MethodPost, p.base+"/admin/v1/hospitals",
		strings.NewReader(`{"code":"H15010200002","name":"示例二院","admdvs":"150102","hosp_lv":"05","grade":"2","in_network":true}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("register a hospital through the admin API: %v %v", err, resp)
	}

	// A settlement today uses the version in force today, and says so.
	a := p.post("/nhsa/2201", envelope("2201", "H15010100001202601011000000031", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
		"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": "MZ1", "atddr_no": "D1", "dr_name": "医生",
		"dept_code": "A03", "dept_name": "内科", "caty": "A03"}}))
	mdtrtID := field(t, a.Output, "data", "mdtrt_id")
	p.post("/nhsa/2204", envelope("2204", "H15010100001202601011000000032", feeLines(mdtrtID)))
	s := p.post("/nhsa/2207", envelope("2207", "H15010100001202601011000000033", settleInput(mdtrtID)))
	if got := field(t, s.Output, "setlinfo", "hifp_pay"); got != "11962.50" { // 15,950.00 at 80% − 5
		t.Errorf("hifp_pay under P1-2026.1 = %s, want 11962.50", got)
	}
	if !strings.Contains(string(s.Output), "policy 150826/310@P1-2026.1, catalog 150100@2024.1") {
		t.Errorf("setl_proc_info does not name the versions used: %s", s.Output)
	}
}

// TestImport loads persons and filings in bulk through the CLI: good rows
// are stored (a settlement can use them), bad rows are refused with their
// line and reason, and nothing stops the import.
func TestImport(t *testing.T) {
	p := startServe(t, t.TempDir(), freeAddr(t), freeAddr(t), "PROVGATE_ADMIN_TOKEN=s3cret")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("psn_no,psn_cert_type,certno,psn_name,gend,brdy,account_balance,insutype,psn_type,psn_insu_stas,insuplc_admdvs,identities\n")
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "IMP%08d,01,15082619900101%04d,测试%d,1,1990-01-01,100.00,310,11,1,150826,\n", i, i%10000, i)
		if i == 0 { // a second insurance of the same person, on the next row
			fmt.Fprintf(&b, "IMP%08d,01,15082619900101%04d,测试%d,1,1990-01-01,100.00,390,15,1,150826,DIBAO:2024-01-01\n", i, i, i)
		}
	}
	b.WriteString("IMPBAD1,01,X1,坏行,1,1990-13-45,1.00,310,11,1,150826,\n")                        // bad birthdate
	b.WriteString("IMPBAD2,01,X2,坏行,1,1990-01-01,1.001,310,11,1,150826,\n")                       // three decimals
	b.WriteString("IMPBAD3,01,15082619900101" + "0001,重复证件,1,1990-01-01,1.00,310,11,1,150826,\n") // certificate of another person
	persons := filepath.Join(dir, "persons.csv")
	os.WriteFile(persons, []byte(b.String()), 0o644)
	out, err := run(t, "person", "import", "-f", persons, "--addr", p.base, "--token", "s3cret", "--rejects", filepath.Join(dir, "rejects.csv"))
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// 10,000 distinct certificate numbers for 20,000 persons: the second half clash with the first.
	want := fmt.Sprintf("%d rows read, %d records stored, %d rows refused", n+4, n/2, n/2+3)
	if !strings.Contains(out, want) || !strings.Contains(out, "brdy") || !strings.Contains(out, "account_balance") {
		t.Errorf("import summary, want %q:\n%s", want, out)
	}
	rejects, _ := os.ReadFile(filepath.Join(dir, "rejects.csv"))
	if lines := strings.Count(string(rejects), "\n"); lines != n/2+3+1 {
		t.Errorf("rejects file has %d lines, want %d", lines, n/2+4)
	}

	filings := filepath.Join(dir, "filings.jsonl")
	os.WriteFile(filings, []byte(`{"psn_no":"IMP00000001","category":"LONG_TERM","treat_admdvs":"1501","valid_from":"2024-01-01"}
{"psn_no":"NOBODY","category":"LONG_TERM","treat_admdvs":"1501","valid_from":"2024-01-01"}
{"psn_no":"IMP00000002","category":"WEEKEND","treat_admdvs":"1501","valid_from":"2024-01-01"}
`), 0o644)
	out, err = run(t, "filing", "import", "-f", filings, "--addr", p.base, "--token", "s3cret")
	if err != nil || !strings.Contains(out, "3 rows read, 1 records stored, 2 rows refused") || !strings.Contains(out, "insured person not found") {
		t.Errorf("filing import: %v\n%s", err, out)
	}
	a := p.post("/nhsa/1101", envelope("1101", "H15010100001202601011000000041",
		map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826199001010000"}}))
	if a.code() != "0" || !strings.Contains(string(a.Output), `"insutype":"390"`) || !strings.Contains(string(a.Output), "DIBAO") {
		t.Errorf("imported person with two insurances: %s", a.raw)
	}
}

// TestEveryCommandBuilds walks the command tree, so a flag clash or a
// broken command fails here rather than in an operator's terminal.
func TestEveryCommandBuilds(t *testing.T) {
	var walk func(prefix string, c interface {
		Commands() []*cobra.Command
	})
	n := 0
	walk = func(prefix string, c interface{ Commands() []*cobra.Command }) {
		for _, sub := range c.Commands() {
			n++
			if sub.Short == "" {
				t.Errorf("%s %s has no help text", prefix, sub.Name())
			}
			walk(prefix+" "+sub.Name(), sub)
		}
	}
	walk("provgate", rootCommand())
	if n < 15 {
		t.Errorf("only %d commands", n)
	}
}

// TestBackupRestore saves a running node's state, restores it into a new
// directory and starts a new cluster from it: the settlement is there, a
// retry is still a replay, a second settlement is still refused.
func TestBackupRestore(t *testing.T) {
	p := startServeArgs(t, nil, "PROVGATE_ADMIN_TOKEN=s3cret")
	a := p.post("/nhsa/2201", envelope("2201", "H15010100001202601011000000051", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
		"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": "MZ1", "atddr_no": "D1", "dr_name": "医生",
		"dept_code": "A03", "dept_name": "内科", "caty": "A03"}}))
	m := field(t, a.Output, "data", "mdtrt_id")
	p.post("/nhsa/2204", envelope("2204", "H15010100001202601011000000052", feeLines(m)))
	settleMsg := envelope("2207", "H15010100001202601011000000053", settleInput(m))
	first := p.post("/nhsa/2207", settleMsg)
	if first.code() != "0" {
		t.Fatalf("2207: %s", first.raw)
	}
	file := filepath.Join(t.TempDir(), "backup.snap")
	out, err := run(t, "backup", "-o", file, "--addr", p.base, "--token", "s3cret")
	if err != nil || !strings.Contains(out, "backup of") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	p.kill()

	dir := t.TempDir()
	if out, err := run(t, "restore", "-f", file, "--data-dir", dir); err != nil || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.snap")
	b, _ := os.ReadFile(file)
	b[len(b)/2] ^= 0xff
	os.WriteFile(corrupt, b, 0o644)
	if out, err := run(t, "restore", "-f", corrupt, "--data-dir", t.TempDir()); err == nil || !strings.Contains(out, "corrupt") {
		t.Errorf("a corrupt backup was restored: %v\n%s", err, out)
	}

	q := startServeArgs(t, []string{"--data-dir", dir, "--bootstrap", "--http-addr", freeAddr(t), "--raft-addr", freeAddr(t)}, "PROVGATE_ADMIN_TOKEN=s3cret")
	again := q.post("/nhsa/2207", settleMsg)
	if !bytes.Equal(again.raw, first.raw) {
		t.Errorf("after restore the msgid answers differently:\n%s\n%s", first.raw, again.raw)
	}
	if dup := q.post("/nhsa/2207", envelope("2207", "H15010100001202601011000000054", settleInput(m))); dup.code() != "E4202" {
		t.Errorf("second settlement after restore: %s", dup.raw)
	}
	var v struct{ Problems []string }
	req, _ := http.NewRequest(http.MethodGet, q.base+"/admin/v1/verify", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
	}
	if len(v.Problems) > 0 {
		t.Errorf("restored state: %v", v.Problems)
	}
}
