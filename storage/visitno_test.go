package storage

import (
	"testing"

	"github.com/provgate/provgate/settlement"
)

const (
	vnHospital = "H15010100001"
	vnCert     = "150826198003150018"
)

// decide runs one request through settlement.Process on a real transaction
// and writes its changes, as the state machine does.
func decide(t *testing.T, s *Store, req settlement.Request, index uint64) (settlement.Outcome, error) {
	t.Helper()
	var out settlement.Outcome
	var refusal error
	mustUpdate(t, s, func(tx *Tx) error {
		o, ch, err := settlement.Process(tx, req, settlement.Stamp{UnixMilli: 1767232800000, Index: index})
		if settlement.AsError(err) != nil {
			refusal = err
			return nil
		}
		if err != nil {
			return err
		}
		out = o
		return tx.ApplyChanges(ch)
	})
	return out, refusal
}

func visitNoStore(t *testing.T) *Store {
	t.Helper()
	s := mustOpen(t, t.TempDir())
	mustUpdate(t, s, func(tx *Tx) error {
		for _, h := range []settlement.Hospital{{Code: vnHospital, Admdvs: "150100"}, {Code: "H15010100002", Admdvs: "150100"}} {
			if err := tx.PutHospital(h); err != nil {
				return err
			}
		}
		return tx.PutPerson(settlement.Person{PsnNo: "P1", CertNo: vnCert,
			Insurances: []settlement.Insurance{{Insutype: "310", Status: "1", InsuredAdmdvs: "150826"}}})
	})
	return s
}

// register opens an outpatient visit the way the non-national formats do:
// person by certificate, visit by the hospital's number.
func register(hospital, visitNo string) settlement.Request {
	return settlement.Request{Kind: settlement.KindRegister, Hospital: hospital, TreatAdmdvs: "150100",
		Ref:      &settlement.HospitalRef{CertType: "02", CertNo: vnCert, VisitNo: visitNo},
		Register: &settlement.Registration{Insutype: "310", Begntime: "2026-01-01 09:00:00"}}
}

func TestVisitNumberIndex(t *testing.T) {
	s := visitNoStore(t)
	first, err := decide(t, s, register(vnHospital, "MZ1"), 10)
	if err != nil {
		t.Fatal(err)
	}
	second, err := decide(t, s, register(vnHospital, "MZ1"), 11) // the number reused on a later visit
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decide(t, s, register("H15010100002", "MZ1"), 12); err != nil { // another hospital, same number
		t.Fatal(err)
	}
	// An update of the older visit (cancelling it by its mdtrt_id) must not
	// take the number back.
	cancelOld := settlement.Request{Kind: settlement.KindCancelRegister, Hospital: vnHospital, TreatAdmdvs: "150100",
		VisitRef: &settlement.VisitRef{PsnNo: "P1", MdtrtID: first.Visit.MdtrtID}}
	if _, err := decide(t, s, cancelOld, 13); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hospital, number, want string
		ok                     bool
	}{
		{vnHospital, "MZ1", second.Visit.MdtrtID, true},
		{"H15010100002", "MZ1", "", true}, // checked below: not this hospital's visit
		{vnHospital, "MZ2", "", false},
		{"H15010100003", "MZ1", "", false},
	}
	s.View(func(tx *Tx) error {
		for _, tt := range tests {
			got, ok, err := tx.VisitByNumber(tt.hospital, tt.number)
			if err != nil || ok != tt.ok || (tt.want != "" && got != tt.want) {
				t.Errorf("VisitByNumber(%s, %s) = %q, %v, %v; want %q, %v", tt.hospital, tt.number, got, ok, err, tt.want, tt.ok)
			}
			if tt.hospital == "H15010100002" && (got == first.Visit.MdtrtID || got == second.Visit.MdtrtID) {
				t.Errorf("another hospital's number resolves to %s", got)
			}
		}
		return nil
	})

	// The number resolves inside the state machine: 2202 by number only
	// cancels the newest visit.
	cancelByNumber := settlement.Request{Kind: settlement.KindCancelRegister, Hospital: vnHospital, TreatAdmdvs: "150100",
		Ref: &settlement.HospitalRef{CertNo: vnCert, VisitNo: "MZ1"}, VisitRef: &settlement.VisitRef{}}
	out, err := decide(t, s, cancelByNumber, 14)
	if err != nil || out.Visit.MdtrtID != second.Visit.MdtrtID || out.Visit.State != settlement.VisitCancelled {
		t.Errorf("2202 by visit number: %+v, %v; want %s cancelled", out.Visit, err, second.Visit.MdtrtID)
	}
	unknown := cancelByNumber
	unknown.Ref = &settlement.HospitalRef{CertNo: vnCert, VisitNo: "MZ9"}
	if _, err := decide(t, s, unknown, 15); settlement.AsError(err) == nil || settlement.AsError(err).Code != settlement.CodeVisitNotFound {
		t.Errorf("unknown visit number: %v, want %s", err, settlement.CodeVisitNotFound)
	}
}

// TestVisitNumberIndexIsReplicatedState checks that the index travels in
// snapshots and counts in the state digest replicas compare.
func TestVisitNumberIndexIsReplicatedState(t *testing.T) {
	src := visitNoStore(t)
	reg, err := decide(t, src, register(vnHospital, "MZ1"), 10)
	if err != nil {
		t.Fatal(err)
	}
	var before Verification
	src.View(func(tx *Tx) (err error) { before, err = tx.Verify(); return err })
	dst := mustOpen(t, t.TempDir())
	if _, _, err := dst.Restore(snapshotOf(t, src)); err != nil {
		t.Fatal(err)
	}
	dst.View(func(tx *Tx) error {
		if got, ok, err := tx.VisitByNumber(vnHospital, "MZ1"); !ok || err != nil || got != reg.Visit.MdtrtID {
			t.Errorf("after restore MZ1 = %q, %v, %v; want %s", got, ok, err, reg.Visit.MdtrtID)
		}
		after, err := tx.Verify()
		if err != nil || after.Digest != before.Digest {
			t.Errorf("digest after restore %s, before %s (%v)", after.Digest, before.Digest, err)
		}
		return nil
	})
	// A replica without the index entry would differ: the digest covers it.
	mustUpdate(t, dst, func(tx *Tx) error { return tx.txn.Delete(key(prefixVisitNo, vnHospital, "MZ1")) })
	dst.View(func(tx *Tx) error {
		if v, _ := tx.Verify(); v.Digest == before.Digest {
			t.Error("the state digest does not cover the visit-number index")
		}
		return nil
	})
}
