// Package storage keeps provgate's replicated state in badger on disk: the
// registries (hospitals, persons, policies, catalogs), visits, the settlement
// records that are the ledger, the year-to-date accumulators, the
// idempotency table and the applied Raft index.
//
// The state machine changes the state only through [Store.Update], one badger
// transaction per Raft batch, so the applied index is always written with
// the data it covers. [Tx] reads the state as a [settlement.View].
// [Store.Snapshot] captures one read transaction, a point-in-time cut, and
// [Store.Restore] writes a snapshot into a new directory, verifies it, and
// only then swaps it in.
//
// Keys are short prefixes followed by '/'-separated parts; values are JSON.
// The key layout is in keys.go.
package storage
