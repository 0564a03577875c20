package hl7v2

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// The hospital day of cmd/provgate/testdata/day, expressed in HL7 v2 in
// testdata/day: each HL7 message and the national requests it stands for.
var dayPairs = []struct {
	hl7      string
	national []string
}{
	{"02-1101", []string{"02-1101-person-info"}},
	{"04-2201", []string{"04-2201-register"}},
	{"06-2204", []string{"06-2204-upload-fees"}},
	{"07-2206", []string{"07-2206-pre-settle"}},
	{"08-2207", []string{"08-2207-settle"}},
	{"06-08-2204-2207", []string{"06-2204-upload-fees", "08-2207-settle"}},
	{"14-2208", []string{"14-2208-cancel-settlement-2"}},
	{"25-2401", []string{"25-2401-admit"}},
	{"27-2301", []string{"27-2301-upload-inpatient-fees"}},
	{"28-2303", []string{"28-2303-interim-pre-settle"}},
	{"32-2402", []string{"32-2402-discharge"}},
	{"36-2304", []string{"36-2304-final-settle"}},
	{"48-2305", []string{"48-2305-cancel-stay-2-settlement"}},
}

const dayDir = "../../cmd/provgate/testdata/day"

// TestSameDayAsNational decodes each national request of the day with
// nhsa.Decode and its HL7 counterpart with Decode, and checks that they
// carry the same business content. What HL7 cannot carry is left aside:
// msgid, digest, operator and sign_no (envelope), mdtrtarea_admvs (the
// gateway fills it), and psn_no / mdtrt_id, which HL7 replaces by Ref: the
// certificate and the hospital's visit number, checked against the
// person and visit the national requests name.
func TestSameDayAsNational(t *testing.T) {
	certOf, visitOf := dayIdentities(t)
	for _, p := range dayPairs {
		t.Run(p.hl7, func(t *testing.T) {
			m, err := Decode(read(t, "testdata/day/"+p.hl7+".hl7"))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Requests) != len(p.national) {
				t.Fatalf("%d requests, want %d", len(m.Requests), len(p.national))
			}
			for i, name := range p.national {
				nat, err := nhsa.Decode(read(t, filepath.Join(dayDir, name+".request.json")), "")
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				ours := m.Requests[i]
				if ours.Kind != nat.Request.Kind {
					t.Fatalf("step %d: kind %s, national %s", i, ours.Kind, nat.Request.Kind)
				}
				psn, mdtrt := identities(t, nat.Request)
				if ours.Kind != settlement.KindPersonInfo {
					if ours.Ref == nil || ours.Ref.CertNo != certOf[psn] || ours.Ref.CertType != "02" {
						t.Errorf("step %d: Ref %+v, want the certificate of person %s", i, ours.Ref, psn)
					}
					visit := visitOf[mdtrt]
					if mdtrt == "" { // registration and admission name the visit themselves
						visit = visitNoOf(nat.Request)
					}
					if ours.Ref == nil || ours.Ref.VisitNo != visit {
						t.Errorf("step %d: Ref %+v, want visit %s", i, ours.Ref, visit)
					}
				}
				a, b := businessContent(t, nat.Request), businessContent(t, ours)
				if ours.Kind == settlement.KindDischarge && nat.Request.Discharge.Diagnoses == nil {
					// A03 carries its diagnosis in DG1 and so yields diseinfo
					// too; the national 2402 of the day sent dise_codg only.
					delete(b["discharge"].(map[string]any), "diseinfo")
				}
				if !reflect.DeepEqual(a, b) {
					ja, _ := json.MarshalIndent(a, "", " ")
					jb, _ := json.MarshalIndent(b, "", " ")
					t.Errorf("step %d differs from %s:\nnational %s\nhl7v2    %s", i, name, ja, jb)
				}
			}
		})
	}
}

// businessContent is a request as JSON without what HL7 does not carry.
func businessContent(t *testing.T, r settlement.Request) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"msgid", "digest", "opter", "sign_no", "mdtrtarea_admvs", "ref"} {
		delete(v, k)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "psn_no")
			delete(x, "mdtrt_id")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

// identities returns the psn_no and mdtrt_id a national request names.
func identities(t *testing.T, r settlement.Request) (psn, mdtrt string) {
	c := businessContentRaw(t, r)
	var find func(any)
	find = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if s, ok := x["psn_no"].(string); ok && psn == "" {
				psn = s
			}
			if s, ok := x["mdtrt_id"].(string); ok && mdtrt == "" {
				mdtrt = s
			}
			for _, e := range x {
				find(e)
			}
		case []any:
			for _, e := range x {
				find(e)
			}
		}
	}
	find(c)
	return psn, mdtrt
}

func businessContentRaw(t *testing.T, r settlement.Request) any {
	b, _ := json.Marshal(r)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func visitNoOf(r settlement.Request) string {
	switch {
	case r.Register != nil:
		return r.Register.IptOtpNo
	case r.Admission != nil:
		return r.Admission.IptNo
	}
	return ""
}

// dayIdentities reads, from the day's registrations and admissions, each
// person's certificate and each visit's hospital number.
func dayIdentities(t *testing.T) (certOf, visitOf map[string]string) {
	certOf, visitOf = map[string]string{}, map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dayDir, "*.request.json"))
	for _, f := range files {
		nat, err := nhsa.Decode(read(t, f), "")
		if err != nil || (nat.Request.Register == nil && nat.Request.Admission == nil) {
			continue
		}
		var resp struct {
			Output struct {
				Data struct {
					MdtrtID string `json:"mdtrt_id"`
				} `json:"data"`
				Result struct {
					MdtrtID string `json:"mdtrt_id"`
				} `json:"result"`
			} `json:"output"`
		}
		json.Unmarshal(read(t, strings.Replace(f, ".request.", ".response.", 1)), &resp)
		id := resp.Output.Data.MdtrtID + resp.Output.Result.MdtrtID
		if r := nat.Request.Register; r != nil {
			certOf[r.PsnNo], visitOf[id] = r.CertNo, r.IptOtpNo
		}
		if a := nat.Request.Admission; a != nil {
			certOf[a.PsnNo], visitOf[id] = a.CertNo, a.IptNo
		}
	}
	if len(certOf) < 3 || len(visitOf) < 4 {
		t.Fatalf("the day names %d persons and %d visits", len(certOf), len(visitOf))
	}
	return certOf, visitOf
}

// TestSameDayReplies answers each HL7 message of the day with the outcome
// the national replies of the day report, and checks that the HL7 reply
// carries the same amounts, to the fen, and the same identifiers.
func TestSameDayReplies(t *testing.T) {
	for _, p := range dayPairs {
		t.Run(p.hl7, func(t *testing.T) {
			m, err := Decode(read(t, "testdata/day/"+p.hl7+".hl7"))
			if err != nil {
				t.Fatal(err)
			}
			answers := make([]settlement.Answer, len(p.national))
			outputs := make([]map[string]any, len(p.national))
			for i, name := range p.national {
				outputs[i] = nationalOutput(t, name)
				answers[i] = settlement.Answer{Outcome: outcomeOf(t, m.Requests[i].Kind, outputs[i]), Stamp: dayStamp}
			}
			reply, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			segs, perr := split(string(reply), m.d)
			if perr != nil {
				t.Fatalf("the reply does not parse: %s", perr.en)
			}
			byName := map[string][]*segment{}
			for i := range segs {
				byName[segs[i].name] = append(byName[segs[i].name], &segs[i])
			}
			if msa := byName["MSA"]; len(msa) != 1 || msa[0].field(1) != "AA" || msa[0].field(2) != m.ctrlID {
				t.Fatalf("MSA: %v", msa)
			}
			zfl, zsr, zfd := byName["ZFL"], byName["ZSR"], byName["ZFD"]
			for i, req := range m.Requests {
				out := outputs[i]
				switch req.Kind {
				case settlement.KindPersonInfo:
					checkPerson(t, byName, out)
				case settlement.KindDischarge:
					// The national 2402 answers with an empty output.
				case settlement.KindRegister, settlement.KindAdmit:
					want := nested(out, "data", "result")["mdtrt_id"]
					if zvi := byName["ZVI"]; len(zvi) != 1 || zvi[0].field(1) != want {
						t.Errorf("ZVI %v, want mdtrt_id %v", zvi, want)
					}
				case settlement.KindUploadFees, settlement.KindUploadInpFees:
					rows := out["result"].([]any)
					if len(zfl) != len(rows) {
						t.Fatalf("%d ZFL for %d national result rows", len(zfl), len(rows))
					}
					for j, row := range rows {
						sameFields(t, zfl[j], row.(map[string]any), zflFields)
					}
				default:
					if len(zsr) != 1 {
						t.Fatalf("%d ZSR segments", len(zsr))
					}
					sameFields(t, zsr[0], out["setlinfo"].(map[string]any), zsrFields)
					details := out["setldetail"].([]any)
					if len(zfd) != len(details) {
						t.Fatalf("%d ZFD for %d setldetail rows", len(zfd), len(details))
					}
					for j, d := range details {
						sameFields(t, zfd[j], d.(map[string]any), zfdFields)
					}
				}
			}
		})
	}
}

// The Z-segment fields and the national fields they carry (doc.go).
var (
	zsrFields = map[int]string{1: "setl_id", 2: "mdtrt_id", 3: "psn_no", 5: "insutype", 6: "med_type",
		7: "$medfee_sumamt", 8: "$fulamt_ownpay_amt", 9: "$overlmt_selfpay", 10: "$preselfpay_amt", 11: "$inscp_scp_amt",
		12: "$act_pay_dedc", 13: "$hifp_pay", 14: "pool_prop_selfpay", 15: "$cvlserv_pay", 16: "$hifes_pay", 17: "$hifmi_pay",
		18: "$hifob_pay", 19: "$maf_pay", 20: "$oth_pay", 21: "$fund_pay_sumamt", 22: "$psn_part_amt", 23: "$acct_pay",
		24: "$psn_cash_pay", 25: "$hosp_part_amt", 26: "$balc", 27: "$acct_mulaid_pay", 28: "medins_setl_id",
		29: "clr_optins", 30: "clr_way", 31: "clr_type"}
	zfdFields = map[int]string{2: "fund_pay_type", 3: "$fund_payamt", 4: "$inscp_scp_amt", 5: "$crt_payb_lmt_amt",
		6: "fund_pay_type_name", 7: "setl_proc_info"}
	zflFields = map[int]string{1: "feedetl_sn", 2: "$det_item_fee_sumamt", 3: "cnt", 4: "pric", 6: "selfpay_prop",
		7: "$fulamt_ownpay_amt", 8: "$overlmt_amt", 9: "$preselfpay_amt", 10: "$inscp_scp_amt", 12: "chrgitm_lv",
		13: "med_chrgitm_type", 14: "lmt_used_flag", 15: "memo"}
)

// sameFields compares Z-segment fields with national output fields; a
// name starting with $ is money, compared in fen.
func sameFields(t *testing.T, s *segment, national map[string]any, fields map[int]string) {
	t.Helper()
	for f, name := range fields {
		got, ok := defaultDelims.unescape(s.field(f))
		if !ok {
			t.Errorf("%s-%d: bad escape", s.name, f)
		}
		if money, isMoney := strings.CutPrefix(name, "$"); isMoney {
			want, err1 := settlement.ParseFen(text(national[money]))
			have, err2 := settlement.ParseFen(got)
			if err1 != nil || err2 != nil || want != have {
				t.Errorf("%s[%d]-%d (%s) = %q, national %v", s.name, s.seq, f, money, got, national[money])
			}
			continue
		}
		want := text(national[name])
		if name == "selfpay_prop" || name == "pool_prop_selfpay" {
			a, _ := settlement.ParseBP(want)
			b, err := settlement.ParseBP(got)
			if err != nil || a != b {
				t.Errorf("%s[%d]-%d (%s) = %q, national %q", s.name, s.seq, f, name, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("%s[%d]-%d (%s) = %q, national %q", s.name, s.seq, f, name, got, want)
		}
	}
}

func checkPerson(t *testing.T, byName map[string][]*segment, out map[string]any) {
	base := out["baseinfo"].(map[string]any)
	pid := byName["PID"]
	if len(pid) != 1 {
		t.Fatalf("%d PID segments", len(pid))
	}
	d := defaultDelims
	if no := d.component(pid[0].field(3), 1); no != base["psn_no"] {
		t.Errorf("PID-3 psn_no %q, national %v", no, base["psn_no"])
	}
	if name := pid[0].field(5); name != base["psn_name"] {
		t.Errorf("PID-5 %q, national %v", name, base["psn_name"])
	}
	ins := out["insuinfo"].([]any)
	zin := byName["ZIN"]
	if len(zin) != len(ins) {
		t.Fatalf("%d ZIN for %d insuinfo rows", len(zin), len(ins))
	}
	for i, row := range ins {
		sameFields(t, zin[i], row.(map[string]any), map[int]string{2: "insutype", 3: "psn_type", 4: "psn_insu_stas",
			5: "insuplc_admdvs", 7: "cvlserv_flag", 8: "emp_name", 9: "$balc"})
	}
}

// dayStamp is the stamp the day's national replies were made under.
var dayStamp = settlement.Stamp{UnixMilli: 1772409600000, Index: 19} // 2026-03-02 08:00:00 CST

func nationalOutput(t testing.TB, name string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(read(t, filepath.Join(dayDir, name+".response.json"))))
	dec.UseNumber()
	var resp struct {
		Infcode int            `json:"infcode"`
		Output  map[string]any `json:"output"`
	}
	if err := dec.Decode(&resp); err != nil || resp.Infcode != 0 {
		t.Fatalf("%s: %v (infcode %d)", name, err, resp.Infcode)
	}
	return resp.Output
}

// outcomeOf rebuilds the domain outcome a national reply reports.
func outcomeOf(t testing.TB, kind settlement.Kind, out map[string]any) settlement.Outcome {
	t.Helper()
	switch kind {
	case settlement.KindPersonInfo:
		b := out["baseinfo"].(map[string]any)
		pi := &settlement.PersonInfo{Person: settlement.Person{PsnNo: text(b["psn_no"]), CertType: text(b["psn_cert_type"]),
			CertNo: text(b["certno"]), Name: text(b["psn_name"]), Gender: text(b["gend"]), Nation: text(b["naty"]), Birthdate: text(b["brdy"])}}
		for _, r := range out["insuinfo"].([]any) {
			r := r.(map[string]any)
			pi.Person.Insurances = append(pi.Person.Insurances, settlement.Insurance{Insutype: text(r["insutype"]), PsnType: text(r["psn_type"]),
				Status: text(r["psn_insu_stas"]), InsuredAdmdvs: text(r["insuplc_admdvs"]), Since: text(r["psn_insu_date"]),
				CvlservFlag: text(r["cvlserv_flag"]), EmpName: text(r["emp_name"])})
			if text(r["insutype"]) == "310" {
				pi.Balance = fen(t, r["balc"])
			}
		}
		return settlement.Outcome{Person: pi}
	case settlement.KindRegister, settlement.KindAdmit:
		d := nested(out, "data", "result")
		return settlement.Outcome{Visit: &settlement.Visit{MdtrtID: text(d["mdtrt_id"]), PsnNo: text(d["psn_no"]), IptOtpNo: text(d["ipt_otp_no"])}}
	case settlement.KindDischarge:
		return settlement.Outcome{}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		var lines []settlement.LineSplit
		for _, r := range out["result"].([]any) {
			r := r.(map[string]any)
			q, _ := settlement.ParseQty(text(r["cnt"]))
			p, _ := settlement.ParsePrice(text(r["pric"]))
			sp, _ := settlement.ParseBP(text(r["selfpay_prop"]))
			l := settlement.LineSplit{FeeLine: settlement.FeeLine{FeedetlSn: text(r["feedetl_sn"]), Amount: fen(t, r["det_item_fee_sumamt"]), Qty: q, Price: p},
				SelfPay: sp, Fulamt: fen(t, r["fulamt_ownpay_amt"]), Overlmt: fen(t, r["overlmt_amt"]), Preselfpay: fen(t, r["preselfpay_amt"]),
				Inscp: fen(t, r["inscp_scp_amt"]), Class: settlement.ItemClass(text(r["chrgitm_lv"])), ChargeType: text(r["med_chrgitm_type"]),
				Restricted: text(r["lmt_used_flag"]) == "1", Memo: text(r["memo"])}
			if c := text(r["pric_uplmt_amt"]); c != "999999" {
				l.PriceCap = fen(t, r["pric_uplmt_amt"])
			}
			lines = append(lines, l)
		}
		return settlement.Outcome{Lines: lines}
	}
	s := out["setlinfo"].(map[string]any)
	pool, _ := settlement.ParseBP(text(s["pool_prop_selfpay"]))
	rec := &settlement.Record{SetlID: text(s["setl_id"]), MdtrtID: text(s["mdtrt_id"]), PsnNo: text(s["psn_no"]), PsnName: text(s["psn_name"]),
		Insutype: text(s["insutype"]), MedType: text(s["med_type"]), SetlTime: text(s["setl_time"]), MsgID: text(s["medins_setl_id"]),
		ClrOptins: text(s["clr_optins"]), ClrWay: text(s["clr_way"]), ClrType: text(s["clr_type"]),
		Amounts: settlement.Amounts{Medfee: fen(t, s["medfee_sumamt"]), Fulamt: fen(t, s["fulamt_ownpay_amt"]), Overlmt: fen(t, s["overlmt_selfpay"]),
			Preselfpay: fen(t, s["preselfpay_amt"]), Inscp: fen(t, s["inscp_scp_amt"]), ActPayDedc: fen(t, s["act_pay_dedc"]),
			Hifp: fen(t, s["hifp_pay"]), PoolProp: pool, Cvlserv: fen(t, s["cvlserv_pay"]), Hifes: fen(t, s["hifes_pay"]),
			Hifmi: fen(t, s["hifmi_pay"]), Hifob: fen(t, s["hifob_pay"]), Maf: fen(t, s["maf_pay"]), Oth: fen(t, s["oth_pay"]),
			FundPay: fen(t, s["fund_pay_sumamt"]), PsnPart: fen(t, s["psn_part_amt"]), AcctPay: fen(t, s["acct_pay"]),
			PsnCash: fen(t, s["psn_cash_pay"]), HospPart: fen(t, s["hosp_part_amt"]), Balc: fen(t, s["balc"]), AcctMulaid: fen(t, s["acct_mulaid_pay"])}}
	for _, d := range out["setldetail"].([]any) {
		d := d.(map[string]any)
		rec.Details = append(rec.Details, settlement.FundDetail{FundPayType: text(d["fund_pay_type"]), Name: text(d["fund_pay_type_name"]),
			Inscp: fen(t, d["inscp_scp_amt"]), LimitLeft: fen(t, d["crt_payb_lmt_amt"]), Paid: fen(t, d["fund_payamt"]), Process: text(d["setl_proc_info"])})
	}
	return settlement.Outcome{Record: rec}
}

func nested(out map[string]any, names ...string) map[string]any {
	for _, n := range names {
		if m, ok := out[n].(map[string]any); ok {
			return m
		}
	}
	return map[string]any{}
}

// text renders a JSON value as the national interface writes it.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func fen(t testing.TB, v any) settlement.Fen {
	t.Helper()
	f, err := settlement.ParseFen(text(v))
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return f
}
