// Package consensus runs provgate's Raft node (hashicorp/raft) and its state
// machine.
//
// Raft keeps an ordered log of commands replicated on a majority of nodes
// before any node acts on them; every node applies the same commands in the
// same order to its own copy of the state, so all copies agree. Here the log
// lives in raft-wal (segment files, one fsync per append batch) behind a
// 512-entry cache, snapshots in raft's file snapshot store, and the state in
// badger through package storage.
//
// A command is one type byte followed by a payload (command.go): JSON, or
// the binary write list of a writes entry. The state machine (fsm.go)
// applies each run of committed entries in one badger transaction that
// also records the applied index, skips entries it has already applied
// (they are replayed after a restart), and stops the node rather than
// half-apply a run. For a hospital request it checks the
// idempotency table first: the same (hospital, msgid) with the same digest
// gets the stored answer, with another digest a conflict; only then does it
// run settlement.Process and write the result, the changes and the
// idempotency entry together.
//
// The leader computes every request; a follower holds requests back and
// stores the writes the leader recorded for them, which the leader
// replicates in a writes entry after applying them (writes.go). Apply is
// deterministic, so a follower computes a request itself whenever those
// writes do not come (another command, a snapshot, leadership, a timeout),
// and with VerifyWrites (tests) it computes and compares every one.
//
// State commits are not fsynced one by one: the Raft log is, and holds
// every entry after the last snapshot, which syncs the state first.
//
// [Node] hides raft behind context-taking methods and translates raft's
// errors into this package's: [ErrNotLeader] and [ErrNoLeader] mean nothing
// was applied, [ErrOutcomeUnknown] means the command may or may not have
// been applied and the caller must retry with the same msgid.
package consensus
