package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provgate/provgate/settlement"
)

// Visits are stored in a binary layout, not JSON. A visit is written at
// registration, at every fee upload and at every settlement, each time with
// all its fee lines; encoding it as JSON (money as decimal text) was a tenth
// of the leader's work and the largest source of garbage.
//
// The layout: visitMark, a version byte, then the fields in declaration
// order. Strings are a uvarint length and the bytes; amounts are varints;
// a slice is a uvarint count plus one, or 0 for a nil slice, so a value
// decodes to exactly what was encoded (and re-encodes as JSON to exactly the
// JSON an older version stored: the replica digest is over that JSON). A
// fee line does not repeat the visit's mdtrt_id and psn_no or its batch's
// chrg_bchno when they are the same, which they nearly always are.
//
// The encoding is deterministic, so replicas computing the same entry store
// the same bytes. visitMark is a byte no JSON text and no compressed value
// starts with; visits stored as JSON by an older version read as before.
const (
	visitMark    = 0xB1
	visitVersion = 1
)

// Flags of a fee line.
const (
	lineOwnMdtrtID = 1 << iota // the line's mdtrt_id differs from the visit's
	lineOwnPsnNo               // the line's psn_no differs from the visit's
	lineOwnBchno               // the line's chrg_bchno differs from the batch's
	lineHospBear
	lineRestricted
)

var errBadVisit = errors.New("malformed visit value")

// appendVisit appends v's stored form to b.
func appendVisit(b []byte, v *settlement.Visit) []byte {
	return appendVisitFields(append(b, visitMark, visitVersion), v)
}

// appendVisitFields is the layout after the mark and version.
func appendVisitFields(b []byte, v *settlement.Visit) []byte {
	for _, s := range [...]string{v.MdtrtID, v.PsnNo, v.Insutype, v.Hospital, v.TreatAdmdvs,
		v.InsuredAdmdvs, v.Kind, v.MedType, v.Begntime, v.Endtime, v.IptOtpNo, v.DeptCode,
		v.DrName, v.DiseCodg, v.DiseName, v.DscgWay} {
		b = appendString(b, s)
	}
	b = appendCount(b, len(v.Diagnoses), v.Diagnoses == nil)
	for i := range v.Diagnoses {
		d := &v.Diagnoses[i]
		b = appendString(b, d.Type)
		b = appendString(b, d.SrtNo)
		b = appendString(b, d.Code)
		b = appendString(b, d.Name)
		b = appendBool(b, d.Main)
		b = appendString(b, d.Dept)
		b = appendString(b, d.DrCode)
		b = appendString(b, d.DrName)
	}
	b = appendString(b, string(v.State))
	b = appendString(b, v.RegisteredAt)
	b = appendCount(b, len(v.Batches), v.Batches == nil)
	for i := range v.Batches {
		bt := &v.Batches[i]
		b = appendString(b, bt.ChrgBchno)
		b = appendString(b, bt.CatalogRef)
		b = appendCount(b, len(bt.Lines), bt.Lines == nil)
		for j := range bt.Lines {
			b = appendLine(b, &bt.Lines[j], v, bt)
		}
		b = appendString(b, bt.SetlID)
		b = appendString(b, bt.Pending)
	}
	b = appendCount(b, len(v.Settlements), v.Settlements == nil)
	for _, s := range v.Settlements {
		b = appendString(b, s)
	}
	return appendString(b, v.FinalSetlID)
}

func appendLine(b []byte, l *settlement.LineSplit, v *settlement.Visit, bt *settlement.Batch) []byte {
	var flags byte
	if l.MdtrtID != v.MdtrtID {
		flags |= lineOwnMdtrtID
	}
	if l.PsnNo != v.PsnNo {
		flags |= lineOwnPsnNo
	}
	if l.ChrgBchno != bt.ChrgBchno {
		flags |= lineOwnBchno
	}
	if l.HospBear {
		flags |= lineHospBear
	}
	if l.Restricted {
		flags |= lineRestricted
	}
	b = append(b, flags)
	b = appendString(b, l.FeedetlSn)
	if flags&lineOwnMdtrtID != 0 {
		b = appendString(b, l.MdtrtID)
	}
	if flags&lineOwnPsnNo != 0 {
		b = appendString(b, l.PsnNo)
	}
	if flags&lineOwnBchno != 0 {
		b = appendString(b, l.ChrgBchno)
	}
	b = appendString(b, l.MedListCodg)
	b = appendString(b, l.MedinsListCodg)
	b = appendString(b, l.FeeOcurTime)
	b = appendString(b, l.DiseCodg)
	b = binary.AppendVarint(b, int64(l.Amount))
	b = binary.AppendVarint(b, int64(l.Qty))
	b = binary.AppendVarint(b, int64(l.Price))
	b = appendString(b, l.HospApprFlag)
	b = appendString(b, l.Name)
	b = appendString(b, string(l.Class))
	b = appendString(b, l.ChargeType)
	for _, n := range [...]int64{int64(l.SelfPay), int64(l.PriceCap), int64(l.Fulamt),
		int64(l.Overlmt), int64(l.Preselfpay), int64(l.Inscp), int64(l.HospPart)} {
		b = binary.AppendVarint(b, n)
	}
	return appendString(b, l.Memo)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendCount(b []byte, n int, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decodeVisit reads a visit written by appendVisit. Its strings share one
// copy of b, so decoding allocates the string once and the slices.
func decodeVisit(b []byte, v *settlement.Visit) error {
	if len(b) < 2 || b[0] != visitMark {
		return errBadVisit
	}
	if b[1] != visitVersion {
		return fmt.Errorf("visit value of version %d: written by a newer provgate", b[1])
	}
	r := visitReader{s: string(b[2:])}
	r.visit(v)
	if r.bad || r.pos != len(r.s) {
		*v = settlement.Visit{}
		return errBadVisit
	}
	return nil
}

// visit reads the fields appendVisitFields wrote.
func (r *visitReader) visit(v *settlement.Visit) {
	*v = settlement.Visit{}
	for _, p := range [...]*string{&v.MdtrtID, &v.PsnNo, &v.Insutype, &v.Hospital, &v.TreatAdmdvs,
		&v.InsuredAdmdvs, &v.Kind, &v.MedType, &v.Begntime, &v.Endtime, &v.IptOtpNo, &v.DeptCode,
		&v.DrName, &v.DiseCodg, &v.DiseName, &v.DscgWay} {
		*p = r.str()
	}
	if n, ok := r.count(); ok {
		v.Diagnoses = make([]settlement.Diagnosis, n)
		for i := range v.Diagnoses {
			d := &v.Diagnoses[i]
			d.Type, d.SrtNo, d.Code, d.Name = r.str(), r.str(), r.str(), r.str()
			d.Main = r.bool()
			d.Dept, d.DrCode, d.DrName = r.str(), r.str(), r.str()
		}
	}
	v.State = settlement.VisitState(r.str())
	v.RegisteredAt = r.str()
	if n, ok := r.count(); ok {
		v.Batches = make([]settlement.Batch, n)
		for i := range v.Batches {
			bt := &v.Batches[i]
			bt.ChrgBchno, bt.CatalogRef = r.str(), r.str()
			if n, ok := r.count(); ok {
				bt.Lines = make([]settlement.LineSplit, n)
				for j := range bt.Lines {
					r.line(&bt.Lines[j], v, bt)
				}
			}
			bt.SetlID, bt.Pending = r.str(), r.str()
		}
	}
	if n, ok := r.count(); ok {
		v.Settlements = make([]string, n)
		for i := range v.Settlements {
			v.Settlements[i] = r.str()
		}
	}
	v.FinalSetlID = r.str()
}

// visitReader reads the layout; after the first error it reads zeros and
// remembers the error, so decodeVisit checks once at the end.
type visitReader struct {
	s   string
	pos int
	bad bool
}

func (r *visitReader) uvarint() uint64 {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.pos >= len(r.s) {
			break
		}
		c := r.s[r.pos]
		r.pos++
		if c < 0x80 {
			if shift == 63 && c > 1 {
				break
			}
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
	}
	r.fail()
	return 0
}

func (r *visitReader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (r *visitReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.pos) {
		r.fail()
		return ""
	}
	s := r.s[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

func (r *visitReader) byte() byte {
	if r.pos >= len(r.s) {
		r.fail()
		return 0
	}
	c := r.s[r.pos]
	r.pos++
	return c
}

func (r *visitReader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// count reads a slice length; ok is false for a nil slice. A count larger
// than the bytes left cannot be genuine (every element takes at least one
// byte), so corrupt input never makes a large allocation.
func (r *visitReader) count() (n int, ok bool) {
	c := r.uvarint()
	if c == 0 {
		return 0, false
	}
	if c-1 > uint64(len(r.s)-r.pos) {
		r.fail()
		return 0, false
	}
	return int(c - 1), true
}

func (r *visitReader) fail() {
	r.bad = true
	r.pos = len(r.s)
}

func (r *visitReader) line(l *settlement.LineSplit, v *settlement.Visit, bt *settlement.Batch) {
	flags := r.byte()
	if flags >= lineRestricted<<1 {
		r.fail()
		return
	}
	l.FeedetlSn = r.str()
	l.MdtrtID, l.PsnNo, l.ChrgBchno = v.MdtrtID, v.PsnNo, bt.ChrgBchno
	if flags&lineOwnMdtrtID != 0 {
		l.MdtrtID = r.str()
	}
	if flags&lineOwnPsnNo != 0 {
		l.PsnNo = r.str()
	}
	if flags&lineOwnBchno != 0 {
		l.ChrgBchno = r.str()
	}
	l.MedListCodg, l.MedinsListCodg, l.FeeOcurTime, l.DiseCodg = r.str(), r.str(), r.str(), r.str()
	l.Amount = settlement.Fen(r.varint())
	l.Qty = settlement.Qty(r.varint())
	l.Price = settlement.Price(r.varint())
	l.HospApprFlag = r.str()
	l.HospBear = flags&lineHospBear != 0
	l.Name = r.str()
	l.Class = settlement.ItemClass(r.str())
	l.ChargeType = r.str()
	l.SelfPay = settlement.BP(r.varint())
	l.PriceCap = settlement.Fen(r.varint())
	l.Restricted = flags&lineRestricted != 0
	l.Fulamt, l.Overlmt, l.Preselfpay = settlement.Fen(r.varint()), settlement.Fen(r.varint()), settlement.Fen(r.varint())
	l.Inscp, l.HospPart = settlement.Fen(r.varint()), settlement.Fen(r.varint())
	l.Memo = r.str()
}
