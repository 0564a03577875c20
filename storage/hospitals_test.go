package storage

import (
	"testing"

	"github.com/provgate/provgate/settlement"
)

// TestHospitalByPaasIDSeesEveryWrite: the store remembers hospitals found
// by paas id, and each way a hospital changes (an update, disabling it, a
// new paas id, storing another replica's writes, a restore) is seen by the
// next lookup.
func TestHospitalByPaasIDSeesEveryWrite(t *testing.T) {
	base := settlement.Hospital{Code: "H1", Name: "甲医院", Admdvs: "150100", PaasID: "paas-1", Token: "secret"}
	put := func(s *Store, h settlement.Hospital) {
		mustUpdate(t, s, func(tx *Tx) error { return tx.PutHospital(h) })
	}
	cases := []struct {
		name   string
		change func(t *testing.T, s *Store)
		paasID string
		want   func(h settlement.Hospital, ok bool) bool
	}{
		{"renamed", func(t *testing.T, s *Store) {
			h := base
			h.Name = "乙医院"
			put(s, h)
		}, "paas-1", func(h settlement.Hospital, ok bool) bool { return ok && h.Name == "乙医院" }},
		{"disabled", func(t *testing.T, s *Store) {
			h := base
			h.Disabled = true
			put(s, h)
		}, "paas-1", func(h settlement.Hospital, ok bool) bool { return ok && h.Disabled }},
		{"old paas id after a new one", func(t *testing.T, s *Store) {
			h := base
			h.PaasID = "paas-2"
			put(s, h)
		}, "paas-1", func(_ settlement.Hospital, ok bool) bool { return !ok }},
		{"another replica's writes", func(t *testing.T, s *Store) {
			other := mustOpen(t, t.TempDir())
			var ws []Write
			mustUpdate(t, other, func(tx *Tx) error {
				tx.RecordWrites()
				h := base
				h.Name = "丙医院"
				err := tx.PutHospital(h)
				ws = tx.TakeWrites()
				return err
			})
			mustUpdate(t, s, func(tx *Tx) error { return tx.ApplyWrites(ws) })
		}, "paas-1", func(h settlement.Hospital, ok bool) bool { return ok && h.Name == "丙医院" }},
		{"restored from a snapshot", func(t *testing.T, s *Store) {
			other := mustOpen(t, t.TempDir())
			h := base
			h.Name = "丁医院"
			put(other, h)
			if _, _, err := s.Restore(snapshotOf(t, other)); err != nil {
				t.Fatal(err)
			}
		}, "paas-1", func(h settlement.Hospital, ok bool) bool { return ok && h.Name == "丁医院" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t, t.TempDir())
			put(s, base)
			h, ok, err := s.HospitalByPaasID("paas-1")
			if err != nil || !ok || h.Name != base.Name {
				t.Fatalf("before: %+v %v %v", h, ok, err)
			}
			h.Formats = append(h.Formats, "changed by the caller")
			tc.change(t, s)
			h, ok, err = s.HospitalByPaasID(tc.paasID)
			if err != nil || !tc.want(h, ok) {
				t.Fatalf("after: %+v %v %v", h, ok, err)
			}
		})
	}
}

func TestUnknownPaasIDsAreNotRemembered(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	for _, id := range []string{"a", "b", "c"} {
		if _, ok, err := s.HospitalByPaasID(id); ok || err != nil {
			t.Fatalf("%s: %v %v", id, ok, err)
		}
	}
	n := 0
	s.hospitals.Range(func(_, _ any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d unknown paas ids remembered", n)
	}
}
