package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/tif"
)

// bench drives the outpatient flow (2201, 2204 with N fee lines, 2206, 2207)
// from many concurrent hospital clients against one or more nodes and
// reports throughput and latency. Every request is signed as a HIS signs it.
type bench struct {
	addrs    []string
	clients  int
	duration time.Duration
	lines    int
	paasID   string
	token    string
	run      string // makes msgids unique per run
}

type benchResult struct {
	infno string
	took  time.Duration
	ok    bool
}

func benchCommand() *cobra.Command {
	var b bench
	var addrs string
	cmd := &cobra.Command{
		Use:   "bench --addr URL[,URL...] --clients N --duration D",
		Short: "Load a running cluster with the outpatient flow and report throughput and latency",
		Long: `bench runs the outpatient flow (2201 register, 2204 fee upload, 2206 pre-settle, 2207 settle)
from --clients concurrent hospital clients for --duration, spread over the nodes given, and
reports visits per second, replicated writes per second (2201, 2204, 2207) and latency
percentiles per transaction. It uses the example configuration's demo hospital and patient.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, a := range strings.Split(addrs, ",") {
				if a = strings.TrimSpace(a); a != "" {
					if !strings.Contains(a, "://") {
						a = "http://" + a
					}
					b.addrs = append(b.addrs, strings.TrimSuffix(a, "/"))
				}
			}
			if len(b.addrs) == 0 || b.clients < 1 {
				return fmt.Errorf("--addr and --clients are required")
			}
			b.run = strconv.FormatInt(time.Now().Unix()%100000, 10)
			return b.execute(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&addrs, "addr", "http://127.0.0.1:8080", "comma-separated HTTP addresses of nodes")
	cmd.Flags().IntVar(&b.clients, "clients", 16, "concurrent hospital clients")
	cmd.Flags().DurationVar(&b.duration, "duration", 10*time.Second, "how long to run")
	cmd.Flags().IntVar(&b.lines, "lines", 20, "fee lines per visit")
	cmd.Flags().StringVar(&b.paasID, "paas-id", demoPaasID, "x-tif-paasid of the hospital")
	cmd.Flags().StringVar(&b.token, "hospital-token", demoToken, "the hospital's token")
	return cmd
}

func (b *bench) execute(ctx context.Context, out io.Writer) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: b.clients + 8}}
	results := make(chan benchResult, 4096)
	var all []benchResult
	collected := make(chan struct{})
	go func() {
		for r := range results {
			all = append(all, r)
		}
		close(collected)
	}()
	deadline := time.Now().Add(b.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < b.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for v := 0; time.Now().Before(deadline) && ctx.Err() == nil; v++ {
				b.visit(ctx, client, c, v, results)
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	<-collected
	return b.report(out, all, elapsed)
}

// visit runs one outpatient visit; a failed step ends the visit.
func (b *bench) visit(ctx context.Context, client *http.Client, c, v int, results chan<- benchResult) {
	addr := b.addrs[(c+v)%len(b.addrs)]
	msg := func(step int) string {
		return fmt.Sprintf("H15010100001B%s%04d%06d%d", b.run, c%10000, v%1000000, step)
	}
	call := func(step int, infno string, input any) (map[string]any, bool) {
		body, _ := json.Marshal(map[string]any{
			"infno": infno, "msgid": msg(step), "mdtrtarea_admvs": demoTreatAdmdvs, "insuplc_admdvs": demoInsured,
			"recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "bench",
			"inf_time": time.Now().Format(time.DateTime), "fixmedins_code": demoHospital, "fixmedins_name": demoHospitalName,
			"input": input,
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, addr+"/nhsa/"+infno, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := rand.Text()
		req.Header.Set("x-tif-paasid", b.paasID)
		req.Header.Set("x-tif-timestamp", ts)
		req.Header.Set("x-tif-nonce", nonce)
		req.Header.Set("x-tif-signature", tif.Sign(ts, b.token, nonce))
		t0 := time.Now()
		resp, err := client.Do(req)
		var outv map[string]any
		ok := false
		if err == nil {
			dec := json.NewDecoder(resp.Body)
			dec.UseNumber()
			dec.Decode(&outv)
			resp.Body.Close()
			ok = fmt.Sprint(outv["infcode"]) == "0"
		}
		results <- benchResult{infno: infno, took: time.Since(t0), ok: ok}
		return outv, ok
	}
	o, ok := call(1, "2201", map[string]any{"data": map[string]any{"psn_no": "15082600000001", "insutype": "310",
		"begntime": time.Now().Format(time.DateTime), "mdtrt_cert_type": "02", "mdtrt_cert_no": demoCertNo,
		"ipt_otp_no": msg(0), "atddr_no": "D1", "dr_name": "医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	if !ok {
		return
	}
	m := fmt.Sprint(dig(o, "output", "data")["mdtrt_id"])
	lines := make([]any, b.lines)
	codes := []string{"003201000010000-320100001", "XL01XC028B001010104325", "ZZ-NONCOVERED-0003", "XL01XX999B001010100002"}
	for i := range lines {
		lines[i] = map[string]any{"feedetl_sn": strconv.Itoa(i + 1), "mdtrt_id": m, "psn_no": "15082600000001",
			"chrg_bchno": "CB1", "rx_circ_flag": "0", "fee_ocur_time": time.Now().Format(time.DateTime),
			"med_list_codg": codes[i%len(codes)], "medins_list_codg": "L" + strconv.Itoa(i), "det_item_fee_sumamt": json.Number("25.00"),
			"cnt": json.Number("2"), "pric": json.Number("12.5"), "bilg_dept_codg": "A03", "bilg_dept_name": "内科",
			"bilg_dr_codg": "D1", "bilg_dr_name": "医生"}
	}
	if _, ok := call(2, "2204", map[string]any{"feedetail": lines}); !ok {
		return
	}
	medfee := json.Number(fmt.Sprintf("%d.00", 25*b.lines))
	settle := map[string]any{"psn_no": "15082600000001", "mdtrt_cert_type": "02", "mdtrt_cert_no": demoCertNo, "med_type": "11",
		"medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": m, "chrg_bchno": "CB1", "acct_used_flag": "0", "insutype": "310"}
	pre, ok := call(3, "2206", map[string]any{"data": settle})
	if !ok {
		return
	}
	// Like a HIS, echo the pre-settlement's split in 2207.
	info := dig(pre, "output", "setlinfo")
	for _, k := range []string{"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"} {
		settle[k] = json.Number(fmt.Sprint(info[k]))
	}
	settle["invono"] = msg(0)
	call(4, "2207", map[string]any{"data": settle})
}

func (b *bench) report(out io.Writer, all []benchResult, elapsed time.Duration) error {
	by := map[string][]time.Duration{}
	failed := map[string]int{}
	writes := 0
	for _, r := range all {
		if !r.ok {
			failed[r.infno]++
			continue
		}
		by[r.infno] = append(by[r.infno], r.took)
		if r.infno != "2206" {
			writes++
		}
	}
	secs := elapsed.Seconds()
	fmt.Fprintf(out, "%d clients, %s, nodes %s\n", b.clients, elapsed.Round(time.Millisecond), strings.Join(b.addrs, ","))
	fmt.Fprintf(out, "  visits settled    %8d  %8.1f /s\n", len(by["2207"]), float64(len(by["2207"]))/secs)
	fmt.Fprintf(out, "  replicated writes %8d  %8.1f /s   (2201 + 2204 + 2207)\n", writes, float64(writes)/secs)
	fmt.Fprintf(out, "  %-6s %8s %10s %10s %10s %8s\n", "infno", "count", "p50", "p90", "p99", "failed")
	var every []time.Duration
	for _, infno := range []string{"2201", "2204", "2206", "2207"} {
		d := by[infno]
		every = append(every, d...)
		fmt.Fprintf(out, "  %-6s %8d %10s %10s %10s %8d\n", infno, len(d), pct(d, 50), pct(d, 90), pct(d, 99), failed[infno])
	}
	fmt.Fprintf(out, "  %-6s %8d %10s %10s %10s\n", "all", len(every), pct(every, 50), pct(every, 90), pct(every, 99))
	return nil
}

func pct(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "-"
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100].Round(10 * time.Microsecond).String()
}
