package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// answerFor is the one table from errors to what a hospital sees. Domain
// refusals pass through; the node's own conditions become "retry with the
// same msgid"; anything else is an internal error whose details stay in the
// log under a reference the hospital can quote.
func answerFor(err error) (e *settlement.Error, internal bool) {
	if e := settlement.AsError(err); e != nil {
		return e, false
	}
	switch {
	case errors.Is(err, consensus.ErrOutcomeUnknown):
		return settlement.Errorf(settlement.CodeOutcomeUnknown), false
	case errors.Is(err, consensus.ErrNotLeader):
		return settlement.Errorf(settlement.CodeUnavailable, settlement.Bi("本节点不是主节点", "this node is not the leader")), false
	case errors.Is(err, consensus.ErrNoLeader):
		return settlement.Errorf(settlement.CodeUnavailable, settlement.Bi("集群正在选举主节点", "the cluster is electing a leader")), false
	case errors.Is(err, consensus.ErrShutdown):
		return settlement.Errorf(settlement.CodeUnavailable, settlement.Bi("节点正在停止", "the node is shutting down")), false
	case errors.Is(err, consensus.ErrTooLarge):
		return settlement.Errorf(settlement.CodeUnavailable, settlement.Bi("请求超出单条日志上限", "the request exceeds the size of one log entry")), false
	}
	return settlement.Errorf(settlement.CodeInternal, reference()), true
}

// reference is a short random token that ties an internal error's answer to
// its log line.
func reference() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
