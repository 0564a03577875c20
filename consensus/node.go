package consensus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

// Config configures a node. Zero values take the documented defaults.
type Config struct {
	// NodeID identifies the node in the cluster; it must stay the same
	// across restarts and never be reused for a wiped node. Required.
	NodeID string
	// Dir holds the Raft log (wal/) and snapshots (snapshots/). Required.
	Dir string
	// BindAddr is the Raft transport's listen address, e.g. 127.0.0.1:7000.
	// Required.
	BindAddr string
	// Advertise is the address other nodes reach this one at. Default: the
	// address the transport bound.
	Advertise string
	// Bootstrap forms a new cluster when the node has no Raft state yet:
	// of this node alone, or of Peers when given. Ignored once state exists.
	Bootstrap bool
	// Peers is the initial membership for Bootstrap (this node included).
	// Empty means this node alone; others then join with AddVoter.
	Peers []Peer
	// ApplyTimeout bounds how long a command may wait to enter the log.
	// Default 5s.
	ApplyTimeout time.Duration
	// SnapshotThreshold is how many entries trigger a snapshot. Default
	// 65536: the state is on disk, so a snapshot only serves to shorten the
	// log and to seed new nodes, and each one copies the whole state.
	SnapshotThreshold uint64
	// SnapshotInterval is how often the threshold is checked. Default 2m.
	SnapshotInterval time.Duration
	// TrailingLogs is how many entries are kept after a snapshot, so a
	// follower that fell behind catches up from the log rather than by a
	// whole-state install. Default 65536.
	TrailingLogs uint64
	// MaxCommandBytes bounds one log entry. Default 4 MiB.
	MaxCommandBytes int
	// Logger receives the node's logs. Default: discarded.
	Logger *slog.Logger
	// TLS, when set, runs the Raft transport over mutual TLS: a node
	// without a certificate of the cluster's CA can neither join nor talk
	// to the cluster.
	TLS *tls.Config
	// Now is the clock the leader stamps commands with. Default time.Now;
	// tests fix it to get the same ids and times on every run.
	Now func() time.Time
	// ComputeOnFollowers turns off the leader's replicated writes
	// (writes.go): every replica then computes every request.
	ComputeOnFollowers bool
	// VerifyWrites makes a follower compute the requests it has the
	// leader's writes for as well, and stop if they differ. For tests: it
	// costs what the shortcut saves.
	VerifyWrites bool

	// transport replaces the TCP transport (in-process tests).
	transport raft.Transport
	// fastTimeouts shortens raft's timeouts (in-process tests).
	fastTimeouts bool
}

func (c *Config) setDefaults() error {
	if c.NodeID == "" || c.Dir == "" || (c.BindAddr == "" && c.transport == nil) {
		return errors.New("consensus: NodeID, Dir and BindAddr are required")
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = 5 * time.Second
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 65536
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = 2 * time.Minute
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 65536
	}
	if c.MaxCommandBytes == 0 {
		c.MaxCommandBytes = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Peer is a member of the cluster: its id and Raft address.
type Peer struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// Node is one member of the provgate Raft cluster.
type Node struct {
	cfg   Config
	raft  *raft.Raft
	fsm   *fsm
	store *storage.Store
	wal   *wal.WAL
	// stream is the mutual-TLS stream layer, nil over plain TCP.
	stream *tlsStream
	logs   *raft.LogCache
	trans  raft.Transport

	// fresh is true when this Open bootstrapped a new cluster.
	fresh bool
	// readyForReads is set once this node, as leader, has applied
	// everything committed before its term (a barrier), so the commit index
	// it reads is its own term's.
	readyForReads atomic.Bool
	// leading mirrors raft's leadership notifications for the state
	// machine, which computes every request while it leads.
	leading atomic.Bool
	// writes carries the leader's recorded writes to the proposer.
	writes    chan []entryWrites
	notify    chan bool
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Open starts a node on an opened store.
func Open(cfg Config, store *storage.Store) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, store: store, notify: make(chan bool, 8), stop: make(chan struct{})}
	var err error
	if n.fsm, err = newFSM(store, cfg.Logger); err != nil {
		return nil, err
	}
	n.fsm.leading = n.leading.Load
	n.fsm.verify = cfg.VerifyWrites
	if !cfg.ComputeOnFollowers {
		n.writes = make(chan []entryWrites, 256)
		n.fsm.emit = n.emitWrites
	}
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: slogWriter{cfg.Logger}, DisableTime: true})

	walDir := filepath.Join(cfg.Dir, "wal")
	if err := os.MkdirAll(walDir, 0o750); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	if n.wal, err = wal.Open(walDir, wal.WithLogger(hlog.Named("wal"))); err != nil {
		return nil, fmt.Errorf("open raft log: %w", err)
	}
	logs, err := raft.NewLogCache(512, n.wal)
	n.logs = logs
	if err != nil {
		n.wal.Close()
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hlog.Named("snapshots"))
	if err != nil {
		n.wal.Close()
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}
	if err := n.catchUpFromSnapshot(snaps); err != nil {
		n.wal.Close()
		return nil, err
	}

	n.trans = cfg.transport
	if n.trans == nil {
		// Without an advertise address raft advertises the address it
		// actually bound, which also makes port 0 work in tests.
		var adv net.Addr
		if cfg.Advertise != "" {
			if adv, err = net.ResolveTCPAddr("tcp", cfg.Advertise); err != nil {
				n.wal.Close()
				return nil, fmt.Errorf("advertise address %q: %w", cfg.Advertise, err)
			}
		}
		if cfg.TLS != nil {
			stream, err := newTLSStream(cfg.BindAddr, cfg.Advertise, cfg.TLS)
			if err != nil {
				n.wal.Close()
				return nil, fmt.Errorf("listen for raft (TLS) on %s: %w", cfg.BindAddr, err)
			}
			n.stream = stream
			n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
				Stream: stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: hlog.Named("transport")})
		} else {
			tcp, err := raft.NewTCPTransportWithLogger(cfg.BindAddr, adv, 3, 10*time.Second, hlog.Named("transport"))
			if err != nil {
				n.wal.Close()
				return nil, fmt.Errorf("listen for raft on %s: %w", cfg.BindAddr, err)
			}
			n.trans = tcp
		}
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs
	rc.ShutdownOnRemove = false
	rc.NotifyCh = n.notify
	// The state is on disk and knows its applied index; catchUpFromSnapshot
	// above restored a snapshot only if the state was behind it.
	rc.NoSnapshotRestoreOnStart = true
	if cfg.fastTimeouts {
		// Short enough for quick elections, long enough that a leader on a
		// loaded 2-core machine under the race detector keeps its lease.
		rc.HeartbeatTimeout = 150 * time.Millisecond
		rc.ElectionTimeout = 150 * time.Millisecond
		rc.LeaderLeaseTimeout = 100 * time.Millisecond
		rc.CommitTimeout = 5 * time.Millisecond
	}

	if cfg.Bootstrap {
		has, err := raft.HasExistingState(logs, n.wal, snaps)
		if err != nil {
			n.closeTransport()
			n.wal.Close()
			return nil, err
		}
		if !has {
			self := n.trans.LocalAddr()
			if cfg.Advertise != "" {
				self = raft.ServerAddress(cfg.Advertise) // a name survives an address change
			}
			boot := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: self}}}
			if len(cfg.Peers) > 0 {
				boot.Servers = boot.Servers[:0]
				for _, p := range cfg.Peers {
					boot.Servers = append(boot.Servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
				}
			}
			if err := raft.BootstrapCluster(rc, logs, n.wal, snaps, n.trans, boot); err != nil {
				n.closeTransport()
				n.wal.Close()
				return nil, fmt.Errorf("bootstrap: %w", err)
			}
			n.fresh = true
		}
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, logs, n.wal, snaps, n.trans); err != nil {
		n.closeTransport()
		n.wal.Close()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	n.wg.Add(2)
	go n.watchLeadership()
	go n.drainHeldRequests()
	if n.writes != nil {
		n.wg.Add(1)
		go n.proposeWrites()
	}
	return n, nil
}

// catchUpFromSnapshot restores the newest snapshot if the state on disk is
// behind it (a new or wiped state directory). Raft will only replay the log
// after the snapshot, so a state that is behind would otherwise miss entries.
func (n *Node) catchUpFromSnapshot(snaps *raft.FileSnapshotStore) error {
	list, err := snaps.List()
	if err != nil || len(list) == 0 {
		return err
	}
	applied, _ := n.fsm.appliedIndex()
	if applied >= list[0].Index {
		return nil
	}
	_, rc, err := snaps.Open(list[0].ID)
	if err != nil {
		return fmt.Errorf("open snapshot %s: %w", list[0].ID, err)
	}
	n.cfg.Logger.Warn("state is behind the newest snapshot; restoring it",
		"applied", applied, "snapshot", list[0].Index)
	return n.fsm.Restore(rc)
}

// watchLeadership runs a barrier when this node becomes leader, so that
// linearizable reads see everything committed in earlier terms.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case leader := <-n.notify:
			n.readyForReads.Store(false)
			n.leading.Store(leader)
			if !leader {
				continue
			}
			if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
				n.cfg.Logger.Warn("barrier after election failed", "err", err)
				continue
			}
			// Requests held back as a follower are this leader's to compute
			// now: reads must see them, and followers wait for their writes.
			n.fsm.drain()
			if n.raft.State() == raft.Leader {
				n.readyForReads.Store(true)
			}
		}
	}
}

// Submit puts a hospital request that writes through the Raft log and
// returns its answer. A refusal is a *settlement.Error; ErrNotLeader,
// ErrNoLeader and ErrShutdown mean nothing was applied; ErrOutcomeUnknown
// means retry with the same msgid.
func (n *Node) Submit(ctx context.Context, req settlement.Request) (settlement.Answer, error) {
	// Unknown and disabled hospitals are refused by the state machine
	// (settlement.Process); every way in (the x-tif check, MLLP's source
	// check) has already refused them from the local state, so a second
	// look here would only cost every request a read.
	res, err := n.apply(ctx, cmdRequest, requestCommand{UnixMilli: n.cfg.Now().UnixMilli(), Request: req})
	if err != nil {
		return settlement.Answer{}, err
	}
	if res.err != nil {
		return settlement.Answer{}, res.err
	}
	return settlement.Answer{Outcome: res.outcome, Stamp: res.stamp, Replayed: res.replayed}, nil
}

// Complete records the national platform's answer to a pending
// cross-province intent and returns the hospital's answer: the record, or
// the insured place's refusal.
func (n *Node) Complete(ctx context.Context, hospital, msgID string, c settlement.Completion) (settlement.Answer, error) {
	res, err := n.apply(ctx, cmdComplete, completeCommand{UnixMilli: n.cfg.Now().UnixMilli(), Hospital: hospital, MsgID: msgID, Completion: c})
	if err != nil {
		return settlement.Answer{}, err
	}
	if res.err != nil {
		return settlement.Answer{}, res.err
	}
	return settlement.Answer{Outcome: res.outcome, Stamp: res.stamp, Replayed: res.replayed}, nil
}

// PendingIntents lists the cross-province writes waiting for the insured
// place, from the local state (the leader re-drives them).
func (n *Node) PendingIntents() ([]settlement.Intent, error) { return n.store.PendingIntents() }

// apply sends one command through the log and waits for the state machine.
func (n *Node) apply(ctx context.Context, t commandType, v any) (result, error) {
	data, err := encode(t, v)
	if err != nil {
		return result{}, err
	}
	if len(data) > n.cfg.MaxCommandBytes {
		return result{}, ErrTooLarge
	}
	switch n.raft.State() {
	case raft.Leader:
	case raft.Shutdown:
		return result{}, ErrShutdown
	default:
		if addr, _ := n.raft.LeaderWithID(); addr == "" {
			return result{}, ErrNoLeader
		}
		return result{}, ErrNotLeader
	}
	f := n.raft.Apply(data, n.cfg.ApplyTimeout)
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case <-ctx.Done():
		// The entry may still commit; only a retry can tell.
		return result{}, ErrOutcomeUnknown
	case err := <-done:
		if err != nil {
			return result{}, translate(err)
		}
	}
	res, _ := f.Response().(result)
	return res, nil
}

// translate maps raft's errors to ours, keeping apart the ones after which
// the command certainly was not applied from the ones after which nobody
// knows.
func translate(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		return ErrNotLeader
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNoLeader
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrOutcomeUnknown
	case errors.Is(err, raft.ErrLeadershipTransferInProgress):
		// Refused before it was enqueued: nothing was written.
		return ErrNoLeader
	case errors.Is(err, raft.ErrLeadershipLost):
		return ErrOutcomeUnknown
	}
	return fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
}

// Read answers a request that only reads (1101 and the like), linearizably:
// it confirms leadership with a quorum, waits until the state machine has
// applied everything committed when the read began, then decides the
// request on the local state.
func (n *Node) Read(ctx context.Context, req settlement.Request) (settlement.Answer, error) {
	if err := n.linearize(ctx); err != nil {
		return settlement.Answer{}, err
	}
	return n.readLocal(req)
}

// readLocal decides a read-only request on this replica's state as it is.
func (n *Node) readLocal(req settlement.Request) (settlement.Answer, error) {
	st := settlement.Stamp{UnixMilli: n.cfg.Now().UnixMilli()}
	var out settlement.Outcome
	err := n.store.View(func(tx *storage.Tx) error {
		var err error
		out, _, err = settlement.Process(tx, req, st)
		return err
	})
	if err != nil {
		return settlement.Answer{}, err
	}
	return settlement.Answer{Outcome: out, Stamp: st}, nil
}

// ReadStale answers a request that only reads from this replica's state as
// it stands, without asking the leader: for reports that accept a stale
// answer in exchange for load off the leader, never for decisions. It also
// returns the log index the state includes at least.
func (n *Node) ReadStale(req settlement.Request) (settlement.Answer, uint64, error) {
	applied, _ := n.fsm.appliedIndex()
	a, err := n.readLocal(req)
	return a, applied, err
}

// View runs fn on a linearizable view of the state.
func (n *Node) View(ctx context.Context, fn func(*storage.Tx) error) error {
	if err := n.linearize(ctx); err != nil {
		return err
	}
	return n.store.View(fn)
}

func (n *Node) linearize(ctx context.Context) error {
	if n.raft.State() != raft.Leader {
		if addr, _ := n.raft.LeaderWithID(); addr == "" {
			return ErrNoLeader
		}
		return ErrNotLeader
	}
	if !n.readyForReads.Load() {
		return ErrNoLeader
	}
	readIndex := n.raft.CommitIndex()
	if err := n.raft.VerifyLeader().Error(); err != nil {
		return translate(err)
	}
	return n.waitApplied(ctx, readIndex)
}

// waitApplied waits until the state machine has applied every entry up to
// index that it is given: raft never hands it the no-op of an election or a
// barrier, so those do not hold a read back.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	for {
		applied, moved := n.fsm.appliedIndex()
		if applied >= index || n.onlyControlEntries(applied+1, index) {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ErrNoLeader
		}
	}
}

// onlyControlEntries reports whether the entries in [from, to] are all
// entries the state machine never sees (no-ops, barriers).
func (n *Node) onlyControlEntries(from, to uint64) bool {
	if to-from > 64 {
		return false // far behind: just wait
	}
	var l raft.Log
	for i := from; i <= to; i++ {
		if err := n.logs.GetLog(i, &l); err != nil || l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return false
		}
	}
	return true
}

// CaughtUp reports whether this node's state covers the log up to index.
func (n *Node) CaughtUp(index uint64) bool {
	applied, _ := n.fsm.appliedIndex()
	return applied >= index || n.onlyControlEntries(applied+1, index)
}

// PutPolicy validates a policy version and replicates it.
func (n *Node) PutPolicy(ctx context.Context, p settlement.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return n.putConfig(ctx, cmdPutPolicy, p)
}

// PutCatalog validates a catalog version and replicates it.
func (n *Node) PutCatalog(ctx context.Context, c settlement.Catalog) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return n.putConfig(ctx, cmdPutCatalog, c)
}

// PutHospital validates a hospital's registration (its formats and MLLP
// sources) and registers or updates it.
func (n *Node) PutHospital(ctx context.Context, h settlement.Hospital) error {
	if err := h.Check(); err != nil {
		return err
	}
	return n.putConfig(ctx, cmdPutHospital, h)
}

// PutPerson registers or updates an insured person.
func (n *Node) PutPerson(ctx context.Context, p settlement.Person) error {
	if err := p.Check().Err("person " + p.PsnNo); err != nil {
		return err
	}
	return n.putConfig(ctx, cmdPutPerson, p)
}

// PutPersons registers or updates many persons in one log entry and
// reports the rows it refused.
func (n *Node) PutPersons(ctx context.Context, ps []settlement.Person) ([]settlement.Rejection, error) {
	res, err := n.apply(ctx, cmdPutPersons, ps)
	return res.rejected, err
}

// AddFilings adds cross-region filings to persons in one log entry and
// reports the rows it refused.
func (n *Node) AddFilings(ctx context.Context, rows []settlement.FilingRow) ([]settlement.Rejection, error) {
	res, err := n.apply(ctx, cmdAddFilings, rows)
	return res.rejected, err
}

func (n *Node) putConfig(ctx context.Context, t commandType, v any) error {
	res, err := n.apply(ctx, t, v)
	if err != nil {
		return err
	}
	if res.err != nil {
		return res.err
	}
	return nil
}

// HospitalByPaasID finds the hospital that holds gateway credentials with
// this paas id, from the local state (credentials change rarely; a stale
// read at worst refuses a brand-new credential for a moment).
func (n *Node) HospitalByPaasID(paasID string) (settlement.Hospital, bool, error) {
	return n.store.HospitalByPaasID(paasID)
}

// HospitalByCode finds a registered hospital from the local state, for
// channels that name the hospital in the message rather than by credentials
// (MLLP); like HospitalByPaasID, a stale read at worst refuses a brand-new
// registration for a moment.
func (n *Node) HospitalByCode(code string) (h settlement.Hospital, ok bool, err error) {
	err = n.store.View(func(tx *storage.Tx) error {
		h, ok, err = tx.Hospital(code)
		return err
	})
	return h, ok, err
}

// Hospitals lists the registered hospitals, linearizably.
func (n *Node) Hospitals(ctx context.Context) (out []settlement.Hospital, err error) {
	err = n.View(ctx, func(tx *storage.Tx) error {
		out, err = tx.Hospitals()
		return err
	})
	return out, err
}

// Policies lists every policy version, linearizably.
func (n *Node) Policies(ctx context.Context) (out []settlement.Policy, err error) {
	err = n.View(ctx, func(tx *storage.Tx) error {
		out, err = tx.Policies()
		return err
	})
	return out, err
}

// Catalogs lists every catalog version, linearizably.
func (n *Node) Catalogs(ctx context.Context) (out []settlement.CatalogVersion, err error) {
	err = n.View(ctx, func(tx *storage.Tx) error {
		out, err = tx.Catalogs()
		return err
	})
	return out, err
}

// WaitLeader waits until this node is the leader and ready for reads.
func (n *Node) WaitLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !n.IsLeader() || !n.readyForReads.Load() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no leadership: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Ready reports nil when the node can serve requests: it is the leader and
// has applied what earlier terms committed. (Followers forward in a later
// version; until then only the leader is ready.)
func (n *Node) Ready() error {
	switch {
	case n.raft.State() == raft.Shutdown:
		return ErrShutdown
	case n.raft.State() != raft.Leader:
		if addr, _ := n.raft.LeaderWithID(); addr == "" {
			return ErrNoLeader
		}
		return ErrNotLeader
	case !n.readyForReads.Load():
		return ErrNoLeader
	}
	return nil
}

// WaitForLeader waits until the cluster has a leader (this node or
// another); on the leader also until it is ready for reads.
func (n *Node) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if addr, _ := n.raft.LeaderWithID(); addr != "" && (!n.IsLeader() || n.readyForReads.Load()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Fresh reports whether this node bootstrapped a new cluster when it opened.
func (n *Node) Fresh() bool { return n.fresh }

// IsLeader reports whether this node is the leader.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// AddVoter adds a node to the cluster (on the leader). Adding a member
// that is already there with the same address is a no-op.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	return n.membership(ctx, n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.cfg.ApplyTimeout))
}

// RemoveServer removes a node from the cluster (on the leader).
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	return n.membership(ctx, n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout))
}

// TransferLeadership hands leadership to another voter, to one chosen by
// raft when id is empty.
func (n *Node) TransferLeadership(ctx context.Context, id, addr string) error {
	if id == "" {
		return n.membership(ctx, n.raft.LeadershipTransfer())
	}
	return n.membership(ctx, n.raft.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(addr)))
}

func (n *Node) membership(ctx context.Context, f raft.Future) error {
	if n.raft.State() != raft.Leader {
		return ErrNotLeader
	}
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case <-ctx.Done():
		return ErrOutcomeUnknown
	case err := <-done:
		if err != nil {
			return translate(err)
		}
		return nil
	}
}

// Join adds a member (on the leader) and records its addresses: AddVoter,
// then the registry entry, both idempotent, so a node that restarts may
// announce itself again.
func (n *Node) Join(ctx context.Context, m Member) error {
	info := storage.NodeInfo(m)
	if info.ID == "" || info.RaftAddr == "" || info.HTTPAddr == "" {
		return settlement.Errorf(settlement.CodeBadConfig, "join needs id, raft_addr and http_addr")
	}
	if info.ID != n.cfg.NodeID {
		if err := n.proveMember(info); err != nil {
			return err
		}
		if err := n.AddVoter(ctx, info.ID, info.RaftAddr); err != nil {
			return err
		}
	}
	return n.putConfig(ctx, cmdPutNode, info)
}

// proveMember checks, on a cluster running mutual TLS, that a node asking
// to join really holds a certificate of the cluster CA issued to its id,
// by a TLS handshake with its Raft address, before it becomes a voter: the
// admin token alone must not be enough to add an unreachable voter, which
// would weaken the quorum.
func (n *Node) proveMember(info storage.NodeInfo) error {
	if n.stream == nil {
		return nil
	}
	conn, err := n.stream.Dial(raft.ServerAddress(info.RaftAddr), 3*time.Second)
	if err != nil {
		return settlement.Errorf(settlement.CodeBadConfig, fmt.Sprintf("node %s at %s did not prove a cluster certificate: %v", info.ID, info.RaftAddr, err))
	}
	defer conn.Close()
	peer := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(peer) == 0 || peer[0].Subject.CommonName != info.ID {
		return settlement.Errorf(settlement.CodeBadConfig, fmt.Sprintf("the certificate at %s is not issued to node %s", info.RaftAddr, info.ID))
	}
	return nil
}

// LeaderHTTP returns the HTTP address of the current leader, from the
// replicated registry; false when there is no leader or it is unknown.
func (n *Node) LeaderHTTP() (string, bool) {
	info, ok := n.leaderInfo()
	return info.HTTPAddr, ok && info.HTTPAddr != ""
}

// LeaderRelay returns the base URL followers relay requests to: the
// leader's mutual-TLS internal address when it has one, else its HTTP
// address.
func (n *Node) LeaderRelay() (string, bool) {
	info, ok := n.leaderInfo()
	switch {
	case !ok:
		return "", false
	case info.InternalAddr != "":
		return "https://" + info.InternalAddr, true
	case info.HTTPAddr != "":
		return "http://" + info.HTTPAddr, true
	}
	return "", false
}

func (n *Node) leaderInfo() (storage.NodeInfo, bool) {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return storage.NodeInfo{}, false
	}
	var info storage.NodeInfo
	var ok bool
	n.store.View(func(tx *storage.Tx) error {
		var err error
		info, ok, err = tx.Node(string(id))
		return err
	})
	return info, ok
}

// Member is a node's addresses: hospitals reach it at HTTPAddr, the other
// nodes' Raft at RaftAddr, and followers relay requests to InternalAddr
// (the mutual-TLS channel) when it has one, else to HTTPAddr.
type Member struct {
	ID           string `json:"id"`
	HTTPAddr     string `json:"http_addr"`
	RaftAddr     string `json:"raft_addr"`
	InternalAddr string `json:"internal_addr,omitempty"`
}

// Verify checks this replica's ledger (storage.Tx.Verify) on its local
// state, without consulting the leader: a report, and the way to compare
// replicas.
func (n *Node) Verify() (v storage.Verification, err error) {
	err = n.store.View(func(tx *storage.Tx) error {
		v, err = tx.Verify()
		return err
	})
	return v, err
}

// Backup streams a point-in-time snapshot of this replica's state (the
// snapshot format of package storage, with its index, term and checksum).
func (n *Node) Backup(w io.Writer) (index uint64, written int64, err error) {
	snap, err := n.store.Snapshot()
	if err != nil {
		return 0, 0, err
	}
	defer snap.Release()
	written, err = snap.WriteTo(w)
	return snap.Index, written, err
}

// Nodes lists the members' addresses from the local registry.
func (n *Node) Nodes() ([]Member, error) {
	var infos []storage.NodeInfo
	err := n.store.View(func(tx *storage.Tx) error {
		var err error
		infos, err = tx.Nodes()
		return err
	})
	out := make([]Member, len(infos))
	for i, info := range infos {
		out[i] = Member(info)
	}
	return out, err
}

// Members lists the cluster's configuration as this node knows it.
func (n *Node) Members() ([]Peer, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, translate(err)
	}
	var out []Peer
	for _, s := range f.Configuration().Servers {
		out = append(out, Peer{ID: string(s.ID), Addr: string(s.Address)})
	}
	return out, nil
}

// Status is a node's view of the cluster, for health endpoints.
type Status struct {
	NodeID       string `json:"node_id"`
	State        string `json:"state"`
	Leader       string `json:"leader"`
	LeaderAddr   string `json:"leader_addr"`
	Term         uint64 `json:"term"`
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	// WritesTaken counts requests this node stored from the leader's
	// writes; HeldComputed those it held back for them and computed itself.
	WritesTaken  uint64 `json:"writes_taken"`
	HeldComputed uint64 `json:"held_computed"`
}

// Status returns the node's view of the cluster.
func (n *Node) Status() Status {
	addr, id := n.raft.LeaderWithID()
	applied, _ := n.fsm.appliedIndex()
	stats := n.raft.Stats()
	var term uint64
	fmt.Sscan(stats["term"], &term)
	return Status{NodeID: n.cfg.NodeID, State: n.raft.State().String(), Leader: string(id),
		LeaderAddr: string(addr), Term: term, CommitIndex: n.raft.CommitIndex(), AppliedIndex: applied,
		WritesTaken: n.fsm.taken.Load(), HeldComputed: n.fsm.heldComputed.Load()}
}

// Close stops the node: Raft first, then its log store. The caller closes
// the storage afterwards.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		close(n.stop)
		err = n.raft.Shutdown().Error()
		n.wg.Wait()
		n.closeTransport()
		if cerr := n.wal.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

func (n *Node) closeTransport() {
	if c, ok := n.trans.(io.Closer); ok {
		c.Close()
	}
}

// slogWriter passes raft's log lines to the node's logger.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}
