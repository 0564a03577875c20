package consensus

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
)

// BenchmarkLogStore measures what the leader's log store does per Raft
// batch: StoreLogs of a batch of entries, each of the size of a settlement
// command, fsynced before it returns. It compares raft-wal (the store
// provgate uses) with raft-boltdb/v2 (the long-standing default) on this
// machine's disk, so the choice rests on a number:
//
//	go test -run '^$' -bench LogStore -benchtime 2s ./consensus
func BenchmarkLogStore(b *testing.B) {
	stores := []struct {
		name string
		open func(dir string) (raft.LogStore, func() error, error)
	}{
		{"wal", func(dir string) (raft.LogStore, func() error, error) {
			w, err := wal.Open(dir)
			if err != nil {
				return nil, nil, err
			}
			return w, w.Close, nil
		}},
		{"boltdb", func(dir string) (raft.LogStore, func() error, error) {
			s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
			if err != nil {
				return nil, nil, err
			}
			return s, s.Close, nil
		}},
	}
	data := make([]byte, 2048) // a 2204 fee upload of ~20 lines, encoded
	for _, batch := range []int{1, 16, 64} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("%s/batch=%d", st.name, batch), func(b *testing.B) {
				store, closeStore, err := st.open(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				defer closeStore()
				logs := make([]*raft.Log, batch)
				index := uint64(0)
				b.SetBytes(int64(batch * len(data)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := range logs {
						index++
						logs[j] = &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data}
					}
					if err := store.StoreLogs(logs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}
