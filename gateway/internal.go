package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// pathDecide is where a node asks the leader to decide a request it decoded
// itself (any format but the national one, whose original HTTP request is
// relayed instead). The body is the settlement.Request as JSON; the answer
// is a decided. It is served only to requests carrying the relay marker,
// which is trusted exactly where forward.go trusts it: with the cluster's
// mutual TLS only on the internal listener (the public port drops the
// marker), without it on the HTTP port, where the cluster's network is the
// trust boundary.
const pathDecide = "/internal/v1/decide"

// decided is the leader's answer on pathDecide: the answer, or the refusal.
type decided struct {
	Outcome settlement.Outcome `json:"outcome"`
	// Remote is the outcome's cross-province read (Outcome.Remote, which
	// its own encoding leaves out): the relaying node sends it to the
	// national platform and answers with what the insured place says.
	Remote   *settlement.Request `json:"remote,omitempty"`
	Stamp    settlement.Stamp    `json:"stamp"`
	Replayed bool                `json:"replayed,omitempty"`
	Refusal  *settlement.Error   `json:"refusal,omitempty"`
}

// maxDecideBytes bounds a relayed request: the decoded form of a message
// at the body limit is larger than the message (JSON field names).
func (s *Server) maxDecideBytes() int64 { return 8 * s.cfg.MaxBodyBytes }

// handleDecide decides a request another node decoded, once: the relaying
// node does the retrying. Conditions of the cluster come back as a refusal
// marked with X-Provgate-Retry, like the national relay's.
func (s *Server) handleDecide(c *gin.Context) {
	if c.GetHeader(headerForwarded) == "" {
		adminError(c, http.StatusForbidden, "only the nodes of the cluster may ask for a decision")
		return
	}
	body, err := readBody(c, s.maxDecideBytes())
	var req settlement.Request
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		adminError(c, http.StatusBadRequest, "a settlement request as JSON: "+err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	d, err := s.decide(ctx, req, true, nil)
	if err == nil && d.answer.Outcome.Pending != nil {
		// A cross-province write: the leader drives it, the relaying node
		// encodes the completed answer.
		d.answer, _, err = s.crossProvince(ctx, d.answer)
	}
	if err != nil {
		e, internal := answerFor(err)
		if internal {
			s.cfg.Logger.Error("internal error", "channel", "relay", "kind", string(req.Kind), "msgid", req.MsgID,
				"fixmedins_code", req.Hospital, "ref", e.ZH, "err", err)
		}
		if clusterChanging(err) {
			c.Header(headerRetry, "1")
		}
		c.JSON(http.StatusOK, decided{Refusal: e})
		return
	}
	a := d.answer
	c.JSON(http.StatusOK, decided{Outcome: a.Outcome, Remote: a.Outcome.Remote, Stamp: a.Stamp, Replayed: a.Replayed})
}

// decodedRelay has the leader decide a request this node decoded.
type decodedRelay struct {
	s   *Server
	req settlement.Request
}

// The leader does not check nonces on pathDecide: resending is safe.
func (decodedRelay) resend() bool { return true }

func (r decodedRelay) relay(ctx context.Context, leader string) (decision, error) {
	s := r.s
	if !s.relayable(leader) {
		return decision{}, consensus.ErrNoLeader
	}
	body, err := json.Marshal(r.req)
	if err != nil {
		return decision{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leader+pathDecide, bytes.NewReader(body))
	if err != nil {
		return decision{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerForwarded, s.cfg.NodeID)
	resp, err := s.client.Do(req)
	if err != nil {
		return decision{}, consensus.ErrOutcomeUnknown
	}
	defer resp.Body.Close()
	var d decided
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&d) != nil {
		s.cfg.Logger.Warn("the leader did not answer a relayed decision", "status", resp.StatusCode, "leader", leader)
		return decision{}, consensus.ErrOutcomeUnknown
	}
	if d.Refusal != nil {
		if resp.Header.Get(headerRetry) != "" {
			return decision{}, consensus.ErrOutcomeUnknown // the leader's own condition
		}
		return decision{}, d.Refusal
	}
	d.Outcome.Remote = d.Remote
	out := decision{answer: settlement.Answer{Outcome: d.Outcome, Stamp: d.Stamp, Replayed: d.Replayed}}
	out.leader, _ = s.cfg.Cluster.LeaderHTTP()
	return out, nil
}
