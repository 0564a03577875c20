package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// The stored answers of the idempotency table (i/) are written for every
// request that writes. A fee upload's answer is its split fee lines and a
// registration's the new visit, so those parts take the visit's binary
// layout (visitcodec.go); the rest of an answer (a settlement's record, a
// person) stays JSON inside the value.
//
// The layout: idemMark, a version byte, kind, digest, the stamp, a flags
// byte, the fee lines (a count as in visits; then the first line's
// mdtrt_id, psn_no and chrg_bchno, against which each line is written as in
// a visit), the visit (its fields) if the flags say so, and the JSON of the
// outcome without its visit and lines. It decodes to exactly the entry
// encoded, and digestValue turns it back into the JSON an older version
// stored.
const (
	idemMark    = 0xB2
	idemVersion = 1
)

const (
	idemTombstone = 1 << iota
	idemHasVisit
)

var errBadIdem = errors.New("malformed idempotency value")

func appendIdem(b []byte, e *IdemEntry) []byte {
	b = append(b, idemMark, idemVersion)
	b = appendString(b, string(e.Kind))
	b = appendString(b, e.Digest)
	b = binary.AppendVarint(b, e.Stamp.UnixMilli)
	b = binary.AppendUvarint(b, e.Stamp.Index)
	var flags byte
	if e.Tombstone {
		flags |= idemTombstone
	}
	if e.Outcome.Visit != nil {
		flags |= idemHasVisit
	}
	b = append(b, flags)
	lines := e.Outcome.Lines
	b = appendCount(b, len(lines), lines == nil)
	if len(lines) > 0 {
		v, bt := lineParents(&lines[0])
		b = appendString(b, v.MdtrtID)
		b = appendString(b, v.PsnNo)
		b = appendString(b, bt.ChrgBchno)
		for i := range lines {
			b = appendLine(b, &lines[i], &v, &bt)
		}
	}
	if e.Outcome.Visit != nil {
		b = appendVisitFields(b, e.Outcome.Visit)
	}
	rest := e.Outcome
	rest.Visit, rest.Lines = nil, nil
	j, err := json.Marshal(rest)
	if err != nil {
		panic("storage: outcome not encodable: " + err.Error()) // plain structs: cannot happen
	}
	return appendString(b, string(j))
}

// lineParents are the visit and batch a list of fee lines is written
// against: the first line's.
func lineParents(first *settlement.LineSplit) (settlement.Visit, settlement.Batch) {
	return settlement.Visit{MdtrtID: first.MdtrtID, PsnNo: first.PsnNo}, settlement.Batch{ChrgBchno: first.ChrgBchno}
}

func decodeIdem(b []byte, e *IdemEntry) error {
	if len(b) < 2 || b[0] != idemMark {
		return errBadIdem
	}
	if b[1] != idemVersion {
		return fmt.Errorf("idempotency value of version %d: written by a newer provgate", b[1])
	}
	r := visitReader{s: string(b[2:])}
	*e = IdemEntry{Kind: settlement.Kind(r.str()), Digest: r.str()}
	e.Stamp.UnixMilli = r.varint()
	e.Stamp.Index = r.uvarint()
	flags := r.byte()
	if flags >= idemHasVisit<<1 {
		r.fail()
	}
	e.Tombstone = flags&idemTombstone != 0
	var lines []settlement.LineSplit
	if n, ok := r.count(); ok {
		lines = make([]settlement.LineSplit, n)
		if n > 0 {
			v := settlement.Visit{MdtrtID: r.str(), PsnNo: r.str()}
			bt := settlement.Batch{ChrgBchno: r.str()}
			for i := range lines {
				r.line(&lines[i], &v, &bt)
			}
		}
	}
	var visit *settlement.Visit
	if flags&idemHasVisit != 0 {
		visit = new(settlement.Visit)
		r.visit(visit)
	}
	rest := r.str()
	if r.bad || r.pos != len(r.s) {
		*e = IdemEntry{}
		return errBadIdem
	}
	if err := json.Unmarshal([]byte(rest), &e.Outcome); err != nil {
		*e = IdemEntry{}
		return fmt.Errorf("%w: %v", errBadIdem, err)
	}
	e.Outcome.Visit, e.Outcome.Lines = visit, lines
	return nil
}
