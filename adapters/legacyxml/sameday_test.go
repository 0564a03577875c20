package legacyxml

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// The hospital day of cmd/provgate/testdata/day, told in the legacy
// dialect: each message of testdata/decode/day-* against the national
// requests it stands for (two for a settlement carrying its fee rows),
// with the certificate and hospital visit number it must name.
var sameDay = []struct {
	legacy   string
	national []string
	cert     string
	visitNo  string
}{
	{"day-02-1401-person.xml", []string{"02-1101-person-info"}, "150826198003150018", ""},
	{"day-04-2610-register.xml", []string{"04-2201-register"}, "150826198003150018", "MZ0001"},
	{"day-06-2630-fees.xml", []string{"06-2204-upload-fees"}, "150826198003150018", "MZ0001"},
	{"day-07-2710-pre-settle.xml", []string{"07-2206-pre-settle"}, "150826198003150018", "MZ0001"},
	{"day-08-2720-settle.xml", []string{"08-2207-settle"}, "150826198003150018", "MZ0001"},
	{"day-06-08-2720-fees-and-settle.xml", []string{"06-2204-upload-fees", "08-2207-settle"}, "150826198003150018", "MZ0001"},
	{"day-14-2730-cancel.xml", []string{"14-2208-cancel-settlement-2"}, "150102195802020051", "MZ0002"},
	{"day-25-2210-admit.xml", []string{"25-2401-admit"}, "150826196505050043", "ZY0001"},
	{"day-27-2310-inpatient-fees.xml", []string{"27-2301-upload-inpatient-fees"}, "150826196505050043", "ZY0001"},
	{"day-32-2250-discharge.xml", []string{"32-2402-discharge"}, "150826196505050043", "ZY0001"},
	{"day-35-2420-inpatient-pre-settle.xml", []string{"35-2303-final-pre-settle"}, "150826196505050043", "ZY0001"},
	{"day-36-2410-inpatient-settle.xml", []string{"36-2304-final-settle"}, "150826196505050043", "ZY0001"},
	{"day-48-2430-inpatient-cancel.xml", []string{"48-2305-cancel-stay-2-settlement"}, "150102195802020051", "ZY0002"},
}

const dayDir = "../../cmd/provgate/testdata/day/"

// TestSameVisitSameRequest decodes each national request of the day with
// nhsa.Decode and its legacy message with Decode, and requires the same
// business content: everything but MsgID, Digest, Operator and SignNo, with
// psn_no and mdtrt_id (which the hospital cannot know) replaced by Ref.
func TestSameVisitSameRequest(t *testing.T) {
	files, _ := filepath.Glob("testdata/decode/day-*.xml")
	if len(files) != len(sameDay) {
		t.Errorf("%d day-* messages, %d in the table", len(files), len(sameDay))
	}
	for _, c := range sameDay {
		t.Run(c.legacy, func(t *testing.T) {
			body, err := os.ReadFile("testdata/decode/" + c.legacy)
			if err != nil {
				t.Fatal(err)
			}
			m := mustDecode(t, body)
			if len(m.Requests) != len(c.national) {
				t.Fatalf("%d requests for %d national ones", len(m.Requests), len(c.national))
			}
			for i, name := range c.national {
				raw, err := os.ReadFile(dayDir + name + ".request.json")
				if err != nil {
					t.Fatal(err)
				}
				nm, err := nhsa.Decode(raw, "")
				if err != nil {
					t.Fatal(err)
				}
				national, legacy := nm.Request, m.Requests[i]
				if national.Kind != legacy.Kind || national.Hospital != legacy.Hospital {
					t.Errorf("%s: kind/hospital %s %s, want %s %s", name, legacy.Kind, legacy.Hospital, national.Kind, national.Hospital)
				}
				switch {
				case legacy.Kind == settlement.KindPersonInfo:
					if legacy.Ref != nil {
						t.Errorf("%s: a person query carries a ref", name)
					}
				case legacy.Ref == nil || legacy.Ref.CertNo != c.cert || legacy.Ref.CertType != "02" || legacy.Ref.VisitNo != c.visitNo:
					t.Errorf("%s: ref %+v, want ID %s visit %s", name, legacy.Ref, c.cert, c.visitNo)
				}
				want, got := business(t, national), business(t, legacy)
				if unknown := leftUnknown(got); len(unknown) > 0 {
					t.Errorf("%s: the legacy request fills %v, which the hospital cannot know", name, unknown)
				}
				stripIDs(want)
				stripIDs(got)
				if !reflect.DeepEqual(want, got) {
					w, _ := json.MarshalIndent(want, "", " ")
					g, _ := json.MarshalIndent(got, "", " ")
					t.Errorf("%s: business content differs\nlegacy   %s\nnational %s", name, g, w)
				}
			}
		})
	}
}

// business is a request as a JSON tree without what may differ.
func business(t *testing.T, r settlement.Request) map[string]any {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"msgid", "digest", "opter", "sign_no", "ref"} {
		delete(m, k)
	}
	return m
}

// leftUnknown lists psn_no and mdtrt_id values that are not empty.
func leftUnknown(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "psn_no" || k == "mdtrt_id") && s != "" {
				out = append(out, k+"="+s)
			}
			out = append(out, leftUnknown(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, leftUnknown(x)...)
		}
	}
	return out
}

func stripIDs(v any) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "psn_no")
		delete(v, "mdtrt_id")
		for _, x := range v {
			stripIDs(x)
		}
	case []any:
		for _, x := range v {
			stripIDs(x)
		}
	}
}

// TestSameVisitSameAmounts encodes, for each message of the day, the
// answers the real settlement gave (rebuilt from the national response
// goldens, and checked by encoding them back to those goldens byte for
// byte with the national encoder), and requires every amount of the
// legacy reply to equal the national reply's to the fen.
func TestSameVisitSameAmounts(t *testing.T) {
	for _, c := range sameDay {
		t.Run(c.legacy, func(t *testing.T) {
			body, _ := os.ReadFile("testdata/decode/" + c.legacy)
			m := mustDecode(t, body)
			answers := make([]settlement.Answer, len(c.national))
			outputs := make([]map[string]any, len(c.national))
			for i, name := range c.national {
				golden, err := os.ReadFile(dayDir + name + ".response.json")
				if err != nil {
					t.Fatal(err)
				}
				answers[i], outputs[i] = rebuildAnswer(t, m.Requests[i].Kind, golden)
				raw, err := nhsa.Receiver{Admdvs: "150000"}.Encode(m.Requests[i].Kind, answers[i])
				if err != nil {
					t.Fatal(err)
				}
				var pretty bytes.Buffer
				json.Indent(&pretty, raw, "", "  ")
				pretty.WriteByte('\n')
				if !bytes.Equal(pretty.Bytes(), golden) {
					t.Fatalf("%s: the rebuilt answer does not encode to the national golden:\n%s", name, pretty.Bytes())
				}
			}
			reply, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			leaves := readReply(t, reply)
			if leaves["RESPONSEDATA/RETURNNUM"] != "1" || leaves["RESPONSEDATA/MSGID"] != m.msgID {
				t.Errorf("reply head %v", leaves)
			}
			checked := 0
			for i := range c.national {
				for _, p := range amountPairs(m.Requests[i].Kind, outputs[i]) {
					got, ok := leaves[p.legacy]
					if !ok {
						t.Errorf("the reply has no %s", p.legacy)
						continue
					}
					if p.fen {
						g, gerr := settlement.ParseFen(got)
						w, werr := settlement.ParseFen(p.national)
						if gerr != nil || werr != nil || g != w {
							t.Errorf("%s = %s, the national reply has %s", p.legacy, got, p.national)
						}
					} else if got != p.national {
						t.Errorf("%s = %q, the national reply has %q", p.legacy, got, p.national)
					}
					checked++
				}
			}
			if checked == 0 && m.Requests[0].Kind != settlement.KindDischarge {
				t.Error("nothing compared")
			}
		})
	}
}

type pair struct {
	legacy, national string
	fen              bool // compare as money
}

// amountPairs lists what the legacy reply must repeat from the national
// output: every amount, and the ids the hospital keeps.
func amountPairs(kind settlement.Kind, out map[string]any) []pair {
	var ps []pair
	str := func(m any, k string) string { return toString(m.(map[string]any)[k]) }
	switch kind {
	case settlement.KindPersonInfo:
		ps = append(ps, pair{"PERSON/AAC001", str(out["baseinfo"], "psn_no"), false})
		for i, row := range out["insuinfo"].([]any) {
			ps = append(ps, pair{"INSUROW[" + strconv.Itoa(i+1) + "]/BALC", str(row, "balc"), true})
		}
	case settlement.KindRegister:
		ps = append(ps, pair{"MDTRT_ID", str(out["data"], "mdtrt_id"), false})
	case settlement.KindAdmit:
		ps = append(ps, pair{"MDTRT_ID", str(out["result"], "mdtrt_id"), false})
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		for i, row := range out["result"].([]any) {
			at := "KC22ROW[" + strconv.Itoa(i+1) + "]/"
			ps = append(ps, pair{at + "FEEDETL_SN", str(row, "feedetl_sn"), false}, pair{at + "AKC227", str(row, "det_item_fee_sumamt"), true})
			for _, k := range []string{"fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"} {
				ps = append(ps, pair{at + strings.ToUpper(k), str(row, k), true})
			}
		}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		info := out["setlinfo"].(map[string]any)
		if id, ok := info["setl_id"]; ok {
			ps = append(ps, pair{"SETLINFO/SETL_ID", toString(id), false})
		}
		ps = append(ps, pair{"SETLINFO/AKC264", str(info, "medfee_sumamt"), true})
		for _, k := range []string{"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
			"hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
			"psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "balc", "acct_mulaid_pay"} {
			ps = append(ps, pair{"SETLINFO/" + strings.ToUpper(k), str(info, k), true})
		}
		for i, row := range out["setldetail"].([]any) {
			at := "FUNDROW[" + strconv.Itoa(i+1) + "]/"
			ps = append(ps, pair{at + "FUND_PAY_TYPE", str(row, "fund_pay_type"), false})
			for _, k := range []string{"inscp_scp_amt", "crt_payb_lmt_amt", "fund_payamt"} {
				ps = append(ps, pair{at + strings.ToUpper(k), str(row, k), true})
			}
		}
	}
	return ps
}

// readReply parses a reply with encoding/xml, independently of the
// package's own reader, into leaf values by path below the root and its
// first level (RESPONSEDATA/..., or the path inside OUTPUT) without the
// list elements (...XML); rows are numbered from 1.
func readReply(t *testing.T, reply []byte) map[string]string {
	dec := xml.NewDecoder(bytes.NewReader(reply))
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		cs, ok := charsetByName(label)
		if !ok {
			t.Fatalf("reply declares %s", label)
		}
		if cs == csGB18030 {
			return simplifiedchinese.GB18030.NewDecoder().Reader(in), nil
		}
		return simplifiedchinese.GBK.NewDecoder().Reader(in), nil
	}
	leaves := map[string]string{}
	var path []string
	counts := map[string]int{}
	var text string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return leaves
		}
		if err != nil {
			t.Fatalf("reply is not well-formed XML: %v\n%s", err, reply)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			if strings.HasSuffix(name, "ROW") {
				parent := strings.Join(path, "/")
				counts[parent+"/"+name]++
				name += "[" + strconv.Itoa(counts[parent+"/"+name]) + "]"
			}
			path = append(path, name)
			text = ""
		case xml.CharData:
			text += string(tok)
		case xml.EndElement:
			if len(path) > 2 {
				key := path[2:]
				if path[1] == "RESPONSEDATA" {
					key = path[1:]
				}
				var names []string
				for _, k := range key {
					if !strings.HasSuffix(k, "XML") {
						names = append(names, k)
					}
				}
				if k := strings.Join(names, "/"); leaves[k] == "" {
					leaves[k] = strings.TrimSpace(text)
				}
			}
			text = ""
			path = path[:len(path)-1]
		}
	}
}

// rebuildAnswer turns a national response golden back into the answer it
// encodes, and returns its output for the comparison.
func rebuildAnswer(t *testing.T, kind settlement.Kind, golden []byte) (settlement.Answer, map[string]any) {
	var resp struct {
		RefmsgID   string         `json:"inf_refmsgid"`
		RefmsgTime string         `json:"refmsg_time"`
		Output     map[string]any `json:"output"`
	}
	dec := json.NewDecoder(bytes.NewReader(golden))
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("20060102150405.000", resp.RefmsgTime, chinaTime)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := strconv.ParseUint(resp.RefmsgID[len(resp.RefmsgID)-10:], 10, 64)
	a := settlement.Answer{Stamp: settlement.Stamp{UnixMilli: at.UnixMilli(), Index: idx}}
	out := resp.Output
	o := &a.Outcome
	switch kind {
	case settlement.KindPersonInfo:
		base := obj(out["baseinfo"])
		p := settlement.Person{PsnNo: s(base, "psn_no"), CertType: s(base, "psn_cert_type"), CertNo: s(base, "certno"),
			Name: s(base, "psn_name"), Gender: s(base, "gend"), Nation: s(base, "naty"), Birthdate: s(base, "brdy")}
		var balance settlement.Fen
		for _, r := range out["insuinfo"].([]any) {
			in := obj(r)
			p.Insurances = append(p.Insurances, settlement.Insurance{Insutype: s(in, "insutype"), PsnType: s(in, "psn_type"),
				Status: s(in, "psn_insu_stas"), InsuredAdmdvs: s(in, "insuplc_admdvs"), Since: s(in, "psn_insu_date"),
				CvlservFlag: s(in, "cvlserv_flag"), EmpName: s(in, "emp_name")})
			if s(in, "insutype") == "310" {
				balance = fen(t, in, "balc")
			}
		}
		o.Person = &settlement.PersonInfo{Person: p, Balance: balance}
	case settlement.KindRegister:
		d := obj(out["data"])
		o.Visit = &settlement.Visit{MdtrtID: s(d, "mdtrt_id"), PsnNo: s(d, "psn_no"), IptOtpNo: s(d, "ipt_otp_no")}
	case settlement.KindAdmit:
		o.Visit = &settlement.Visit{MdtrtID: s(obj(out["result"]), "mdtrt_id")}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		for _, r := range out["result"].([]any) {
			l := obj(r)
			qty, _ := settlement.ParseQty(s(l, "cnt"))
			price, _ := settlement.ParsePrice(s(l, "pric"))
			bp, _ := settlement.ParseBP(s(l, "selfpay_prop"))
			ls := settlement.LineSplit{FeeLine: settlement.FeeLine{FeedetlSn: s(l, "feedetl_sn"), Amount: fen(t, l, "det_item_fee_sumamt"),
				Qty: qty, Price: price}, Class: settlement.ItemClass(s(l, "chrgitm_lv")), ChargeType: s(l, "med_chrgitm_type"),
				SelfPay: bp, Fulamt: fen(t, l, "fulamt_ownpay_amt"), Overlmt: fen(t, l, "overlmt_amt"),
				Preselfpay: fen(t, l, "preselfpay_amt"), Inscp: fen(t, l, "inscp_scp_amt"), Restricted: s(l, "lmt_used_flag") == "1",
				Memo: s(l, "memo")}
			if c := s(l, "pric_uplmt_amt"); c != "999999" {
				ls.PriceCap = fen(t, l, "pric_uplmt_amt")
			}
			o.Lines = append(o.Lines, ls)
		}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		in := obj(out["setlinfo"])
		bp, _ := settlement.ParseBP(s(in, "pool_prop_selfpay"))
		r := &settlement.Record{SetlID: s(in, "setl_id"), MdtrtID: s(in, "mdtrt_id"), PsnNo: s(in, "psn_no"), PsnName: s(in, "psn_name"),
			PsnCertType: s(in, "psn_cert_type"), CertNo: s(in, "certno"), Gender: s(in, "gend"), Nation: s(in, "naty"),
			Birthdate: s(in, "brdy"), Insutype: s(in, "insutype"), PsnType: s(in, "psn_type"), CvlservFlag: s(in, "cvlserv_flag"),
			SetlTime: s(in, "setl_time"), MdtrtCertType: s(in, "mdtrt_cert_type"), MedType: s(in, "med_type"),
			MsgID: s(in, "medins_setl_id"), ClrOptins: s(in, "clr_optins"), ClrWay: s(in, "clr_way"), ClrType: s(in, "clr_type"),
			Amounts: settlement.Amounts{Medfee: fen(t, in, "medfee_sumamt"), Fulamt: fen(t, in, "fulamt_ownpay_amt"),
				Overlmt: fen(t, in, "overlmt_selfpay"), Preselfpay: fen(t, in, "preselfpay_amt"), Inscp: fen(t, in, "inscp_scp_amt"),
				ActPayDedc: fen(t, in, "act_pay_dedc"), Hifp: fen(t, in, "hifp_pay"), PoolProp: bp, Cvlserv: fen(t, in, "cvlserv_pay"),
				Hifes: fen(t, in, "hifes_pay"), Hifmi: fen(t, in, "hifmi_pay"), Hifob: fen(t, in, "hifob_pay"), Maf: fen(t, in, "maf_pay"),
				Oth: fen(t, in, "oth_pay"), FundPay: fen(t, in, "fund_pay_sumamt"), PsnPart: fen(t, in, "psn_part_amt"),
				AcctPay: fen(t, in, "acct_pay"), PsnCash: fen(t, in, "psn_cash_pay"), HospPart: fen(t, in, "hosp_part_amt"),
				Balc: fen(t, in, "balc"), AcctMulaid: fen(t, in, "acct_mulaid_pay")}}
		for _, d := range out["setldetail"].([]any) {
			row := obj(d)
			r.Details = append(r.Details, settlement.FundDetail{FundPayType: s(row, "fund_pay_type"), Name: s(row, "fund_pay_type_name"),
				Inscp: fen(t, row, "inscp_scp_amt"), LimitLeft: fen(t, row, "crt_payb_lmt_amt"), Paid: fen(t, row, "fund_payamt"),
				Process: s(row, "setl_proc_info")})
		}
		o.Record = r
	}
	return a, out
}

func obj(v any) map[string]any { return v.(map[string]any) }

func s(m map[string]any, k string) string { return toString(m[k]) }

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func fen(t *testing.T, m map[string]any, k string) settlement.Fen {
	f, err := settlement.ParseFen(s(m, k))
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return f
}
