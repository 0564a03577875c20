package consensus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

// cluster is an in-process Raft cluster: real badger state and raft-wal
// logs in temp directories, raft's in-memory transport between the nodes.
type cluster struct {
	t      *testing.T
	base   string
	nodes  map[string]*testNode
	trans  map[string]*raft.InmemTransport
	ids    []string
	config func(*Config)
}

func newCluster(t *testing.T, size int, config func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, base: t.TempDir(), nodes: map[string]*testNode{}, trans: map[string]*raft.InmemTransport{}, config: config}
	for i := 1; i <= size; i++ {
		c.ids = append(c.ids, fmt.Sprintf("node%d", i))
	}
	var peers []Peer
	for _, id := range c.ids {
		peers = append(peers, Peer{ID: id, Addr: id})
	}
	for i, id := range c.ids {
		c.start(id, i == 0, peers)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
	})
	return c
}

// start opens a node on its directory; bootstrap with peers forms the cluster.
func (c *cluster) start(id string, bootstrap bool, peers []Peer) *testNode {
	c.t.Helper()
	dir := c.base + "/" + id
	store, err := storage.Open(dir+"/state", storage.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress(id))
	c.trans[id] = trans
	for other, ot := range c.trans {
		if other != id {
			trans.Connect(raft.ServerAddress(other), ot)
			ot.Connect(raft.ServerAddress(id), trans)
		}
	}
	// Followers also compute what they take from the leader's writes, and
	// stop if the two differ.
	cfg := Config{NodeID: id, Dir: dir + "/raft", Bootstrap: bootstrap, Peers: peers, transport: trans, fastTimeouts: true, VerifyWrites: true}
	if c.config != nil {
		c.config(&cfg)
	}
	n, err := Open(cfg, store)
	if err != nil {
		store.Close()
		c.t.Fatal(err)
	}
	tn := &testNode{Node: n, store: store, dir: dir}
	c.nodes[id] = tn
	return tn
}

func (c *cluster) stop(id string) {
	if n, ok := c.nodes[id]; ok {
		n.stop()
		delete(c.nodes, id)
	}
	if tr, ok := c.trans[id]; ok {
		for other, ot := range c.trans {
			if other != id {
				ot.Disconnect(raft.ServerAddress(id))
			}
		}
		tr.DisconnectAll()
		delete(c.trans, id)
	}
}

// partition cuts a node off from all others, both ways.
func (c *cluster) partition(id string) {
	for other, ot := range c.trans {
		if other != id {
			ot.Disconnect(raft.ServerAddress(id))
			c.trans[id].Disconnect(raft.ServerAddress(other))
		}
	}
}

// heal reconnects everyone.
func (c *cluster) heal() {
	for id, tr := range c.trans {
		for other, ot := range c.trans {
			if other != id {
				tr.Connect(raft.ServerAddress(other), ot)
			}
		}
	}
}

// leader waits for a ready leader among the given nodes (default: all).
func (c *cluster) leader(among ...string) *testNode {
	c.t.Helper()
	if len(among) == 0 {
		for id := range c.nodes {
			among = append(among, id)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, id := range among {
			if n, ok := c.nodes[id]; ok && n.Ready() == nil {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader")
	return nil
}

// converged waits until every running node has applied the leader's
// commit index and holds exactly the leader's state.
func (c *cluster) converged() {
	c.t.Helper()
	l := c.leader()
	// A barrier makes the leader's commit index cover everything it accepted.
	if err := l.raft.Barrier(5 * time.Second).Error(); err != nil {
		c.t.Fatal(err)
	}
	want := l.raft.CommitIndex()
	deadline := time.Now().Add(15 * time.Second)
	for id, n := range c.nodes {
		for !n.CaughtUp(want) {
			if time.Now().After(deadline) {
				c.t.Fatalf("%s applied %d, leader committed %d", id, n.Status().AppliedIndex, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ref := dump(c.t, l.store)
	for id, n := range c.nodes {
		if got := dump(c.t, n.store); !reflect.DeepEqual(got, ref) {
			c.t.Errorf("%s holds a different state from the leader (%d vs %d keys)", id, len(got), len(ref))
		}
	}
}

// settleOn runs the outpatient flow on a node with msgids prefixed by tag.
func settleOn(t *testing.T, n *testNode, tag string) settlement.Record {
	t.Helper()
	ctx := context.Background()
	a, err := n.Submit(ctx, register(tag+"R"))
	must(t, err)
	id := a.Outcome.Visit.MdtrtID
	_, err = n.Submit(ctx, example3Fees(tag+"F", id))
	must(t, err)
	a, err = n.Submit(ctx, settle(tag+"S", id))
	must(t, err)
	return *a.Outcome.Record
}

func TestClusterSurvivesLeaderLoss(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	rec := settleOn(t, l, "A")
	c.converged()

	old := l.cfg.NodeID
	c.stop(old)
	l2 := c.leader()
	if l2.cfg.NodeID == old {
		t.Fatal("the stopped node is still leader")
	}
	// The acknowledged settlement survived, and a retry answers it, never a second one.
	again, err := l2.Submit(context.Background(), settle("AS", rec.MdtrtID))
	must(t, err)
	if !again.Replayed || again.Outcome.Record.SetlID != rec.SetlID {
		t.Errorf("after losing the leader the retry was not the stored answer: %+v", again.Outcome.Record)
	}
	_, err = l2.Submit(context.Background(), settle("AS-new", rec.MdtrtID))
	wantCode(t, err, settlement.CodeAlreadySettled)
	settleOn(t, l2, "B")

	// The old leader comes back and catches up.
	c.start(old, false, nil)
	c.converged()
}

func TestFollowerRestartCatchesUp(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	var follower string
	for id := range c.nodes {
		if id != l.cfg.NodeID {
			follower = id
			break
		}
	}
	c.stop(follower)
	for i := 0; i < 5; i++ {
		settleOn(t, l, fmt.Sprintf("F%d", i))
	}
	c.start(follower, false, nil)
	c.converged()
}

func TestPartitionedMinorityCannotSettle(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	old := l.cfg.NodeID
	c.partition(old)
	var majority []string
	for id := range c.nodes {
		if id != old {
			majority = append(majority, id)
		}
	}
	// The cut-off leader cannot commit: the hospital hears "outcome unknown"
	// or "not the leader", never a settlement.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err := l.Submit(ctx, register("P1"))
	cancel()
	if err == nil || !(errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrNotLeader) || errors.Is(err, ErrNoLeader)) {
		t.Fatalf("the minority accepted a write: %v", err)
	}
	// The majority elects a leader and settles.
	l2 := c.leader(majority...)
	rec := settleOn(t, l2, "M")
	// The retry of the write whose outcome was unknown settles exactly once.
	c.heal()
	c.converged()
	l3 := c.leader()
	again, err := l3.Submit(context.Background(), settle("MS", rec.MdtrtID))
	must(t, err)
	if !again.Replayed {
		t.Error("retry after the partition was not a replay")
	}
}

func TestSnapshotInstallToAnEmptyNode(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotThreshold, cfg.TrailingLogs, cfg.SnapshotInterval = 8, 4, 50*time.Millisecond
	})
	l := c.leader()
	seed(t, l)
	for i := 0; i < 10; i++ {
		settleOn(t, l, fmt.Sprintf("S%d", i))
	}
	if err := l.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	// A new, empty node joins: the log it would need is gone, so the leader
	// sends the snapshot, which it restores into a fresh directory.
	n4 := c.start("node4", false, nil)
	must(t, l.AddVoter(context.Background(), "node4", "node4"))
	c.converged()
	if n4.Status().AppliedIndex == 0 {
		t.Error("node4 applied nothing")
	}
	members, err := l.Members()
	must(t, err)
	if len(members) != 4 {
		t.Errorf("members %v", members)
	}
	// Membership change the other way: remove a follower, keep settling.
	var gone string
	for id := range c.nodes {
		if id != l.cfg.NodeID && id != "node4" {
			gone = id
			break
		}
	}
	must(t, l.RemoveServer(context.Background(), gone))
	c.stop(gone)
	settleOn(t, c.leader(), "after")
	c.converged()
}

func TestLeadershipTransfer(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	must(t, l.TransferLeadership(context.Background(), "", ""))
	deadline := time.Now().Add(10 * time.Second)
	for l.IsLeader() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l.IsLeader() {
		t.Fatal("leadership did not move")
	}
	settleOn(t, c.leader(), "T")
	c.converged()
}

// TestStateThatLostItsLastWritesReplaysTheLog: commits to the state are not
// fsynced one by one, so a power cut can take a node's state back to an
// earlier point (never behind its last snapshot, which syncs first). The
// node then replays the Raft log from there and ends up with the leader's
// state. The lost writes are simulated by putting back a copy of the state
// directory taken earlier.
func TestStateThatLostItsLastWritesReplaysTheLog(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	seed(t, l)
	settleOn(t, l, "A")
	c.converged()
	var follower string
	for id := range c.nodes {
		if id != l.cfg.NodeID {
			follower = id
			break
		}
	}
	state := c.base + "/" + follower + "/state"
	c.stop(follower)
	must(t, os.CopyFS(state+".earlier", os.DirFS(state)))
	c.start(follower, false, nil)
	settleOn(t, c.leader(), "B")
	settleOn(t, c.leader(), "C")
	c.converged()
	c.stop(follower)
	must(t, os.RemoveAll(state))
	must(t, os.Rename(state+".earlier", state))
	n := c.start(follower, false, nil)
	if idx, _, err := n.store.Applied(); err != nil || idx >= c.leader().raft.CommitIndex() {
		t.Fatalf("the earlier state is at %d (%v); the test needs it behind the log", idx, err)
	}
	c.converged()
}
