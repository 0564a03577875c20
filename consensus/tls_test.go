package consensus

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/provgate/provgate/storage"
)

// tlsNode starts a node over real TCP with mutual TLS on a loopback port.
func tlsNode(t *testing.T, id string, conf *tls.Config, bootstrap bool) *testNode {
	t.Helper()
	dir := t.TempDir()
	store, err := storage.Open(dir+"/state", storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(Config{NodeID: id, Dir: dir + "/raft", BindAddr: "127.0.0.1:0", Bootstrap: bootstrap, TLS: conf, fastTimeouts: true}, store)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	tn := &testNode{Node: n, store: store, dir: dir}
	t.Cleanup(tn.stop)
	return tn
}

func mustTLS(t *testing.T, ca *CA, node string) *tls.Config {
	t.Helper()
	cert, key, err := ca.Issue(node, []string{"127.0.0.1", "localhost"})
	must(t, err)
	conf, err := TLSConfig(ca.PEM, cert, key)
	must(t, err)
	return conf
}

// TestMutualTLS runs a cluster over mutual TLS: members with the cluster's
// certificates replicate; a node whose certificate another CA signed is
// added to the configuration but never receives a byte of state.
func TestMutualTLS(t *testing.T) {
	ca, err := NewCA("provgate test cluster")
	must(t, err)
	n1 := tlsNode(t, "node1", mustTLS(t, ca, "node1"), true)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	must(t, n1.WaitLeader(ctx))
	n2 := tlsNode(t, "node2", mustTLS(t, ca, "node2"), false)
	must(t, n1.AddVoter(ctx, "node2", string(n2.trans.LocalAddr())))
	seed(t, n1)
	rec := settleOn(t, n1, "TLS")
	deadline := time.Now().Add(10 * time.Second)
	for !n2.CaughtUp(n1.raft.CommitIndex()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	n2.store.View(func(tx *storage.Tx) error {
		if _, ok, _ := tx.Record(rec.SetlID); !ok {
			t.Error("the member over TLS did not receive the settlement")
		}
		return nil
	})

	rogueCA, err := NewCA("someone else")
	must(t, err)
	rogue := tlsNode(t, "rogue", mustTLS(t, rogueCA, "rogue"), false)
	// Adding it needs a quorum of node1 and node2, which they have; the
	// rogue itself can neither receive entries nor vote.
	addCtx, addCancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = n1.AddVoter(addCtx, "rogue", string(rogue.trans.LocalAddr()))
	addCancel()
	settleOn(t, n1, "TLS2")
	time.Sleep(500 * time.Millisecond)
	if applied := rogue.Status().AppliedIndex; applied != 0 {
		t.Errorf("a node with a foreign certificate applied up to %d", applied)
	}
	if rogue.Status().Leader != "" {
		t.Errorf("a node with a foreign certificate learned the leader %q", rogue.Status().Leader)
	}
}

// TestJoinNeedsAClusterCertificate checks that on a TLS cluster the admin
// path (Join) adds a voter only after the joining node proves, in a TLS
// handshake at its Raft address, a certificate of the cluster CA issued to
// the id it claims; otherwise nothing changes in the configuration.
func TestJoinNeedsAClusterCertificate(t *testing.T) {
	ca, err := NewCA("provgate test cluster")
	must(t, err)
	rogueCA, err := NewCA("someone else")
	must(t, err)
	n1 := tlsNode(t, "node1", mustTLS(t, ca, "node1"), true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	must(t, n1.WaitLeader(ctx))
	for _, tc := range []struct {
		name, id string
		conf     *tls.Config // nil: a node on plain TCP
		ok       bool
	}{
		{"certificate from another CA", "node2", mustTLS(t, rogueCA, "node2"), false},
		{"cluster certificate of another node", "node2", mustTLS(t, ca, "node3"), false},
		{"plain TCP", "node2", nil, false},
		{"cluster certificate issued to it", "node2", mustTLS(t, ca, "node2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var joiner *testNode
			if tc.conf != nil {
				joiner = tlsNode(t, tc.id, tc.conf, false)
			} else {
				dir := t.TempDir()
				store, err := storage.Open(dir+"/state", storage.Options{})
				must(t, err)
				n, err := Open(Config{NodeID: tc.id, Dir: dir + "/raft", BindAddr: "127.0.0.1:0", fastTimeouts: true}, store)
				must(t, err)
				joiner = &testNode{Node: n, store: store, dir: dir}
				t.Cleanup(joiner.stop)
			}
			err := n1.Join(ctx, Member{ID: tc.id, HTTPAddr: "127.0.0.1:1", RaftAddr: string(joiner.trans.LocalAddr())})
			members, merr := n1.Members()
			must(t, merr)
			voter := false
			for _, m := range members {
				voter = voter || m.ID == tc.id
			}
			if (err == nil) != tc.ok || voter != tc.ok {
				t.Errorf("join: err %v, voter %v; want accepted=%v", err, voter, tc.ok)
			}
		})
	}
}
