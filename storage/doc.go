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
// Keys are short prefixes followed by '/'-separated parts; values are JSON,
// except visits, which have a binary layout (visitcodec.go), and are
// S2-compressed above 256 bytes (codec.go), so badger copies a fifth of the
// bytes on every replica. Decoded visits, persons, hospitals and
// accumulators are kept beside the bytes they came from (hot.go) and reused
// only while those are the bytes stored. The key layout is in keys.go. Besides the tables, the state holds indexes
// written in the same transaction as what they index: certificates to
// persons, a person's and a hospital's records, and a hospital's own visit
// numbers to its visits (the newest visit with a number), which the formats
// other than the national one name visits by.
//
// An index added by a version is written only by nodes of that version: a
// cluster is upgraded to it before anything relies on the index, and a
// visit created while an older node applied the log lacks the entry on that
// node (its state digest then differs until it installs a snapshot).
package storage
