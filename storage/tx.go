package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/provgate/provgate/settlement"
)

// Tx is one transaction over the state. It satisfies settlement.View; its
// Put methods are only valid inside Store.Update.
type Tx struct {
	txn   *badger.Txn
	cache *sync.Map // decoded immutable values by key (Store.immutable); nil disables
	hot   *hotCache // decoded hot values with their bytes (Store.hot); nil disables
	// versions remembers latestKeyBefore's answers for this transaction:
	// every settlement in a batch asks which policy and catalog version is
	// in force, and an iterator in a transaction with pending writes sorts
	// them all first. Writing a policy or catalog clears it.
	versions map[string][]byte
	// rec, when set, collects every write of the transaction in order (the
	// leader's writes, replicated so followers need not recompute them).
	rec *[]Write
	// hospitalsWritten is set by a write to a hospital (Store.HospitalByPaasID).
	hospitalsWritten bool
}

// getImmutable is get for keys whose value never changes once written.
func getImmutable[T any](tx *Tx, k []byte) (T, bool, error) {
	if tx.cache != nil {
		if v, ok := tx.cache.Load(string(k)); ok {
			return v.(T), true, nil
		}
	}
	var v T
	ok, err := tx.get(k, &v)
	if ok && err == nil && tx.cache != nil {
		tx.cache.Store(string(k), v)
	}
	return v, ok, err
}

var _ settlement.View = (*Tx)(nil)

// get decodes the value at k into v, reporting whether it exists.
func (tx *Tx) get(k []byte, v any) (bool, error) {
	item, err := tx.txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s: %w", firstPart(k), err)
	}
	err = item.Value(func(b []byte) error { return decodeValue(b, v) })
	if err != nil {
		return false, fmt.Errorf("decode %s: %w", firstPart(k), err)
	}
	return true, nil
}

func (tx *Tx) put(k []byte, v any) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", firstPart(k), err)
	}
	if err := tx.set(k, b); err != nil {
		return fmt.Errorf("set %s: %w", firstPart(k), err)
	}
	return nil
}

// firstPart names a key's table in errors without its identifying parts,
// which may be patient identifiers.
func firstPart(k []byte) string {
	if i := bytes.IndexByte(k, '/'); i >= 0 {
		return string(k[:i])
	}
	return string(k)
}

// Applied returns the index and term of the last applied Raft entry.
func (tx *Tx) Applied() (index, term uint64, err error) {
	item, err := tx.txn.Get([]byte(keyApplied))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("get applied index: %w", err)
	}
	err = item.Value(func(b []byte) error {
		if len(b) != 16 {
			return fmt.Errorf("applied index has %d bytes", len(b))
		}
		index, term = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		return nil
	})
	return index, term, err
}

// SetApplied records the last applied Raft entry.
func (tx *Tx) SetApplied(index, term uint64) error {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, index)
	binary.BigEndian.PutUint64(b[8:], term)
	return tx.txn.Set([]byte(keyApplied), b)
}

// Hospital returns a registered hospital.
func (tx *Tx) Hospital(code string) (settlement.Hospital, bool, error) {
	return getHot(tx, key(prefixHospital, code), cloneHospital)
}

// PutHospital registers or updates a hospital and the index of its paas id.
// A paas id belongs to one hospital.
func (tx *Tx) PutHospital(h settlement.Hospital) error {
	old, existed, err := tx.Hospital(h.Code)
	if err != nil {
		return err
	}
	if existed && h.Token == "" {
		// An update without credentials keeps the ones on record, so that
		// listing (which never shows tokens) and re-posting is safe.
		h.PaasID, h.Token = old.PaasID, old.Token
	}
	if h.PaasID != "" {
		var owner string
		ok, err := tx.get(key(prefixPaas, h.PaasID), &owner)
		if err != nil {
			return err
		}
		if ok && owner != h.Code {
			return settlement.Errorf(settlement.CodeBadConfig, "hospital "+h.Code+": paas_id already belongs to another hospital")
		}
	}
	if existed && old.PaasID != "" && old.PaasID != h.PaasID {
		if err := tx.del(key(prefixPaas, old.PaasID)); err != nil {
			return err
		}
	}
	if h.PaasID != "" {
		if err := tx.put(key(prefixPaas, h.PaasID), h.Code); err != nil {
			return err
		}
	}
	return tx.put(key(prefixHospital, h.Code), h)
}

// Hospitals lists the registered hospitals in code order.
func (tx *Tx) Hospitals() ([]settlement.Hospital, error) {
	var out []settlement.Hospital
	err := tx.scan(prefixHospital, func(_, v []byte) error {
		var h settlement.Hospital
		if err := json.Unmarshal(v, &h); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// Person returns a person by psn_no.
func (tx *Tx) Person(psnNo string) (settlement.Person, bool, error) {
	return getHot(tx, key(prefixPerson, psnNo), clonePerson)
}

// PersonByCert returns a person by ID number or card number.
func (tx *Tx) PersonByCert(certNo string) (settlement.Person, bool, error) {
	var psnNo string
	ok, err := tx.get(key(prefixCert, certNo), &psnNo)
	if err != nil || !ok {
		return settlement.Person{}, false, err
	}
	return tx.Person(psnNo)
}

// PutPerson registers or updates a person. A new person's account opens
// with the given balance; for an existing person the balance is left as the
// settlements made it. All checks come before the first write, so a refused
// person leaves the transaction untouched.
func (tx *Tx) PutPerson(p settlement.Person) error {
	if p.PsnNo == "" {
		return settlement.Errorf(settlement.CodeBadConfig, "person without psn_no")
	}
	old, existed, err := tx.Person(p.PsnNo)
	if err != nil {
		return err
	}
	certs := []string{p.CertNo, p.CardNo}
	for _, c := range certs {
		if c == "" {
			continue
		}
		var owner string
		ok, err := tx.get(key(prefixCert, c), &owner)
		if err != nil {
			return err
		}
		if ok && owner != p.PsnNo {
			return settlement.Errorf(settlement.CodeBadConfig, "person "+p.PsnNo+": certificate already belongs to another person")
		}
	}
	if existed {
		for _, c := range []string{old.CertNo, old.CardNo} {
			if c != "" {
				if err := tx.del(key(prefixCert, c)); err != nil {
					return err
				}
			}
		}
	} else if err := tx.put(key(prefixBalance, p.PsnNo), p.AccountBalance); err != nil {
		return err
	}
	for _, c := range certs {
		if c != "" {
			if err := tx.put(key(prefixCert, c), p.PsnNo); err != nil {
				return err
			}
		}
	}
	return tx.put(key(prefixPerson, p.PsnNo), p)
}

// AddFiling adds a cross-region filing to a person. A filing with the same
// serial is replaced, so re-importing a file is harmless.
func (tx *Tx) AddFiling(row settlement.FilingRow, defaultSn string) error {
	if err := row.Check().Err("filing of " + row.PsnNo); err != nil {
		return err
	}
	p, ok, err := tx.Person(row.PsnNo)
	if err != nil {
		return err
	}
	if !ok {
		return settlement.Errorf(settlement.CodeUnknownPerson, "psn_no "+row.PsnNo)
	}
	f := row.Filing
	if f.Sn == "" {
		f.Sn = defaultSn
	}
	p.Filings = slices.DeleteFunc(p.Filings, func(x settlement.Filing) bool { return x.Sn == f.Sn })
	p.Filings = append(p.Filings, f)
	return tx.put(key(prefixPerson, p.PsnNo), p)
}

// Balance returns the person's personal-account balance.
func (tx *Tx) Balance(psnNo string) (settlement.Fen, error) {
	f, _, err := getHot(tx, key(prefixBalance, psnNo), same[settlement.Fen])
	return f, err
}

// Accumulators returns a person's year-to-date figures; zero if none.
func (tx *Tx) Accumulators(psnNo, insutype string, year int) (settlement.Accumulators, error) {
	a, _, err := getHot(tx, key(prefixAccum, psnNo, insutype, yearPart(year)), same[settlement.Accumulators])
	return a, err
}

// PutPolicy stores a policy version. Versions are immutable: storing the
// same version again with the same content is a no-op, with other content a
// conflict, as is a second version on the same effective date.
func (tx *Tx) PutPolicy(p settlement.Policy) error {
	clear(tx.versions)
	k := key(prefixPolicy, p.InsuredAdmdvs, p.Insutype, p.EffectiveFrom)
	var old settlement.Policy
	ok, err := tx.get(k, &old)
	if err != nil {
		return err
	}
	if ok {
		if same, err := sameJSON(old, p); err != nil || !same {
			if err != nil {
				return err
			}
			return settlement.Errorf(settlement.CodeVersionConflict, old.Ref()+" (effective "+old.EffectiveFrom+")")
		}
		return nil
	}
	return tx.put(k, p)
}

// Policies lists every policy version, by insured region, insurance type
// and effective date.
func (tx *Tx) Policies() ([]settlement.Policy, error) {
	var out []settlement.Policy
	err := tx.scan(prefixPolicy, func(_, v []byte) error {
		var p settlement.Policy
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Catalogs lists every catalog version (without items).
func (tx *Tx) Catalogs() ([]settlement.CatalogVersion, error) {
	var out []settlement.CatalogVersion
	err := tx.scan(prefixCatalog, func(_, v []byte) error {
		var c settlement.CatalogVersion
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// PolicyAt returns the policy version in force on date: the one with the
// latest effective date not after it.
func (tx *Tx) PolicyAt(insuredAdmdvs, insutype, date string) (settlement.Policy, bool, error) {
	k, ok := tx.latestKeyBefore(key(prefixPolicy, insuredAdmdvs, insutype, ""), date)
	if !ok {
		return settlement.Policy{}, false, nil
	}
	return getImmutable[settlement.Policy](tx, k)
}

// PutCatalog stores a catalog version and its items, immutably like
// policies.
func (tx *Tx) PutCatalog(c settlement.Catalog) error {
	clear(tx.versions)
	k := key(prefixCatalog, c.TreatAdmdvs, c.EffectiveFrom)
	var old settlement.CatalogVersion
	ok, err := tx.get(k, &old)
	if err != nil {
		return err
	}
	if ok {
		if old.Version != c.Version {
			return settlement.Errorf(settlement.CodeVersionConflict, old.Ref()+" (effective "+old.EffectiveFrom+")")
		}
		for _, it := range c.Items {
			var have settlement.CatalogItem
			found, err := tx.get(key(prefixItem, c.TreatAdmdvs, c.Version, it.Code), &have)
			if err != nil {
				return err
			}
			if !found || have != it {
				return settlement.Errorf(settlement.CodeVersionConflict, c.Ref())
			}
		}
		return nil
	}
	for _, it := range c.Items {
		if err := tx.put(key(prefixItem, c.TreatAdmdvs, c.Version, it.Code), it); err != nil {
			return err
		}
	}
	return tx.put(k, c.CatalogVersion)
}

// CatalogAt returns the catalog version in force on date.
func (tx *Tx) CatalogAt(treatAdmdvs, date string) (settlement.CatalogVersion, bool, error) {
	k, ok := tx.latestKeyBefore(key(prefixCatalog, treatAdmdvs, ""), date)
	if !ok {
		return settlement.CatalogVersion{}, false, nil
	}
	return getImmutable[settlement.CatalogVersion](tx, k)
}

// CatalogItem returns one item of a catalog version.
func (tx *Tx) CatalogItem(v settlement.CatalogVersion, code string) (settlement.CatalogItem, bool, error) {
	return getImmutable[settlement.CatalogItem](tx, key(prefixItem, v.TreatAdmdvs, v.Version, code))
}

// latestKeyBefore finds, under prefix, the key with the greatest final
// part (a date) not after date.
func (tx *Tx) latestKeyBefore(prefix []byte, date string) ([]byte, bool) {
	memo := string(prefix) + "\x00" + date
	if k, ok := tx.versions[memo]; ok {
		return k, k != nil
	}
	k, ok := tx.seekLatestBefore(prefix, date)
	if tx.versions == nil {
		tx.versions = make(map[string][]byte)
	}
	tx.versions[memo] = k
	return k, ok
}

func (tx *Tx) seekLatestBefore(prefix []byte, date string) ([]byte, bool) {
	opts := badger.DefaultIteratorOptions
	opts.Reverse = true
	opts.Prefix = prefix
	opts.PrefetchValues = false // only the key is needed; values come from the cache
	it := tx.txn.NewIterator(opts)
	defer it.Close()
	seek := append(append([]byte{}, prefix...), date...)
	seek = append(seek, 0xff)
	it.Seek(seek)
	if !it.ValidForPrefix(prefix) {
		return nil, false
	}
	return it.Item().KeyCopy(nil), true
}

// Visit returns a visit.
func (tx *Tx) Visit(mdtrtID string) (settlement.Visit, bool, error) {
	return getHot(tx, key(prefixVisit, mdtrtID), cloneVisit)
}

// Record returns a settlement record.
func (tx *Tx) Record(setlID string) (settlement.Record, bool, error) {
	var r settlement.Record
	ok, err := tx.get(key(prefixRecord, setlID), &r)
	return r, ok, err
}

// RecordsOfPerson lists a person's records, in setl_id order.
func (tx *Tx) RecordsOfPerson(psnNo string) ([]settlement.Record, error) {
	var ids []string
	prefix := string(key(prefixPsnRec, psnNo, ""))
	err := tx.scan(prefix, func(k, _ []byte) error {
		ids = append(ids, string(k[len(prefix):]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]settlement.Record, 0, len(ids))
	for _, id := range ids {
		r, ok, err := tx.Record(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("record index names a missing record")
		}
		out = append(out, r)
	}
	return out, nil
}

// VisitByNumber finds a hospital's visit by the number the hospital
// registered it with (2201 ipt_otp_no, 2401 ipt_no): the newest visit with
// that number.
func (tx *Tx) VisitByNumber(hospital, visitNo string) (string, bool, error) {
	var mdtrtID string
	ok, err := tx.get(key(prefixVisitNo, hospital, visitNo), &mdtrtID)
	return mdtrtID, ok, err
}

// ApplyChanges writes what settlement.Process decided.
func (tx *Tx) ApplyChanges(c settlement.Changes) error {
	if c.Visit != nil {
		if err := tx.putVisit(*c.Visit); err != nil {
			return err
		}
	}
	for _, r := range c.Records {
		if err := tx.put(key(prefixRecord, r.SetlID), r); err != nil {
			return err
		}
		if err := tx.set(key(prefixPsnRec, r.PsnNo, r.SetlID), nil); err != nil {
			return err
		}
		date := r.SetlTime
		if len(date) > 10 {
			date = date[:10]
		}
		if err := tx.set(key(prefixHospRec, r.Hospital, date, r.SetlID), nil); err != nil {
			return err
		}
	}
	if c.Person != nil {
		if err := tx.PutPerson(*c.Person); err != nil {
			return err
		}
	}
	if s := c.Session; s != nil {
		if err := tx.put(key(prefixSession, s.SignNo), s); err != nil {
			return err
		}
	}
	if ts := c.Tombstone; ts != nil {
		if err := tx.PutIdem(ts.Hospital, ts.MsgID, IdemEntry{Kind: ts.Infno, Tombstone: true}); err != nil {
			return err
		}
	}
	if a := c.Accum; a != nil {
		if err := putHot(tx, key(prefixAccum, a.PsnNo, a.Insutype, yearPart(a.Year)), a.Value, same); err != nil {
			return err
		}
	}
	if b := c.Balance; b != nil {
		if err := putHot(tx, key(prefixBalance, b.PsnNo), b.Balance, same); err != nil {
			return err
		}
	}
	return tx.applyIntents(c)
}

// putVisit writes a visit; a new one also enters the index of its
// hospital's visit numbers, replacing an older visit with the same number
// (hospitals reuse numbers across days). Updates of an older visit leave
// the index alone, so it always names the newest.
func (tx *Tx) putVisit(v settlement.Visit) error {
	k := key(prefixVisit, v.MdtrtID)
	_, err := tx.txn.Get(k)
	isNew := errors.Is(err, badger.ErrKeyNotFound)
	if err != nil && !isNew {
		return fmt.Errorf("get %s: %w", firstPart(k), err)
	}
	if err := putHot(tx, k, v, cloneVisit); err != nil {
		return err
	}
	if !isNew || v.IptOtpNo == "" {
		return nil
	}
	return tx.put(key(prefixVisitNo, v.Hospital, v.IptOtpNo), v.MdtrtID)
}

// IdemEntry is what the idempotency table keeps for an answered request:
// the request's digest and the answer, so that a retry gets the same answer.
// A tombstone marks a msgid reversed (2601) before it arrived.
type IdemEntry struct {
	Kind      settlement.Kind    `json:"kind"`
	Digest    string             `json:"digest,omitempty"`
	Stamp     settlement.Stamp   `json:"stamp"`
	Outcome   settlement.Outcome `json:"outcome"`
	Tombstone bool               `json:"tombstone,omitempty"`
}

// Answered returns the stored answer to a hospital's msgid, if any (not a
// tombstone).
func (tx *Tx) Answered(hospital, msgID string) (settlement.Kind, settlement.Outcome, bool, error) {
	e, ok, err := tx.Idem(hospital, msgID)
	if err != nil || !ok || e.Tombstone {
		return "", settlement.Outcome{}, false, err
	}
	return e.Kind, e.Outcome, true, nil
}

// Session returns an operator session by sign_no.
func (tx *Tx) Session(signNo string) (settlement.Session, bool, error) {
	var s settlement.Session
	ok, err := tx.get(key(prefixSession, signNo), &s)
	return s, ok, err
}

// RecordsOfHospital lists a hospital's records settled within [from, to],
// in date order.
func (tx *Tx) RecordsOfHospital(hospital, from, to string) ([]settlement.Record, error) {
	prefix := string(key(prefixHospRec, hospital, ""))
	var ids []string
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := tx.txn.NewIterator(opts)
	for it.Seek([]byte(prefix + from)); it.Valid(); it.Next() {
		rest := string(it.Item().Key()[len(prefix):])
		date, id, _ := strings.Cut(rest, "/")
		if date > to {
			break
		}
		ids = append(ids, id)
	}
	it.Close()
	out := make([]settlement.Record, 0, len(ids))
	for _, id := range ids {
		r, ok, err := tx.Record(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// HospitalByPaasID finds the hospital whose credentials have this paas id.
func (tx *Tx) HospitalByPaasID(paasID string) (settlement.Hospital, bool, error) {
	code, ok, err := getHot(tx, key(prefixPaas, paasID), same[string])
	if err != nil || !ok {
		return settlement.Hospital{}, false, err
	}
	return tx.Hospital(code)
}

// Idem returns the entry for a hospital's msgid.
func (tx *Tx) Idem(hospital, msgID string) (IdemEntry, bool, error) {
	var e IdemEntry
	ok, err := tx.get(key(prefixIdem, hospital, msgID), &e)
	return e, ok, err
}

// PutIdem stores the entry for a hospital's msgid.
func (tx *Tx) PutIdem(hospital, msgID string, e IdemEntry) error {
	return tx.put(key(prefixIdem, hospital, msgID), e)
}

func (tx *Tx) scan(prefix string, fn func(k, v []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	it := tx.txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		err := item.Value(func(v []byte) error {
			plain, err := plainValue(v)
			if err != nil {
				return fmt.Errorf("%s: %w", firstPart(k), err)
			}
			return fn(k, plain)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func sameJSON(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

// NodeInfo is where a cluster member serves: hospitals reach it at
// HTTPAddr, the other nodes' Raft at RaftAddr, and followers relay requests
// to InternalAddr (mutual TLS) when it has one, else to HTTPAddr.
type NodeInfo struct {
	ID           string `json:"id"`
	HTTPAddr     string `json:"http_addr"`
	RaftAddr     string `json:"raft_addr"`
	InternalAddr string `json:"internal_addr,omitempty"`
}

// PutNode records a member's addresses.
func (tx *Tx) PutNode(n NodeInfo) error { return tx.put(key(prefixNode, n.ID), n) }

// Node returns a member's addresses.
func (tx *Tx) Node(id string) (NodeInfo, bool, error) {
	var n NodeInfo
	ok, err := tx.get(key(prefixNode, id), &n)
	return n, ok, err
}

// Nodes lists the members' addresses.
func (tx *Tx) Nodes() ([]NodeInfo, error) {
	var out []NodeInfo
	err := tx.scan(prefixNode, func(_, v []byte) error {
		var n NodeInfo
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// Verification is a replica's self-check of the ledger.
type Verification struct {
	Records  int      `json:"records"`
	Persons  int      `json:"persons"`
	Digest   string   `json:"digest"` // SHA-256 of every key and value but the applied index
	Problems []string `json:"problems"`
}

// Verify checks, on this replica's state, that every person's accumulators
// equal the sum of their records' deltas, that no charge batch holds two
// live settlements, and computes a digest of the whole state so replicas
// can be compared.
func (tx *Tx) Verify() (Verification, error) {
	var v Verification
	sums := map[string]settlement.Accumulators{}
	live := map[string]string{}
	err := tx.scan(prefixRecord, func(_, val []byte) error {
		var r settlement.Record
		if err := json.Unmarshal(val, &r); err != nil {
			return err
		}
		v.Records++
		k := r.PsnNo + "/" + r.Insutype + "/" + yearPart(r.Year)
		sums[k] = sums[k].Add(r.Deltas)
		if r.Cancels == "" && r.CancelledBy == "" && r.Infno == settlement.KindSettle {
			b := r.MdtrtID + "/" + r.ChrgBchno
			if other, dup := live[b]; dup {
				v.Problems = append(v.Problems, "batch "+b+" settled twice: "+other+" and "+r.SetlID)
			}
			live[b] = r.SetlID
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	err = tx.scan(prefixAccum, func(k, val []byte) error {
		var a settlement.Accumulators
		if err := json.Unmarshal(val, &a); err != nil {
			return err
		}
		id := string(k[len(prefixAccum):])
		if sums[id] != a {
			v.Problems = append(v.Problems, "accumulators of "+id+" differ from the sum of its records")
		}
		delete(sums, id)
		return nil
	})
	if err != nil {
		return v, err
	}
	for id, s := range sums {
		if s != (settlement.Accumulators{}) {
			v.Problems = append(v.Problems, "records of "+id+" have no accumulators")
		}
	}
	err = tx.scan(prefixPerson, func(_, _ []byte) error { v.Persons++; return nil })
	if err != nil {
		return v, err
	}
	h := sha256.New()
	opts := badger.DefaultIteratorOptions
	it := tx.txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if string(item.Key()) == keyApplied {
			continue
		}
		h.Write(item.Key())
		h.Write([]byte{0})
		// The digest is over the plain JSON values, so replicas that store a
		// value compressed and uncompressed, or a visit as JSON and binary (a
		// rolling upgrade), still agree.
		err := item.Value(func(b []byte) error {
			plain, err := digestValue(b)
			h.Write(plain)
			return err
		})
		if err != nil {
			return v, err
		}
		h.Write([]byte{0})
	}
	v.Digest = hex.EncodeToString(h.Sum(nil))
	sort.Strings(v.Problems)
	return v, nil
}
