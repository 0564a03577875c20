package consensus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/storage"
)

// Followers store the leader's writes instead of recomputing requests.
//
// The leader applies a batch of requests as every replica does, recording
// the exact key/value writes each request made. After the batch commits it
// proposes one writes entry that lists, per request entry (index and term),
// those writes. A follower holds requests back until their writes arrive
// and then stores the same bytes, which costs a fraction of running the
// calculation and encoding its results. Because Apply is deterministic,
// computing a request itself gives exactly those bytes (tests run with
// verify on, which does both and compares), so a follower computes whenever
// waiting is not possible or not worth it.
//
// The writes entry's type has ignoreUnknown set: a node of an older version
// skips it and computes everything, which is what it always did.

// entryWrites is what one request entry wrote on the leader.
type entryWrites struct {
	pos    logPos
	writes []storage.Write
}

func isWrites(l *raft.Log) bool {
	if l.Type != raft.LogCommand || len(l.Data) == 0 {
		return false
	}
	t := commandType(l.Data[0])
	return t == cmdWrites || t == cmdWritesJSON
}

// encodeWrites is a writes entry: the type byte, a count, then per entry its
// index, term and write list.
func encodeWrites(es []entryWrites) []byte {
	size := 16
	for _, e := range es {
		size += 24
		for _, w := range e.writes {
			size += len(w.Key) + len(w.Value) + 12
		}
	}
	b := make([]byte, 0, size)
	b = append(b, byte(cmdWrites))
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = binary.AppendUvarint(b, e.pos.index)
		b = binary.AppendUvarint(b, e.pos.term)
		b = storage.AppendWrites(b, e.writes)
	}
	return b
}

var errBadWrites = errors.New("malformed writes entry")

// decodeWrites reads a writes entry's payload (after the type byte). The
// writes alias b.
func decodeWrites(b []byte) ([]entryWrites, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errBadWrites
	}
	b = b[k:]
	es := make([]entryWrites, n)
	for i := range es {
		idx, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errBadWrites
		}
		term, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return nil, errBadWrites
		}
		ws, rest, err := storage.ReadWrites(b[k1+k2:])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadWrites, err)
		}
		es[i], b = entryWrites{pos: logPos{idx, term}, writes: ws}, rest
	}
	if len(b) != 0 {
		return nil, errBadWrites
	}
	return es, nil
}

// applyWritesEntry stores the leader's writes for the requests this node
// holds back. Requests already applied are skipped; a held-back request
// before one the entry names is computed first, so the log order holds
// whatever the entry lists.
func (f *fsm) applyWritesEntry(l *raft.Log) {
	f.takeWrites = true
	if len(f.pending) == 0 {
		return // the leader itself, or a follower that computed them already
	}
	es, err := decodeWrites(l.Data[1:])
	if err != nil {
		f.log.Warn("ignoring a writes entry; computing the requests instead", "index", l.Index, "err", err)
		return
	}
	var last *raft.Log
	err = f.store.Update(func(tx *storage.Tx) error {
		for _, e := range es {
			for len(f.pending) > 0 && f.pending[0].log.Index < e.pos.index {
				if _, err := f.applyCommand(tx, f.pending[0].log); err != nil {
					return fmt.Errorf("entry %d: %w", f.pending[0].log.Index, err)
				}
				last, f.pending = f.pending[0].log, f.pending[1:]
				f.heldComputed.Add(1)
			}
			if len(f.pending) == 0 || f.pending[0].log.Index != e.pos.index {
				continue // applied already
			}
			h := f.pending[0].log
			if h.Term != e.pos.term {
				return fmt.Errorf("writes entry %d names entry %d of term %d, the log holds term %d", l.Index, h.Index, e.pos.term, h.Term)
			}
			if err := f.storeWrites(tx, h, e.writes); err != nil {
				return err
			}
			last, f.pending = h, f.pending[1:]
			f.taken.Add(1)
		}
		if last == nil {
			return nil
		}
		return tx.SetApplied(last.Index, last.Term)
	})
	if err != nil {
		f.fail(err)
	}
	if last != nil {
		f.stored = last.Index
	}
	if len(f.pending) > 0 {
		f.pendingSince = time.Now()
	} else {
		f.pending = nil // let the backing array go
	}
}

// storeWrites stores the leader's writes for one request, or with verify
// computes the request and stops the node if the two differ.
func (f *fsm) storeWrites(tx *storage.Tx, l *raft.Log, ws []storage.Write) error {
	if !f.verify {
		return tx.ApplyWrites(ws)
	}
	tx.RecordWrites()
	if _, err := f.applyCommand(tx, l); err != nil {
		return fmt.Errorf("entry %d: %w", l.Index, err)
	}
	if got := tx.TakeWrites(); !storage.SameWrites(got, ws) {
		return fmt.Errorf("entry %d: the leader's writes differ from this replica's (%d writes against %d)", l.Index, len(ws), len(got))
	}
	return nil
}

// drain computes every held-back request (a snapshot, a new leader, a
// linearizable read need the state to cover the log).
func (f *fsm) drain() {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	f.drainLocked()
}

// drainStale computes the held-back requests if the oldest has waited
// longer than age: the leader is not sending writes (it stopped, or runs a
// version without them), so this follower goes back to computing.
func (f *fsm) drainStale(age time.Duration) {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	if len(f.pending) > 0 && time.Since(f.pendingSince) > age {
		f.takeWrites = false
		f.drainLocked()
	}
}

func (f *fsm) drainLocked() {
	if len(f.pending) == 0 {
		return
	}
	todo := make([]*raft.Log, len(f.pending))
	for i, h := range f.pending {
		todo[i] = h.log
	}
	f.pending = nil
	f.heldComputed.Add(uint64(len(todo)))
	f.compute(todo, make([]*any, len(todo)), f.leading != nil && f.leading())
	f.publish()
}

// ReplicatedWrites counts the requests this node stored from the leader's
// writes and those it held back for them but computed after all.
func (n *Node) ReplicatedWrites() (taken, computed uint64) {
	return n.fsm.taken.Load(), n.fsm.heldComputed.Load()
}

// maxWritesEntry bounds a writes entry the proposer builds from several
// batches; one batch's writes always go out whole.
const maxWritesEntry = 1 << 20

// emitWrites hands a committed batch's writes to the proposer without
// blocking the state machine. If the proposer is behind, the writes are
// dropped and followers compute those requests themselves.
func (n *Node) emitWrites(es []entryWrites) {
	select {
	case n.writes <- es:
	default:
	}
}

// proposeWrites puts the leader's recorded writes into the log, several
// batches to an entry when they queue up. It does not wait for the entries
// to commit: a writes entry that is lost only makes followers compute.
func (n *Node) proposeWrites() {
	defer n.wg.Done()
	for {
		var es []entryWrites
		select {
		case <-n.stop:
			return
		case es = <-n.writes:
		}
		size := writesSize(es)
	more:
		for size < maxWritesEntry {
			select {
			case next := <-n.writes:
				es = append(es, next...)
				size += writesSize(next)
			default:
				break more
			}
		}
		if n.raft.State() != raft.Leader || n.alone() {
			continue
		}
		data := encodeWrites(es)
		if len(data) > n.cfg.MaxCommandBytes {
			continue // followers compute these
		}
		n.raft.Apply(data, n.cfg.ApplyTimeout)
	}
}

// alone reports whether this node is the only member: nobody to send
// writes to, and a writes entry would only take a log index (ids are made
// from log indexes, so a single node keeps the ids it always gave).
func (n *Node) alone() bool {
	servers := n.raft.GetConfiguration().Configuration().Servers
	return len(servers) == 1 && servers[0].ID == raft.ServerID(n.cfg.NodeID)
}

func writesSize(es []entryWrites) int {
	size := 0
	for _, e := range es {
		for _, w := range e.writes {
			size += len(w.Key) + len(w.Value)
		}
	}
	return size
}

// heldTooLong is how long a follower waits for the leader's writes before it
// computes the requests itself. The writes come a commit round after the
// requests, milliseconds; a leader starved of CPU can take much longer, and
// a follower that gave up too early would compute a burst while its raft
// loop waits on it.
const heldTooLong = time.Second

// drainHeldRequests makes a follower compute requests it held back for
// longer than heldTooLong: the leader's writes are not coming.
func (n *Node) drainHeldRequests() {
	defer n.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			n.fsm.drainStale(heldTooLong)
		}
	}
}
