package storage

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/provgate/provgate/settlement"
)

// referenceFields lists every field, anywhere inside a type, that shares
// memory when the struct is copied (slices, maps, pointers, interfaces).
func referenceFields(t reflect.Type, path string, out *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := t.Name() + "." + f.Name
			if f.Anonymous {
				p = path
			}
			referenceFields(f.Type, p, out)
		}
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		*out = append(*out, path)
		if t.Kind() == reflect.Slice {
			referenceFields(t.Elem(), path+"[]", out)
		}
	}
}

// The clones must copy every reference field, or a caller changing the value
// it was given would change the cached one. Adding such a field to these
// types fails here until the clone copies it.
func TestHotClonesCoverEveryReferenceField(t *testing.T) {
	cases := []struct {
		value  any
		copied []string
	}{
		{settlement.Visit{}, []string{"Visit.Diagnoses", "Visit.Batches", "Batch.Lines", "Visit.Settlements"}},
		{settlement.Hospital{}, []string{"Hospital.Formats", "Hospital.MLLPSources"}},
		{settlement.Person{}, []string{"Person.Insurances", "Person.Identities", "Person.Filings", "Person.Chronic", "Person.Fixed"}},
		{settlement.Accumulators{}, nil},
	}
	for _, c := range cases {
		var got []string
		referenceFields(reflect.TypeOf(c.value), "", &got)
		got = slices.DeleteFunc(got, func(s string) bool { return s == "" })
		if !slices.Equal(got, c.copied) {
			t.Errorf("%T has reference fields %q; the clone copies %q", c.value, got, c.copied)
		}
	}
}

func hotVisit() settlement.Visit {
	return settlement.Visit{MdtrtID: "M1", PsnNo: "P1", Hospital: "H1", IptOtpNo: "MZ1", State: settlement.VisitRegistered,
		Diagnoses: []settlement.Diagnosis{{Code: "J00"}}, Settlements: []string{"S1"},
		Batches: []settlement.Batch{{ChrgBchno: "CB1", Lines: []settlement.LineSplit{{Name: "挂号", Inscp: 1200}}}}}
}

func TestHotCacheAnswersOnlyWhatIsStored(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	read := func() settlement.Visit {
		t.Helper()
		var v settlement.Visit
		if err := s.View(func(tx *Tx) error {
			var ok bool
			var err error
			v, ok, err = tx.Visit("M1")
			if err == nil && !ok {
				err = errors.New("visit not found")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	put := func(v settlement.Visit) error {
		return s.Update(func(tx *Tx) error { return tx.ApplyChanges(settlement.Changes{Visit: &v}) })
	}
	v := hotVisit()
	if err := put(v); err != nil {
		t.Fatal(err)
	}
	// The caller's value changing after the write does not reach the cache.
	v.Batches[0].Lines[0].Inscp = 1

	tests := []struct {
		name   string
		change func()
		want   settlement.Fen
		state  settlement.VisitState
	}{
		{"first read", func() {}, 1200, settlement.VisitRegistered},
		{"a reader changing its copy", func() {
			got := read()
			got.Batches[0].Lines[0].Inscp = 7
			got.Settlements[0] = "X"
		}, 1200, settlement.VisitRegistered},
		{"a rolled-back write", func() {
			w := hotVisit()
			w.State = settlement.VisitCancelled
			err := s.Update(func(tx *Tx) error {
				if err := tx.ApplyChanges(settlement.Changes{Visit: &w}); err != nil {
					return err
				}
				return errors.New("refused after writing")
			})
			if err == nil {
				t.Fatal("update did not fail")
			}
		}, 1200, settlement.VisitRegistered},
		{"a committed write", func() {
			w := hotVisit()
			w.State = settlement.VisitCancelled
			w.Batches[0].Lines[0].Inscp = 900
			if err := put(w); err != nil {
				t.Fatal(err)
			}
		}, 900, settlement.VisitCancelled},
	}
	for _, tt := range tests {
		tt.change()
		got := read()
		if got.Batches[0].Lines[0].Inscp != tt.want || got.State != tt.state || got.Settlements[0] != "S1" {
			t.Errorf("after %s: inscp %d state %s settlements %v; want %d %s [S1]", tt.name,
				got.Batches[0].Lines[0].Inscp, got.State, got.Settlements, tt.want, tt.state)
		}
	}
}

// A view opened before a write keeps seeing the value of its own time even
// though the cache already holds the newer one.
func TestHotCacheKeepsReadViewsConsistent(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	v := hotVisit()
	mustUpdate(t, s, func(tx *Tx) error { return tx.ApplyChanges(settlement.Changes{Visit: &v}) })
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	old := &Tx{txn: txn, hot: &s.hot}
	w := hotVisit()
	w.State = settlement.VisitCancelled
	mustUpdate(t, s, func(tx *Tx) error { return tx.ApplyChanges(settlement.Changes{Visit: &w}) })
	got, _, err := old.Visit("M1")
	if err != nil || got.State != settlement.VisitRegistered {
		t.Fatalf("older view read state %s, %v; want REGISTERED", got.State, err)
	}
}
