package storage

import (
	"bytes"
	"errors"
	"testing"

	"github.com/provgate/provgate/settlement"
)

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// snapshotOf writes a snapshot of s into a buffer.
func snapshotOf(t *testing.T, s *Store) *bytes.Buffer {
	t.Helper()
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func mustUpdate(t *testing.T, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func policy(version, from string, ratio settlement.BP) settlement.Policy {
	return settlement.Policy{InsuredAdmdvs: "450100", Insutype: "310", Version: version, EffectiveFrom: from,
		UnfiledAction: "REJECT", MedTypes: []settlement.MedTypeRule{{MedTypes: []string{"11"},
			Deductible: settlement.DeductibleRule{Mode: settlement.DeductibleAnnual, Standards: []settlement.Standard{{Amount: 100}}},
			Pool:       settlement.PoolRule{AnnualCap: 1000, BandSets: []settlement.BandSet{{Bands: []settlement.Band{{RatioBP: ratio}}}}}}}}
}

func TestPolicyVersionInForce(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	mustUpdate(t, s, func(tx *Tx) error {
		for _, p := range []settlement.Policy{policy("v1", "2023-01-01", 7000), policy("v2", "2024-07-01", 8000)} {
			if err := tx.PutPolicy(p); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		date, want string
		ok         bool
	}{
		{"2022-12-31", "", false},
		{"2023-01-01", "v1", true},
		{"2024-06-30", "v1", true},
		{"2024-07-01", "v2", true},
		{"2030-01-01", "v2", true},
	}
	for _, tt := range tests {
		s.View(func(tx *Tx) error {
			p, ok, err := tx.PolicyAt("450100", "310", tt.date)
			if err != nil || ok != tt.ok || p.Version != tt.want {
				t.Errorf("PolicyAt(%s) = %q, %v, %v; want %q, %v", tt.date, p.Version, ok, err, tt.want, tt.ok)
			}
			if _, ok, _ := tx.PolicyAt("450100", "390", tt.date); ok {
				t.Errorf("PolicyAt found a policy for another insurance type")
			}
			return nil
		})
	}
	// Re-applying the same version is a no-op; changing it is refused.
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutPolicy(policy("v1", "2023-01-01", 7000)) })
	err := s.Update(func(tx *Tx) error { return tx.PutPolicy(policy("v1", "2023-01-01", 9000)) })
	if e := settlement.AsError(err); e == nil || e.Code != settlement.CodeVersionConflict {
		t.Errorf("changing a published version: %v, want %s", err, settlement.CodeVersionConflict)
	}
}

func TestPersonBalanceSurvivesUpdate(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	p := settlement.Person{PsnNo: "P1", CertNo: "450101199001011234", CardNo: "C1", AccountBalance: 10000}
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutPerson(p) })
	mustUpdate(t, s, func(tx *Tx) error {
		return tx.ApplyChanges(settlement.Changes{Balance: &settlement.BalanceUpdate{PsnNo: "P1", Balance: 2500}})
	})
	p.Name, p.CardNo = "renamed", "C2"
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutPerson(p) })
	s.View(func(tx *Tx) error {
		if b, _ := tx.Balance("P1"); b != 2500 {
			t.Errorf("balance after person update = %d, want 2500 (settlements own it)", b)
		}
		if got, ok, _ := tx.PersonByCert("C2"); !ok || got.Name != "renamed" {
			t.Errorf("lookup by new card failed: %+v %v", got, ok)
		}
		if _, ok, _ := tx.PersonByCert("C1"); ok {
			t.Error("old card number still finds the person")
		}
		return nil
	})
	other := settlement.Person{PsnNo: "P2", CertNo: p.CertNo}
	if err := s.Update(func(tx *Tx) error { return tx.PutPerson(other) }); err == nil {
		t.Error("a second person with the same ID number was accepted")
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := settlement.Record{SetlID: "S1", PsnNo: "P1", Amounts: settlement.Amounts{Medfee: 1800000}}
	mustUpdate(t, s, func(tx *Tx) error {
		if err := tx.ApplyChanges(settlement.Changes{Records: []settlement.Record{rec}}); err != nil {
			return err
		}
		return tx.SetApplied(42, 3)
	})
	s.Close()
	s = mustOpen(t, dir)
	idx, term, err := s.Applied()
	if err != nil || idx != 42 || term != 3 {
		t.Errorf("applied = %d/%d %v, want 42/3", idx, term, err)
	}
	s.View(func(tx *Tx) error {
		recs, err := tx.RecordsOfPerson("P1")
		if err != nil || len(recs) != 1 || recs[0].Amounts.Medfee != 1800000 {
			t.Errorf("records after reopen: %+v %v", recs, err)
		}
		return nil
	})
}

func TestSnapshotRoundTripAndSwap(t *testing.T) {
	src := mustOpen(t, t.TempDir())
	mustUpdate(t, src, func(tx *Tx) error {
		for _, p := range []settlement.Person{{PsnNo: "A", CertNo: "1", AccountBalance: 5}, {PsnNo: "B", CertNo: "2"}} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		return tx.SetApplied(7, 2)
	})
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// A write after the snapshot was taken must not be in it.
	done := make(chan error)
	go func() {
		done <- src.Update(func(tx *Tx) error { return tx.PutPerson(settlement.Person{PsnNo: "C", CertNo: "3"}) })
	}()
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	dst := mustOpen(t, dir)
	mustUpdate(t, dst, func(tx *Tx) error { return tx.PutPerson(settlement.Person{PsnNo: "OLD", CertNo: "9"}) })
	idx, term, err := dst.Restore(bytes.NewReader(buf.Bytes()))
	if err != nil || idx != 7 || term != 2 {
		t.Fatalf("restore = %d/%d %v", idx, term, err)
	}
	check := func(s *Store) {
		t.Helper()
		s.View(func(tx *Tx) error {
			for psn, want := range map[string]bool{"A": true, "B": true, "C": false, "OLD": false} {
				if _, ok, _ := tx.Person(psn); ok != want {
					t.Errorf("person %s present = %v, want %v", psn, ok, want)
				}
			}
			if b, _ := tx.Balance("A"); b != 5 {
				t.Errorf("balance of A = %d, want 5", b)
			}
			return nil
		})
	}
	check(dst)
	// The swapped-in directory is the live one after a restart.
	dst.Close()
	check(mustOpen(t, dir))
}

func TestRestoreRefusesCorruptSnapshot(t *testing.T) {
	src := mustOpen(t, t.TempDir())
	mustUpdate(t, src, func(tx *Tx) error { return tx.PutPerson(settlement.Person{PsnNo: "A", CertNo: "1"}) })
	snap, _ := src.Snapshot()
	var buf bytes.Buffer
	snap.WriteTo(&buf)
	snap.Release()
	good := buf.Bytes()

	flipped := append([]byte{}, good...)
	flipped[len(snapshotMagic)+20] ^= 0xff
	cases := map[string][]byte{
		"truncated":      good[:len(good)/2],
		"bit flipped":    flipped,
		"not a snapshot": []byte("hello"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dst := mustOpen(t, t.TempDir())
			mustUpdate(t, dst, func(tx *Tx) error { return tx.PutPerson(settlement.Person{PsnNo: "LIVE", CertNo: "x"}) })
			if _, _, err := dst.Restore(bytes.NewReader(data)); !errors.Is(err, ErrBadSnapshot) {
				t.Errorf("restore error = %v, want ErrBadSnapshot", err)
			}
			dst.View(func(tx *Tx) error {
				if _, ok, _ := tx.Person("LIVE"); !ok {
					t.Error("a failed restore damaged the live state")
				}
				return nil
			})
		})
	}
}

// A transaction remembers which version is in force, and forgets it when it
// stores a new version: a batch that imports a policy and then settles
// uses the new one.
func TestVersionInForceAfterImportInTheSameTransaction(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutPolicy(policy("v1", "2023-01-01", 7000)) })
	mustUpdate(t, s, func(tx *Tx) error {
		for _, step := range []struct {
			put  *settlement.Policy
			want string
		}{
			{nil, "v1"},
			{nil, "v1"},
			{&settlement.Policy{}, "v2"},
		} {
			if step.put != nil {
				if err := tx.PutPolicy(policy("v2", "2024-07-01", 8000)); err != nil {
					return err
				}
			}
			p, ok, err := tx.PolicyAt("450100", "310", "2025-01-01")
			if err != nil || !ok || p.Version != step.want {
				t.Errorf("PolicyAt = %q, %v, %v; want %s", p.Version, ok, err, step.want)
			}
		}
		return nil
	})
}
