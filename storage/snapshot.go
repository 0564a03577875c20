package storage

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// The snapshot format, version 1:
//
//	magic "PGSNAP01"
//	header: applied index (8 bytes), applied term (8 bytes)
//	entries: key length (uvarint), key, value length (uvarint), value
//	end: a zero key length
//	trailer: entry count (8 bytes), SHA-256 of everything before it (32 bytes)
//
// The index and term in the header are those stored in the captured
// transaction, so the snapshot says exactly which log prefix it contains.
const snapshotMagic = "PGSNAP01"

// maxSnapshotKey and maxSnapshotValue bound what Restore accepts, so a
// corrupt stream cannot make it allocate without limit.
const (
	maxSnapshotKey   = 64 << 10
	maxSnapshotValue = 64 << 20
)

// Snapshot is a point-in-time cut of the state: one read transaction,
// captured when Snapshot was called, streamed later by WriteTo. Release must
// be called when done; until then a Restore waits.
type Snapshot struct {
	s           *Store
	txn         *badger.Txn
	Index, Term uint64
}

// Snapshot captures the current state. It is cheap: the copying happens in
// WriteTo.
func (s *Store) Snapshot() (*Snapshot, error) {
	s.mu.RLock()
	if s.db == nil {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	txn := s.db.NewTransaction(false)
	idx, term, err := (&Tx{txn: txn}).Applied()
	if err != nil {
		txn.Discard()
		s.mu.RUnlock()
		return nil, err
	}
	return &Snapshot{s: s, txn: txn, Index: idx, Term: term}, nil
}

// WriteTo streams the snapshot.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	bw := bufio.NewWriterSize(cw, 256<<10)
	var hdr [16]byte
	binary.BigEndian.PutUint64(hdr[:], sn.Index)
	binary.BigEndian.PutUint64(hdr[8:], sn.Term)
	bw.WriteString(snapshotMagic)
	bw.Write(hdr[:])
	var count uint64
	var lenbuf [binary.MaxVarintLen64]byte
	it := sn.txn.NewIterator(badger.DefaultIteratorOptions)
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		bw.Write(lenbuf[:binary.PutUvarint(lenbuf[:], uint64(len(k)))])
		bw.Write(k)
		err := item.Value(func(v []byte) error {
			bw.Write(lenbuf[:binary.PutUvarint(lenbuf[:], uint64(len(v)))])
			_, err := bw.Write(v)
			return err
		})
		if err != nil {
			it.Close()
			return cw.n, fmt.Errorf("snapshot: %w", err)
		}
		count++
	}
	it.Close()
	bw.WriteByte(0)
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("snapshot: %w", err)
	}
	var trailer [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(trailer[:], count)
	copy(trailer[8:], h.Sum(nil))
	n, err := w.Write(trailer[:])
	return cw.n + int64(n), err
}

// Release ends the snapshot's transaction.
func (sn *Snapshot) Release() {
	if sn.txn != nil {
		sn.txn.Discard()
		sn.txn = nil
		sn.s.mu.RUnlock()
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ErrBadSnapshot is returned by Restore for a stream that is not a complete,
// intact snapshot. The live state is untouched.
var ErrBadSnapshot = errors.New("storage: snapshot is corrupt or incomplete")

// Restore replaces the whole state with a snapshot. It writes the snapshot
// into a new directory, verifies its checksum, and only then swaps it in; a
// bad or interrupted stream leaves the live state as it was. It returns the
// applied index and term the snapshot carries.
func (s *Store) Restore(r io.Reader) (index, term uint64, err error) {
	if s.opts.InMemory {
		return 0, 0, errors.New("storage: restore needs an on-disk store")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return 0, 0, ErrClosed
	}
	next := nextDirName(s.active)
	dir := filepath.Join(s.root, next)
	_ = os.RemoveAll(dir)
	db, err := badger.Open(s.badgerOptions(dir))
	if err != nil {
		return 0, 0, fmt.Errorf("open restore target: %w", err)
	}
	index, term, err = load(db, r)
	if err == nil {
		err = db.Sync()
	}
	if err != nil {
		db.Close()
		os.RemoveAll(dir)
		return 0, 0, err
	}
	// The new database is complete and durable: make it the live one.
	if err := writeFileAtomic(filepath.Join(s.root, currentFile), []byte(next+"\n")); err != nil {
		db.Close()
		os.RemoveAll(dir)
		return 0, 0, err
	}
	old := s.active
	s.db.Close()
	s.db, s.active = db, next
	s.immutable.Clear()
	s.hospitalsGen.Add(1)
	os.RemoveAll(filepath.Join(s.root, old))
	return index, term, nil
}

func nextDirName(active string) string {
	n, _ := strconv.Atoi(active[len("db-"):])
	return "db-" + strconv.Itoa(n+1)
}

// load reads a snapshot stream into db, verifying it as it goes.
func load(db *badger.DB, r io.Reader) (index, term uint64, err error) {
	br := bufio.NewReaderSize(r, 256<<10)
	hr := &hashReader{r: br, h: sha256.New()}
	var hdr [len(snapshotMagic) + 16]byte
	if _, err := io.ReadFull(hr, hdr[:]); err != nil || string(hdr[:len(snapshotMagic)]) != snapshotMagic {
		return 0, 0, fmt.Errorf("%w: no snapshot header", ErrBadSnapshot)
	}
	index = binary.BigEndian.Uint64(hdr[len(snapshotMagic):])
	term = binary.BigEndian.Uint64(hdr[len(snapshotMagic)+8:])
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	var count uint64
	for {
		k, err := readChunk(hr, maxSnapshotKey)
		if err != nil {
			return 0, 0, err
		}
		if len(k) == 0 {
			break
		}
		v, err := readChunk(hr, maxSnapshotValue)
		if err != nil {
			return 0, 0, err
		}
		if err := wb.Set(k, v); err != nil {
			return 0, 0, fmt.Errorf("restore: %w", err)
		}
		count++
	}
	sum := hr.h.Sum(nil)
	var trailer [8 + sha256.Size]byte
	if _, err := io.ReadFull(br, trailer[:]); err != nil {
		return 0, 0, fmt.Errorf("%w: missing trailer", ErrBadSnapshot)
	}
	if binary.BigEndian.Uint64(trailer[:]) != count || string(trailer[8:]) != string(sum) {
		return 0, 0, fmt.Errorf("%w: checksum mismatch", ErrBadSnapshot)
	}
	if err := wb.Flush(); err != nil {
		return 0, 0, fmt.Errorf("restore: %w", err)
	}
	return index, term, nil
}

// hashReader hashes exactly the bytes its caller consumes, so the checksum
// does not include what the buffer below has read ahead.
type hashReader struct {
	r   *bufio.Reader
	h   hash.Hash
	one [1]byte
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

func (hr *hashReader) ReadByte() (byte, error) {
	b, err := hr.r.ReadByte()
	if err == nil {
		hr.one[0] = b
		hr.h.Write(hr.one[:])
	}
	return b, err
}

func readChunk(hr *hashReader, limit uint64) ([]byte, error) {
	n, err := binary.ReadUvarint(hr)
	if err != nil {
		return nil, fmt.Errorf("%w: truncated", ErrBadSnapshot)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: entry of %d bytes", ErrBadSnapshot, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(hr, b); err != nil {
		return nil, fmt.Errorf("%w: truncated", ErrBadSnapshot)
	}
	return b, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
