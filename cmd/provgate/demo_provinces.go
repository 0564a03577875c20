package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/provgate/provgate/national"
)

// demoHub is the national platform simulator of the demo, routing between
// the demo's province (15) and the second one (36).
type demoHub struct {
	hub   *national.Hub
	srv   *http.Server
	cfg   national.HubConfig
	other national.Province
}

func (h *demoHub) Close() error { return h.srv.Close() }

// route tells the hub where the demo cluster's nodes are, once they run.
func (h *demoHub) route(cluster []*node) {
	p := national.Province{Name: cluster[0].cfg.Province.Name, Prefix: cluster[0].cfg.Province.Admdvs[:2],
		PaasID: cluster[0].cfg.National.PaasID, Secret: cluster[0].cfg.National.Secret}
	for _, n := range cluster {
		p.Nodes = append(p.Nodes, "http://"+n.httpAddr)
	}
	cfg := h.cfg
	cfg.Provinces = []national.Province{p, h.other}
	if hub, err := national.NewHub(cfg); err == nil {
		h.srv.Handler = hub
	}
}

// startSecondProvince starts the insured-place province of the demo (one
// node, from its own configuration) and the hub between it and the demo's
// province, and points the demo's configuration at the hub.
func startSecondProvince(ctx context.Context, base *Config, file, hubAddr string) (*node, *demoHub, error) {
	cfg, err := loadConfig(file)
	if err != nil {
		return nil, nil, err
	}
	cfg.Node.DataDir = filepath.Join(base.Node.DataDir, cfg.Node.ID)
	if err := os.MkdirAll(cfg.Node.DataDir, 0o750); err != nil {
		return nil, nil, err
	}
	cfg.Log = base.Log
	// Ten ports above the demo's own, so several demos (and tests) can run side by side.
	if cfg.Node.HTTPAddr, err = nextPort(base.Node.HTTPAddr, 10); err == nil {
		cfg.Node.RaftAddr, err = nextPort(base.Node.RaftAddr, 10)
	}
	if err != nil {
		return nil, nil, err
	}
	cfg.National.URL = "http://" + hubAddr
	base.National.URL = cfg.National.URL
	n, err := start(ctx, cfg, cfg.logger())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.Province.Name, err)
	}
	h := &demoHub{
		cfg: national.HubConfig{PaasID: cfg.National.PlatformPaasID, Secret: cfg.National.PlatformSecret},
		other: national.Province{Name: cfg.Province.Name, Prefix: cfg.Province.Admdvs[:2], Nodes: []string{"http://" + n.httpAddr},
			PaasID: cfg.National.PaasID, Secret: cfg.National.Secret},
	}
	h.srv = &http.Server{Handler: http.NotFoundHandler()}
	l, err := net.Listen("tcp", hubAddr)
	if err != nil {
		n.stop()
		return nil, nil, fmt.Errorf("hub: %w", err)
	}
	go h.srv.Serve(l)
	return n, h, nil
}

// runCrossProvinceFlow settles a Jiangxi-insured patient at the demo
// hospital: the fee lines are split by Inner Mongolia's catalog, the
// settlement is computed in Jiangxi with Jiangxi's policy and her totals,
// reached through the hub, and both provinces keep the record.
func runCrossProvinceFlow(ctx context.Context, w io.Writer, base, insuredBase string) error {
	const psn, cert, insured = "36010000000001", "360102198506120024", "360100"
	h := &hospitalClient{base: base, insured: insured, day: "20260101", now: timeNow}
	h.seq = 100
	fmt.Fprintf(w, "Cross-province visit: a patient insured in %s (Jiangxi) at %s:\n", insured, demoHospitalName)
	r, err := h.call(ctx, "2201", map[string]any{"data": map[string]any{
		"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 10:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": cert,
		"ipt_otp_no": "MZX0001", "atddr_no": "D150100001", "dr_name": "李医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	if err != nil {
		return err
	}
	m := str(dig(r, "output", "data")["mdtrt_id"])
	fmt.Fprintf(w, "  2201 register               mdtrt_id %s (kept here, at the treatment place)\n", m)
	lines := feeLinesOf(m, psn, "CBX1")
	if _, err = h.call(ctx, "2204", lines); err != nil {
		return err
	}
	fmt.Fprintf(w, "  2204 upload 3 fee lines      split by Inner Mongolia's catalog\n")
	r, err = h.call(ctx, "2207", map[string]any{"data": map[string]any{"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert,
		"med_type": "11", "medfee_sumamt": "18000.00", "psn_setlway": "01", "mdtrt_id": m, "chrg_bchno": "CBX1",
		"acct_used_flag": "1", "insutype": "310", "fulamt_ownpay_amt": "600.00", "overlmt_selfpay": "0",
		"preselfpay_amt": "250.00", "inscp_scp_amt": "17150.00"}})
	if err != nil {
		return err
	}
	info := dig(r, "output", "setlinfo")
	fmt.Fprintf(w, "  2207 settle                 setl_id %s: fund %v (pool %v), account %v, cash %v\n",
		str(info["setl_id"]), info["fund_pay_sumamt"], info["hifp_pay"], info["acct_pay"], info["psn_cash_pay"])
	fmt.Fprintf(w, "       decided in Jiangxi through the hub; Jiangxi holds the record and her year-to-date totals (%s/admin/v1/verify)\n", insuredBase)
	return nil
}

// feeLinesOf is the demo's three fee lines (18,000.00 in all) for a visit.
func feeLinesOf(mdtrtID, psn, batch string) map[string]any {
	line := func(sn, code, amount, cnt, price string) map[string]any {
		return map[string]any{"feedetl_sn": sn, "mdtrt_id": mdtrtID, "psn_no": psn, "chrg_bchno": batch,
			"rx_circ_flag": "0", "fee_ocur_time": "2026-01-01 10:30:00", "med_list_codg": code, "medins_list_codg": "L" + sn,
			"det_item_fee_sumamt": amount, "cnt": cnt, "pric": price,
			"bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "D1", "bilg_dr_name": "李医生"}
	}
	return map[string]any{"feedetail": []any{
		line("1", "003201000010000-320100001", "12400.00", "1", "12400"),
		line("2", "XL01XC028B001010104325", "5000.00", "2", "2500"),
		line("3", "ZZ-NONCOVERED-0003", "600.00", "3", "200"),
	}}
}

func timeNow() time.Time { return time.Now() }
