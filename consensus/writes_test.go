package consensus

import (
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

// replay builds one log and feeds it to a leader state machine as it grows,
// collecting the writes the leader emits, so writes entries can be placed
// anywhere in the log a follower then applies.
type replay struct {
	t       *testing.T
	leader  *fsm
	log     []*raft.Log
	emitted []entryWrites
}

func newReplay(t *testing.T) *replay {
	r := &replay{t: t, leader: openFSM(t, t.TempDir())}
	r.leader.leading = func() bool { return true }
	r.leader.emit = func(es []entryWrites) { r.emitted = append(r.emitted, es...) }
	d := seedFixtures()
	r.command(cmdPutPolicy, d.policy)
	r.command(cmdPutCatalog, d.catalog)
	for _, h := range d.hospitals {
		r.command(cmdPutHospital, h)
	}
	r.command(cmdPutPerson, d.person)
	return r
}

func openFSM(t *testing.T, dir string) *fsm {
	t.Helper()
	store, err := storage.Open(dir, storage.Options{})
	must(t, err)
	t.Cleanup(func() { store.Close() })
	f, err := newFSM(store, slog.New(slog.DiscardHandler))
	must(t, err)
	return f
}

// command appends an entry, applies it on the leader and returns its result.
func (r *replay) command(typ commandType, v any) result {
	r.t.Helper()
	data, err := encode(typ, v)
	must(r.t, err)
	return r.append(data)
}

func (r *replay) append(data []byte) result {
	l := &raft.Log{Index: uint64(len(r.log) + 1), Term: 2, Type: raft.LogCommand, Data: data}
	r.log = append(r.log, l)
	res, _ := r.leader.ApplyBatch([]*raft.Log{l})[0].(result)
	return res
}

func (r *replay) request(req settlement.Request) result {
	r.t.Helper()
	res := r.command(cmdRequest, requestCommand{UnixMilli: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMilli(), Request: req})
	if res.err != nil {
		r.t.Fatalf("%s refused: %v", req.MsgID, res.err)
	}
	return res
}

// visit registers, uploads and settles one visit; msgids are tagged.
func (r *replay) visit(tag string) {
	a := r.request(register(tag + "R"))
	id := a.outcome.Visit.MdtrtID
	r.request(example3Fees(tag+"F", id))
	r.request(settle(tag+"S", id))
}

// writes appends a writes entry of what the leader emitted since the last
// one, passed through edit.
func (r *replay) writes(edit func([]entryWrites) []entryWrites) {
	es := r.emitted
	r.emitted = nil
	if edit != nil {
		es = edit(es)
	}
	r.append(encodeWrites(es))
}

func follower(t *testing.T, dir string, verify bool) *fsm {
	f := openFSM(t, dir)
	f.leading = func() bool { return false }
	f.verify = verify
	return f
}

func TestFollowersStoreTheLeadersWrites(t *testing.T) {
	dropFirst := func(es []entryWrites) []entryWrites { return es[1:] }
	cases := []struct {
		name string
		// build appends to the log after the seed commands.
		build func(r *replay)
		// chunk feeds the follower this many entries per ApplyBatch (0: all).
		chunk        int
		taken, extra uint64 // requests stored from writes; held ones computed
	}{
		{"writes after each visit", func(r *replay) {
			r.visit("A")
			r.writes(nil)
			r.visit("B")
			r.writes(nil)
		}, 1, 6, 0},
		{"one writes entry for two visits, in one batch", func(r *replay) {
			r.visit("A")
			r.visit("B")
			r.writes(nil)
		}, 0, 6, 0},
		{"a request the entry leaves out is computed", func(r *replay) {
			r.visit("A")
			r.writes(dropFirst)
		}, 1, 2, 1},
		{"another command computes what is held back", func(r *replay) {
			r.visit("A")
			r.command(cmdPutHospital, settlement.Hospital{Code: "H9", Name: "新医院", Admdvs: "450200"})
			r.writes(nil) // names requests the follower computed already
			r.visit("B")
			r.writes(nil)
		}, 1, 3, 3},
		{"writes entries arriving twice", func(r *replay) {
			r.visit("A")
			es := r.emitted
			r.writes(nil)
			r.emitted = es
			r.writes(nil)
		}, 1, 3, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t)
			tc.build(r)
			for _, verify := range []bool{false, true} {
				f := follower(t, t.TempDir(), verify)
				f.takeWrites = true
				feed(f, r.log, tc.chunk)
				if len(f.pending) != 0 {
					t.Fatalf("verify=%v: %d requests still held back", verify, len(f.pending))
				}
				if got, want := dump(t, f.store), dump(t, r.leader.store); !reflect.DeepEqual(got, want) {
					t.Fatalf("verify=%v: follower state differs from the leader's (%d vs %d keys)", verify, len(got), len(want))
				}
				if f.taken.Load() != tc.taken || f.heldComputed.Load() != tc.extra {
					t.Errorf("verify=%v: taken %d, computed %d; want %d, %d", verify, f.taken.Load(), f.heldComputed.Load(), tc.taken, tc.extra)
				}
				if f.appliedNow() != uint64(len(r.log)) {
					t.Errorf("verify=%v: applied %d, want %d", verify, f.appliedNow(), len(r.log))
				}
			}
		})
	}
}

func feed(f *fsm, logs []*raft.Log, chunk int) {
	if chunk == 0 {
		chunk = len(logs)
	}
	for i := 0; i < len(logs); i += chunk {
		f.ApplyBatch(logs[i:min(i+chunk, len(logs))])
	}
}

// TestFollowerStoresTheLeadersBytes shows a follower stores what the leader
// sent rather than what it would compute, and that verify catches the
// difference and stops the node.
func TestFollowerStoresTheLeadersBytes(t *testing.T) {
	r := newReplay(t)
	r.visit("A")
	var tampered string
	r.writes(func(es []entryWrites) []entryWrites {
		w := &es[len(es)-1].writes[0]
		tampered = string(w.Key)
		w.Value = append([]byte(nil), w.Value...)
		w.Value[len(w.Value)-1] ^= 1
		return es
	})
	f := follower(t, t.TempDir(), false)
	f.takeWrites = true
	feed(f, r.log, 1)
	if got, want := dump(t, f.store)[tampered], dump(t, r.leader.store)[tampered]; got == want {
		t.Fatalf("the follower computed %s instead of storing the leader's bytes", tampered)
	}

	v := follower(t, t.TempDir(), true)
	v.takeWrites = true
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "differ") {
			t.Fatalf("verify did not stop the node on different writes: %v", p)
		}
	}()
	feed(v, r.log, 1)
}

// TestHeldRequestsSurviveARestart stops a follower while it holds requests
// back: nothing of them is stored, raft replays them, and the writes entry
// that follows completes the state.
func TestHeldRequestsSurviveARestart(t *testing.T) {
	r := newReplay(t)
	r.visit("A")
	r.writes(nil)
	dir := t.TempDir()
	f := follower(t, dir, false)
	f.takeWrites = true
	last := len(r.log) - 1 // everything but the writes entry
	feed(f, r.log[:last], 1)
	if len(f.pending) != 3 {
		t.Fatalf("%d requests held back, want 3", len(f.pending))
	}
	if f.appliedNow() != uint64(last-3) {
		t.Fatalf("applied %d while holding requests back, want %d", f.appliedNow(), last-3)
	}
	f.store.Close()

	g := follower(t, dir, false)
	g.takeWrites = true
	feed(g, r.log, 1) // raft replays from the start; applied entries are skipped
	if got, want := dump(t, g.store), dump(t, r.leader.store); !reflect.DeepEqual(got, want) {
		t.Fatal("state after the restart differs from the leader's")
	}
	if g.taken.Load() != 3 {
		t.Errorf("taken %d after the restart, want 3", g.taken.Load())
	}
}

// TestSnapshotAndStaleDrainComputeHeldRequests: a snapshot is labelled with
// the last entry raft handed over, so it computes held-back requests first;
// requests whose writes do not come are computed after a while, and the
// follower stops holding requests back until writes come again.
func TestSnapshotAndStaleDrainComputeHeldRequests(t *testing.T) {
	r := newReplay(t)
	r.visit("A")
	r.visit("B")
	first := len(r.log) - 3

	f := follower(t, t.TempDir(), false)
	f.takeWrites = true
	feed(f, r.log[:first], 1)
	snap, err := f.Snapshot()
	must(t, err)
	snap.Release()
	idx, _, err := f.store.Applied()
	must(t, err)
	if len(f.pending) != 0 || idx != uint64(first) {
		t.Fatalf("after a snapshot: %d held back, stored applied %d, want 0 and %d", len(f.pending), idx, first)
	}

	feed(f, r.log[first:first+1], 1)
	f.drainStale(time.Hour)
	if len(f.pending) != 1 {
		t.Fatal("a fresh held-back request was computed")
	}
	f.pendingSince = time.Now().Add(-time.Minute)
	f.drainStale(time.Second)
	if len(f.pending) != 0 || f.takeWrites {
		t.Fatalf("stale drain: %d held back, takeWrites %v", len(f.pending), f.takeWrites)
	}
	feed(f, r.log[first+1:], 1)
	if len(f.pending) != 0 {
		t.Fatal("requests were held back with no writes coming")
	}
	if got, want := dump(t, f.store), dump(t, r.leader.store); !reflect.DeepEqual(got, want) {
		t.Fatal("state differs from the leader's")
	}
}

func TestWritesEntryRoundTrip(t *testing.T) {
	es := []entryWrites{
		{pos: logPos{7, 2}, writes: []storage.Write{{Key: []byte("v/1"), Value: []byte("x")}, {Key: []byte("i/2"), Delete: true}}},
		{pos: logPos{9, 3}},
		{pos: logPos{10, 3}, writes: []storage.Write{{Key: []byte("r/3")}}},
	}
	data := encodeWrites(es)
	if !isWrites(&raft.Log{Type: raft.LogCommand, Data: data}) {
		t.Fatal("not recognised as a writes entry")
	}
	// This version's entries carry binary visits: a node of the version
	// before must skip them (a type it does not know, ignoreUnknown set),
	// while entries from a leader of that version are still taken.
	if commandType(data[0]) == cmdWritesJSON || commandType(data[0])&ignoreUnknown == 0 {
		t.Fatalf("writes entry type %#x: an older node would take binary visits or stop", data[0])
	}
	older := append([]byte{byte(cmdWritesJSON)}, data[1:]...)
	if !isWrites(&raft.Log{Type: raft.LogCommand, Data: older}) {
		t.Fatal("a writes entry from an older leader is not recognised")
	}
	got, err := decodeWrites(data[1:])
	must(t, err)
	if len(got) != len(es) {
		t.Fatalf("%d entries, want %d", len(got), len(es))
	}
	for i := range es {
		if got[i].pos != es[i].pos || !storage.SameWrites(got[i].writes, es[i].writes) {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], es[i])
		}
	}
	for cut := 1; cut < len(data)-1; cut++ {
		if _, err := decodeWrites(data[1:cut]); err == nil {
			t.Errorf("truncated at %d: no error", cut)
		}
	}
}

// TestClusterFollowersTakeTheLeadersWrites runs settlements on a 3-node
// cluster and checks the followers stored the leader's writes for nearly
// all of them (verify on, so each was also computed and compared).
func TestClusterFollowersTakeTheLeadersWrites(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	for i := 0; i < 5; i++ {
		settleOn(t, l, string(rune('a'+i)))
	}
	c.converged()
	for id, n := range c.nodes {
		if n == l {
			continue
		}
		taken, computed := n.ReplicatedWrites()
		if taken < 10 || computed > taken {
			t.Errorf("%s: %d requests from the leader's writes, %d computed; want most of 15 taken", id, taken, computed)
		}
	}
}

// A batch whose writes outgrow badger's transaction limit is applied in
// smaller transactions to the same state, instead of stopping the node
// (every replica would stop alike). Small memtables make the limit ~150 KB.
func TestABatchTooBigForOneTransaction(t *testing.T) {
	r := newReplay(t)
	for i := range 40 {
		r.visit("V" + strconv.Itoa(i))
	}
	store, err := storage.Open(t.TempDir(), storage.Options{MemTableSize: 1 << 20})
	must(t, err)
	t.Cleanup(func() { store.Close() })
	f, err := newFSM(store, slog.New(slog.DiscardHandler))
	must(t, err)
	f.leading = func() bool { return true }
	var emitted int
	f.emit = func(es []entryWrites) { emitted += len(es) }
	results := f.ApplyBatch(r.log) // one batch: one run of 120 requests and the seed
	for i, res := range results {
		if res, ok := res.(result); ok && res.err != nil {
			t.Fatalf("entry %d refused: %v", i+1, res.err)
		}
	}
	if got, want := dump(t, store), dump(t, r.leader.store); !reflect.DeepEqual(got, want) {
		t.Fatal("the state differs from applying the entries one by one")
	}
	if emitted != 120 {
		t.Errorf("writes recorded for %d requests, want 120", emitted)
	}
}
