package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// The answers the encode and parity tests reply with are read back from the
// national responses of the reference hospital day (cmd/provgate/testdata/
// day): what a real settlement returned, in national terms.
const dayDir = "../../cmd/provgate/testdata/day"

// response is a national response envelope.
type response struct {
	InfRefmsgid string                     `json:"inf_refmsgid"`
	RefmsgTime  string                     `json:"refmsg_time"`
	Output      map[string]json.RawMessage `json:"output"`
}

func readResponse(t *testing.T, name string) response {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dayDir, name+"*.response.json"))
	if len(matches) != 1 {
		t.Fatalf("%s: %d national responses", name, len(matches))
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var r response
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// stamp is the time and serial the national response was decided under.
func (r response) stamp(t *testing.T) settlement.Stamp {
	t.Helper()
	at, err := time.ParseInLocation("20060102150405.000", r.RefmsgTime, chinaTime)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := strconv.ParseUint(r.InfRefmsgid[len(r.InfRefmsgid)-10:], 10, 64)
	return settlement.Stamp{UnixMilli: at.UnixMilli(), Index: idx}
}

func (r response) node(t *testing.T, name string, v any) {
	t.Helper()
	raw, ok := r.Output[name]
	if !ok {
		t.Fatalf("no output.%s", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output.%s: %v", name, err)
	}
}

func fen(t *testing.T, n json.Number) settlement.Fen {
	t.Helper()
	f, err := settlement.ParseFen(n.String())
	if err != nil {
		t.Fatalf("amount %s: %v", n, err)
	}
	return f
}

// nationalRecord reads setlinfo and setldetail as the settlement record.
func nationalRecord(t *testing.T, name string) settlement.Answer {
	r := readResponse(t, name)
	var s map[string]any
	r.node(t, "setlinfo", &s)
	str := func(k string) string { v, _ := s[k].(string); return v }
	amt := func(k string) settlement.Fen { return fen(t, s[k].(json.Number)) }
	prop, _ := settlement.ParseBP(s["pool_prop_selfpay"].(json.Number).String())
	rec := &settlement.Record{
		SetlID: str("setl_id"), MdtrtID: str("mdtrt_id"), PsnNo: str("psn_no"), PsnName: str("psn_name"),
		PsnCertType: str("psn_cert_type"), CertNo: str("certno"), Gender: str("gend"), Nation: str("naty"),
		Birthdate: str("brdy"), CvlservFlag: str("cvlserv_flag"), Insutype: str("insutype"), PsnType: str("psn_type"),
		MedType: str("med_type"), MdtrtCertType: str("mdtrt_cert_type"), Hospital: "H15010100001",
		TreatAdmdvs: "150100", MsgID: str("medins_setl_id"), SetlTime: str("setl_time"),
		ClrOptins: str("clr_optins"), ClrWay: str("clr_way"), ClrType: str("clr_type"),
		Amounts: settlement.Amounts{
			Medfee: amt("medfee_sumamt"), Fulamt: amt("fulamt_ownpay_amt"), Overlmt: amt("overlmt_selfpay"),
			Preselfpay: amt("preselfpay_amt"), Inscp: amt("inscp_scp_amt"), ActPayDedc: amt("act_pay_dedc"),
			Hifp: amt("hifp_pay"), PoolProp: prop, Cvlserv: amt("cvlserv_pay"), Hifes: amt("hifes_pay"),
			Hifmi: amt("hifmi_pay"), Hifob: amt("hifob_pay"), Maf: amt("maf_pay"), Oth: amt("oth_pay"),
			FundPay: amt("fund_pay_sumamt"), PsnPart: amt("psn_part_amt"), AcctPay: amt("acct_pay"),
			PsnCash: amt("psn_cash_pay"), HospPart: amt("hosp_part_amt"), Balc: amt("balc"), AcctMulaid: amt("acct_mulaid_pay"),
		},
	}
	if rec.Amounts.Medfee < 0 { // a cancellation: the request named what it cancels
		matches, _ := filepath.Glob(filepath.Join(dayDir, name+"*.request.json"))
		b, _ := os.ReadFile(matches[0])
		var req struct {
			Input struct {
				Data struct {
					SetlID string `json:"setl_id"`
				} `json:"data"`
			} `json:"input"`
		}
		_ = json.Unmarshal(b, &req)
		rec.Cancels = req.Input.Data.SetlID
	}
	var details []map[string]any
	r.node(t, "setldetail", &details)
	for _, d := range details {
		// The process text begins "policy <insured place>/<insutype>@...".
		if p, _ := d["setl_proc_info"].(string); rec.InsuredAdmdvs == "" && len(p) > 13 {
			rec.InsuredAdmdvs = p[7:13]
		}
		rec.Details = append(rec.Details, settlement.FundDetail{FundPayType: d["fund_pay_type"].(string),
			Name: d["fund_pay_type_name"].(string), Inscp: fen(t, d["inscp_scp_amt"].(json.Number)),
			LimitLeft: fen(t, d["crt_payb_lmt_amt"].(json.Number)), Paid: fen(t, d["fund_payamt"].(json.Number))})
	}
	return settlement.Answer{Outcome: settlement.Outcome{Record: rec}, Stamp: r.stamp(t)}
}

// nationalLines reads the result rows of fee uploads as line splits.
func nationalLines(t *testing.T, names ...string) settlement.Answer {
	var a settlement.Answer
	for _, name := range names {
		r := readResponse(t, name)
		var rows []map[string]any
		r.node(t, "result", &rows)
		for _, row := range rows {
			qty, _ := settlement.ParseQty(row["cnt"].(json.Number).String())
			price, _ := settlement.ParsePrice(row["pric"].(json.Number).String())
			prop, _ := settlement.ParseBP(row["selfpay_prop"].(json.Number).String())
			l := settlement.LineSplit{
				FeeLine: settlement.FeeLine{FeedetlSn: row["feedetl_sn"].(string), Amount: fen(t, row["det_item_fee_sumamt"].(json.Number)),
					Qty: qty, Price: price},
				Class: settlement.ItemClass(row["chrgitm_lv"].(string)), ChargeType: row["med_chrgitm_type"].(string), SelfPay: prop,
				Fulamt: fen(t, row["fulamt_ownpay_amt"].(json.Number)), Overlmt: fen(t, row["overlmt_amt"].(json.Number)),
				Preselfpay: fen(t, row["preselfpay_amt"].(json.Number)), Inscp: fen(t, row["inscp_scp_amt"].(json.Number)),
			}
			a.Outcome.Lines = append(a.Outcome.Lines, l)
		}
		a.Stamp = r.stamp(t)
	}
	return a
}

// nationalVisit reads the mdtrt_id a registration or admission returned.
func nationalVisit(t *testing.T, name string) settlement.Answer {
	r := readResponse(t, name)
	var v struct {
		MdtrtID  string `json:"mdtrt_id"`
		PsnNo    string `json:"psn_no"`
		IptOtpNo string `json:"ipt_otp_no"`
	}
	if _, ok := r.Output["data"]; ok {
		r.node(t, "data", &v)
	} else {
		r.node(t, "result", &v)
	}
	return settlement.Answer{Outcome: settlement.Outcome{Visit: &settlement.Visit{MdtrtID: v.MdtrtID, PsnNo: v.PsnNo,
		IptOtpNo: v.IptOtpNo}}, Stamp: r.stamp(t)}
}

// nationalPerson reads a 1101 answer.
func nationalPerson(t *testing.T, name string) settlement.Answer {
	r := readResponse(t, name)
	var base map[string]string
	r.node(t, "baseinfo", &base)
	var ins []map[string]any
	r.node(t, "insuinfo", &ins)
	p := settlement.Person{PsnNo: base["psn_no"], CertType: base["psn_cert_type"], CertNo: base["certno"],
		Name: base["psn_name"], Gender: base["gend"], Nation: base["naty"], Birthdate: base["brdy"]}
	var bal settlement.Fen
	for _, in := range ins {
		p.Insurances = append(p.Insurances, settlement.Insurance{Insutype: in["insutype"].(string), PsnType: in["psn_type"].(string),
			Status: in["psn_insu_stas"].(string), InsuredAdmdvs: in["insuplc_admdvs"].(string), Since: in["psn_insu_date"].(string),
			CvlservFlag: in["cvlserv_flag"].(string), EmpName: in["emp_name"].(string)})
		if in["insutype"] == "310" {
			bal = fen(t, in["balc"].(json.Number))
		}
	}
	return settlement.Answer{Outcome: settlement.Outcome{Person: &settlement.PersonInfo{Person: p, Balance: bal}}, Stamp: r.stamp(t)}
}

// nationalBenefits reads a 2001 answer.
func nationalBenefits(t *testing.T, name string) settlement.Answer {
	r := readResponse(t, name)
	var rows []map[string]string
	r.node(t, "trtinfo", &rows)
	a := settlement.Answer{Stamp: r.stamp(t)}
	for _, b := range rows {
		a.Outcome.Benefits = append(a.Outcome.Benefits, settlement.BenefitRow{PsnNo: b["psn_no"], CheckType: b["trt_chk_type"],
			FundPayType: b["fund_pay_type"], Enjoys: b["trt_enjymnt_flag"] == "1", Begin: b["begndate"], End: b["enddate"],
			Result: b["trt_chk_rslt"]})
	}
	return a
}

// dayAnswers are the answers a real settlement gave to the steps of each
// message in testdata/decode, taken from the reference day.
func dayAnswers(t *testing.T, msg string) []settlement.Answer {
	t.Helper()
	switch msg {
	case "outpatient-claim":
		return []settlement.Answer{nationalVisit(t, "04-2201"), nationalVisit(t, "04-2201"), nationalLines(t, "06-2204"), nationalRecord(t, "08-2207")}
	case "outpatient-predetermination":
		return []settlement.Answer{nationalVisit(t, "04-2201"), nationalVisit(t, "04-2201"), nationalLines(t, "06-2204"), nationalRecord(t, "07-2206")}
	case "outpatient-cancel":
		return []settlement.Answer{nationalRecord(t, "14-2208")}
	case "inpatient-claim":
		return []settlement.Answer{nationalVisit(t, "25-2401"), nationalLines(t, "27-2301", "30-2301"), nationalVisit(t, "25-2401"), nationalRecord(t, "36-2304")}
	case "inpatient-predetermination":
		return []settlement.Answer{nationalVisit(t, "25-2401"), nationalLines(t, "27-2301", "30-2301"), nationalVisit(t, "25-2401"), nationalRecord(t, "35-2303")}
	case "bundle-chronic-claim":
		return []settlement.Answer{nationalVisit(t, "19-2201"), nationalVisit(t, "19-2201"), nationalLines(t, "20-2204"), nationalRecord(t, "21-2207")}
	case "eligibility":
		return []settlement.Answer{nationalPerson(t, "02-1101")}
	case "eligibility-benefits":
		return []settlement.Answer{nationalPerson(t, "02-1101"), nationalBenefits(t, "03-2001")}
	}
	t.Fatalf("no answers for %s", msg)
	return nil
}
