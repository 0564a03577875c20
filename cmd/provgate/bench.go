package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	json "github.com/goccy/go-json"
	"github.com/spf13/cobra"
	"github.com/valyala/fasthttp"

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

	cpuProfile string
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
	cmd.Flags().StringVar(&b.cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file")
	return cmd
}

func (b *bench) execute(ctx context.Context, out io.Writer) error {
	if b.cpuProfile != "" {
		f, err := os.Create(b.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// fasthttp's client keeps the load tool's own cost per request low (no
	// goroutines per connection, reused buffers): it shares the CPU with the
	// cluster it measures. The nodes serve with net/http as in production.
	client := &fasthttp.Client{MaxConnsPerHost: b.clients + 8, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
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
				b.visit(client, c, v, results)
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	<-collected
	return b.report(out, all, elapsed)
}

// benchEnvelope is the national envelope the load tool sends. Bodies are
// encoded from structs rather than maps: the load generator shares the CPU
// with the cluster it measures, so its own cost per request is kept small.
type benchEnvelope struct {
	Infno        string `json:"infno"`
	MsgID        string `json:"msgid"`
	Treat        string `json:"mdtrtarea_admvs"`
	Insured      string `json:"insuplc_admdvs"`
	RecerSysCode string `json:"recer_sys_code"`
	Infver       string `json:"infver"`
	OpterType    string `json:"opter_type"`
	Opter        string `json:"opter"`
	OpterName    string `json:"opter_name"`
	InfTime      string `json:"inf_time"`
	Hospital     string `json:"fixmedins_code"`
	HospitalName string `json:"fixmedins_name"`
	Input        any    `json:"input"`
}

type benchData struct {
	Data any `json:"data"`
}

type benchRegister struct {
	PsnNo         string `json:"psn_no"`
	Insutype      string `json:"insutype"`
	Begntime      string `json:"begntime"`
	MdtrtCertType string `json:"mdtrt_cert_type"`
	MdtrtCertNo   string `json:"mdtrt_cert_no"`
	IptOtpNo      string `json:"ipt_otp_no"`
	AtddrNo       string `json:"atddr_no"`
	DrName        string `json:"dr_name"`
	DeptCode      string `json:"dept_code"`
	DeptName      string `json:"dept_name"`
	Caty          string `json:"caty"`
}

type benchFeeLine struct {
	FeedetlSn      string      `json:"feedetl_sn"`
	MdtrtID        string      `json:"mdtrt_id"`
	PsnNo          string      `json:"psn_no"`
	ChrgBchno      string      `json:"chrg_bchno"`
	RxCircFlag     string      `json:"rx_circ_flag"`
	FeeOcurTime    string      `json:"fee_ocur_time"`
	MedListCodg    string      `json:"med_list_codg"`
	MedinsListCodg string      `json:"medins_list_codg"`
	Sumamt         json.Number `json:"det_item_fee_sumamt"`
	Cnt            json.Number `json:"cnt"`
	Pric           json.Number `json:"pric"`
	BilgDeptCodg   string      `json:"bilg_dept_codg"`
	BilgDeptName   string      `json:"bilg_dept_name"`
	BilgDrCodg     string      `json:"bilg_dr_codg"`
	BilgDrName     string      `json:"bilg_dr_name"`
}

type benchFees struct {
	Feedetail []benchFeeLine `json:"feedetail"`
}

type benchSettle struct {
	PsnNo           string      `json:"psn_no"`
	MdtrtCertType   string      `json:"mdtrt_cert_type"`
	MdtrtCertNo     string      `json:"mdtrt_cert_no"`
	MedType         string      `json:"med_type"`
	MedfeeSumamt    json.Number `json:"medfee_sumamt"`
	PsnSetlway      string      `json:"psn_setlway"`
	MdtrtID         string      `json:"mdtrt_id"`
	ChrgBchno       string      `json:"chrg_bchno"`
	AcctUsedFlag    string      `json:"acct_used_flag"`
	Insutype        string      `json:"insutype"`
	FulamtOwnpayAmt json.Number `json:"fulamt_ownpay_amt,omitempty"`
	OverlmtSelfpay  json.Number `json:"overlmt_selfpay,omitempty"`
	PreselfpayAmt   json.Number `json:"preselfpay_amt,omitempty"`
	InscpScpAmt     json.Number `json:"inscp_scp_amt,omitempty"`
	Invono          string      `json:"invono,omitempty"`
}

// benchAnswer holds the few answer fields the flow needs; the rest of the
// answer is skipped by the decoder.
type benchAnswer struct {
	Infcode json.Number `json:"infcode"`
	Output  struct {
		Data struct {
			MdtrtID string `json:"mdtrt_id"`
		} `json:"data"`
		Setlinfo struct {
			FulamtOwnpayAmt json.Number `json:"fulamt_ownpay_amt"`
			OverlmtSelfpay  json.Number `json:"overlmt_selfpay"`
			PreselfpayAmt   json.Number `json:"preselfpay_amt"`
			InscpScpAmt     json.Number `json:"inscp_scp_amt"`
		} `json:"setlinfo"`
	} `json:"output"`
}

// visit runs one outpatient visit; a failed step ends the visit.
func (b *bench) visit(client *fasthttp.Client, c, v int, results chan<- benchResult) {
	addr := b.addrs[(c+v)%len(b.addrs)]
	msg := func(step int) string {
		return fmt.Sprintf("H15010100001B%s%04d%06d%d", b.run, c%10000, v%1000000, step)
	}
	call := func(step int, infno string, input any) (benchAnswer, bool) {
		body, _ := json.Marshal(benchEnvelope{Infno: infno, MsgID: msg(step), Treat: demoTreatAdmdvs, Insured: demoInsured,
			RecerSysCode: "YBXT", Infver: "V1.0", OpterType: "1", Opter: "0001", OpterName: "bench",
			InfTime: time.Now().Format(time.DateTime), Hospital: demoHospital, HospitalName: demoHospitalName, Input: input})
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(addr + "/nhsa/" + infno)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/json")
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := rand.Text()
		req.Header.Set("x-tif-paasid", b.paasID)
		req.Header.Set("x-tif-timestamp", ts)
		req.Header.Set("x-tif-nonce", nonce)
		req.Header.Set("x-tif-signature", tif.Sign(ts, b.token, nonce))
		req.SetBodyRaw(body)
		t0 := time.Now()
		err := client.Do(req, resp)
		var ans benchAnswer
		ok := err == nil && json.Unmarshal(resp.Body(), &ans) == nil && ans.Infcode == "0"
		results <- benchResult{infno: infno, took: time.Since(t0), ok: ok}
		return ans, ok
	}
	now := time.Now().Format(time.DateTime)
	o, ok := call(1, "2201", benchData{benchRegister{PsnNo: "15082600000001", Insutype: "310", Begntime: now,
		MdtrtCertType: "02", MdtrtCertNo: demoCertNo, IptOtpNo: msg(0), AtddrNo: "D1", DrName: "医生",
		DeptCode: "A03", DeptName: "内科", Caty: "A03"}})
	if !ok {
		return
	}
	m := o.Output.Data.MdtrtID
	lines := make([]benchFeeLine, b.lines)
	codes := []string{"003201000010000-320100001", "XL01XC028B001010104325", "ZZ-NONCOVERED-0003", "XL01XX999B001010100002"}
	for i := range lines {
		lines[i] = benchFeeLine{FeedetlSn: strconv.Itoa(i + 1), MdtrtID: m, PsnNo: "15082600000001", ChrgBchno: "CB1",
			RxCircFlag: "0", FeeOcurTime: now, MedListCodg: codes[i%len(codes)], MedinsListCodg: "L" + strconv.Itoa(i),
			Sumamt: "25.00", Cnt: "2", Pric: "12.5", BilgDeptCodg: "A03", BilgDeptName: "内科", BilgDrCodg: "D1", BilgDrName: "医生"}
	}
	if _, ok := call(2, "2204", benchFees{lines}); !ok {
		return
	}
	settle := benchSettle{PsnNo: "15082600000001", MdtrtCertType: "02", MdtrtCertNo: demoCertNo, MedType: "11",
		MedfeeSumamt: json.Number(strconv.Itoa(25*b.lines) + ".00"), PsnSetlway: "01", MdtrtID: m, ChrgBchno: "CB1",
		AcctUsedFlag: "0", Insutype: "310"}
	pre, ok := call(3, "2206", benchData{settle})
	if !ok {
		return
	}
	// Like a HIS, echo the pre-settlement's split in 2207.
	info := pre.Output.Setlinfo
	settle.FulamtOwnpayAmt, settle.OverlmtSelfpay = info.FulamtOwnpayAmt, info.OverlmtSelfpay
	settle.PreselfpayAmt, settle.InscpScpAmt = info.PreselfpayAmt, info.InscpScpAmt
	settle.Invono = msg(0)
	call(4, "2207", benchData{settle})
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
	// The load tool shares the machine with what it measures: say what it cost.
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil && writes > 0 {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Fprintf(out, "  load tool CPU %s, %d µs per replicated write\n", cpu.Round(time.Millisecond), cpu.Microseconds()/int64(writes))
	}
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
