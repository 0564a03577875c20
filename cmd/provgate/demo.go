package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

func demoCommand() *cobra.Command {
	var o overrides
	var verbose bool
	var nodes int
	var hubAddr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start an example cluster, a second province and the hub, and settle sample visits",
		Long: `demo starts a Raft cluster (--nodes, default 3) from the example configuration in configs/,
loads the example policies, catalog, hospital and insured persons through the Raft log, and
drives visits over HTTP exactly as a hospital would, printing each settlement:

  - an outpatient visit (1101, 2201, 2204, 2206, 2207) of a patient insured in Hangjin Rear
    Banner on an other-temporary trip (SETTLEMENT-MODEL Example 3);
  - an intra-province visit of a patient insured in Baotou, settled without a filing under
    Baotou's 免备案 policy (configs/demo, applied through the admin API);
  - a cross-province visit of a patient insured in Jiangxi, whose node (configs/jiangxi) and
    the national platform simulator (the hub, --hub-addr) run in the same process.

It keeps serving until interrupted. Without --data-dir each run starts from a fresh
directory. With --data-dir an existing node is reused: the sample requests carry the same
msgids within a day, so the second run gets the stored answers back (idempotent replay).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fresh := o.dataDir == ""
			if fresh {
				dir, err := os.MkdirTemp("", "provgate-demo-")
				if err != nil {
					return err
				}
				o.dataDir = dir
			}
			cfg, err := o.load()
			if err != nil {
				return err
			}
			if !verbose {
				cfg.Log.Level = "error" // keep the terminal for the walkthrough
			}
			token, err := cfg.adminToken()
			if err != nil {
				return err
			}
			if token == "" {
				token = rand.Text()
				os.Setenv("PROVGATE_ADMIN_TOKEN", token)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			second, hub, err := startSecondProvince(ctx, cfg, filepath.Join(cfg.dir, "jiangxi", "provgate.yaml"), hubAddr)
			if err != nil {
				return err
			}
			defer second.stop()
			defer hub.Close()
			cluster, err := startDemoCluster(ctx, cfg, nodes)
			if err != nil {
				return err
			}
			hub.route(cluster)
			n := cluster[0]
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "provgate demo: a %d-node Raft cluster on loopback (data in %s)\n", len(cluster), cfg.Node.DataDir)
			for _, m := range cluster {
				role := "follower"
				if m.raft.IsLeader() {
					role = "leader"
				}
				fmt.Fprintf(out, "  %s  http://%s  raft %s  %s\n", m.cfg.Node.ID, m.httpAddr, m.cfg.Node.RaftAddr, role)
			}
			// Send the sample visit to a follower: it forwards to the leader,
			// as any node does for any hospital.
			entry := cluster[len(cluster)-1]
			fmt.Fprintf(out, "\nhospital requests go to %s (forwarded to the leader when it is a follower)\n\n", entry.cfg.Node.ID)
			flowErr := runSampleFlow(ctx, out, "http://"+entry.httpAddr)
			if flowErr != nil {
				fmt.Fprintln(out, "sample flow failed:", flowErr)
			}
			fmt.Fprintln(out)
			err = applyDemoExtras(ctx, cfg, "http://"+n.httpAddr, token)
			if err == nil {
				err = runIntraProvinceFlow(ctx, out, "http://"+entry.httpAddr)
			}
			if err != nil {
				fmt.Fprintln(out, "intra-province flow failed:", err)
				flowErr = cmp.Or(flowErr, err)
			}
			fmt.Fprintf(out, "\nsecond province: %s node %s http://%s; national platform simulator (hub) http://%s\n\n",
				second.cfg.Province.Name, second.cfg.Node.ID, second.httpAddr, hubAddr)
			if err := runCrossProvinceFlow(ctx, out, "http://"+entry.httpAddr, "http://"+second.httpAddr); err != nil {
				fmt.Fprintln(out, "cross-province flow failed:", err)
				flowErr = cmp.Or(flowErr, err)
			}
			printNextSteps(out, n.httpAddr, token)
			fmt.Fprintln(out, "\nserving; press Ctrl-C to stop")
			<-ctx.Done()
			fmt.Fprintln(out, "stopping")
			for i := len(cluster) - 1; i >= 0; i-- {
				if err := cluster[i].stop(); err != nil {
					return err
				}
			}
			if fresh {
				fmt.Fprintf(out, "the demo's data is in %s (pass --data-dir to reuse a directory)\n", cfg.Node.DataDir)
			}
			return flowErr
		},
	}
	o.register(cmd, "configs/provgate.yaml")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log every request")
	cmd.Flags().StringVar(&hubAddr, "hub-addr", "127.0.0.1:9000", "address of the national platform simulator joining the two provinces")
	cmd.Flags().IntVar(&nodes, "nodes", 3, "cluster size; nodes 2 and 3 take the next ports after --http-addr and --raft-addr")
	return cmd
}

// startDemoCluster starts nodes in this process: node1 bootstraps from the
// configuration, the others join through it, each in its own directory and
// on the next ports.
func startDemoCluster(ctx context.Context, base *Config, size int) ([]*node, error) {
	var out []*node
	stopAll := func() {
		for i := len(out) - 1; i >= 0; i-- {
			out[i].stop()
		}
	}
	root := base.Node.DataDir
	for i := 0; i < size; i++ {
		cfg := *base
		cfg.Node.ID = fmt.Sprintf("node%d", i+1)
		cfg.Node.DataDir = filepath.Join(root, cfg.Node.ID)
		var err error
		if cfg.Node.HTTPAddr, err = nextPort(base.Node.HTTPAddr, i); err == nil {
			cfg.Node.RaftAddr, err = nextPort(base.Node.RaftAddr, i)
		}
		if err != nil {
			stopAll()
			return nil, err
		}
		cfg.Node.Bootstrap = i == 0
		if i > 0 {
			cfg.Node.Join = out[0].httpAddr
		}
		n, err := start(ctx, &cfg, cfg.logger())
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("%s: %w", cfg.Node.ID, err)
		}
		out = append(out, n)
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Every node knows the leader and holds what it has committed (the
	// registries the seed files loaded) before the demo sends traffic.
	var commit uint64
	for _, n := range out {
		if n.raft.IsLeader() {
			commit = n.raft.Status().CommitIndex
		}
	}
	for _, n := range out {
		for {
			if _, ok := n.raft.LeaderHTTP(); ok && n.raft.CaughtUp(commit) {
				break
			}
			select {
			case <-wait.Done():
				stopAll()
				return nil, fmt.Errorf("%s does not know the leader", n.cfg.Node.ID)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return out, nil
}

// nextPort returns host:port+i.
func nextPort(addr string, i int) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	return net.JoinHostPort(host, strconv.Itoa(p+i)), nil
}

// The sample visit: the demo hospital in Hohhot treats an employee insured in
// Hangjin Rear Banner (150826) who filed an other-temporary trip. The bill
// is SETTLEMENT-MODEL Example 3.
const (
	demoHospital     = "H15010100001"
	demoHospitalName = "呼和浩特市第一示范医院"
	demoTreatAdmdvs  = "150100"
	demoInsured      = "150826"
	demoCertNo       = "150826198003150018"
)

// hospitalClient sends national envelopes the way a HIS does.
type hospitalClient struct {
	base    string
	insured string // insuplc_admdvs of the patient; default the demo's
	day     string // yyyyMMdd: msgids are stable within a day
	seq     int
	now     func() time.Time
}

// The demo hospital's example credentials (configs/hospitals.yaml).
const (
	demoPaasID = "demo-paas-H15010100001"
	demoToken  = "demo-token-not-for-production"
)

// signRequest adds the x-tif gateway headers as a HIS does.
func signRequest(req *http.Request, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := rand.Text()
	req.Header.Set("x-tif-paasid", demoPaasID)
	req.Header.Set("x-tif-timestamp", ts)
	req.Header.Set("x-tif-nonce", nonce)
	req.Header.Set("x-tif-signature", tif.Sign(ts, demoToken, nonce))
}

func (h *hospitalClient) call(ctx context.Context, infno string, input any) (map[string]any, error) {
	h.seq++
	env := map[string]any{
		"infno": infno, "msgid": fmt.Sprintf("%s%s090000%04d", demoHospital, h.day, h.seq),
		"mdtrtarea_admvs": demoTreatAdmdvs, "insuplc_admdvs": cmp.Or(h.insured, demoInsured), "recer_sys_code": "YBXT",
		"dev_no": "", "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0",
		"opter_type": "1", "opter": "0001", "opter_name": "收费员", "inf_time": time.Now().Format(time.DateTime),
		"fixmedins_code": demoHospital, "fixmedins_name": demoHospitalName, "sign_no": "", "input": input,
	}
	body, _ := json.Marshal(env)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/nhsa/"+infno, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	signRequest(req, h.now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep amounts exactly as answered: 11165.00
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s answered %s", infno, b)
	}
	if code := fmt.Sprint(out["infcode"]); code != "0" {
		return out, fmt.Errorf("%s refused: %v", infno, out["err_msg"])
	}
	if resp.Header.Get("Idempotent-Replayed") == "true" {
		out["replayed"] = true
	}
	return out, nil
}

func runSampleFlow(ctx context.Context, w io.Writer, base string) error {
	now := time.Now()
	h := &hospitalClient{base: base, day: now.Format("20060102"), now: time.Now}
	visitTime := now.Format(time.DateOnly) + " 09:00:00"
	step := func(infno, what, detail string, replayed bool) {
		mark := ""
		if replayed {
			mark = "  (replayed: same msgid, stored answer)"
		}
		fmt.Fprintf(w, "  %s %-22s %s%s\n", infno, what, detail, mark)
	}
	fmt.Fprintf(w, "Sample outpatient visit at %s (%s), patient insured in %s on an other-temporary trip:\n",
		demoHospitalName, demoTreatAdmdvs, demoInsured)

	r, err := h.call(ctx, "1101", map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": demoCertNo, "psn_cert_type": "01", "certno": demoCertNo}})
	if err != nil {
		return err
	}
	base1101 := dig(r, "output", "baseinfo")
	psnNo := str(base1101["psn_no"])
	insu, _ := dig(r, "output")["insuinfo"].([]any)
	balance := ""
	if len(insu) > 0 {
		balance = fmt.Sprint(insu[0].(map[string]any)["balc"])
	}
	step("1101", "person info", fmt.Sprintf("psn_no %s, %s, account balance %s", psnNo, maskName(str(base1101["psn_name"])), balance), false)

	r, err = h.call(ctx, "2201", map[string]any{"data": map[string]any{
		"psn_no": psnNo, "insutype": "310", "begntime": visitTime, "mdtrt_cert_type": "02", "mdtrt_cert_no": demoCertNo,
		"ipt_otp_no": "MZ" + h.day + "0001", "atddr_no": "D150100001", "dr_name": "李医生", "dept_code": "A03",
		"dept_name": "内科", "caty": "A03"}})
	if err != nil {
		return err
	}
	mdtrtID := str(dig(r, "output", "data")["mdtrt_id"])
	step("2201", "register", "mdtrt_id "+mdtrtID, r["replayed"] == true)

	line := func(sn, code, local, amount, cnt, price string) map[string]any {
		return map[string]any{"feedetl_sn": sn, "mdtrt_id": mdtrtID, "psn_no": psnNo, "chrg_bchno": "CB" + h.day,
			"rx_circ_flag": "0", "fee_ocur_time": visitTime, "med_list_codg": code, "medins_list_codg": local,
			"det_item_fee_sumamt": json.Number(amount), "cnt": json.Number(cnt), "pric": json.Number(price),
			"bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "D150100001", "bilg_dr_name": "李医生", "hosp_appr_flag": "0"}
	}
	r, err = h.call(ctx, "2204", map[string]any{"feedetail": []any{
		line("1", "003201000010000-320100001", "FW-0001", "12400.00", "1", "12400"),
		line("2", "XL01XC028B001010104325", "YP-0002", "5000.00", "2", "2500"),
		line("3", "ZZ-NONCOVERED-0003", "ZF-0003", "600.00", "3", "200"),
	}})
	if err != nil {
		return err
	}
	// Like a HIS, sum the split of the uploaded lines for 2207's four amounts.
	var parts []string
	sums := map[string]settlement.Fen{}
	for _, row := range dig(r, "output")["result"].([]any) {
		l := row.(map[string]any)
		parts = append(parts, fmt.Sprintf("line %v class %v: in scope %v, self-pay first %v, self-paid %v",
			l["feedetl_sn"], l["chrgitm_lv"], l["inscp_scp_amt"], l["preselfpay_amt"], l["fulamt_ownpay_amt"]))
		for line, total := range map[string]string{"fulamt_ownpay_amt": "fulamt_ownpay_amt", "overlmt_amt": "overlmt_selfpay",
			"preselfpay_amt": "preselfpay_amt", "inscp_scp_amt": "inscp_scp_amt"} {
			f, err := settlement.ParseFen(fmt.Sprint(l[line]))
			if err != nil {
				return fmt.Errorf("2204 answered %s = %v", line, l[line])
			}
			sums[total] += f
		}
	}
	step("2204", "upload 3 fee lines", strings.Join(parts, "\n"+strings.Repeat(" ", 30)), r["replayed"] == true)

	settle := map[string]any{"psn_no": psnNo, "mdtrt_cert_type": "02", "mdtrt_cert_no": demoCertNo, "med_type": "11",
		"medfee_sumamt": json.Number("18000.00"), "psn_setlway": "01", "mdtrt_id": mdtrtID, "chrg_bchno": "CB" + h.day,
		"acct_used_flag": "1", "insutype": "310"}
	r, err = h.call(ctx, "2206", map[string]any{"data": settle})
	switch {
	case err == nil:
		pre := dig(r, "output", "setlinfo")
		step("2206", "pre-settle", fmt.Sprintf("funds %v, patient %v (nothing recorded)", pre["fund_pay_sumamt"], pre["psn_part_amt"]), false)
	case strings.Contains(err.Error(), "["+string(settlement.CodeAlreadySettled)+"]"):
		step("2206", "pre-settle", "refused: this batch was settled by an earlier run ("+string(settlement.CodeAlreadySettled)+")", false)
	default:
		return err
	}

	for k, v := range sums {
		settle[k] = json.Number(v.String())
	}
	settle["invono"] = "INV" + h.day
	r, err = h.call(ctx, "2207", map[string]any{"data": settle})
	if err != nil {
		return err
	}
	s := dig(r, "output", "setlinfo")
	step("2207", "settle", "setl_id "+str(s["setl_id"]), r["replayed"] == true)

	fmt.Fprintf(w, "\nDirect-settlement result (SETTLEMENT-MODEL §7 Example 3, to the fen):\n")
	rows := [][2]string{
		{"medfee_sumamt", "total bill"}, {"fulamt_ownpay_amt", "self-paid items (丙类)"},
		{"preselfpay_amt", "self-pay-first part (乙类)"}, {"inscp_scp_amt", "in policy scope"},
		{"act_pay_dedc", "deductible charged"}, {"pool_prop_selfpay", "pooled ratio (80% − 10 for the trip)"},
		{"hifp_pay", "pooled fund pays"}, {"fund_pay_sumamt", "all funds pay"}, {"psn_part_amt", "patient's share"},
		{"acct_pay", "from the personal account"}, {"psn_cash_pay", "patient pays in cash"}, {"balc", "account balance after"},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %-18s %10v   %s\n", row[0], s[row[0]], row[1])
	}
	return nil
}

func printNextSteps(w io.Writer, addr, token string) {
	fmt.Fprintf(w, `
Manage policies, catalogs and registries (admin token for this run):
  export PROVGATE_ADMIN_TOKEN=%s
  ./bin/provgate policy list --addr %s
  ./bin/provgate policy apply -f configs/policies/150100-310-2024.yaml --addr %s
`, token, addr, addr)
	fmt.Fprintf(w, `
Send your own requests as a hospital (national JSON envelope, signed with the x-tif headers):
  post() {  # post INFNO MSGID INPUT-JSON, signed with the demo hospital's example credentials
    ts=$(date +%%s); nonce=$(tr -d - </proc/sys/kernel/random/uuid)
    sig=$(printf '%%s' "${ts}%s${nonce}${ts}" | sha256sum | cut -d' ' -f1)
    curl -s http://%s/nhsa/$1 -H 'Content-Type: application/json' -H "x-tif-paasid: %s" \
      -H "x-tif-timestamp: $ts" -H "x-tif-nonce: $nonce" -H "x-tif-signature: $sig" -d "{\"infno\":\"$1\",\"msgid\":\"$2\",
      \"mdtrtarea_admvs\":\"150100\",\"recer_sys_code\":\"YBXT\",\"infver\":\"V1.0\",\"opter_type\":\"1\",\"opter\":\"0001\",
      \"opter_name\":\"demo\",\"inf_time\":\"$(date '+%%F %%T')\",\"fixmedins_code\":\"H15010100001\",
      \"fixmedins_name\":\"demo\",\"input\":$3}"; echo; }
  post 1101 H15010100001$(date +%%Y%%m%%d%%H%%M%%S)0001 '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"%s"}}'
  Health: http://%s/healthz   Readiness: http://%s/readyz   Transactions: docs/API.md
`, demoToken, addr, demoPaasID, demoCertNo, addr, addr)
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		m = next
	}
	if m == nil {
		return map[string]any{}
	}
	return m
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// maskName keeps the family name only: patient names never reach logs or
// terminals in full.
func maskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
