package consensus

import (
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

// fsm is the replicated state machine. raft calls ApplyBatch, Snapshot and
// Restore from one goroutine; Persist runs concurrently with later applies,
// which is safe because a snapshot is one badger read transaction.
//
// The leader computes every entry. A follower may instead hold hospital
// requests back (pending) and store the writes the leader recorded for them,
// which the leader replicates in a writes entry once it has applied them
// (writes.go): the same bytes, without running the calculation a second and
// third time. Computing an entry itself is always correct, because Apply is
// deterministic, so a follower falls back to it whenever the leader's writes
// do not come: before any other command, before a snapshot, when it becomes
// leader, and when requests have waited too long.
type fsm struct {
	store *storage.Store
	log   *slog.Logger

	// leading reports whether this node leads (set once raft runs); emit
	// hands the writes of entries the leader computed to the proposer.
	leading func() bool
	emit    func([]entryWrites)
	// verify makes a follower compute held-back requests anyway and stop if
	// the leader's writes differ (tests run with it).
	verify bool

	applyMu      sync.Mutex  // serialises applying, draining, snapshots and restores
	pending      []heldEntry // requests held back, in log order
	pendingSince time.Time
	takeWrites   bool   // the leader has been sending writes entries
	seen         logPos // the last entry handed to the state machine
	stored       uint64 // the applied index last written to the store
	// taken counts requests stored from the leader's writes, heldComputed
	// held-back requests this node computed after all.
	taken, heldComputed atomic.Uint64

	mu      sync.Mutex
	applied uint64
	advance chan struct{} // closed and replaced whenever applied moves
}

// logPos is an entry's place in the log.
type logPos struct{ index, term uint64 }

// heldEntry is a request a follower holds back, with the entry before it:
// the state covers the log up to prev while the entry waits.
type heldEntry struct {
	log  *raft.Log
	prev logPos
}

// maxPending bounds the requests a follower holds back; beyond it, it
// computes them.
const maxPending = 8192

func newFSM(store *storage.Store, log *slog.Logger) (*fsm, error) {
	idx, term, err := store.Applied()
	if err != nil {
		return nil, err
	}
	return &fsm{store: store, log: log, applied: idx, stored: idx, seen: logPos{idx, term}, advance: make(chan struct{})}, nil
}

var _ raft.BatchingFSM = (*fsm)(nil)

// Apply applies one entry.
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed entries. Entries the node computes go
// through one badger transaction per run together with the applied index;
// a bulk command (imports, catalogs) gets a transaction of its own, and a
// run that outgrows badger's limit is split (applyRun). Entries at or below the applied
// index were applied before a restart and are skipped. A storage failure
// stops the node (panic): continuing would let this replica diverge.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	results := make([]any, len(logs))
	leader := f.leading != nil && f.leading()
	var todo []*raft.Log // to compute, in order; all before any pending entry
	var slots []*any     // where each todo entry's result goes (nil: none)
	flush := func() {
		f.compute(todo, slots, leader)
		todo, slots = todo[:0], slots[:0]
	}
	for i, l := range logs {
		if l.Index <= f.seen.index {
			continue // replayed after a restart
		}
		prev := f.seen
		f.seen = logPos{l.Index, l.Term}
		switch {
		case l.Type != raft.LogCommand && l.Type != raft.LogConfiguration:
			// nothing to apply
		case isWrites(l):
			flush()
			f.applyWritesEntry(l)
		case !leader && f.takeWrites && deferrable(l) && len(f.pending) < maxPending:
			if len(f.pending) == 0 {
				f.pendingSince = time.Now()
			}
			f.pending = append(f.pending, heldEntry{log: l, prev: prev})
		default:
			for _, h := range f.pending {
				todo, slots = append(todo, h.log), append(slots, nil)
			}
			f.heldComputed.Add(uint64(len(f.pending)))
			f.pending = nil
			todo, slots = append(todo, l), append(slots, &results[i])
		}
	}
	flush()
	f.publish()
	return results
}

// deferrable reports whether a follower may hold the entry back for the
// leader's writes: hospital requests, the bulk of the log.
func deferrable(l *raft.Log) bool {
	return l.Type == raft.LogCommand && len(l.Data) > 0 && commandType(l.Data[0]) == cmdRequest
}

// bulk reports whether an entry carries many rows and so gets a
// transaction of its own.
func bulk(l *raft.Log) bool {
	if l.Type != raft.LogCommand || len(l.Data) == 0 {
		return false
	}
	switch commandType(l.Data[0]) {
	case cmdPutCatalog, cmdPutPersons, cmdAddFilings:
		return true
	}
	return false
}

// position is how far the state covers the log: everything seen, except
// held-back requests and what follows them.
func (f *fsm) position() logPos {
	if len(f.pending) > 0 {
		return f.pending[0].prev
	}
	return f.seen
}

// publish makes the covered position visible to readers.
func (f *fsm) publish() {
	if p := f.position(); p.index != f.appliedNow() {
		f.setApplied(p.index)
	}
}

// compute applies entries by running them, in runs that share a
// transaction (a bulk command alone). The leader records each request's
// writes and hands them on once the transaction is committed.
func (f *fsm) compute(logs []*raft.Log, slots []*any, leader bool) {
	for start := 0; start < len(logs); {
		end := start + 1
		if !bulk(logs[start]) {
			for end < len(logs) && !bulk(logs[end]) {
				end++
			}
		}
		f.applyRun(logs[start:end], slots[start:end], leader)
		start = end
	}
}

// applyRun computes consecutive entries in one transaction.
func (f *fsm) applyRun(logs []*raft.Log, slots []*any, leader bool) {
	var out []entryWrites
	err := f.store.Update(func(tx *storage.Tx) error {
		if leader {
			tx.RecordWrites()
		}
		for i, l := range logs {
			if l.Type != raft.LogCommand {
				continue
			}
			res, err := f.applyCommand(tx, l)
			if err != nil {
				return fmt.Errorf("entry %d: %w", l.Index, err)
			}
			if slots[i] != nil {
				*slots[i] = res
			}
			if ws := tx.TakeWrites(); leader && deferrable(l) {
				out = append(out, entryWrites{pos: logPos{l.Index, l.Term}, writes: ws})
			}
		}
		// The run's own last entry, not the position: later runs of the
		// same batch are not in this transaction.
		last := logs[len(logs)-1]
		return tx.SetApplied(last.Index, last.Term)
	})
	if storage.IsTxnTooBig(err) && len(logs) > 1 {
		// A run of large requests outgrew badger's transaction limit (up to
		// 64 uploads of a thousand lines may arrive in one batch). Nothing
		// of it was written, and the state does not depend on how entries
		// are grouped into transactions: apply the halves one by one.
		mid := len(logs) / 2
		f.applyRun(logs[:mid], slots[:mid], leader)
		f.applyRun(logs[mid:], slots[mid:], leader)
		return
	}
	if err != nil {
		f.fail(err)
	}
	f.stored = logs[len(logs)-1].Index
	if len(out) > 0 && f.emit != nil {
		f.emit(out)
	}
}

func (f *fsm) fail(err error) {
	f.log.Error("state machine cannot apply a committed batch; stopping the node", "err", err)
	panic(fmt.Sprintf("consensus: apply failed: %v", err))
}

func (f *fsm) applyCommand(tx *storage.Tx, l *raft.Log) (result, error) {
	if len(l.Data) == 0 {
		return result{}, fmt.Errorf("empty command")
	}
	t, body := commandType(l.Data[0]), l.Data[1:]
	switch t {
	case cmdRequest:
		var c requestCommand
		if err := json.Unmarshal(body, &c); err != nil {
			return result{}, fmt.Errorf("decode request: %w", err)
		}
		return applyRequest(tx, c.Request, settlement.Stamp{UnixMilli: c.UnixMilli, Index: l.Index})
	case cmdComplete:
		var c completeCommand
		if err := json.Unmarshal(body, &c); err != nil {
			return result{}, fmt.Errorf("decode completion: %w", err)
		}
		return applyCompletion(tx, c, settlement.Stamp{UnixMilli: c.UnixMilli, Index: l.Index})
	case cmdPutPolicy:
		var p settlement.Policy
		return putConfig(body, &p, func() error { return p.Validate() }, func() error { return tx.PutPolicy(p) })
	case cmdPutCatalog:
		var c settlement.Catalog
		return putConfig(body, &c, func() error { return c.Validate() }, func() error { return tx.PutCatalog(c) })
	case cmdPutHospital:
		var h settlement.Hospital
		return putConfig(body, &h, func() error { return nil }, func() error { return tx.PutHospital(h) })
	case cmdPutPerson:
		var p settlement.Person
		return putConfig(body, &p, func() error { return p.Check().Err("person " + p.PsnNo) }, func() error { return tx.PutPerson(p) })
	case cmdPutNode:
		var info storage.NodeInfo
		return putConfig(body, &info, func() error { return nil }, func() error { return tx.PutNode(info) })
	case cmdPutPersons:
		var ps []settlement.Person
		if err := json.Unmarshal(body, &ps); err != nil {
			return result{}, fmt.Errorf("decode persons: %w", err)
		}
		return putRows(len(ps), func(i int) (string, error) {
			if err := ps[i].Check().Err("person " + ps[i].PsnNo); err != nil {
				return ps[i].PsnNo, err
			}
			return ps[i].PsnNo, tx.PutPerson(ps[i])
		})
	case cmdAddFilings:
		var rows []settlement.FilingRow
		if err := json.Unmarshal(body, &rows); err != nil {
			return result{}, fmt.Errorf("decode filings: %w", err)
		}
		return putRows(len(rows), func(i int) (string, error) {
			return rows[i].PsnNo, tx.AddFiling(rows[i], fmt.Sprintf("FI%d-%d", l.Index, i))
		})
	}
	if t&ignoreUnknown != 0 {
		return result{}, nil
	}
	return result{}, fmt.Errorf("unknown command type %d", t)
}

// applyRequest is steps 1 to 4 of the state machine for a hospital request:
// idempotency, then the business rules, then the writes.
func applyRequest(tx *storage.Tx, req settlement.Request, st settlement.Stamp) (result, error) {
	seen, ok, err := tx.Idem(req.Hospital, req.MsgID)
	if err != nil {
		return result{}, err
	}
	if ok {
		if seen.Tombstone {
			return result{err: settlement.Errorf(settlement.CodeReversedMsgID, req.MsgID)}, nil
		}
		// SameContent, not ==: the entry may hold a digest made before the
		// digest's upgrade, which a retry's new digest must still match.
		if seen.Kind != req.Kind || !settlement.SameContent(seen.Digest, req) {
			return result{err: settlement.Errorf(settlement.CodeMsgIDConflict, req.MsgID)}, nil
		}
		return result{outcome: seen.Outcome, stamp: seen.Stamp, replayed: true}, nil
	}
	if in, ok, err := tx.Intent(req.Hospital, req.MsgID); err != nil || ok {
		// A cross-province write is waiting for the insured place: a retry
		// waits for the same answer and never starts a second one.
		if err != nil {
			return result{}, err
		}
		if in.Kind != req.Kind || !settlement.SameContent(in.Digest, req) {
			return result{err: settlement.Errorf(settlement.CodeMsgIDConflict, req.MsgID)}, nil
		}
		return result{outcome: settlement.Outcome{Pending: &in}, stamp: in.Stamp}, nil
	}
	out, changes, err := settlement.Process(tx, req, st)
	if err != nil {
		if e := settlement.AsError(err); e != nil {
			// A refusal changes nothing and is not remembered: a retry is
			// decided afresh, so fixing the cause and retrying works.
			return result{err: e}, nil
		}
		return result{}, err
	}
	if err := tx.ApplyChanges(changes); err != nil {
		return result{}, err
	}
	if changes.Intent != nil {
		return result{outcome: out, stamp: st}, nil // answered at completion
	}
	entry := storage.IdemEntry{Kind: req.Kind, Digest: req.Digest, Stamp: st, Outcome: out}
	if err := tx.PutIdem(req.Hospital, req.MsgID, entry); err != nil {
		return result{}, err
	}
	return result{outcome: out, stamp: st}, nil
}

// applyCompletion records the insured place's answer to a pending intent:
// the record is kept and becomes the stored answer to the hospital's msgid;
// a refusal releases the intent without an answer (refusals are never
// stored, so the hospital may fix the cause and retry). A completion for an
// intent already completed (a re-driven call answered twice) returns the
// stored answer.
func applyCompletion(tx *storage.Tx, c completeCommand, st settlement.Stamp) (result, error) {
	in, ok, err := tx.Intent(c.Hospital, c.MsgID)
	if err != nil {
		return result{}, err
	}
	if !ok {
		seen, ok, err := tx.Idem(c.Hospital, c.MsgID)
		if err != nil {
			return result{}, err
		}
		if !ok || seen.Tombstone {
			return result{err: settlement.Errorf(settlement.CodeSettlementNotFound, c.MsgID)}, nil
		}
		return result{outcome: seen.Outcome, stamp: seen.Stamp, replayed: true}, nil
	}
	out, changes, refusal := settlement.Complete(tx, in, c.Completion, st)
	if err := tx.ApplyChanges(changes); err != nil {
		return result{}, err
	}
	if refusal != nil {
		return result{err: refusal}, nil
	}
	entry := storage.IdemEntry{Kind: in.Kind, Digest: in.Digest, Stamp: st, Outcome: out}
	if err := tx.PutIdem(in.Hospital, in.MsgID, entry); err != nil {
		return result{}, err
	}
	return result{outcome: out, stamp: st}, nil
}

// putRows applies the rows of a bulk command one by one. A refused row is
// reported and skipped; every write of a row comes after its checks, so a
// refused row writes nothing. A storage fault stops the whole entry.
func putRows(n int, put func(i int) (string, error)) (result, error) {
	var res result
	for i := 0; i < n; i++ {
		key, err := put(i)
		if err == nil {
			continue
		}
		e := settlement.AsError(err)
		if e == nil {
			return result{}, err
		}
		res.rejected = append(res.rejected, settlement.Rejection{Index: i, Key: key, Reason: e.Error()})
	}
	return res, nil
}

// putConfig decodes, validates and stores a configuration command. Decoding
// and validation are deterministic, so every replica refuses the same ones.
func putConfig(body []byte, v any, validate func() error, put func() error) (result, error) {
	if err := json.Unmarshal(body, v); err != nil {
		return result{}, fmt.Errorf("decode configuration: %w", err)
	}
	if err := validate(); err != nil {
		return result{err: settlement.AsError(err)}, nil
	}
	if err := put(); err != nil {
		if e := settlement.AsError(err); e != nil {
			return result{err: e}, nil
		}
		return result{}, err
	}
	return result{}, nil
}

func (f *fsm) appliedNow() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

func (f *fsm) setApplied(idx uint64) {
	f.mu.Lock()
	f.applied = idx
	close(f.advance)
	f.advance = make(chan struct{})
	f.mu.Unlock()
}

// appliedIndex returns the last applied index and a channel closed when it
// next moves.
func (f *fsm) appliedIndex() (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied, f.advance
}

// Snapshot captures the state at this point of the log. It only opens a
// read transaction; Persist does the copying.
//
// A snapshot is labelled with the last entry raft handed over, so held-back
// requests are computed first and that position is written down and synced.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	f.drainLocked()
	if f.stored < f.seen.index {
		if err := f.store.Update(func(tx *storage.Tx) error { return tx.SetApplied(f.seen.index, f.seen.term) }); err != nil {
			return nil, err
		}
		f.stored = f.seen.index
	}
	// Commits are not fsynced one by one; raft compacts its log up to this
	// snapshot, so what the snapshot covers must be durable in the state.
	if err := f.store.Sync(); err != nil {
		return nil, err
	}
	snap, err := f.store.Snapshot()
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{snap: snap}, nil
}

// Restore replaces the state with a snapshot sent by the leader (or found
// on disk at start). The new state is written and verified before it is
// swapped in.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	idx, term, err := f.store.Restore(rc)
	if err != nil {
		return err
	}
	f.pending, f.seen, f.stored = nil, logPos{idx, term}, idx
	f.setApplied(idx)
	return nil
}

type fsmSnapshot struct{ snap *storage.Snapshot }

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.snap.WriteTo(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() { s.snap.Release() }
