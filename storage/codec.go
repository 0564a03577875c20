package storage

import (
	"bytes"
	"fmt"
	"sync"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/s2"

	"github.com/provgate/provgate/settlement"
)

// Stored values are JSON, except visits and idempotency entries
// (visitcodec.go, idemcodec.go). Large ones (a visit with its fee lines, the
// stored answer to a fee upload or a settlement) are compressed with S2: a
// visit's JSON shrinks about fivefold, and every byte saved is a byte badger
// does not copy into its memtable, write-ahead log, level-0 table and
// compactions, on every replica. That copying, not the calculation, was the
// largest cost of a write under load.
//
// A compressed value starts with compressedMark, a byte no JSON text and no
// binary layout starts with, so values written before compression existed
// (or below the size threshold) read back as they are. S2's block encoder is deterministic, so
// replicas applying the same entry store the same bytes.
const (
	compressedMark = 0xC2
	compressAbove  = 256
)

var (
	s2Scratch    = sync.Pool{New: func() any { return new([]byte) }}
	plainScratch = sync.Pool{New: func() any { return new([]byte) }}
)

// encodeValue is the stored form of v: visits and idempotency entries in
// their binary layouts (visitcodec.go, idemcodec.go), everything else as
// JSON; compressed when large.
func encodeValue(v any) ([]byte, error) {
	var plain []byte
	var binary func([]byte) []byte
	switch v := v.(type) {
	case settlement.Visit:
		binary = func(b []byte) []byte { return appendVisit(b, &v) }
	case IdemEntry:
		binary = func(b []byte) []byte { return appendIdem(b, &v) }
	}
	if binary != nil {
		buf := plainScratch.Get().(*[]byte)
		defer plainScratch.Put(buf)
		*buf = binary((*buf)[:0])
		plain = *buf
		if len(plain) <= compressAbove {
			return bytes.Clone(plain), nil
		}
	} else {
		b, err := json.Marshal(v)
		if err != nil || len(b) <= compressAbove {
			return b, err
		}
		plain = b
	}
	// S2 wants room for the worst case; a pooled scratch buffer spares
	// allocating and zeroing that much for every value.
	scratch := s2Scratch.Get().(*[]byte)
	defer s2Scratch.Put(scratch)
	if need := s2.MaxEncodedLen(len(plain)); cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	enc := s2.Encode((*scratch)[:cap(*scratch)], plain)
	out := make([]byte, 1+len(enc))
	out[0] = compressedMark
	copy(out[1:], enc)
	return out, nil
}

// plainValue returns a stored value's plain form (JSON or a binary visit),
// decompressing it if needed.
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
	plain := b
	if len(b) > 0 && b[0] == compressedMark {
		// Decompressed into scratch space: every decoder below copies what
		// it keeps (goccy's Unmarshal copies its input).
		buf := plainScratch.Get().(*[]byte)
		defer plainScratch.Put(buf)
		n, err := s2.DecodedLen(b[1:])
		if err != nil {
			return fmt.Errorf("corrupt compressed value: %w", err)
		}
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		if plain, err = s2.Decode((*buf)[:n], b[1:]); err != nil {
			return fmt.Errorf("corrupt compressed value: %w", err)
		}
	}
	if len(plain) > 0 {
		switch plain[0] {
		case visitMark:
			vp, ok := v.(*settlement.Visit)
			if !ok {
				return fmt.Errorf("a visit value read as %T", v)
			}
			return decodeVisit(plain, vp)
		case idemMark:
			ep, ok := v.(*IdemEntry)
			if !ok {
				return fmt.Errorf("an idempotency value read as %T", v)
			}
			return decodeIdem(plain, ep)
		}
	}
	return json.Unmarshal(plain, v)
}

// digestValue is the form of a stored value the replica digest covers: the
// JSON an older version stores, uncompressed, so that replicas of different
// versions agree on the same state.
func digestValue(b []byte) ([]byte, error) {
	plain, err := plainValue(b)
	if err != nil || len(plain) == 0 {
		return plain, err
	}
	switch plain[0] {
	case visitMark:
		var v settlement.Visit
		if err := decodeVisit(plain, &v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	case idemMark:
		var e IdemEntry
		if err := decodeIdem(plain, &e); err != nil {
			return nil, err
		}
		return json.Marshal(e)
	}
	return plain, nil
}
