package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Write is one key written (or deleted) by a transaction, exactly as stored.
// The leader records the writes each log entry made and replicates them, so
// that a follower can store the same bytes instead of recomputing them.
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

func (tx *Tx) set(k, v []byte) error {
	if err := tx.txn.Set(k, v); err != nil {
		return err
	}
	tx.noteHospital(k)
	if tx.rec != nil {
		*tx.rec = append(*tx.rec, Write{Key: k, Value: v})
	}
	return nil
}

func (tx *Tx) del(k []byte) error {
	if err := tx.txn.Delete(k); err != nil {
		return err
	}
	tx.noteHospital(k)
	if tx.rec != nil {
		*tx.rec = append(*tx.rec, Write{Key: k, Delete: true})
	}
	return nil
}

// noteHospital marks a transaction that writes a hospital or its paas id
// index, so the store forgets the hospitals it remembers once it commits.
func (tx *Tx) noteHospital(k []byte) {
	if bytes.HasPrefix(k, []byte(prefixHospital)) || bytes.HasPrefix(k, []byte(prefixPaas)) {
		tx.hospitalsWritten = true
	}
}

// RecordWrites starts collecting the transaction's writes (the applied index
// excepted); TakeWrites returns those collected since the last call.
func (tx *Tx) RecordWrites() { tx.rec = new([]Write) }

// TakeWrites returns the writes collected since RecordWrites or the last call, in
// the order they were made.
func (tx *Tx) TakeWrites() []Write {
	if tx.rec == nil {
		return nil
	}
	ws := *tx.rec
	*tx.rec = nil
	return ws
}

// ApplyWrites stores writes recorded by another replica's transaction.
func (tx *Tx) ApplyWrites(ws []Write) error {
	for _, w := range ws {
		var err error
		if w.Delete {
			err = tx.del(w.Key)
		} else {
			err = tx.set(w.Key, w.Value)
		}
		if err != nil {
			return fmt.Errorf("apply replicated write %s: %w", firstPart(w.Key), err)
		}
	}
	return nil
}

// SameWrites reports whether two write lists store the same bytes in the
// same order.
func SameWrites(a, b []Write) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Delete != b[i].Delete || string(a[i].Key) != string(b[i].Key) || string(a[i].Value) != string(b[i].Value) {
			return false
		}
	}
	return true
}

// AppendWrites appends the binary form of ws to b: a count, then per write
// a flag byte, the key and the value, each length-prefixed.
func AppendWrites(b []byte, ws []Write) []byte {
	b = binary.AppendUvarint(b, uint64(len(ws)))
	for _, w := range ws {
		flag := byte(0)
		if w.Delete {
			flag = 1
		}
		b = append(b, flag)
		b = binary.AppendUvarint(b, uint64(len(w.Key)))
		b = append(b, w.Key...)
		b = binary.AppendUvarint(b, uint64(len(w.Value)))
		b = append(b, w.Value...)
	}
	return b
}

var errShortWrites = errors.New("truncated write list")

// ReadWrites decodes a list written by AppendWrites from the front of b and
// returns the rest. Keys and values alias b.
func ReadWrites(b []byte) ([]Write, []byte, error) {
	n, b, err := readUvarint(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(b)) { // every write takes at least one byte
		return nil, nil, errShortWrites
	}
	ws := make([]Write, n)
	for i := range ws {
		if len(b) == 0 || b[0] > 1 {
			return nil, nil, errShortWrites
		}
		ws[i].Delete = b[0] == 1
		if ws[i].Key, b, err = readBytes(b[1:]); err != nil {
			return nil, nil, err
		}
		if ws[i].Value, b, err = readBytes(b); err != nil {
			return nil, nil, err
		}
		if ws[i].Delete || len(ws[i].Value) == 0 {
			ws[i].Value = nil
		}
	}
	return ws, b, nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, nil, errShortWrites
	}
	return n, b[k:], nil
}

func readBytes(b []byte) ([]byte, []byte, error) {
	n, b, err := readUvarint(b)
	if err != nil || n > uint64(len(b)) {
		return nil, nil, errShortWrites
	}
	return b[:n:n], b[n:], nil
}
