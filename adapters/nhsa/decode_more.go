package nhsa

import (
	"errors"
	"fmt"
	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// decoders reads each transaction's input nodes into the request.
var decoders = map[settlement.Kind]func(map[string]json.RawMessage, *settlement.Request) error{
	settlement.KindPersonInfo: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Person, err = decodePersonQuery(n)
		return err
	},
	settlement.KindRegister: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Register, err = decodeRegistration(n)
		return err
	},
	settlement.KindUploadFees: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Fees, err = decodeFees(n, false)
		return err
	},
	settlement.KindUploadInpFees: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Fees, err = decodeFees(n, true)
		return err
	},
	settlement.KindPreSettle:    decodeSettleInto,
	settlement.KindSettle:       decodeSettleInto,
	settlement.KindInpPreSettle: decodeSettleInto,
	settlement.KindInpSettle:    decodeSettleInto,
	settlement.KindCancelSettle: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Cancel, err = decodeCancel(n)
		return err
	},
	settlement.KindInpCancel: func(n map[string]json.RawMessage, r *settlement.Request) (err error) {
		r.Cancel, err = decodeCancel(n)
		return err
	},
	settlement.KindSetlQuery: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ SetlID, MdtrtID, PsnNo text }
		f, err := data(n, "data", &d)
		r.SetlQuery = &settlement.CancelRequest{SetlID: f.need("setl_id", d.SetlID), MdtrtID: string(d.MdtrtID), PsnNo: f.need("psn_no", d.PsnNo)}
		return first(err, f.err)
	},
	settlement.KindSignIn: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ OpterNo, Mac, IP text }
		f, err := data(n, "signIn", &d)
		r.Session = &settlement.SessionRequest{OpterNo: f.need("opter_no", d.OpterNo), MAC: string(d.Mac), IP: f.need("ip", d.IP)}
		return first(err, f.err)
	},
	settlement.KindSignOut: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ SignNo, OpterNo text }
		f, err := data(n, "signOut", &d)
		r.Session = &settlement.SessionRequest{SignNo: f.need("sign_no", d.SignNo), OpterNo: string(d.OpterNo)}
		return first(err, f.err)
	},
	settlement.KindBenefitCheck: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, Insutype, MedType, Begntime, DiseCodg text }
		f, err := data(n, "data", &d)
		r.Benefit = &settlement.BenefitQuery{PsnNo: f.need("psn_no", d.PsnNo), Insutype: f.need("insutype", d.Insutype),
			MedType: f.need("med_type", d.MedType), Begntime: f.dateTime("begntime", d.Begntime), DiseCodg: string(d.DiseCodg)}
		return first(err, f.err)
	},
	settlement.KindCumQuery: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, CumYm text }
		f, err := data(n, "data", &d)
		r.Cum = &settlement.CumQuery{PsnNo: f.need("psn_no", d.PsnNo), CumYm: string(d.CumYm)}
		return first(err, f.err)
	},
	settlement.KindCancelRegister:  decodeVisitRef(true),
	settlement.KindCancelAdmit:     decodeVisitRef(false),
	settlement.KindCancelDischarge: decodeVisitRef(false),
	settlement.KindVisitInfo: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct {
			MdtrtID, PsnNo, MedType, Begntime, DiseCodg, DiseName text
		}
		f, err := data(n, "mdtrtinfo", &d)
		diag, derr := diagnoses(n)
		r.VisitInfo = &settlement.VisitInfo{MdtrtID: f.need("mdtrt_id", d.MdtrtID), PsnNo: f.need("psn_no", d.PsnNo),
			MedType: f.need("med_type", d.MedType), Begntime: f.dateTime("begntime", d.Begntime),
			DiseCodg: string(d.DiseCodg), DiseName: string(d.DiseName), Diagnoses: diag}
		return first(err, f.err, derr)
	},
	settlement.KindCancelFees: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ MdtrtID, ChrgBchno, PsnNo text }
		f, err := data(n, "data", &d)
		r.FeeCancel = &settlement.FeeCancel{MdtrtID: f.need("mdtrt_id", d.MdtrtID), ChrgBchno: f.need("chrg_bchno", d.ChrgBchno), PsnNo: f.need("psn_no", d.PsnNo)}
		return first(err, f.err)
	},
	settlement.KindCancelInpFees: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ FeedetlSn, MdtrtID, PsnNo text }
		f, err := data(n, "data", &d)
		r.FeeCancel = &settlement.FeeCancel{MdtrtID: f.need("mdtrt_id", d.MdtrtID), FeedetlSn: f.need("feedetl_sn", d.FeedetlSn), PsnNo: f.need("psn_no", d.PsnNo)}
		return first(err, f.err)
	},
	settlement.KindAdmit: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct {
			PsnNo, Insutype, Begntime, MdtrtCertType, MdtrtCertNo, MedType, IptNo, AtddrNo, ChfpdrName text
			AdmDeptCodg, AdmDeptName, AdmBed, DiseCodg, DiseName                                       text
		}
		f, err := data(n, "mdtrtinfo", &d)
		diag, derr := diagnoses(n)
		r.Admission = &settlement.Admission{PsnNo: f.need("psn_no", d.PsnNo), Insutype: f.need("insutype", d.Insutype),
			Begntime: f.dateTime("begntime", d.Begntime), CertType: f.need("mdtrt_cert_type", d.MdtrtCertType),
			CertNo: f.need("mdtrt_cert_no", d.MdtrtCertNo), MedType: f.need("med_type", d.MedType), IptNo: f.need("ipt_no", d.IptNo),
			AtddrNo: f.need("atddr_no", d.AtddrNo), DrName: f.need("chfpdr_name", d.ChfpdrName),
			DeptCode: f.need("adm_dept_codg", d.AdmDeptCodg), DeptName: f.need("adm_dept_name", d.AdmDeptName),
			Bed: string(d.AdmBed), DiseCodg: string(d.DiseCodg), DiseName: string(d.DiseName), Diagnoses: diag}
		return first(err, f.err, derr)
	},
	settlement.KindDischarge: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct {
			MdtrtID, PsnNo, Insutype, Endtime, DiseCodg, DiseName, DscgWay, DscgDeptCodg text
		}
		f, err := data(n, "dscginfo", &d)
		diag, derr := diagnoses(n)
		r.Discharge = &settlement.Discharge{MdtrtID: f.need("mdtrt_id", d.MdtrtID), PsnNo: f.need("psn_no", d.PsnNo),
			Insutype: f.need("insutype", d.Insutype), Endtime: f.dateTime("endtime", d.Endtime), DscgWay: f.need("dscg_way", d.DscgWay),
			DiseCodg: string(d.DiseCodg), DiseName: string(d.DiseName), DeptCode: string(d.DscgDeptCodg), Diagnoses: diag}
		return first(err, f.err, derr)
	},
	settlement.KindReversal: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, Omsgid, Oinfno text }
		f, err := data(n, "data", &d)
		r.Reversal = &settlement.ReversalRequest{PsnNo: f.need("psn_no", d.PsnNo), OMsgID: f.need("omsgid", d.Omsgid),
			OInfno: settlement.Kind(f.need("oinfno", d.Oinfno))}
		return first(err, f.err)
	},
	settlement.KindReconTotals:  decodeRecon(false),
	settlement.KindReconDetails: decodeRecon(true),
	settlement.KindReferralFiling: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct {
			PsnNo, Insutype, DiagCode, DiagName, ReflinMedinsNo, MdtrtareaAdmdvs, ReflType, ReflDate, Begndate, Enddate text
		}
		f, err := data(n, "refmedin", &d)
		r.Filing = &settlement.FilingRequest{PsnNo: f.need("psn_no", d.PsnNo), Insutype: f.need("insutype", d.Insutype),
			TreatAdmdvs: f.need("mdtrtarea_admdvs", d.MdtrtareaAdmdvs), ToHospital: f.need("reflin_medins_no", d.ReflinMedinsNo),
			Begin: orText(d.Begndate, d.ReflDate), End: string(d.Enddate)}
		f.need("diag_code", d.DiagCode)
		f.need("diag_name", d.DiagName)
		f.need("refl_type", d.ReflType)
		f.need("refl_date", d.ReflDate)
		return first(err, f.err)
	},
	settlement.KindChronicFiling: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, Insutype, OpspDiseCode, Begndate, Enddate text }
		f, err := data(n, "data", &d)
		r.Filing = &settlement.FilingRequest{PsnNo: f.need("psn_no", d.PsnNo), Insutype: f.need("insutype", d.Insutype),
			DiseCode: f.need("opsp_dise_code", d.OpspDiseCode), Begin: f.need("begndate", d.Begndate), End: string(d.Enddate)}
		return first(err, f.err)
	},
	settlement.KindFixedFiling: func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, FixmedinsCode, Begndate, Enddate text }
		f, err := data(n, "data", &d)
		r.Filing = &settlement.FilingRequest{PsnNo: f.need("psn_no", d.PsnNo), ToHospital: f.need("fixmedins_code", d.FixmedinsCode),
			Begin: f.need("begndate", d.Begndate), End: string(d.Enddate)}
		return first(err, f.err)
	},
	settlement.KindCancelReferral: decodeFilingCancel,
	settlement.KindCancelChronic:  decodeFilingCancel,
	settlement.KindCancelFixed:    decodeFilingCancel,
}

func decodeSettleInto(n map[string]json.RawMessage, r *settlement.Request) (err error) {
	r.Settle, err = decodeSettle(n, r.Kind)
	return err
}

func decodeVisitRef(outpatient bool) func(map[string]json.RawMessage, *settlement.Request) error {
	return func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct{ PsnNo, MdtrtID, IptOtpNo text }
		f, err := data(n, "data", &d)
		r.VisitRef = &settlement.VisitRef{PsnNo: f.need("psn_no", d.PsnNo), MdtrtID: f.need("mdtrt_id", d.MdtrtID)}
		if outpatient {
			r.VisitRef.IptOtpNo = f.need("ipt_otp_no", d.IptOtpNo)
		}
		return first(err, f.err)
	}
}

func decodeFilingCancel(n map[string]json.RawMessage, r *settlement.Request) error {
	var d struct{ TrtDclaDetlSn, PsnNo, Memo text }
	f, err := data(n, "data", &d)
	r.Filing = &settlement.FilingRequest{Sn: f.need("trt_dcla_detl_sn", d.TrtDclaDetlSn), PsnNo: f.need("psn_no", d.PsnNo), Memo: string(d.Memo)}
	return first(err, f.err)
}

// decodeRecon reads 3201, or 3202 with its detail rows. The national 3202
// uploads the rows as a file through 9101 first; provgate takes them inline
// in input.data.detail (docs/API.md).
func decodeRecon(details bool) func(map[string]json.RawMessage, *settlement.Request) error {
	return func(n map[string]json.RawMessage, r *settlement.Request) error {
		var d struct {
			Insutype, ClrType, SetlOptins, StmtBegndate, StmtEnddate text
			MedfeeSumamt, FundPaySumamt, AcctPay, CashPayamt         decimal
			FixmedinsSetlCnt                                         text
			Detail                                                   []struct {
				SetlID, MdtrtID, PsnNo               text
				MedfeeSumamt, FundPaySumamt, AcctPay decimal
				RefdSetlFlag                         text
			}
		}
		f, err := data(n, "data", &d)
		rec := &settlement.Reconciliation{Insutype: string(d.Insutype), ClrType: f.need("clr_type", d.ClrType),
			SetlOptins: f.need("setl_optins", d.SetlOptins), Begin: f.need("stmt_begndate", d.StmtBegndate),
			End: f.need("stmt_enddate", d.StmtEnddate), Medfee: f.money("medfee_sumamt", d.MedfeeSumamt),
			FundPay: f.money("fund_pay_sumamt", d.FundPaySumamt)}
		if details {
			rec.CashPay = f.money("cash_payamt", d.CashPayamt)
		} else {
			rec.Insutype = f.need("insutype", d.Insutype)
			rec.AcctPay = f.money("acct_pay", d.AcctPay)
		}
		cnt := f.need("fixmedins_setl_cnt", d.FixmedinsSetlCnt)
		if f.err == nil {
			if _, serr := fmt.Sscan(cnt, &rec.Count); serr != nil {
				f.err = settlement.Errorf(settlement.CodeBadField, f.at("fixmedins_setl_cnt"), expect("整数 / a whole number", cnt))
			}
		}
		for i, row := range d.Detail {
			rf := fields{list: "input.data.detail", item: i}
			rec.Details = append(rec.Details, settlement.ReconDetail{SetlID: rf.need("setl_id", row.SetlID),
				MdtrtID: string(row.MdtrtID), PsnNo: string(row.PsnNo), Medfee: rf.money("medfee_sumamt", row.MedfeeSumamt),
				FundPay: rf.money("fund_pay_sumamt", row.FundPaySumamt), AcctPay: rf.money("acct_pay", row.AcctPay),
				RefundFlag: string(row.RefdSetlFlag)})
			if rf.err != nil && f.err == nil {
				f.err = rf.err
			}
		}
		r.Recon = rec
		return first(err, f.err)
	}
}

// data decodes input.<name> into v, whose fields are matched to the
// snake_case national names, and returns the field checker for it.
func data(nodes map[string]json.RawMessage, name string, v any) (*fields, error) {
	f := &fields{path: "input." + name + "."}
	raw, ok := nodes[name]
	if !ok {
		return f, settlement.Errorf(settlement.CodeMissingField, "input."+name)
	}
	return f, decodeSnake(raw, v, "input."+name)
}

func diagnoses(nodes map[string]json.RawMessage) ([]settlement.Diagnosis, error) {
	raw, ok := nodes["diseinfo"]
	if !ok {
		return nil, nil
	}
	var rows []struct {
		DiagType, DiagSrtNo, DiagCode, DiagName, MaindiagFlag, DiagDept, DiseDorNo, DiseDorName, DiagTime, ValiFlag text
	}
	if err := decodeSnake(raw, &rows, "input.diseinfo"); err != nil {
		return nil, err
	}
	out := make([]settlement.Diagnosis, len(rows))
	for i, d := range rows {
		out[i] = settlement.Diagnosis{Type: string(d.DiagType), SrtNo: string(d.DiagSrtNo), Code: string(d.DiagCode),
			Name: string(d.DiagName), Main: d.MaindiagFlag == "1", Dept: string(d.DiagDept), DrCode: string(d.DiseDorNo),
			DrName: string(d.DiseDorName), Time: string(d.DiagTime), Invalid: d.ValiFlag == "0"}
	}
	return out, nil
}

func first(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func orText(a, b text) string {
	if a != "" {
		return string(a)
	}
	return string(b)
}

// decodeSnake decodes national snake_case JSON into a struct with plain Go
// field names (psn_no → PsnNo): one pass removes the underscores from object
// keys, and encoding/json matches the rest case-insensitively. Values are
// untouched.
func decodeSnake(raw json.RawMessage, v any, path string) error {
	if err := json.Unmarshal(foldKeys(raw), v); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return settlement.Errorf(settlement.CodeBadField, path+"."+typ.Field, wrongType(typ.Value))
		}
		return settlement.Errorf(settlement.CodeBadField, path, settlement.Bi("结构不符合接口规范", "does not have the structure the interface defines"))
	}
	return nil
}

// foldKeys copies JSON, dropping '_' from object keys only: a string is a
// key when the next non-space byte after it is ':'.
func foldKeys(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '"' {
			out = append(out, c)
			continue
		}
		// Find the end of the string, honouring escapes.
		j := i + 1
		for j < len(raw) && raw[j] != '"' {
			if raw[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(raw) {
			return append(out, raw[i:]...) // malformed: let the decoder say so
		}
		k := j + 1
		for k < len(raw) && (raw[k] == ' ' || raw[k] == '\t' || raw[k] == '\n' || raw[k] == '\r') {
			k++
		}
		if k < len(raw) && raw[k] == ':' {
			for _, b := range raw[i : j+1] {
				if b != '_' {
					out = append(out, b)
				}
			}
		} else {
			out = append(out, raw[i:j+1]...)
		}
		i = j
	}
	return out
}
