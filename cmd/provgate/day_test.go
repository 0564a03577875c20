package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

var update = flag.Bool("update", false, "rewrite the golden request and response files")

// dayClock is the fixed clock of the scripted day: every id and time in the
// golden files derives from it and from the log index.
const dayClock = "2026-03-02T08:00:00+08:00"

// hospitalDay is one hospital's HIS talking to a real node.
type hospitalDay struct {
	t      *testing.T
	p      *process
	seq    int
	signNo string
	now    time.Time
	steps  []string
	// settled are the settlement answers the hospital received (setlinfo),
	// by clearing type: what it reconciles in the evening.
	settled  map[string][]map[string]json.RawMessage
	warnings []string
}

// call sends one transaction, checks its result code, and compares the
// request and the response with testdata/day/NN-infno-name.{request,response}.json.
func (d *hospitalDay) call(name, infno string, input any, want string) answer {
	d.t.Helper()
	d.seq++
	body, _ := json.Marshal(map[string]any{
		"infno": infno, "msgid": fmt.Sprintf("H15010100001%s%04d", d.now.Format("20060102150405"), d.seq),
		"mdtrtarea_admvs": "150100", "recer_sys_code": "YBXT", "dev_no": "", "dev_safe_info": "", "cainfo": "",
		"signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "收费员甲",
		"inf_time": d.now.Format(time.DateTime), "fixmedins_code": "H15010100001",
		"fixmedins_name": "呼和浩特市第一示范医院", "sign_no": d.signNo, "input": input,
	})
	return d.send(name, infno, body, want)
}

func (d *hospitalDay) send(name, infno string, body []byte, want string) answer {
	d.t.Helper()
	a := d.p.postSigned("/nhsa/"+infno, body, func(req *http.Request) {
		ts := strconv.FormatInt(d.now.Unix(), 10)
		nonce := fmt.Sprintf("nonce-%04d", d.seq)
		req.Header.Set("x-tif-paasid", demoPaasID)
		req.Header.Set("x-tif-timestamp", ts)
		req.Header.Set("x-tif-nonce", nonce)
		req.Header.Set("x-tif-signature", tif.Sign(ts, demoToken, nonce))
	})
	var envelope struct {
		WarnMsg string `json:"warn_msg"`
	}
	if json.Unmarshal(a.raw, &envelope) == nil && envelope.WarnMsg != "" {
		d.warnings = append(d.warnings, envelope.WarnMsg)
	}
	if a.code() != want {
		d.t.Fatalf("step %d %s (%s): got %s, want %s\n%s", d.seq, name, infno, a.code(), want, a.raw)
	}
	base := filepath.Join("testdata", "day", fmt.Sprintf("%02d-%s-%s", d.seq, infno, name))
	d.golden(base+".request.json", body)
	d.golden(base+".response.json", a.raw)
	d.steps = append(d.steps, fmt.Sprintf("%02d %s %-40s %s", d.seq, infno, name, a.code()))
	var out struct {
		Setlinfo map[string]json.RawMessage `json:"setlinfo"`
	}
	if a.code() == "0" && json.Unmarshal(a.Output, &out) == nil && out.Setlinfo != nil && infno != "2206" && infno != "2303" && infno != "5203" {
		clr := map[string]string{"2207": "11", "2208": "11", "2304": "21", "2305": "21"}[infno] +
			"/" + strings.Trim(string(out.Setlinfo["insutype"]), `"`)
		if d.settled == nil {
			d.settled = map[string][]map[string]json.RawMessage{}
		}
		d.settled[clr] = append(d.settled[clr], out.Setlinfo)
	}
	return a
}

func (d *hospitalDay) golden(path string, raw []byte) {
	d.t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		d.t.Fatalf("%s: %v", path, err)
	}
	pretty.WriteByte('\n')
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			d.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatalf("%v (run go test ./cmd/provgate -run TestHospitalDay -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		d.t.Errorf("%s differs from the golden file:\n got %s\nwant %s", path, pretty.Bytes(), want)
	}
}

func jsonNum(s string) json.Number { return json.Number(s) }

// s3Cancel finds the cancellation that the reversal wrote for a settlement,
// as a HIS would: by querying the original (5203), whose record names it.
func s3Cancel(t *testing.T, d *hospitalDay, setlID string) string {
	t.Helper()
	for _, infos := range d.settled {
		for _, info := range infos {
			if strings.Trim(string(info["setl_id"]), `"`) == setlID {
				break
			}
		}
	}
	// The reversal answered with a warning naming the cancellation's setl_id.
	for _, s := range d.warnings {
		if i := strings.Index(s, "setl_id "); i >= 0 {
			return strings.TrimSpace(s[i+len("setl_id "):])
		}
	}
	t.Fatal("the reversal did not name its cancellation")
	return ""
}

// feeLine is one national fee line of the day.
func dayLine(sn, mdtrtID, psnNo, batch, code, amount, cnt, price, dise string) map[string]any {
	l := map[string]any{"feedetl_sn": sn, "mdtrt_id": mdtrtID, "psn_no": psnNo, "rx_circ_flag": "0",
		"fee_ocur_time": "2026-03-02 09:00:00", "med_list_codg": code, "medins_list_codg": "L-" + sn,
		"det_item_fee_sumamt": jsonNum(amount), "cnt": jsonNum(cnt), "pric": jsonNum(price), "bilg_dept_codg": "A03",
		"bilg_dept_name": "内科", "bilg_dr_codg": "D150100001", "bilg_dr_name": "李医生", "hosp_appr_flag": "1", "med_type": "21"}
	if batch != "" {
		l["chrg_bchno"] = batch
		delete(l, "med_type")
	}
	if dise != "" {
		l["dise_codg"] = dise
	}
	return l
}

// TestHospitalDay is a scripted full day of one hospital through real HTTP
// against a real node: sign-in, outpatient and inpatient visits, fees and
// their cancellation, settlements and a cancellation, a reversal of a lost
// request and of an acknowledged one, an interim inpatient settlement,
// filings, queries, and reconciliation at the end that balances. Every
// request and response is a golden file (fixed clock, deterministic ids).
func TestHospitalDay(t *testing.T) {
	now, _ := time.Parse(time.RFC3339, dayClock)
	p := startServeArgs(t, []string{"--clock", dayClock})
	d := &hospitalDay{t: t, p: p, now: now}
	const (
		wang = "15082600000001" // P1 employee, other temporary trip (Example 3)
		zhao = "15082600000004" // P2 resident, 低保, long-term filing (Example 1)
		liu  = "15010000000001" // P3 retired employee of Hohhot, local
		li   = "15082600000002" // P1 retiree without a filing
	)
	data := func(m map[string]any) map[string]any { return map[string]any{"data": m} }

	// Morning: sign in.
	a := d.call("sign-in", "9001", map[string]any{"signIn": map[string]any{"opter_no": "0001", "mac": "00-16-3E-00-00-01", "ip": "10.1.1.20"}}, "0")
	d.signNo = field(t, a.Output, "signinoutb", "sign_no")

	// Outpatient visit 1: Example 3 for Wang.
	d.call("person-info", "1101", data(map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018"}), "0")
	d.call("benefit-check", "2001", data(map[string]any{"psn_no": wang, "insutype": "310", "med_type": "11", "begntime": "2026-03-02 08:30:00"}), "0")
	reg := func(psn, cert, insutype, otp string) map[string]any {
		return data(map[string]any{"psn_no": psn, "insutype": insutype, "begntime": "2026-03-02 08:30:00", "mdtrt_cert_type": "02",
			"mdtrt_cert_no": cert, "ipt_otp_no": otp, "atddr_no": "D150100001", "dr_name": "李医生", "dept_code": "A03",
			"dept_name": "内科", "caty": "A03"})
	}
	a = d.call("register", "2201", reg(wang, "150826198003150018", "310", "MZ0001"), "0")
	v1 := field(t, a.Output, "data", "mdtrt_id")
	d.call("visit-info", "2203", map[string]any{"mdtrtinfo": map[string]any{"mdtrt_id": v1, "psn_no": wang, "med_type": "11",
		"begntime": "2026-03-02 08:30:00", "dise_codg": "J06.900", "dise_name": "急性上呼吸道感染"},
		"diseinfo": []any{map[string]any{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900", "diag_name": "急性上呼吸道感染", "vali_flag": "1"}}}, "0")
	example3 := func(m, psn, batch string) map[string]any {
		return map[string]any{"feedetail": []any{
			dayLine("1", m, psn, batch, "003201000010000-320100001", "12400.00", "1", "12400", ""),
			dayLine("2", m, psn, batch, "XL01XC028B001010104325", "5000.00", "2", "2500", ""),
			dayLine("3", m, psn, batch, "ZZ-NONCOVERED-0003", "600.00", "3", "200", ""),
		}}
	}
	d.call("upload-fees", "2204", example3(v1, wang, "CB1"), "0")
	settle := func(psn, cert, m, batch string, final bool) map[string]any {
		in := map[string]any{"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "med_type": "11",
			"medfee_sumamt": jsonNum("18000.00"), "psn_setlway": "01", "mdtrt_id": m, "chrg_bchno": batch,
			"acct_used_flag": "1", "insutype": "310"}
		if final {
			for k, v := range map[string]string{"invono": "INV-" + batch, "fulamt_ownpay_amt": "600.00", "overlmt_selfpay": "0.00",
				"preselfpay_amt": "250.00", "inscp_scp_amt": "17150.00"} {
				in[k] = v
			}
		}
		return data(in)
	}
	d.call("pre-settle", "2206", settle(wang, "150826198003150018", v1, "CB1", false), "0")
	a = d.call("settle", "2207", settle(wang, "150826198003150018", v1, "CB1", true), "0")
	s1 := field(t, a.Output, "setlinfo", "setl_id")
	d.call("settle-again-refused", "2207", settle(wang, "150826198003150018", v1, "CB1", true), "E4202")
	d.call("settlement-query", "5203", data(map[string]any{"psn_no": wang, "setl_id": s1, "mdtrt_id": v1}), "0")

	// Outpatient visit 2: Liu, local, then the patient leaves: cancel it all.
	a = d.call("register-2", "2201", reg(liu, "150102195802020051", "310", "MZ0002"), "0")
	v2 := field(t, a.Output, "data", "mdtrt_id")
	d.call("upload-fees-2", "2204", example3(v2, liu, "CB2"), "0")
	a = d.call("settle-2", "2207", settle(liu, "150102195802020051", v2, "CB2", true), "0")
	s2 := field(t, a.Output, "setlinfo", "setl_id")
	d.call("cancel-settlement-2", "2208", data(map[string]any{"setl_id": s2, "mdtrt_id": v2, "psn_no": liu}), "0")
	d.call("cancel-again-refused", "2208", data(map[string]any{"setl_id": s2, "mdtrt_id": v2, "psn_no": liu}), "E4206")
	d.call("cancel-registration-with-fees-refused", "2202", data(map[string]any{"psn_no": liu, "mdtrt_id": v2, "ipt_otp_no": "MZ0002"}), "E4210")
	d.call("cancel-fees-2", "2205", data(map[string]any{"mdtrt_id": v2, "chrg_bchno": "0000", "psn_no": liu}), "0")
	d.call("cancel-registration-2", "2202", data(map[string]any{"psn_no": liu, "mdtrt_id": v2, "ipt_otp_no": "MZ0002"}), "0")

	// Outpatient visit 3: Liu's hypertension (门诊慢特病), settled, and the
	// answer "lost": the HIS reverses it by its msgid.
	a = d.call("register-3", "2201", reg(liu, "150102195802020051", "310", "MZ0003"), "0")
	v3 := field(t, a.Output, "data", "mdtrt_id")
	d.call("upload-chronic-fees", "2204", map[string]any{"feedetail": []any{
		dayLine("1", v3, liu, "CB3", "XL01XX999B001010100002", "300.00", "3", "100", "M03900")}}, "0")
	chronic := settle(liu, "150102195802020051", v3, "CB3", false)
	chronic["data"].(map[string]any)["med_type"] = "14"
	chronic["data"].(map[string]any)["medfee_sumamt"] = jsonNum("300.00")
	a = d.call("settle-chronic", "2207", func() map[string]any {
		in := chronic["data"].(map[string]any)
		in["invono"], in["fulamt_ownpay_amt"], in["overlmt_selfpay"], in["preselfpay_amt"], in["inscp_scp_amt"] = "INV-CB3", "0.00", "0.00", "30.00", "270.00"
		return chronic
	}(), "0")
	s3 := field(t, a.Output, "setlinfo", "setl_id")
	lostMsgid := fmt.Sprintf("H15010100001%s%04d", now.Format("20060102150405"), d.seq)
	d.call("reverse-acknowledged", "2601", data(map[string]any{"psn_no": liu, "omsgid": lostMsgid, "oinfno": "2207"}), "0")

	// A request that never arrived: reversed first, then the late original is refused.
	missing := fmt.Sprintf("H15010100001%s%04d", now.Format("20060102150405"), 9999)
	d.call("reverse-lost-request", "2601", data(map[string]any{"psn_no": li, "omsgid": missing, "oinfno": "2201"}), "0")
	late, _ := json.Marshal(map[string]any{
		"infno": "2201", "msgid": missing, "mdtrtarea_admvs": "150100", "recer_sys_code": "YBXT", "infver": "V1.0",
		"opter_type": "1", "opter": "0001", "opter_name": "收费员甲", "inf_time": now.Format(time.DateTime),
		"fixmedins_code": "H15010100001", "fixmedins_name": "呼和浩特市第一示范医院", "sign_no": d.signNo,
		"input": reg(li, "150826197507200027", "310", "MZ0004")})
	d.seq++
	d.send("late-original-refused", "2201", late, "E4902")

	// Inpatient: Zhao (Example 1), an interim settlement, then discharge.
	a = d.call("admit", "2401", map[string]any{"mdtrtinfo": map[string]any{"psn_no": zhao, "insutype": "390", "coner_name": "赵", "tel": "",
		"begntime": "2026-03-02 08:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": "150826196505050043", "med_type": "21",
		"ipt_no": "ZY0001", "atddr_no": "D150100002", "chfpdr_name": "王医生", "adm_dept_codg": "A05", "adm_dept_name": "外科",
		"adm_bed": "12", "dise_codg": "K80.200", "dise_name": "胆囊结石"},
		"diseinfo": []any{map[string]any{"diag_type": "1", "diag_srt_no": "1", "diag_code": "K80.200", "diag_name": "胆囊结石", "maindiag_flag": "1"}}}, "0")
	stay := field(t, a.Output, "result", "mdtrt_id")
	d.call("settle-without-fees-refused", "2304", data(map[string]any{"psn_no": zhao, "mdtrt_cert_type": "02", "mdtrt_cert_no": "150826196505050043",
		"medfee_sumamt": jsonNum("0"), "psn_setlway": "01", "mdtrt_id": stay, "acct_used_flag": "0", "insutype": "390", "mid_setl_flag": "1"}), "E4203")
	d.call("upload-inpatient-fees", "2301", map[string]any{"feedetail": []any{
		dayLine("1", stay, zhao, "", "003201000010000-320100001", "3200.00", "1", "3200", ""),
		dayLine("2", stay, zhao, "", "XL01XX999B001010100002", "8000.00", "4", "2000", ""),
		dayLine("3", stay, zhao, "", "C14010001000000000001", "12000.00", "1", "12000", ""),
	}}, "0")
	inp := func(medfee string, mid bool) map[string]any {
		return data(map[string]any{"psn_no": zhao, "mdtrt_cert_type": "02", "mdtrt_cert_no": "150826196505050043",
			"medfee_sumamt": jsonNum(medfee), "psn_setlway": "01", "mdtrt_id": stay, "acct_used_flag": "0", "insutype": "390",
			"mid_setl_flag": map[bool]string{true: "1", false: "0"}[mid], "invono": ""})
	}
	d.call("interim-pre-settle", "2303", inp("23200.00", true), "0")
	interim := d.call("interim-settle", "2304", inp("23200.00", true), "0")
	d.call("upload-more-fees", "2301", map[string]any{"feedetail": []any{
		dayLine("4", stay, zhao, "", "003201000010000-320100001", "6800.00", "1", "6800", ""),
		dayLine("5", stay, zhao, "", "ZZ-NONCOVERED-0003", "1500.00", "5", "300", ""),
	}}, "0")
	d.call("final-before-discharge-refused", "2304", inp("8300.00", false), "E4212")
	dscg := map[string]any{"dscginfo": map[string]any{"mdtrt_id": stay, "psn_no": zhao, "insutype": "390",
		"endtime": "2026-03-02 17:00:00", "dise_codg": "K80.200", "dise_name": "胆囊结石", "dscg_way": "1"}}
	d.call("discharge", "2402", dscg, "0")
	d.call("cancel-discharge", "2405", data(map[string]any{"mdtrt_id": stay, "psn_no": zhao}), "0")
	d.call("discharge-again", "2402", dscg, "0")
	d.call("final-pre-settle", "2303", inp("8300.00", false), "0")
	final := d.call("final-settle", "2304", inp("8300.00", false), "0")
	// The stay's two settlements add up to SETTLEMENT-MODEL Example 1 to the
	// fen: one deductible for the stay, and the year-to-date figures carry
	// from the interim settlement to the final one.
	for k, want := range map[string]string{"medfee_sumamt": "31500.00", "hifp_pay": "14640.00", "hifmi_pay": "1989.00",
		"maf_pay": "5999.70", "fund_pay_sumamt": "22628.70", "psn_part_amt": "8871.30", "act_pay_dedc": "800.00"} {
		i, _ := settlement.ParseFen(field(t, interim.Output, "setlinfo", k))
		f, _ := settlement.ParseFen(field(t, final.Output, "setlinfo", k))
		if got := (i + f).String(); got != want {
			t.Errorf("stay %s = %s, want Example 1's %s", k, got, want)
		}
	}
	d.call("year-to-date", "5206", data(map[string]any{"psn_no": zhao, "cum_ym": "202603"}), "0")

	// Filings made at the counter.
	a = d.call("referral-filing", "2501", map[string]any{"refmedin": map[string]any{"psn_no": li, "insutype": "310", "diag_code": "I25.1",
		"diag_name": "冠心病", "reflin_medins_no": "H15010100001", "reflin_medins_name": "呼和浩特市第一示范医院",
		"mdtrtarea_admdvs": "150100", "refl_type": "1", "refl_date": "2026-03-02", "refl_rea": "上转", "refl_opnn": "同意",
		"begndate": "2026-03-02", "enddate": "2026-09-01"}}, "0")
	sn := field(t, a.Output, "result", "trt_dcla_detl_sn")
	d.call("benefit-after-filing", "2001", data(map[string]any{"psn_no": li, "insutype": "310", "med_type": "21", "begntime": "2026-03-02 10:00:00"}), "0")
	d.call("cancel-referral-filing", "2502", data(map[string]any{"trt_dcla_detl_sn": sn, "psn_no": li, "memo": "录入错误"}), "0")
	d.call("benefit-without-filing", "2001", data(map[string]any{"psn_no": li, "insutype": "310", "med_type": "21", "begntime": "2026-03-02 10:00:00"}), "0")

	// A second stay for Liu, settled and then unwound step by step.
	a = d.call("admit-2", "2401", map[string]any{"mdtrtinfo": map[string]any{"psn_no": liu, "insutype": "310",
		"begntime": "2026-03-02 11:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": "150102195802020051", "med_type": "21",
		"ipt_no": "ZY0002", "atddr_no": "D150100002", "chfpdr_name": "王医生", "adm_dept_codg": "A05", "adm_dept_name": "外科"}}, "0")
	stay2 := field(t, a.Output, "result", "mdtrt_id")
	d.call("upload-fees-stay-2", "2301", map[string]any{"feedetail": []any{
		dayLine("1", stay2, liu, "", "003201000010000-320100001", "2000.00", "1", "2000", ""),
		dayLine("2", stay2, liu, "", "XL01XX999B001010100002", "500.00", "5", "100", ""),
	}}, "0")
	d.call("cancel-one-line", "2302", data(map[string]any{"feedetl_sn": "2", "mdtrt_id": stay2, "psn_no": liu}), "0")
	d.call("cancel-admission-with-fees-refused", "2404", data(map[string]any{"mdtrt_id": stay2, "psn_no": liu}), "E4210")
	d.call("discharge-stay-2", "2402", map[string]any{"dscginfo": map[string]any{"mdtrt_id": stay2, "psn_no": liu, "insutype": "310",
		"endtime": "2026-03-02 16:00:00", "dscg_way": "1"}}, "0")
	stay2Settle := data(map[string]any{"psn_no": liu, "mdtrt_cert_type": "02", "mdtrt_cert_no": "150102195802020051",
		"medfee_sumamt": jsonNum("2000.00"), "psn_setlway": "01", "mdtrt_id": stay2, "acct_used_flag": "1", "insutype": "310",
		"mid_setl_flag": "0"})
	a = d.call("settle-stay-2", "2304", stay2Settle, "0")
	stay2Setl := field(t, a.Output, "setlinfo", "setl_id")
	d.call("cancel-stay-2-settlement", "2305", data(map[string]any{"mdtrt_id": stay2, "setl_id": stay2Setl, "psn_no": liu}), "0")
	d.call("cancel-stay-2-fees", "2302", data(map[string]any{"feedetl_sn": "0000", "mdtrt_id": stay2, "psn_no": liu}), "0")
	d.call("cancel-stay-2-discharge", "2405", data(map[string]any{"mdtrt_id": stay2, "psn_no": liu}), "0")
	d.call("cancel-stay-2-admission", "2404", data(map[string]any{"mdtrt_id": stay2, "psn_no": liu}), "0")

	// Chronic-disease recognition and a designated institution, made and withdrawn.
	a = d.call("chronic-filing", "2503", data(map[string]any{"psn_no": wang, "insutype": "310", "opsp_dise_code": "M01600",
		"opsp_dise_name": "糖尿病", "begndate": "2026-03-02"}), "0")
	d.call("cancel-chronic-filing", "2504", data(map[string]any{"trt_dcla_detl_sn": field(t, a.Output, "result", "trt_dcla_detl_sn"), "psn_no": wang}), "0")
	a = d.call("fixed-filing", "2505", data(map[string]any{"psn_no": wang, "fixmedins_code": "H15010100001", "begndate": "2026-03-02"}), "0")
	d.call("cancel-fixed-filing", "2506", data(map[string]any{"trt_dcla_detl_sn": field(t, a.Output, "result", "trt_dcla_detl_sn"), "psn_no": wang}), "0")

	// Evening: reconcile the day. The hospital's own totals come from the
	// settlement answers it received (the reversal cancelled visit 3's
	// settlement, which the hospital learns from 5203; here it adds the
	// negative record it was told about).
	a = d.call("query-reversed-settlement", "5203", data(map[string]any{"psn_no": liu, "setl_id": s3Cancel(t, d, s3), "mdtrt_id": v3}), "0")
	var q struct {
		Setlinfo map[string]json.RawMessage `json:"setlinfo"`
	}
	json.Unmarshal(a.Output, &q)
	d.settled["11/310"] = append(d.settled["11/310"], q.Setlinfo)
	totals := map[string][3]settlement.Fen{}
	counts := map[string]int{}
	var details []any
	for clr, infos := range d.settled {
		for _, info := range infos {
			get := func(k string) settlement.Fen {
				v, _ := settlement.ParseFen(strings.Trim(string(info[k]), `"`))
				return v
			}
			str := func(k string) string { return strings.Trim(string(info[k]), `"`) }
			t3 := totals[clr]
			totals[clr] = [3]settlement.Fen{t3[0] + get("medfee_sumamt"), t3[1] + get("fund_pay_sumamt"), t3[2] + get("acct_pay")}
			counts[clr]++
			if strings.HasPrefix(clr, "11/") {
				details = append(details, map[string]any{"setl_id": str("setl_id"), "mdtrt_id": str("mdtrt_id"), "psn_no": str("psn_no"),
					"medfee_sumamt": jsonNum(get("medfee_sumamt").String()), "fund_pay_sumamt": jsonNum(get("fund_pay_sumamt").String()),
					"acct_pay": jsonNum(get("acct_pay").String()), "refd_setl_flag": map[bool]string{true: "1", false: "0"}[get("medfee_sumamt") < 0]})
			}
		}
	}
	sort.Slice(details, func(i, j int) bool {
		return details[i].(map[string]any)["setl_id"].(string) < details[j].(map[string]any)["setl_id"].(string)
	})
	groups := make([]string, 0, len(totals))
	for g := range totals {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		clr, insutype, _ := strings.Cut(g, "/")
		a = d.call("reconcile-totals-"+clr+"-"+insutype, "3201", data(map[string]any{"insutype": insutype, "clr_type": clr, "setl_optins": "150100",
			"stmt_begndate": "2026-03-02", "stmt_enddate": "2026-03-02", "medfee_sumamt": jsonNum(totals[g][0].String()),
			"fund_pay_sumamt": jsonNum(totals[g][1].String()), "acct_pay": jsonNum(totals[g][2].String()),
			"fixmedins_setl_cnt": strconv.Itoa(counts[g])}), "0")
		if field(t, a.Output, "stmtinfo", "stmt_rslt") != "0" {
			t.Errorf("%s does not balance: %s", g, a.Output)
		}
	}
	a = d.call("reconcile-details", "3202", data(map[string]any{"setl_optins": "150100", "file_qury_no": "", "clr_type": "11",
		"stmt_begndate": "2026-03-02", "stmt_enddate": "2026-03-02", "medfee_sumamt": jsonNum(totals["11/310"][0].String()),
		"fund_pay_sumamt": jsonNum(totals["11/310"][1].String()), "cash_payamt": jsonNum("0"), "fixmedins_setl_cnt": strconv.Itoa(counts["11/310"]),
		"detail": details}), "0")
	if field(t, a.Output, "stmtinfo", "stmt_rslt") != "0" {
		t.Errorf("details do not balance: %s", a.Output)
	}
	d.call("sign-out", "9002", map[string]any{"signOut": map[string]any{"sign_no": d.signNo, "opter_no": "0001"}}, "0")
	d.call("signed-out-session-refused", "1101", data(map[string]any{"mdtrt_cert_type": "02", "mdtrt_cert_no": "150826198003150018"}), "E4109")
	t.Logf("the day:\n%s", strings.Join(d.steps, "\n"))
}
