package storage

import (
	"fmt"
	"sync"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/s2"
)

// Stored values are JSON. Large ones (a visit with its fee lines, the stored
// answer to a fee upload or a settlement) are compressed with S2 first: a
// visit's JSON shrinks about fivefold, and every byte saved is a byte badger
// does not copy into its memtable, write-ahead log, level-0 table and
// compactions, on every replica. That copying, not the calculation, was the
// largest cost of a write under load.
//
// A compressed value starts with compressedMark, a byte no JSON text starts
// with, so values written before compression existed (or below the size
// threshold) read back as they are. S2's block encoder is deterministic, so
// replicas applying the same entry store the same bytes.
const (
	compressedMark = 0xC2
	compressAbove  = 256
)

var s2Scratch = sync.Pool{New: func() any { return new([]byte) }}

// encodeValue is the stored form of v.
func encodeValue(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(b) <= compressAbove {
		return b, err
	}
	// S2 wants room for the worst case; a pooled scratch buffer spares
	// allocating and zeroing that much for every value.
	scratch := s2Scratch.Get().(*[]byte)
	defer s2Scratch.Put(scratch)
	if need := s2.MaxEncodedLen(len(b)); cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	enc := s2.Encode((*scratch)[:cap(*scratch)], b)
	out := make([]byte, 1+len(enc))
	out[0] = compressedMark
	copy(out[1:], enc)
	return out, nil
}

// plainValue returns a stored value's JSON, decompressing it if needed.
// The result may alias b.
func plainValue(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != compressedMark {
		return b, nil
	}
	out, err := s2.Decode(nil, b[1:])
	if err != nil {
		return nil, fmt.Errorf("corrupt compressed value: %w", err)
	}
	return out, nil
}

// decodeValue decodes a stored value into v.
func decodeValue(b []byte, v any) error {
	plain, err := plainValue(b)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}
