package delimited

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// dayDir holds the national requests and responses of a full hospital day;
// testdata/day holds the same requests in this dialect.
const dayDir = "../../cmd/provgate/testdata/day"

// dayCases are the outpatient visit (1101 to 2207), a cancellation, and the
// inpatient stay, each with the certificate and visit number the dialect
// names them by.
var dayCases = []struct {
	name    string
	certNo  string
	visitNo string
}{
	{"02-1101-person-info", "150826198003150018", ""},
	{"04-2201-register", "150826198003150018", "MZ0001"},
	{"06-2204-upload-fees", "150826198003150018", "MZ0001"},
	{"07-2206-pre-settle", "150826198003150018", "MZ0001"},
	{"08-2207-settle", "150826198003150018", "MZ0001"},
	{"14-2208-cancel-settlement-2", "150102195802020051", "MZ0002"},
	{"25-2401-admit", "150826196505050043", "ZY0001"},
	{"27-2301-upload-inpatient-fees", "150826196505050043", "ZY0001"},
	{"32-2402-discharge", "150826196505050043", "ZY0001"},
	{"35-2303-final-pre-settle", "150826196505050043", "ZY0001"},
	{"36-2304-final-settle", "150826196505050043", "ZY0001"},
	{"48-2305-cancel-stay-2-settlement", "150102195802020051", "ZY0002"},
}

// TestSameVisitSameRequest decodes each national request of the day with
// nhsa.Decode and its delimited form with Decode, and requires the same
// domain request: the same business content, with psn_no and mdtrt_id
// replaced by the certificate and the hospital's visit number (Ref), and
// the treatment region left to the gateway.
func TestSameVisitSameRequest(t *testing.T) {
	for _, c := range dayCases {
		t.Run(c.name, func(t *testing.T) {
			national, mine := decodeBoth(t, c.name)
			if mine.TreatAdmdvs != "" {
				t.Errorf("TreatAdmdvs %q: the dialect does not carry it, the gateway fills it", mine.TreatAdmdvs)
			}
			if mine.Kind != settlement.KindPersonInfo {
				want := settlement.HospitalRef{CertType: "02", CertNo: c.certNo, VisitNo: c.visitNo}
				if mine.Ref == nil || *mine.Ref != want {
					t.Errorf("Ref %+v, want %+v", mine.Ref, want)
				}
			}
			if mine.Digest != settlement.ContentDigest("delimited", mine) {
				t.Error("Digest is not the ContentDigest of the request")
			}
			n, m := businessContent(national), businessContent(mine)
			if !reflect.DeepEqual(n, m) {
				nj, _ := json.MarshalIndent(n, "", "  ")
				mj, _ := json.MarshalIndent(m, "", "  ")
				t.Errorf("business content differs\nnational  %s\ndelimited %s", nj, mj)
			}
		})
	}
}

func decodeBoth(t *testing.T, name string) (national, mine settlement.Request) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(dayDir, name+".request.json"))
	if err != nil {
		t.Fatal(err)
	}
	nm, err := nhsa.Decode(body, "")
	if err != nil {
		t.Fatalf("national request: %v", err)
	}
	text, err := os.ReadFile(filepath.Join("testdata/day", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(text)
	if err != nil {
		t.Fatalf("delimited request: %v", err)
	}
	if len(m.Requests) != 1 {
		t.Fatalf("%d requests, want 1", len(m.Requests))
	}
	return nm.Request, m.Requests[0]
}

// businessContent clears what the two formats may carry differently: the
// digests (each format fingerprints its own bytes), the treatment region
// (the gateway fills it for the dialect), and the platform's person and
// visit ids, which the dialect replaces by Ref.
func businessContent(r settlement.Request) settlement.Request {
	b, _ := json.Marshal(r)
	var c settlement.Request
	json.Unmarshal(b, &c) // a deep copy
	c.Digest, c.TreatAdmdvs, c.Ref = "", "", nil
	if c.Register != nil {
		c.Register.PsnNo = ""
	}
	if c.Admission != nil {
		c.Admission.PsnNo = ""
	}
	if c.Discharge != nil {
		c.Discharge.PsnNo, c.Discharge.MdtrtID = "", ""
	}
	if c.Settle != nil {
		c.Settle.PsnNo, c.Settle.MdtrtID = "", ""
	}
	if c.Cancel != nil {
		c.Cancel.PsnNo, c.Cancel.MdtrtID = "", ""
	}
	if c.Fees != nil {
		for i := range c.Fees.Lines {
			c.Fees.Lines[i].PsnNo, c.Fees.Lines[i].MdtrtID = "", ""
		}
	}
	return c
}

// TestSameVisitSameAmounts builds, from each national response of the day,
// the answer the settlement gave; checks that nhsa re-encodes it to that
// very response; then encodes it with this package and requires every
// number of the national output (amounts, ratios, quantities, prices) in
// the reply, equal to the last digit.
func TestSameVisitSameAmounts(t *testing.T) {
	for _, c := range dayCases {
		t.Run(c.name, func(t *testing.T) {
			_, req := decodeBoth(t, c.name)
			resp, answer := nationalAnswer(t, c.name, req.Kind)

			again, err := nhsa.Receiver{Admdvs: "150000"}.Encode(req.Kind, answer)
			if err != nil {
				t.Fatal(err)
			}
			var re nhsa.Response
			if err := json.Unmarshal(again, &re); err != nil {
				t.Fatal(err)
			}
			if !sameJSON(re.Output, resp.Output) {
				t.Fatalf("the rebuilt answer does not re-encode to the national response:\n got %s\nwant %s", re.Output, resp.Output)
			}

			text, _ := os.ReadFile(filepath.Join("testdata/day", c.name+".txt"))
			m, err := Decode(text)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.Encode([]settlement.Answer{answer})
			if err != nil {
				t.Fatal(err)
			}
			rep := parseReply(t, b, m.charset)
			if rep.code != "0" || rep.msgID != req.MsgID {
				t.Fatalf("reply header %+v", rep)
			}
			compareOutput(t, req.Kind, jsonObject(t, resp.Output), rep.rows)
		})
	}
}

// compareOutput checks the reply rows against the national output.
func compareOutput(t *testing.T, kind settlement.Kind, out map[string]any, rows [][]string) {
	t.Helper()
	switch kind {
	case settlement.KindPersonInfo:
		base := out["baseinfo"].(map[string]any)
		insu := out["insuinfo"].([]any)
		main := named(t, rows, 0, personCols)
		sameNumbers(t, "baseinfo", base, main)
		sameNumbers(t, "insuinfo[0].balc", map[string]any{"balc": insu[0].(map[string]any)["balc"]}, main)
		for k, v := range base {
			if s, ok := v.(string); ok && main[k] != s {
				t.Errorf("baseinfo.%s: reply %q, national %q", k, main[k], s)
			}
		}
		if len(rows) != 1+len(insu) {
			t.Errorf("%d rows, want the person and %d insurances", len(rows), len(insu))
		}
	case settlement.KindRegister, settlement.KindAdmit:
		node := out["data"]
		if node == nil {
			node = out["result"]
		}
		if got, want := named(t, rows, 0, visitCols)["mdtrt_id"], node.(map[string]any)["mdtrt_id"]; got != want {
			t.Errorf("mdtrt_id %q, want %q", got, want)
		}
	case settlement.KindDischarge:
		if len(rows) != 1 {
			t.Errorf("rows %q", rows)
		}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		lines := out["result"].([]any)
		if len(rows) != 1+len(lines) {
			t.Fatalf("%d rows for %d lines", len(rows), len(lines))
		}
		totals := map[string]settlement.Fen{}
		for i, l := range lines {
			nl := l.(map[string]any)
			mine := named(t, rows, i+1, lineCols)
			sameNumbers(t, "result["+strconv.Itoa(i)+"]", nl, mine)
			for _, k := range []string{"det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"} {
				totals[k] += fen(t, nl[k].(json.Number).String())
			}
		}
		main := named(t, rows, 0, linesMainCols)
		for k, v := range map[string]string{"det_item_fee_sumamt": "medfee_sumamt", "fulamt_ownpay_amt": "fulamt_ownpay_amt",
			"overlmt_amt": "overlmt_selfpay", "preselfpay_amt": "preselfpay_amt", "inscp_scp_amt": "inscp_scp_amt"} {
			if got := fen(t, main[v]); got != totals[k] {
				t.Errorf("total %s %s, the national lines add up to %s", v, got, totals[k])
			}
		}
	default:
		info := out["setlinfo"].(map[string]any)
		main := named(t, rows, 0, settleCols)
		sameNumbers(t, "setlinfo", info, main)
		for _, k := range []string{"setl_id", "mdtrt_id", "psn_no", "medins_setl_id", "clr_type"} {
			if v, _ := info[k].(string); main[k] != v {
				t.Errorf("setlinfo.%s: reply %q, national %q", k, main[k], v)
			}
		}
		details := out["setldetail"].([]any)
		if len(rows) != 1+len(details) {
			t.Fatalf("%d rows for %d fund details", len(rows), len(details))
		}
		for i, d := range details {
			sameNumbers(t, "setldetail["+strconv.Itoa(i)+"]", d.(map[string]any), named(t, rows, i+1, detailCols))
		}
	}
}

// The reply layouts, as doc.go documents them.
var (
	personCols    = []string{"psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy", "age", "balc", "insuinfo_count", "idetinfo_count"}
	visitCols     = []string{"mdtrt_id", "psn_no", "ipt_otp_no"}
	linesMainCols = []string{"line_count", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "hosp_part_amt"}
	lineCols      = []string{"feedetl_sn", "det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt", "selfpay_prop", "fulamt_ownpay_amt",
		"overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "hosp_part_amt", "chrgitm_lv", "med_chrgitm_type", "lmt_used_flag", "memo"}
	settleCols = []string{"setl_id", "mdtrt_id", "psn_no", "psn_name", "insutype", "psn_type", "setl_time", "medfee_sumamt",
		"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay",
		"cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
		"psn_cash_pay", "hosp_part_amt", "balc", "acct_mulaid_pay", "medins_setl_id", "clr_optins", "clr_way", "clr_type", "setldetail_count"}
	detailCols = []string{"fund_pay_type", "fund_pay_type_name", "inscp_scp_amt", "crt_payb_lmt_amt", "fund_payamt"}
)

// named maps row i of the reply to its column names, requiring the count.
func named(t *testing.T, rows [][]string, i int, cols []string) map[string]string {
	t.Helper()
	if i >= len(rows) || len(rows[i]) != len(cols) {
		t.Fatalf("row %d: %q, want %d columns %v", i, rows, len(cols), cols)
	}
	out := make(map[string]string, len(cols))
	for j, c := range cols {
		out[c] = rows[i][j]
	}
	return out
}

// sameNumbers requires every number of a national object in the reply row,
// with the same decimal value. The national "no price cap" 999999 is an
// empty column in the dialect.
func sameNumbers(t *testing.T, where string, national map[string]any, mine map[string]string) {
	t.Helper()
	for k, v := range national {
		n, ok := v.(json.Number)
		if !ok {
			continue
		}
		got, ok := mine[k]
		if !ok {
			t.Errorf("%s.%s = %s is not in the reply", where, k, n)
			continue
		}
		if k == "pric_uplmt_amt" && n.String() == "999999" && got == "" {
			continue
		}
		a, err1 := settlement.ParsePrice(n.String())
		b, err2 := settlement.ParsePrice(got)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("%s.%s: reply %q, national %s", where, k, got, n)
		}
	}
}

// nationalAnswer reads a day response and rebuilds the settlement.Answer
// behind it.
func nationalAnswer(t *testing.T, name string, kind settlement.Kind) (nhsa.Response, settlement.Answer) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(dayDir, name+".response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp nhsa.Response
	if err := json.Unmarshal(body, &resp); err != nil || resp.Infcode != 0 {
		t.Fatalf("response %s: %v", body, err)
	}
	at, err := time.ParseInLocation("20060102150405.000", resp.RefmsgTime, chinaTime)
	if err != nil {
		t.Fatal(err)
	}
	index, _ := strconv.ParseUint(resp.InfRefmsgid[len(resp.InfRefmsgid)-10:], 10, 64)
	a := settlement.Answer{Stamp: settlement.Stamp{UnixMilli: at.UnixMilli(), Index: index}}
	out := jsonObject(t, resp.Output)
	get := func(m map[string]any, k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	switch kind {
	case settlement.KindPersonInfo:
		base := out["baseinfo"].(map[string]any)
		p := settlement.Person{PsnNo: get(base, "psn_no"), CertType: get(base, "psn_cert_type"), CertNo: get(base, "certno"),
			Name: get(base, "psn_name"), Gender: get(base, "gend"), Nation: get(base, "naty"), Birthdate: get(base, "brdy")}
		var bal settlement.Fen
		for _, r := range out["insuinfo"].([]any) {
			in := r.(map[string]any)
			p.Insurances = append(p.Insurances, settlement.Insurance{Insutype: get(in, "insutype"), PsnType: get(in, "psn_type"),
				Status: get(in, "psn_insu_stas"), Since: get(in, "psn_insu_date"), CvlservFlag: get(in, "cvlserv_flag"),
				InsuredAdmdvs: get(in, "insuplc_admdvs"), EmpName: get(in, "emp_name")})
			if get(in, "insutype") == "310" {
				bal = fen(t, get(in, "balc"))
			}
		}
		a.Outcome.Person = &settlement.PersonInfo{Person: p, Balance: bal}
	case settlement.KindRegister:
		d := out["data"].(map[string]any)
		a.Outcome.Visit = &settlement.Visit{MdtrtID: get(d, "mdtrt_id"), PsnNo: get(d, "psn_no"), IptOtpNo: get(d, "ipt_otp_no")}
	case settlement.KindAdmit:
		a.Outcome.Visit = &settlement.Visit{MdtrtID: get(out["result"].(map[string]any), "mdtrt_id")}
	case settlement.KindDischarge:
		a.Outcome.Visit = &settlement.Visit{}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		for _, r := range out["result"].([]any) {
			l := r.(map[string]any)
			s := settlement.LineSplit{FeeLine: settlement.FeeLine{FeedetlSn: get(l, "feedetl_sn"), Amount: fen(t, get(l, "det_item_fee_sumamt"))},
				Class: settlement.ItemClass(get(l, "chrgitm_lv")), ChargeType: get(l, "med_chrgitm_type"), Restricted: get(l, "lmt_used_flag") == "1",
				Fulamt: fen(t, get(l, "fulamt_ownpay_amt")), Overlmt: fen(t, get(l, "overlmt_amt")), Preselfpay: fen(t, get(l, "preselfpay_amt")),
				Inscp: fen(t, get(l, "inscp_scp_amt")), Memo: get(l, "memo")}
			s.Qty, _ = settlement.ParseQty(get(l, "cnt"))
			s.Price, _ = settlement.ParsePrice(get(l, "pric"))
			s.SelfPay, _ = settlement.ParseBP(get(l, "selfpay_prop"))
			if c := get(l, "pric_uplmt_amt"); c != "999999" {
				s.PriceCap = fen(t, c)
			}
			a.Outcome.Lines = append(a.Outcome.Lines, s)
		}
	default:
		info := out["setlinfo"].(map[string]any)
		r := settlement.Record{SetlID: get(info, "setl_id"), MdtrtID: get(info, "mdtrt_id"), PsnNo: get(info, "psn_no"),
			PsnName: get(info, "psn_name"), PsnCertType: get(info, "psn_cert_type"), CertNo: get(info, "certno"),
			Gender: get(info, "gend"), Nation: get(info, "naty"), Birthdate: get(info, "brdy"), Insutype: get(info, "insutype"),
			PsnType: get(info, "psn_type"), CvlservFlag: get(info, "cvlserv_flag"), SetlTime: get(info, "setl_time"),
			MdtrtCertType: get(info, "mdtrt_cert_type"), MedType: get(info, "med_type"), MsgID: get(info, "medins_setl_id"),
			ClrOptins: get(info, "clr_optins"), ClrWay: get(info, "clr_way"), ClrType: get(info, "clr_type")}
		am := &r.Amounts
		for k, p := range map[string]*settlement.Fen{"medfee_sumamt": &am.Medfee, "fulamt_ownpay_amt": &am.Fulamt,
			"overlmt_selfpay": &am.Overlmt, "preselfpay_amt": &am.Preselfpay, "inscp_scp_amt": &am.Inscp,
			"act_pay_dedc": &am.ActPayDedc, "hifp_pay": &am.Hifp, "cvlserv_pay": &am.Cvlserv, "hifes_pay": &am.Hifes,
			"hifmi_pay": &am.Hifmi, "hifob_pay": &am.Hifob, "maf_pay": &am.Maf, "oth_pay": &am.Oth,
			"fund_pay_sumamt": &am.FundPay, "psn_part_amt": &am.PsnPart, "acct_pay": &am.AcctPay, "psn_cash_pay": &am.PsnCash,
			"hosp_part_amt": &am.HospPart, "balc": &am.Balc, "acct_mulaid_pay": &am.AcctMulaid} {
			*p = fen(t, get(info, k))
		}
		am.PoolProp, _ = settlement.ParseBP(get(info, "pool_prop_selfpay"))
		for _, d := range out["setldetail"].([]any) {
			dm := d.(map[string]any)
			r.Details = append(r.Details, settlement.FundDetail{FundPayType: get(dm, "fund_pay_type"), Name: get(dm, "fund_pay_type_name"),
				Inscp: fen(t, get(dm, "inscp_scp_amt")), LimitLeft: fen(t, get(dm, "crt_payb_lmt_amt")),
				Paid: fen(t, get(dm, "fund_payamt")), Process: get(dm, "setl_proc_info")})
		}
		a.Outcome.Record = &r
	}
	return resp, a
}

func fen(t *testing.T, s string) settlement.Fen {
	t.Helper()
	f, err := settlement.ParseFen(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return f
}

func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// sameJSON compares two JSON documents by value, numbers by their text.
func sameJSON(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
