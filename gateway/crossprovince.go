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
		return a, nil, settlement.Errorf(settlement.CodeUpstream, "no national platform configured")
	}
	if o.Pending != nil {
		ans, err := s.cfg.Upstream.Wait(ctx, *o.Pending)
		return ans, nil, err
	}
	raw, err := s.cfg.Upstream.Query(ctx, *o.Remote, a.Stamp)
	return a, raw, err
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
