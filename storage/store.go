package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/provgate/provgate/settlement"
)

// Options tune the badger database. The zero value is a sensible default
// for a 2-core, few-GiB node.
type Options struct {
	// SyncEveryCommit fsyncs every commit. Default false: the Raft log is
	// fsynced before anything is acknowledged and holds every entry after
	// the last snapshot, and the state is synced (Sync) before each
	// snapshot, so a power cut costs only a replay of the log. A process
	// crash loses nothing either way (badger writes through mmap). On this
	// project's 2-core VM the per-commit fsync cost ~30 % of CPU per write
	// and a third of the throughput (docs/PERFORMANCE.md).
	SyncEveryCommit bool
	// InMemory keeps everything in memory (tests of pure logic only).
	InMemory bool
	// Logger receives badger's warnings and errors. Default: discarded.
	Logger *slog.Logger
	// MemTableSize overrides the 64 MiB memtables, and with them the
	// largest transaction badger takes (15 %); tests use small ones to
	// reach that limit cheaply.
	MemTableSize int64
}

// Store is the badger-backed replicated state of one node.
type Store struct {
	root string
	opts Options

	// mu guards db: readers and writers hold it shared, Restore takes it
	// exclusively to swap the database under them.
	mu     sync.RWMutex
	db     *badger.DB
	active string // name of the live database directory under root

	// immutable caches decoded policy and catalog versions and catalog
	// items by key: published versions never change, so a key's value
	// never does. Restore clears it.
	immutable sync.Map
	// hot caches decoded visits, hospitals and accumulators with the bytes
	// they came from (hot.go); it needs no clearing.
	hot hotCache

	// hospitals remembers hospitals found by paas id (every request's
	// authentication) for as long as no hospital was written since:
	// hospitalsGen moves after every commit that writes one.
	hospitals    sync.Map // paas id → paasEntry
	hospitalsGen atomic.Uint64
}

// currentFile names the file under root that says which database
// directory is live. It is replaced atomically (write, fsync, rename), so a
// crash during Restore leaves either the old or the new database live.
const currentFile = "CURRENT"

// Open opens or creates the state under root.
func Open(root string, opts Options) (*Store, error) {
	s := &Store{root: root, opts: opts}
	if opts.InMemory {
		db, err := badger.Open(s.badgerOptions(""))
		if err != nil {
			return nil, fmt.Errorf("open in-memory state: %w", err)
		}
		s.db = db
		return s, nil
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	active := "db-0"
	if b, err := os.ReadFile(filepath.Join(root, currentFile)); err == nil {
		active = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", currentFile, err)
	}
	// Remove what an interrupted restore or an old swap left behind.
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "db-") && e.Name() != active {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
	db, err := badger.Open(s.badgerOptions(filepath.Join(root, active)))
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", active, err)
	}
	s.db, s.active = db, active
	return s, nil
}

func (s *Store) badgerOptions(dir string) badger.Options {
	o := badger.DefaultOptions(dir).
		WithInMemory(s.opts.InMemory).
		WithSyncWrites(s.opts.SyncEveryCommit && !s.opts.InMemory).
		// Sized for a small node: the state is small values in the LSM.
		// 64 MiB memtables let one transaction carry ~9.6 MiB, so the largest
		// log entry (4 MiB) always fits in the transaction that applies it.
		WithMemTableSize(64 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithNumCompactors(2).
		// Large values are compressed before they are stored (codec.go);
		// compressing table blocks again would spend CPU for little.
		WithCompression(options.None).
		// Read-write transactions are the state machine's, one at a time
		// (consensus serialises applying, draining and snapshots), or
		// offline (restore): two never overlap, so badger need not track
		// what each one read to detect conflicts.
		WithDetectConflicts(false).
		WithLogger(badgerLogger{s.opts.Logger})
	if n := s.opts.MemTableSize; n > 0 {
		// Values above the threshold must fit a transaction.
		o = o.WithMemTableSize(n).WithValueThreshold(min(o.ValueThreshold, n/100))
	}
	return o
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	return err
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("storage: closed")

// Update runs fn in one read-write transaction and commits it. If fn returns
// an error nothing is written.
func (s *Store) Update(fn func(*Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	tx := &Tx{txn: txn, cache: &s.immutable, hot: &s.hot}
	if err := fn(tx); err != nil {
		return err
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if tx.hospitalsWritten {
		s.hospitalsGen.Add(1)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.View(func(txn *badger.Txn) error { return fn(&Tx{txn: txn, cache: &s.immutable, hot: &s.hot}) })
}

// HospitalByPaasID finds a hospital by its paas id from the local state,
// remembering what it found until a hospital is written. Only hospitals
// that exist are remembered, so unknown ids cannot grow the cache.
func (s *Store) HospitalByPaasID(paasID string) (settlement.Hospital, bool, error) {
	gen := s.hospitalsGen.Load() // before reading, so a write in between invalidates what is kept
	if e, ok := s.hospitals.Load(paasID); ok && e.(paasEntry).gen == gen {
		return cloneHospital(e.(paasEntry).h), true, nil
	}
	var h settlement.Hospital
	var ok bool
	err := s.View(func(tx *Tx) (err error) {
		h, ok, err = tx.HospitalByPaasID(paasID)
		return err
	})
	if err == nil && ok {
		s.hospitals.Store(paasID, paasEntry{gen: gen, h: cloneHospital(h)})
	}
	return h, ok, err
}

type paasEntry struct {
	gen uint64
	h   settlement.Hospital
}

// Sync makes every committed write durable (before a snapshot: the Raft
// log is compacted up to it, so the state must hold what it covers).
func (s *Store) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	if s.opts.InMemory {
		return nil
	}
	return s.db.Sync()
}

// Applied returns the Raft index and term of the last applied entry.
func (s *Store) Applied() (index, term uint64, err error) {
	err = s.View(func(tx *Tx) error {
		index, term, err = tx.Applied()
		return err
	})
	return index, term, err
}

// badgerLogger passes badger's warnings and errors to slog and drops its
// chatter.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

// IsTxnTooBig reports whether err is badger refusing a transaction that
// outgrew its limit; the same writes in smaller transactions succeed.
func IsTxnTooBig(err error) bool { return errors.Is(err, badger.ErrTxnTooBig) }
