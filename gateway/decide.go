package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// decision is a decided request: its answer, or, for a national request
// relayed as it came, the leader's own HTTP answer to pass on.
type decision struct {
	answer settlement.Answer
	raw    *relayedAnswer
	leader string // the leader's HTTP address when the leader decided it for this node
}

// relayer asks the leader to decide a request this node cannot.
type relayer interface {
	// relay sends the request to the leader at base URL leader ("" when
	// none is known). Its errors are the consensus ones (ErrNoLeader:
	// nothing was sent; ErrOutcomeUnknown: the leader may have acted, or
	// asked for a retry itself) or the leader's refusal, *settlement.Error.
	relay(ctx context.Context, leader string) (decision, error)
	// resend reports whether the same leader may be sent the request again.
	resend() bool
}

// decide gets a request decided: here if this node leads, else by the
// leader through r. While the cluster changes leader (nothing was written,
// or the outcome is unknown) it tries again within the deadline with the
// same msgid, which the state machine makes safe: a request that was
// applied answers with its stored answer. So a rolling restart or a leader
// change costs the hospital latency, not a retry. A request another node
// relayed (forwarded) is tried once; the relaying node does the retrying.
func (s *Server) decide(ctx context.Context, req settlement.Request, forwarded bool, r relayer) (decision, error) {
	backoff := 20 * time.Millisecond
	sentTo := map[string]bool{}
	for {
		a, err := s.local(ctx, req)
		if err == nil {
			return decision{answer: a}, nil
		}
		if s.cfg.Cluster != nil && r != nil && !forwarded && errors.Is(err, consensus.ErrNotLeader) {
			leader, _ := s.cfg.Cluster.LeaderRelay()
			if sentTo[leader] && !r.resend() {
				return decision{}, consensus.ErrOutcomeUnknown
			}
			d, rerr := r.relay(ctx, leader)
			if !errors.Is(rerr, consensus.ErrNoLeader) {
				sentTo[leader] = true
			}
			if rerr == nil {
				return d, nil
			}
			err = rerr
		}
		if !clusterChanging(err) || forwarded {
			return decision{}, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*backoff {
			return decision{}, err
		}
		select {
		case <-ctx.Done():
			return decision{}, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 400*time.Millisecond)
	}
}

// local decides a request on this node: writes through the Raft log,
// reads linearizably.
func (s *Server) local(ctx context.Context, req settlement.Request) (settlement.Answer, error) {
	if req.Kind.Writes() {
		return s.cfg.Ledger.Submit(ctx, req)
	}
	return s.cfg.Ledger.Read(ctx, req)
}

// clusterChanging reports whether err is a transient condition of the
// cluster (no leader yet, leadership lost mid-write) worth retrying with
// the same msgid.
func clusterChanging(err error) bool {
	return errors.Is(err, consensus.ErrNoLeader) || errors.Is(err, consensus.ErrNotLeader) || errors.Is(err, consensus.ErrOutcomeUnknown)
}
