package nhsa

import (
	"bytes"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// The provgate inter-province profile. Between provincial platforms the
// envelope is the national one; its input carries one node, "provgate",
// the request in domain terms (amounts in fen, split lines, the treating
// hospital as registered), so the insured place decides exactly what the
// treatment place split, and the digest covers all of it. Outputs are the
// ordinary national ones (setlinfo, setldetail, baseinfo, ...).

// wireInput is the input object of an inter-province request.
type wireInput struct {
	Provgate settlement.Request `json:"provgate"`
}

// WireInput encodes a request for the national platform. Deterministic: a
// re-driven intent sends the same bytes, so every hop deduplicates it.
func WireInput(r settlement.Request) (json.RawMessage, error) {
	r.MsgID, r.Digest, r.SignNo, r.Operator = "", "", "", ""
	return json.Marshal(wireInput{Provgate: r})
}

// DecodeNational reads a request the national platform sends to our
// insured-place endpoint: the envelope, then the provgate node. The
// hospital, msgid and regions come from the envelope; the digest covers
// the whole input.
func DecodeNational(body []byte, pathInfno string) (Message, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return Message{}, malformed(err)
	}
	h := env.Header
	if h.Infno == "" {
		h.Infno = text(pathInfno)
	}
	if pathInfno != "" && string(h.Infno) != pathInfno {
		return Message{}, settlement.Errorf(settlement.CodeBadField, "infno", expect(pathInfno, string(h.Infno)))
	}
	for _, f := range []struct {
		name string
		v    text
	}{{"infno", h.Infno}, {"msgid", h.MsgID}, {"mdtrtarea_admvs", h.MdtrtareaAdmv}, {"insuplc_admdvs", h.InsuplcAdmdvs}, {"fixmedins_code", h.FixmedinsCode}} {
		if strings.TrimSpace(string(f.v)) == "" {
			return Message{}, settlement.Errorf(settlement.CodeMissingField, f.name)
		}
	}
	if !isRegion(string(h.MdtrtareaAdmv)) || !isRegion(string(h.InsuplcAdmdvs)) {
		return Message{}, settlement.Errorf(settlement.CodeBadField, "mdtrtarea_admvs / insuplc_admdvs", regionCode)
	}
	digest, err := digestOf(string(h.Infno), env.Input)
	if err != nil {
		return Message{}, err
	}
	var in wireInput
	if err := json.Unmarshal(env.Input, &in); err != nil {
		return Message{}, settlement.Errorf(settlement.CodeBadField, "input.provgate", settlement.Bi("不是省平台间请求", "not an inter-province request"))
	}
	req := in.Provgate
	if req.Remote == nil {
		return Message{}, settlement.Errorf(settlement.CodeMissingField, "input.provgate.remote")
	}
	if req.Kind != settlement.Kind(h.Infno) {
		return Message{}, settlement.Errorf(settlement.CodeBadField, "input.provgate.kind", expect(string(h.Infno), string(req.Kind)))
	}
	req.Hospital, req.MsgID, req.Digest = string(h.FixmedinsCode), string(h.MsgID), digest
	req.TreatAdmdvs, req.InsuredAdmdvs = string(h.MdtrtareaAdmv), string(h.InsuplcAdmdvs)
	req.Remote.Hospital.Admdvs = req.TreatAdmdvs
	return Message{Header: h, Request: req}, nil
}

// settlementOut is the output of a settlement or a cancellation, read back.
type settlementOut struct {
	Info    setlInfo     `json:"setlinfo"`
	Details []setlDetail `json:"setldetail"`
}

// DecodeSettlementOutput reads the setlinfo and setldetail of a national
// answer into a record: what the insured place decided, to the fen.
func DecodeSettlementOutput(out json.RawMessage) (settlement.Record, error) {
	var o settlementOut
	if err := json.Unmarshal(out, &o); err != nil {
		return settlement.Record{}, malformed(err)
	}
	i := o.Info
	if i.SetlID == "" {
		return settlement.Record{}, settlement.Errorf(settlement.CodeMissingField, "output.setlinfo.setl_id")
	}
	r := settlement.Record{
		SetlID: i.SetlID, MdtrtID: i.MdtrtID, PsnNo: i.PsnNo, PsnName: i.PsnName, PsnCertType: i.PsnCertType,
		CertNo: i.Certno, Gender: i.Gend, Nation: i.Naty, Birthdate: i.Brdy, Insutype: i.Insutype, PsnType: i.PsnType,
		CvlservFlag: i.CvlservFlag, SetlTime: i.SetlTime, MdtrtCertType: i.MdtrtCertType, MedType: i.MedType,
		ClrOptins: i.ClrOptins, ClrWay: i.ClrWay, ClrType: i.ClrType,
		Amounts: settlement.Amounts{
			Medfee: settlement.Fen(i.Medfee), Fulamt: settlement.Fen(i.Fulamt), Overlmt: settlement.Fen(i.Overlmt),
			Preselfpay: settlement.Fen(i.Preselfpay), Inscp: settlement.Fen(i.Inscp), ActPayDedc: settlement.Fen(i.ActPayDedc),
			Hifp: settlement.Fen(i.Hifp), PoolProp: settlement.BP(i.PoolProp), Cvlserv: settlement.Fen(i.Cvlserv),
			Hifes: settlement.Fen(i.Hifes), Hifmi: settlement.Fen(i.Hifmi), Hifob: settlement.Fen(i.Hifob),
			Maf: settlement.Fen(i.Maf), Oth: settlement.Fen(i.Oth), FundPay: settlement.Fen(i.FundPay),
			PsnPart: settlement.Fen(i.PsnPart), AcctPay: settlement.Fen(i.AcctPay), PsnCash: settlement.Fen(i.PsnCash),
			HospPart: settlement.Fen(i.HospPart), Balc: settlement.Fen(i.Balc), AcctMulaid: settlement.Fen(i.AcctMulaid),
		},
	}
	for _, d := range o.Details {
		r.Details = append(r.Details, settlement.FundDetail{FundPayType: d.FundPayType, Name: d.FundPayTypeName,
			Inscp: settlement.Fen(d.Inscp), LimitLeft: settlement.Fen(d.CrtPaybLmtAmt), Paid: settlement.Fen(d.FundPayamt),
			Process: d.SetlProcInfo})
	}
	return r, nil
}

// DecodeErrMsg reads a refusal's err_msg back into the error it was made
// from ("[E4105] 中文 / English"); a message in another shape is kept
// whole as the reason of an upstream refusal (E5004), whose fate says what
// became of the request (settlement.UpstreamPending or UpstreamNothingDone:
// only the caller knows whether it sent a write or a read).
func DecodeErrMsg(msg string, fate settlement.Text) *settlement.Error {
	if len(msg) > 8 && msg[0] == '[' && msg[6] == ']' {
		zh, en, _ := strings.Cut(strings.TrimSpace(msg[7:]), " / ")
		return &settlement.Error{Code: settlement.Code(msg[1:6]), ZH: zh, EN: en}
	}
	return settlement.Errorf(settlement.CodeUpstream, msg, fate)
}

// EncodeRelayed answers a hospital with an output the insured place
// produced (a cross-province query), in our envelope.
func (r Receiver) EncodeRelayed(out json.RawMessage, a settlement.Answer) ([]byte, error) {
	t := a.Stamp.Time()
	return json.Marshal(Response{Infcode: 0, InfRefmsgid: r.refmsgid(t, a.Stamp.Index),
		RefmsgTime: t.Format("20060102150405.000"), RespondTime: t.Format("20060102150405.000"), Output: out})
}
