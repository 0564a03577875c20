package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/provgate/provgate/settlement"
)

// The demo-only data (configs/demo): Baotou's policy with intra-province
// 免备案 and a person insured there. It is applied through the running
// cluster's admin API rather than seeded, because the scripted hospital day
// runs on the seed of configs/provgate.yaml and its golden answers carry ids
// built from log indexes that more seed entries would shift.
const (
	demoExtraPersons = "demo/persons.yaml"
	demoExtraPolicy  = "demo/policies/150200-310-2024.yaml"
)

// The intra-province patient: insured in Baotou (150200), treated at the
// Hohhot demo hospital (150100), with no filing.
const (
	intraPsn     = "15020000000001"
	intraCert    = "150202199004120021"
	intraInsured = "150200"
)

// applyDemoExtras replicates the demo-only policy and person through the
// admin API of the node at addr, as an operator would with `provgate policy
// apply` and POST /admin/v1/persons. Applying them again on a reused data
// directory is harmless: the policy version is unchanged and a known
// person's account keeps the balance its settlements left.
func applyDemoExtras(ctx context.Context, cfg *Config, addr, token string) error {
	policy, err := loadChecked[settlement.Policy](cfg.path(demoExtraPolicy))
	if err != nil {
		return err
	}
	persons, err := decodeList[settlement.Person](cfg.path(demoExtraPersons), "persons")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ac := &adminClient{addr: addr, token: token}
	if err := ac.do(ctx, http.MethodPost, "/admin/v1/policies", policy, nil); err != nil {
		return fmt.Errorf("policy %s: %w", policy.Ref(), err)
	}
	for _, p := range persons {
		if problems := p.Check(); len(problems) > 0 {
			return fmt.Errorf("%s: %w", cfg.path(demoExtraPersons), problems.Err("person "+p.PsnNo))
		}
		if err := ac.do(ctx, http.MethodPost, "/admin/v1/persons", p, nil); err != nil {
			return fmt.Errorf("person %s: %w", p.PsnNo, err)
		}
	}
	return nil
}

// runIntraProvinceFlow settles a Baotou-insured patient at the Hohhot demo
// hospital. Both are in Inner Mongolia, so the cluster decides it itself
// with Baotou's policy; that policy waives the filing inside the province
// (免备案), so no filing is asked for and no reduction applied.
func runIntraProvinceFlow(ctx context.Context, w io.Writer, base string) error {
	h := &hospitalClient{base: base, insured: intraInsured, day: "20260101", now: timeNow}
	h.seq = 200
	step := func(infno, what, detail string) { fmt.Fprintf(w, "  %s %-22s %s\n", infno, what, detail) }
	fmt.Fprintf(w, "Intra-province visit: a patient insured in %s (Baotou, Inner Mongolia) at %s (%s), with no filing:\n",
		intraInsured, demoHospitalName, demoTreatAdmdvs)
	r, err := h.call(ctx, "1101", map[string]any{"data": map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": intraCert,
		"psn_cert_type": "01", "certno": intraCert}})
	if err != nil {
		return err
	}
	person := dig(r, "output", "baseinfo")
	place := ""
	if insu, _ := dig(r, "output")["insuinfo"].([]any); len(insu) > 0 {
		place = str(insu[0].(map[string]any)["insuplc_admdvs"])
	}
	step("1101", "person info", fmt.Sprintf("psn_no %s, %s, insured in %s", str(person["psn_no"]), maskName(str(person["psn_name"])), place))
	r, err = h.call(ctx, "2201", map[string]any{"data": map[string]any{
		"psn_no": intraPsn, "insutype": "310", "begntime": "2026-01-01 11:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": intraCert,
		"ipt_otp_no": "MZB0001", "atddr_no": "D150100001", "dr_name": "李医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	if err != nil {
		return err
	}
	m := str(dig(r, "output", "data")["mdtrt_id"])
	step("2201", "register", "mdtrt_id "+m)
	if _, err = h.call(ctx, "2204", feeLinesOf(m, intraPsn, "CBB1")); err != nil {
		return err
	}
	step("2204", "upload 3 fee lines", "split by Hohhot's catalog (the treatment place's)")
	r, err = h.call(ctx, "2207", map[string]any{"data": map[string]any{"psn_no": intraPsn, "mdtrt_cert_type": "02", "mdtrt_cert_no": intraCert,
		"med_type": "11", "medfee_sumamt": "18000.00", "psn_setlway": "01", "mdtrt_id": m, "chrg_bchno": "CBB1",
		"acct_used_flag": "1", "insutype": "310", "fulamt_ownpay_amt": "600.00", "overlmt_selfpay": "0",
		"preselfpay_amt": "250.00", "inscp_scp_amt": "17150.00"}})
	if err != nil {
		return err
	}
	s := dig(r, "output", "setlinfo")
	mark := ""
	if r["replayed"] == true {
		mark = "  (replayed: same msgid, stored answer)"
	}
	step("2207", "settle", "setl_id "+str(s["setl_id"])+mark)
	fmt.Fprintf(w, "\nIntra-province result (Baotou's policy: annual deductible 1,000.00, then 75%%; to the fen):\n")
	fmt.Fprintf(w, "  %-18s %s\n", "filing", filingNote(r))
	for _, row := range [][2]string{
		{"act_pay_dedc", "deductible charged"}, {"hifp_pay", "pooled fund pays (16,150.00 at 75%, no filing reduction)"},
		{"fund_pay_sumamt", "all funds pay"}, {"acct_pay", "from the personal account (all but the 丙类 items)"},
		{"psn_cash_pay", "patient pays in cash (the 丙类 items)"}, {"balc", "account balance after"},
	} {
		fmt.Fprintf(w, "  %-18s %10v   %s\n", row[0], s[row[0]], row[1])
	}
	return nil
}

// filingNote is the insured place's filing decision as its calculation
// trace states it (setl_proc_info of the first fund row): what the engine
// decided, not what the demo expects.
func filingNote(r map[string]any) string {
	details, _ := dig(r, "output")["setldetail"].([]any)
	for _, d := range details {
		row, _ := d.(map[string]any)
		for _, step := range strings.Split(str(row["setl_proc_info"]), "; ") {
			if note, ok := strings.CutPrefix(step, "filing: "); ok {
				return note
			}
		}
	}
	return "(not stated)"
}
