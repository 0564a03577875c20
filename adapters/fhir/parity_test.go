package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// The parity tests express visits of the reference hospital day in FHIR
// (testdata/decode) and check that they mean what the national requests
// of that day mean: the same business content, step by step. What differs
// by design: msgid and digest (per format), operator and sign_no (FHIR has
// no session), psn_no and mdtrt_id (FHIR names the person by certificate
// and the visit by the hospital's number in Ref, for the state machine to
// resolve), chrg_bchno (a Claim is one charge batch, named by its
// identifier), invono and the four split amounts 2207 echoes (a Claim is
// sent before the hospital has seen the split), and the insured place (the
// national header leaves it empty; the FHIR Coverage names it).

func national(t *testing.T, name string) settlement.Request {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dayDir, name+"*.request.json"))
	if len(matches) != 1 {
		t.Fatalf("%s: %d national requests", name, len(matches))
	}
	body, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := nhsa.Decode(body, "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m.Request
}

// same reports a difference of one field.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: FHIR %v, national %v", what, got, want)
	}
}

// sameEnvelope compares what every step carries besides its part.
func sameEnvelope(t *testing.T, got, want settlement.Request, visitNo string) {
	t.Helper()
	same(t, "kind", got.Kind, want.Kind)
	same(t, string(want.Kind)+" fixmedins_code", got.Hospital, want.Hospital)
	same(t, string(want.Kind)+" mdtrtarea_admvs", got.TreatAdmdvs, want.TreatAdmdvs)
	if got.Ref == nil || got.Ref.VisitNo != visitNo || got.Ref.CertType != "02" {
		t.Errorf("%s: ref %+v, want the ID number and visit %s", want.Kind, got.Ref, visitNo)
	}
}

// sameLines compares fee lines apart from the visit, person and batch
// they are filed under.
func sameLines(t *testing.T, got, want []settlement.FeeLine) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d lines, national %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.MdtrtID, g.PsnNo, g.ChrgBchno = w.MdtrtID, w.PsnNo, w.ChrgBchno
		same(t, "fee line "+w.FeedetlSn, g, w)
	}
}

func TestSameOutpatientVisit(t *testing.T) {
	m := decodeFile(t, "outpatient-claim")
	reg, info, fees, settle := m.Requests[0], m.Requests[1], m.Requests[2], m.Requests[3]
	const visitNo = "MZ0001"

	nReg := national(t, "04-2201")
	sameEnvelope(t, reg, nReg, visitNo)
	same(t, "ref certificate", reg.Ref.CertNo, nReg.Register.CertNo)
	want := *nReg.Register
	want.PsnNo = ""
	same(t, "2201 registration", *reg.Register, want)

	nInfo := national(t, "05-2203")
	sameEnvelope(t, info, nInfo, visitNo)
	want2 := *nInfo.VisitInfo
	want2.PsnNo, want2.MdtrtID = "", ""
	same(t, "2203 visit info", *info.VisitInfo, want2)

	nFees := national(t, "06-2204")
	sameEnvelope(t, fees, nFees, visitNo)
	sameLines(t, fees.Fees.Lines, nFees.Fees.Lines)

	for _, n := range []struct {
		file string
		req  settlement.Request
	}{{"08-2207", settle}, {"07-2206", decodeFile(t, "outpatient-predetermination").Requests[3]}} {
		nSettle := national(t, n.file)
		sameEnvelope(t, n.req, nSettle, visitNo)
		got, want := *n.req.Settle, *nSettle.Settle
		want.PsnNo, want.MdtrtID, want.ChrgBchno, want.Invono, want.Split = "", "", got.ChrgBchno, "", nil
		same(t, string(nSettle.Kind)+" settlement", got, want)
	}

	nPerson := national(t, "02-1101")
	elig := decodeFile(t, "eligibility").Requests[0]
	same(t, "1101 kind", elig.Kind, nPerson.Kind)
	same(t, "1101 hospital", elig.Hospital, nPerson.Hospital)
	same(t, "1101 person query", *elig.Person, *nPerson.Person)

	nBenefit := national(t, "03-2001")
	ben := decodeFile(t, "eligibility-benefits").Requests[1]
	same(t, "2001 kind", ben.Kind, nBenefit.Kind)
	want3 := *nBenefit.Benefit
	want3.PsnNo = ""
	same(t, "2001 benefit query", *ben.Benefit, want3)
}

func TestSameInpatientStay(t *testing.T) {
	m := decodeFile(t, "inpatient-claim")
	adm, fees, dscg, settle := m.Requests[0], m.Requests[1], m.Requests[2], m.Requests[3]
	const stayNo = "ZY0001"

	nAdm := national(t, "25-2401")
	sameEnvelope(t, adm, nAdm, stayNo)
	want := *nAdm.Admission
	want.PsnNo = ""
	same(t, "2401 admission", *adm.Admission, want)

	// The day uploads the stay's lines in two batches (with an interim
	// settlement between them); a Claim carries the whole stay.
	n1, n2 := national(t, "27-2301"), national(t, "30-2301")
	sameEnvelope(t, fees, n1, stayNo)
	sameLines(t, fees.Fees.Lines, append(n1.Fees.Lines, n2.Fees.Lines...))

	nDscg := national(t, "32-2402")
	sameEnvelope(t, dscg, nDscg, stayNo)
	want2 := *nDscg.Discharge
	want2.PsnNo, want2.MdtrtID = "", ""
	same(t, "2402 discharge", *dscg.Discharge, want2)

	// The day's final 2304 settles only what its interim settlement left;
	// the Claim's settles the stay: its medfee is every line's.
	nSettle := national(t, "36-2304")
	sameEnvelope(t, settle, nSettle, stayNo)
	got, want3 := *settle.Settle, *nSettle.Settle
	var stay settlement.Fen
	for _, l := range append(n1.Fees.Lines, n2.Fees.Lines...) {
		stay += l.Amount
	}
	same(t, "2304 medfee", got.Medfee, stay)
	want3.PsnNo, want3.MdtrtID, want3.Medfee, want3.Invono = "", "", got.Medfee, ""
	same(t, "2304 settlement", got, want3)
}

// TestSameAmounts encodes the answers the reference day's settlement gave
// and checks that the FHIR reply carries the national reply's amounts to
// the fen: every setlinfo amount under its national name, the HL7 totals,
// each fund's payment, and each line's split.
func TestSameAmounts(t *testing.T) {
	for _, c := range []struct{ msg, settle, fees string }{
		{"outpatient-claim", "08-2207", "06-2204"},
		{"outpatient-predetermination", "07-2206", "06-2204"},
		{"outpatient-cancel", "14-2208", ""},
		{"inpatient-claim", "36-2304", "27-2301"},
		{"bundle-chronic-claim", "21-2207", "20-2204"},
	} {
		t.Run(c.msg, func(t *testing.T) {
			m := decodeFile(t, c.msg)
			b, err := m.Encode(dayAnswers(t, c.msg))
			if err != nil {
				t.Fatal(err)
			}
			var reply struct {
				Total []struct {
					Category struct {
						Coding []struct{ System, Code string }
					}
					Amount struct{ Value json.Number }
				}
				Item []struct {
					ItemSequence int
					Adjudication []struct {
						Category struct {
							Coding []struct{ System, Code string }
						}
						Amount *struct{ Value json.Number }
					}
				}
				Payment *struct{ Amount struct{ Value json.Number } }
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&reply); err != nil {
				t.Fatal(err)
			}
			totals := map[string]settlement.Fen{}
			for _, tot := range reply.Total {
				cd := tot.Category.Coding[0]
				totals[cd.System+"#"+cd.Code] = fen(t, tot.Amount.Value)
			}
			r := readResponse(t, c.settle)
			var info map[string]any
			r.node(t, "setlinfo", &info)
			for _, k := range []string{"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
				"inscp_scp_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay",
				"maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt",
				"acct_mulaid_pay", "balc"} {
				same(t, k, totals[csAdjudication+"#"+k], fen(t, info[k].(json.Number)))
			}
			for code, k := range map[string]string{"submitted": "medfee_sumamt", "eligible": "inscp_scp_amt",
				"deductible": "act_pay_dedc", "benefit": "fund_pay_sumamt", "copay": "psn_cash_pay"} {
				same(t, "HL7 "+code, totals[csHL7Adjud+"#"+code], fen(t, info[k].(json.Number)))
			}
			var details []map[string]any
			r.node(t, "setldetail", &details)
			for _, d := range details {
				same(t, "fund "+d["fund_pay_type"].(string), totals[csFundPayType+"#"+d["fund_pay_type"].(string)],
					fen(t, d["fund_payamt"].(json.Number)))
			}
			if _, settled := info["setl_id"]; settled != (reply.Payment != nil) {
				t.Errorf("payment %v for a reply with setl_id %v", reply.Payment != nil, settled)
			} else if settled {
				same(t, "payment", fen(t, reply.Payment.Amount.Value), fen(t, info["fund_pay_sumamt"].(json.Number)))
			}
			if c.fees == "" {
				return
			}
			var rows []map[string]any
			readResponse(t, c.fees).node(t, "result", &rows)
			for i, row := range rows {
				parts := map[string]settlement.Fen{}
				for _, a := range reply.Item[i].Adjudication {
					if a.Amount != nil {
						parts[a.Category.Coding[0].Code] = fen(t, a.Amount.Value)
					}
				}
				for code, k := range map[string]string{"submitted": "det_item_fee_sumamt", "eligible": "inscp_scp_amt",
					"fulamt_ownpay_amt": "fulamt_ownpay_amt", "overlmt_amt": "overlmt_amt", "preselfpay_amt": "preselfpay_amt"} {
					same(t, "line "+row["feedetl_sn"].(string)+" "+code, parts[code], fen(t, row[k].(json.Number)))
				}
			}
		})
	}
}
