package gateway

import (
	"context"

	"github.com/gin-gonic/gin"
	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// Upstream is the national platform as the treatment place reaches it;
// *national.Outbox satisfies it.
type Upstream interface {
	// Wait drives a replicated intent to its completion (or joins the
	// drive in flight) and returns the hospital's answer; when ctx ends
	// first the answer is "in progress, retry with the same msgid".
	Wait(ctx context.Context, in settlement.Intent) (settlement.Answer, error)
	// Query sends a cross-province read and returns the insured place's
	// output as it stands.
	Query(ctx context.Context, wire settlement.Request, st settlement.Stamp) (json.RawMessage, error)
}

// crossProvince finishes an answer that the insured place must give: a
// pending write is driven to completion, a read is sent on. raw, when not
// nil, is the insured place's output to relay as it is.
func (s *Server) crossProvince(ctx context.Context, a settlement.Answer) (settlement.Answer, json.RawMessage, error) {
	o := a.Outcome
	if o.Pending == nil && o.Remote == nil {
		return a, nil, nil
	}
	if s.cfg.Upstream == nil {
		fate := settlement.UpstreamNothingDone
		if o.Pending != nil {
			fate = settlement.UpstreamPending // the intent is written: a node with a platform will drive it
		}
		return a, nil, settlement.Errorf(settlement.CodeUpstream, "no national platform configured", fate)
	}
	if o.Pending != nil {
		ans, err := s.cfg.Upstream.Wait(ctx, *o.Pending)
		return ans, nil, err
	}
	raw, err := s.cfg.Upstream.Query(ctx, *o.Remote, a.Stamp)
	return a, raw, err
}

// namePerson gives a request that opens a visit (2201, 2401) for a patient
// insured in another province and named only by a certificate the psn_no
// the insured place knows the patient by. Our registry does not hold people
// insured elsewhere, and the formats other than the national one carry no
// psn_no, so the gateway asks the insured place (1101 through the national
// platform), as a national HIS does before it registers. Later messages
// name the visit, which keeps the psn_no. The request's digest is left as
// the hospital's message made it: the psn_no follows from the certificate,
// so a retry of the message still matches its stored answer. The lookup
// carries the registration's msgid; like every cross-province read it is
// sent under a msgid of its own (national.Outbox.Query, readMsgID),
// so a lookup made again for a retried message is not taken for the first.
func (s *Server) namePerson(ctx context.Context, x exchange, req *settlement.Request) error {
	var psnNo *string
	switch {
	case req.Register != nil:
		psnNo = &req.Register.PsnNo
	case req.Admission != nil:
		psnNo = &req.Admission.PsnNo
	default:
		return nil
	}
	ref := req.Ref
	if _, national := x.format.(nhsaFormat); national || *psnNo != "" || ref == nil || ref.CertNo == "" ||
		req.Remote != nil || s.cfg.Upstream == nil || !settlement.CrossProvince(req.TreatAdmdvs, req.InsuredAdmdvs) {
		return nil // the national HIS sends the psn_no; a national relay carries the hospital's own message
	}
	q := settlement.Request{Kind: settlement.KindPersonInfo, MsgID: req.MsgID,
		Hospital: req.Hospital, TreatAdmdvs: req.TreatAdmdvs, InsuredAdmdvs: req.InsuredAdmdvs, Operator: req.Operator,
		Person: &settlement.PersonQuery{CertType: ref.CertType, CertNo: ref.CertNo}}
	var r relayer
	if x.relay != nil {
		r = x.relay(q)
	}
	d, err := s.decide(ctx, q, x.forwarded, r)
	if err != nil {
		return err
	}
	_, raw, err := s.crossProvince(ctx, d.answer)
	if err != nil {
		return err
	}
	var out struct {
		Baseinfo struct {
			PsnNo string `json:"psn_no"`
		} `json:"baseinfo"`
	}
	if raw == nil || json.Unmarshal(raw, &out) != nil || out.Baseinfo.PsnNo == "" {
		return settlement.Errorf(settlement.CodeUpstream, settlement.Bi("参保地1101应答缺少人员编号", "the insured place's 1101 answer has no psn_no"),
			settlement.UpstreamNothingDone)
	}
	*psnNo = out.Baseinfo.PsnNo
	return nil
}

// PlatformCredentials are the national platform's x-tif credentials.
type PlatformCredentials struct {
	PaasID, Secret string
}

// authenticatePlatform admits only the national platform to the
// insured-place endpoint.
func (s *Server) authenticatePlatform(c *gin.Context) {
	paasID, ts, nonce, sig := c.GetHeader(headerPaasID), c.GetHeader(headerTimestamp), c.GetHeader(headerNonce), c.GetHeader(headerSignature)
	var e *settlement.Error
	switch {
	case paasID == "" || ts == "" || nonce == "" || sig == "":
		e = settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid, x-tif-timestamp, x-tif-nonce, x-tif-signature")
	case paasID != s.cfg.Platform.PaasID:
		e = settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid")
	default:
		e = s.checkSignature(c, paasID, s.cfg.Platform.Secret, ts, nonce, sig)
	}
	if e != nil {
		s.refuse(c, s.cfg.Now(), e)
		c.Abort()
	}
}

// nationalFormat is the insured-place endpoint's format: the national
// envelope with the inter-province input (adapters/nhsa.DecodeNational).
type nationalFormat struct{ nhsaFormat }

func (nationalFormat) Name() string { return "national" }

func (f nationalFormat) Decode(body []byte) (Message, error) {
	msg, err := nhsa.DecodeNational(body, f.infno)
	if err != nil {
		return nil, err
	}
	return nhsaMessage{msg: msg, receiver: f.receiver}, nil
}

// EncodeRaw answers with an output the insured place produced.
func (m nhsaMessage) EncodeRaw(raw json.RawMessage, a settlement.Answer) ([]byte, error) {
	return m.receiver.EncodeRelayed(raw, a)
}

// rawEncoder is a message that can relay another province's output as it
// stands (the national format only).
type rawEncoder interface {
	EncodeRaw(raw json.RawMessage, a settlement.Answer) ([]byte, error)
}
