package gateway

import (
	"crypto/subtle"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// Credentials finds a hospital by the paas id of its gateway credentials,
// or, for MLLP, whose source address is the credential, by its code.
// *consensus.Node satisfies it.
type Credentials interface {
	HospitalByPaasID(paasID string) (settlement.Hospital, bool, error)
	HospitalByCode(code string) (settlement.Hospital, bool, error)
}

// The gateway headers HIS already send to the provincial platform
// (NATIONAL-INTERFACE §1.6.1).
const (
	headerPaasID    = tif.HeaderPaasID
	headerTimestamp = tif.HeaderTimestamp
	headerNonce     = tif.HeaderNonce
	headerSignature = tif.HeaderSignature
)

// authenticated is the gin context key of the hospital a request proved
// to be.
const authenticated = "provgate.hospital"

// authenticate checks the gateway headers before the body is read: the
// paas id must belong to a hospital, the signature must verify with its
// token, the timestamp must be within the window, and the nonce must be
// new. Any failure is refused in the route's format and nothing is decoded.
func (s *Server) authenticate(c *gin.Context) {
	if s.cfg.Credentials == nil {
		c.Next() // authentication off (tests of other concerns)
		return
	}
	start := time.Now()
	paasID, ts, nonce, sig := c.GetHeader(headerPaasID), c.GetHeader(headerTimestamp), c.GetHeader(headerNonce), c.GetHeader(headerSignature)
	fail := func(e error) {
		s.refuse(c, start, e)
		c.Abort()
	}
	if paasID == "" || ts == "" || nonce == "" || sig == "" {
		fail(settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid, x-tif-timestamp, x-tif-nonce, x-tif-signature"))
		return
	}
	h, ok, err := s.cfg.Credentials.HospitalByPaasID(paasID)
	if err != nil {
		fail(err)
		return
	}
	if (!ok || h.Token == "") && s.forwardable(c, consensus.ErrNotLeader) && s.cfg.Ledger.Ready() != nil {
		// A follower that has not yet received a new hospital's credentials
		// lets the leader, whose state is authoritative, decide.
		body, err := readBody(c, s.cfg.MaxBodyBytes)
		if err == nil {
			s.forward(c, body)
			c.Abort()
			return
		}
	}
	if !ok || h.Token == "" {
		fail(settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid"))
		return
	}
	if e := s.checkSignature(c, paasID, h.Token, ts, nonce, sig); e != nil {
		fail(e)
		return
	}
	if h.Disabled {
		fail(settlement.Errorf(settlement.CodeHospitalDisabled, h.Code))
		return
	}
	c.Set(authenticated, h)
	c.Next()
}

// checkSignature verifies the x-tif headers against the caller's secret:
// the signature, the clock window and, unless the request was relayed by
// another node of the cluster, the nonce.
func (s *Server) checkSignature(c *gin.Context, paasID, token, ts, nonce, sig string) *settlement.Error {
	if subtle.ConstantTimeCompare([]byte(tif.Sign(ts, token, nonce)), []byte(sig)) != 1 {
		return settlement.Errorf(settlement.CodeAuthSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	now := s.cfg.Now()
	if err != nil || abs(now.Unix()-sec) > int64(s.cfg.AuthWindow/time.Second) {
		return settlement.Errorf(settlement.CodeAuthClock, strconv.Itoa(int(s.cfg.AuthWindow/time.Second)))
	}
	// A request relayed over the mutual-TLS channel had its nonce checked by
	// the node it reached; the relaying node may send it again while the
	// leader changes, which is not a replay.
	relayedInternally := s.cfg.Internal != nil && c.GetHeader(headerForwarded) != ""
	if !relayedInternally && !s.nonces.Fresh(paasID+"\x00"+nonce, now, s.cfg.AuthWindow) {
		return settlement.Errorf(settlement.CodeAuthReplay)
	}
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
