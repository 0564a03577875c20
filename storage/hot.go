package storage

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/provgate/provgate/settlement"
)

// hotCache keeps the decoded form of values that are read again soon after
// they are written or read: a visit is read by its fee upload, pre-settlement
// and settlement, the person by every settlement, the hospital by every
// request. Decoding them was a fifth of
// a replica's work under load.
//
// An entry holds the stored bytes it was decoded from, and a lookup only
// uses it when the bytes now stored under the key are the same. So the
// cache can never answer with anything but what decoding the stored value
// would give: not for a transaction that has not committed, not for an older
// or newer read view, not after a restore. Values go in and out as private
// copies (clone), since callers may change what they are given.
type hotCache struct {
	mu      sync.Mutex
	entries map[string]hotEntry
}

type hotEntry struct {
	stored []byte
	value  any
}

// hotCacheSize bounds the entries; visits in progress are the working set.
const hotCacheSize = 8192

func (c *hotCache) lookup(k []byte, stored []byte) (any, bool) {
	c.mu.Lock()
	e, ok := c.entries[string(k)]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.stored, stored) {
		return nil, false
	}
	return e.value, true
}

func (c *hotCache) keep(k []byte, stored []byte, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]hotEntry)
	}
	if _, ok := c.entries[string(k)]; !ok && len(c.entries) >= hotCacheSize {
		for old := range c.entries { // any entry: the cache only saves work
			delete(c.entries, old)
			break
		}
	}
	c.entries[string(k)] = hotEntry{stored: stored, value: v}
}

// getHot is get for a hot key: clone makes the private copies.
func getHot[T any](tx *Tx, k []byte, clone func(T) T) (T, bool, error) {
	var out T
	item, err := tx.txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return out, false, nil
	}
	if err != nil {
		return out, false, fmt.Errorf("get %s: %w", firstPart(k), err)
	}
	err = item.Value(func(b []byte) error {
		if tx.hot != nil {
			if v, ok := tx.hot.lookup(k, b); ok {
				out = clone(v.(T))
				return nil
			}
		}
		if err := decodeValue(b, &out); err != nil {
			return err
		}
		if tx.hot != nil {
			tx.hot.keep(k, bytes.Clone(b), clone(out))
		}
		return nil
	})
	if err != nil {
		return out, false, fmt.Errorf("decode %s: %w", firstPart(k), err)
	}
	return out, true, nil
}

// putHot is put for a hot key: the value written is remembered with its
// bytes, so the next read of it (the next step of the visit) skips decoding.
func putHot[T any](tx *Tx, k []byte, v T, clone func(T) T) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", firstPart(k), err)
	}
	if err := tx.set(k, b); err != nil {
		return fmt.Errorf("set %s: %w", firstPart(k), err)
	}
	if tx.hot != nil {
		tx.hot.keep(k, b, clone(v))
	}
	return nil
}

// cloneVisit copies every slice of a visit, down to the fee lines.
func cloneVisit(v settlement.Visit) settlement.Visit {
	v.Diagnoses = slices.Clone(v.Diagnoses)
	v.Settlements = slices.Clone(v.Settlements)
	v.Batches = slices.Clone(v.Batches)
	for i := range v.Batches {
		v.Batches[i].Lines = slices.Clone(v.Batches[i].Lines)
	}
	return v
}

func clonePerson(p settlement.Person) settlement.Person {
	p.Insurances = slices.Clone(p.Insurances)
	p.Identities = slices.Clone(p.Identities)
	p.Filings = slices.Clone(p.Filings)
	p.Chronic = slices.Clone(p.Chronic)
	p.Fixed = slices.Clone(p.Fixed)
	return p
}

func cloneHospital(h settlement.Hospital) settlement.Hospital {
	h.Formats = slices.Clone(h.Formats)
	h.MLLPSources = slices.Clone(h.MLLPSources)
	return h
}

// same is the clone of values without references (strings, accumulators).
func same[T any](v T) T { return v }
