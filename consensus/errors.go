package consensus

import "errors"

var (
	// ErrNotLeader: this node is not the leader; nothing was applied.
	ErrNotLeader = errors.New("consensus: not the leader")
	// ErrNoLeader: the cluster has no leader right now; nothing was applied.
	ErrNoLeader = errors.New("consensus: no leader")
	// ErrOutcomeUnknown: the command may or may not have been applied
	// (leadership was lost after it was sent, or the caller gave up
	// waiting). Retry with the same msgid: the retry returns the real outcome.
	ErrOutcomeUnknown = errors.New("consensus: outcome unknown")
	// ErrTooLarge: the command exceeds the size a log entry may have.
	ErrTooLarge = errors.New("consensus: command too large")
	// ErrShutdown: the node is shutting down; nothing was applied.
	ErrShutdown = errors.New("consensus: shutting down")
)
