package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// handleNHSA serves the national JSON interface.
func (s *Server) handleNHSA(c *gin.Context) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.refuse(c, start, nhsa.Message{}, settlement.Errorf(settlement.CodeTooLarge, strconv.FormatInt(s.cfg.MaxBodyBytes, 10)))
			return
		}
		s.refuse(c, start, nhsa.Message{}, settlement.Errorf(settlement.CodeMalformed, settlement.Bi("请求体读取失败", "the request body could not be read")))
		return
	}
	msg, err := nhsa.Decode(body, c.Param("infno"))
	if err != nil {
		s.refuse(c, start, msg, err)
		return
	}
	if v, ok := c.Get(authenticated); ok {
		h := v.(settlement.Hospital)
		if h.Code != msg.Request.Hospital {
			s.refuse(c, start, msg, settlement.Errorf(settlement.CodeAuthHospital, c.GetHeader(headerPaasID), msg.Request.Hospital))
			return
		}
		if !h.Speaks("nhsa") {
			s.refuse(c, start, msg, settlement.Errorf(settlement.CodeFormatNotAllowed, h.Code, "nhsa"))
			return
		}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	var a settlement.Answer
	var relayed *relayedAnswer
	if sr, ok := s.cfg.Ledger.(StaleReader); ok && msg.Request.Kind.Report() && c.GetHeader(headerConsistency) == "stale" {
		var applied uint64
		a, applied, err = sr.ReadStale(msg.Request)
		c.Header(headerConsistency, "stale; applied_index="+strconv.FormatUint(applied, 10))
	} else {
		a, relayed, err = s.decide(ctx, c, msg, body)
	}
	if err != nil {
		s.refuse(c, start, msg, err)
		return
	}
	if relayed != nil {
		relayed.write(c)
		return
	}
	out, err := s.receiver.Encode(msg.Request.Kind, a)
	if err != nil {
		s.refuse(c, start, msg, err)
		return
	}
	if a.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	s.logRequest(msg, "0", a.Replayed, start)
}

// headerConsistency asks for ("stale") and reports how a report was read.
// Without it every read is linearizable; with it, a report query (3201,
// 3202, 5203, 5206) is answered from the replica it reached, which names
// the log index its state includes. Other kinds ignore it.
const headerConsistency = "X-Provgate-Consistency"

// decide gets the request decided: here if this node leads, else by the
// leader through the relay. While the cluster changes leader (nothing was
// written, or the outcome is unknown) it tries again within the deadline
// with the same msgid, which the state machine makes safe: a request that
// was applied answers with its stored answer. So a rolling restart or a
// leader change costs the hospital latency, not a retry. A request relayed
// by another node is tried once; the relaying node does the retrying.
func (s *Server) decide(ctx context.Context, c *gin.Context, msg nhsa.Message, body []byte) (settlement.Answer, *relayedAnswer, error) {
	backoff := 20 * time.Millisecond
	sentTo := map[string]bool{}
	for {
		var a settlement.Answer
		var err error
		if msg.Request.Kind.Writes() {
			a, err = s.cfg.Ledger.Submit(ctx, msg.Request)
		} else {
			a, err = s.cfg.Ledger.Read(ctx, msg.Request)
		}
		if err == nil {
			return a, nil, nil
		}
		if s.forwardable(c, err) {
			leader, _ := s.cfg.Cluster.LeaderRelay()
			if sentTo[leader] && s.cfg.Internal == nil {
				// Without the internal channel the leader checks the
				// hospital's nonce itself, so it would refuse the same
				// request twice as a replay: the hospital retries instead.
				return a, nil, consensus.ErrOutcomeUnknown
			}
			r, rerr := s.relay(ctx, c, body, leader)
			if !errors.Is(rerr, consensus.ErrNoLeader) {
				sentTo[leader] = true
			}
			if rerr == nil && !r.retry() {
				return a, &r, nil
			}
			if rerr == nil {
				err = consensus.ErrOutcomeUnknown // the leader's own answer said so
			} else {
				err = rerr
			}
		}
		if !clusterChanging(err) || c.GetHeader(headerForwarded) != "" {
			return a, nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*backoff {
			return a, nil, err
		}
		select {
		case <-ctx.Done():
			return a, nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 400*time.Millisecond)
	}
}

// clusterChanging reports whether err is a transient condition of the
// cluster (no leader yet, leadership lost mid-write) worth retrying with
// the same msgid.
func clusterChanging(err error) bool {
	return errors.Is(err, consensus.ErrNoLeader) || errors.Is(err, consensus.ErrNotLeader) || errors.Is(err, consensus.ErrOutcomeUnknown)
}

// refuse answers with infcode −1. The national interface answers refusals
// with HTTP 200 and the envelope; HIS branch on infcode.
func (s *Server) refuse(c *gin.Context, start time.Time, msg nhsa.Message, err error) {
	e, internal := answerFor(err)
	if clusterChanging(err) {
		c.Header(headerRetry, "1")
	}
	if internal {
		s.cfg.Logger.Error("internal error", "infno", string(msg.Header.Infno), "msgid", string(msg.Header.MsgID),
			"fixmedins_code", string(msg.Header.FixmedinsCode), "ref", e.ZH, "err", err)
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.receiver.EncodeError(e, s.cfg.Now(), s.serial.next()))
	s.logRequest(msg, string(e.Code), false, start)
}

func (s *Server) logRequest(msg nhsa.Message, code string, replayed bool, start time.Time) {
	s.cfg.Logger.Info("nhsa", "infno", string(msg.Header.Infno), "msgid", string(msg.Header.MsgID),
		"fixmedins_code", string(msg.Header.FixmedinsCode), "code", code, "replayed", replayed,
		"ms", time.Since(start).Milliseconds())
}

// serial numbers refusals, which are not stored and so have no log index,
// for their inf_refmsgid.
type serial struct{ n atomic.Uint64 }

func (s *serial) next() uint64 { return s.n.Add(1) }

// nhsaMessage names a request that was refused before its body was read,
// for the log line: the infno from the URL if there is one.
func nhsaMessage(c *gin.Context) nhsa.Message {
	var m nhsa.Message
	m.Header.Infno = nhsa.Text(c.Param("infno"))
	return m
}
