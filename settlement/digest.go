package settlement

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
)

// ContentDigest fingerprints a decoded request for the idempotency table,
// for formats whose bytes are not canonical (XML, HL7 v2, FHIR, delimited
// text): a retry that decodes to the same request gets the same digest
// whatever its whitespace, charset or field order. format keeps digests of
// different formats apart. MsgID and Digest themselves are left out.
//
// The digest is "2:<format>:<sha-256 in hex>" over a canonical encoding of
// the request written field by field (see digester). The "2:" marks the
// second version: idempotency entries written before it hold the first
// version, 64 hex digits of [LegacyContentDigest], and [SameContent]
// compares a retry with either. The format is spelled out so that the
// first version can be recomputed for a retry that arrives after an
// upgrade.
func ContentDigest(format string, r Request) string {
	buf := digestBuffers.Get().(*[]byte)
	d := digester{b: (*buf)[:0]}
	d.str(format)
	d = d.request(&r)
	sum := sha256.Sum256(d.b)
	if cap(d.b) <= maxPooledDigestBuffer {
		*buf = d.b
		digestBuffers.Put(buf)
	}
	var out [128]byte
	b := append(out[:0], digestV2...)
	b = append(b, format...)
	b = append(b, ':')
	b = hex.AppendEncode(b, sum[:])
	return string(b)
}

// digestV2 starts every digest ContentDigest makes.
const digestV2 = "2:"

// LegacyContentDigest is the first version of ContentDigest: SHA-256 of the
// format, a newline and the request as encoding/json writes it. It is kept
// only to recognise retries of requests answered before the upgrade; it
// costs a reflective JSON encoding of the whole request (about a quarter of
// a FHIR message's translation), which is why the second version exists.
func LegacyContentDigest(format string, r Request) string {
	r.MsgID, r.Digest = "", ""
	b, err := json.Marshal(r)
	if err != nil {
		panic("settlement: request not encodable: " + err.Error()) // plain structs: cannot happen
	}
	h := sha256.New()
	h.Write([]byte(format + "\n"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// SameContent reports whether stored, the digest an idempotency entry or
// a pending intent keeps, names the content of req, a retry under the same
// msgid. Digests of the same version are compared as they are. Across the
// upgrade from the first version to the second, a retry is still a retry
// and not a conflict:
//
//   - stored before the upgrade (first version), retried after it: the
//     first version is recomputed from req for the format req's digest
//     names;
//   - stored by an upgraded node (second version), retried through a node
//     not yet upgraded (first version): req's digest is first checked to
//     be the first version of req in the stored digest's format (a request
//     from another format, or a national digest, fails this), then the
//     second version is recomputed.
//
// Either way costs a reflective encoding, but only on a mismatch. Digests
// the national format makes (SHA-256 of its compacted input, also 64 hex
// digits) never equal a recomputed content digest, as before.
func SameContent(stored string, req Request) bool {
	if stored == req.Digest {
		return true
	}
	if format, ok := digestFormat(req.Digest); ok && isLegacyDigest(stored) {
		return stored == LegacyContentDigest(format, req)
	}
	if format, ok := digestFormat(stored); ok && isLegacyDigest(req.Digest) {
		return req.Digest == LegacyContentDigest(format, req) && stored == ContentDigest(format, req)
	}
	return false
}

// digestFormat returns the format a second-version digest names. The hex
// part has no colon, so the format is everything between the version and
// the last colon, whatever it contains.
func digestFormat(d string) (string, bool) {
	rest, ok := strings.CutPrefix(d, digestV2)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 || len(rest)-i-1 != 2*sha256.Size {
		return "", false
	}
	return rest[:i], true
}

// isLegacyDigest reports whether d has the first version's form: 64
// lower-case hex digits.
func isLegacyDigest(d string) bool {
	if len(d) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// digester writes the canonical encoding ContentDigest hashes. Every field
// of the request and of the types under it is written in a fixed order,
// the order of the struct declarations, so the encoding of one request is
// unambiguous: strings are length-prefixed, integers fixed-width, an
// optional part starts with whether it is there, a list with its length.
// Where the first version's JSON told nil from empty (a list without
// omitempty: null against []), the encoding does too; where it did not
// (omitempty lists), it does not either, so a request that meant the same
// before still gets one digest. TestDigestCoversEveryField fails for a
// field added to these types and not written here.
//
// The parts are written by methods that take and return the digester by
// value: the buffer then lives in the caller's frame, and appending to it
// stores no pointer through a pointer, which the garbage collector's write
// barrier would otherwise record, value after value, while it marks.
type digester struct{ b []byte }

// A canonical 20-line fee upload is about 3 KB; buffers grown by a much
// larger request are left to the collector instead of kept.
const maxPooledDigestBuffer = 64 << 10

var digestBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (d *digester) uvarint(n uint64) { d.b = binary.AppendUvarint(d.b, n) }

func (d *digester) str(s string) {
	if len(s) < 0x80 {
		d.b = append(d.b, byte(len(s))) // its uvarint, as for nearly every field
	} else {
		d.uvarint(uint64(len(s)))
	}
	d.b = append(d.b, s...)
}

func (d *digester) i64(v int64) { d.b = binary.BigEndian.AppendUint64(d.b, uint64(v)) }

func (d *digester) flag(v bool) {
	if v {
		d.b = append(d.b, 1)
	} else {
		d.b = append(d.b, 0)
	}
}

// present writes whether an optional part is there and returns it, so
// callers read "if d.present(p) { ... }".
func (d *digester) present(there bool) bool {
	d.flag(there)
	return there
}

// list writes the length of a list the JSON form omitted when empty: nil
// and empty are the same list.
func (d *digester) list(n int) { d.uvarint(uint64(n)) }

// nullableList writes the length of a list the JSON form wrote as null
// when nil and [] when empty, keeping the two apart.
func (d *digester) nullableList(isNil bool, n int) {
	if isNil {
		d.uvarint(0)
		return
	}
	d.uvarint(uint64(n) + 1)
}

func (d digester) strs(ss []string) digester {
	d.list(len(ss))
	for _, s := range ss {
		d.str(s)
	}
	return d
}

// request writes every field of a Request but MsgID and Digest, which
// name the message rather than its content.
func (d digester) request(r *Request) digester {
	d.str(string(r.Kind))
	d.str(r.Hospital)
	d.str(r.TreatAdmdvs)
	d.str(r.InsuredAdmdvs)
	d.str(r.Operator)
	d.str(r.SignNo)
	if p := r.Ref; d.present(p != nil) {
		d.str(p.CertType)
		d.str(p.CertNo)
		d.str(p.VisitNo)
	}
	if p := r.Remote; d.present(p != nil) {
		d = d.remote(p)
	}
	if p := r.Session; d.present(p != nil) {
		d.str(p.OpterNo)
		d.str(p.MAC)
		d.str(p.IP)
		d.str(p.SignNo)
	}
	if p := r.Person; d.present(p != nil) {
		d.str(p.CertType)
		d.str(p.CertNo)
	}
	if p := r.Benefit; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.Insutype)
		d.str(p.MedType)
		d.str(p.Begntime)
		d.str(p.DiseCodg)
	}
	if p := r.Cum; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.CumYm)
	}
	if p := r.Register; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.Insutype)
		d.str(p.Begntime)
		d.str(p.CertType)
		d.str(p.CertNo)
		d.str(p.IptOtpNo)
		d.str(p.AtddrNo)
		d.str(p.DrName)
		d.str(p.DeptCode)
		d.str(p.DeptName)
		d.str(p.Caty)
		d.flag(p.Emergency)
	}
	if p := r.VisitRef; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.MdtrtID)
		d.str(p.IptOtpNo)
	}
	if p := r.VisitInfo; d.present(p != nil) {
		d.str(p.MdtrtID)
		d.str(p.PsnNo)
		d.str(p.MedType)
		d.str(p.Begntime)
		d.str(p.DiseCodg)
		d.str(p.DiseName)
		d = d.diagnoses(p.Diagnoses)
	}
	if p := r.Admission; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.Insutype)
		d.str(p.MedType)
		d.str(p.Begntime)
		d.str(p.CertType)
		d.str(p.CertNo)
		d.str(p.IptNo)
		d.str(p.DeptCode)
		d.str(p.DeptName)
		d.str(p.AtddrNo)
		d.str(p.DrName)
		d.str(p.Bed)
		d.str(p.DiseCodg)
		d.str(p.DiseName)
		d = d.diagnoses(p.Diagnoses)
	}
	if p := r.Discharge; d.present(p != nil) {
		d.str(p.MdtrtID)
		d.str(p.PsnNo)
		d.str(p.Insutype)
		d.str(p.Endtime)
		d.str(p.DiseCodg)
		d.str(p.DiseName)
		d.str(p.DscgWay)
		d.str(p.DeptCode)
		d = d.diagnoses(p.Diagnoses)
	}
	if p := r.Fees; d.present(p != nil) {
		d.nullableList(p.Lines == nil, len(p.Lines))
		for i := range p.Lines {
			d = d.feeLine(&p.Lines[i])
		}
	}
	if p := r.FeeCancel; d.present(p != nil) {
		d.str(p.MdtrtID)
		d.str(p.PsnNo)
		d.str(p.ChrgBchno)
		d.str(p.FeedetlSn)
	}
	if p := r.Settle; d.present(p != nil) {
		d.flag(p.MidSetl)
		d.str(p.PsnNo)
		d.str(p.CertType)
		d.str(p.MdtrtID)
		d.str(p.ChrgBchno)
		d.str(p.MedType)
		d.str(p.Insutype)
		d.i64(int64(p.Medfee))
		d.flag(p.AcctUsed)
		d.str(p.PsnSetlway)
		d.str(p.Invono)
		if s := p.Split; d.present(s != nil) {
			d.i64(int64(s.Fulamt))
			d.i64(int64(s.Overlmt))
			d.i64(int64(s.Preselfpay))
			d.i64(int64(s.Inscp))
		}
	}
	if p := r.Cancel; d.present(p != nil) {
		d = d.cancel(p)
	}
	if p := r.Reversal; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.OMsgID)
		d.str(string(p.OInfno))
	}
	if p := r.SetlQuery; d.present(p != nil) {
		d = d.cancel(p)
	}
	if p := r.Recon; d.present(p != nil) {
		d.str(p.Insutype)
		d.str(p.ClrType)
		d.str(p.SetlOptins)
		d.str(p.Begin)
		d.str(p.End)
		d.i64(int64(p.Medfee))
		d.i64(int64(p.FundPay))
		d.i64(int64(p.AcctPay))
		d.i64(int64(p.CashPay))
		d.i64(int64(p.Count))
		d.list(len(p.Details))
		for i := range p.Details {
			x := &p.Details[i]
			d.str(x.SetlID)
			d.str(x.MdtrtID)
			d.str(x.PsnNo)
			d.i64(int64(x.Medfee))
			d.i64(int64(x.FundPay))
			d.i64(int64(x.AcctPay))
			d.str(x.RefundFlag)
		}
	}
	if p := r.Filing; d.present(p != nil) {
		d.str(p.PsnNo)
		d.str(p.Insutype)
		d.str(p.TreatAdmdvs)
		d.str(p.ToHospital)
		d.str(p.DiseCode)
		d.str(p.Begin)
		d.str(p.End)
		d.str(p.Sn)
		d.str(p.Memo)
	}
	return d
}

func (d digester) cancel(p *CancelRequest) digester {
	d.str(p.SetlID)
	d.str(p.MdtrtID)
	d.str(p.PsnNo)
	return d
}

func (d digester) diagnoses(ds []Diagnosis) digester {
	d.list(len(ds))
	for i := range ds {
		x := &ds[i]
		d.str(x.Type)
		d.str(x.SrtNo)
		d.str(x.Code)
		d.str(x.Name)
		d.flag(x.Main)
		d.str(x.Dept)
		d.str(x.DrCode)
		d.str(x.DrName)
		d.str(x.Time)
		d.flag(x.Invalid)
	}
	return d
}

func (d digester) feeLine(l *FeeLine) digester {
	d.str(l.FeedetlSn)
	d.str(l.MdtrtID)
	d.str(l.PsnNo)
	d.str(l.ChrgBchno)
	d.str(l.MedListCodg)
	d.str(l.MedinsListCodg)
	d.str(l.FeeOcurTime)
	d.str(l.DiseCodg)
	d.i64(int64(l.Amount))
	d.i64(int64(l.Qty))
	d.i64(int64(l.Price))
	d.str(l.HospApprFlag)
	d.flag(l.HospBear)
	return d
}

func (d digester) remote(p *RemoteOrigin) digester {
	h := &p.Hospital
	d.str(h.Code)
	d.str(h.Name)
	d.str(h.Admdvs)
	d.str(h.Level)
	d.str(h.Grade)
	d.flag(h.InNetwork)
	d.flag(h.Disabled)
	d = d.strs(h.Formats)
	d = d.strs(h.MLLPSources)
	d.str(h.PaasID)
	d.str(h.Token)
	v := p.Visit
	if !d.present(v != nil) {
		return d
	}
	d.str(v.MdtrtID)
	d.str(v.PsnNo)
	d.str(v.Insutype)
	d.str(v.Kind)
	d.str(v.MedType)
	d.str(v.Begntime)
	d.str(v.Endtime)
	d.str(v.IptOtpNo)
	d.str(v.DiseCodg)
	d.str(v.DiseName)
	d.flag(v.Discharged)
	d.nullableList(v.Batches == nil, len(v.Batches))
	for i := range v.Batches {
		b := &v.Batches[i]
		d.str(b.ChrgBchno)
		d.str(b.CatalogRef)
		d.nullableList(b.Lines == nil, len(b.Lines))
		for j := range b.Lines {
			l := &b.Lines[j]
			d = d.feeLine(&l.FeeLine)
			d.str(l.Name)
			d.str(string(l.Class))
			d.str(l.ChargeType)
			d.i64(int64(l.SelfPay))
			d.i64(int64(l.PriceCap))
			d.flag(l.Restricted)
			d.i64(int64(l.Fulamt))
			d.i64(int64(l.Overlmt))
			d.i64(int64(l.Preselfpay))
			d.i64(int64(l.Inscp))
			d.i64(int64(l.HospPart))
			d.str(l.Memo)
		}
		d.str(b.SetlID)
		d.str(b.Pending)
	}
	d = d.diagnoses(v.Diagnoses)
	return d
}
