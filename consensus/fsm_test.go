package consensus

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

// uploaded registers a visit and uploads Example 3's fees (msgids M1, M2).
func uploaded(t *testing.T, n *testNode) (mdtrtID string) {
	t.Helper()
	a, err := n.Submit(context.Background(), register("M1"))
	must(t, err)
	_, err = n.Submit(context.Background(), example3Fees("M2", a.Outcome.Visit.MdtrtID))
	must(t, err)
	return a.Outcome.Visit.MdtrtID
}

// flow registers a visit, uploads Example 3's fees and settles them.
func flow(t *testing.T, n *testNode) (mdtrtID string, rec settlement.Record) {
	t.Helper()
	ctx := context.Background()
	a, err := n.Submit(ctx, register("M1"))
	must(t, err)
	mdtrtID = a.Outcome.Visit.MdtrtID
	_, err = n.Submit(ctx, example3Fees("M2", mdtrtID))
	must(t, err)
	a, err = n.Submit(ctx, settle("M3", mdtrtID))
	must(t, err)
	return mdtrtID, *a.Outcome.Record
}

func wantCode(t *testing.T, err error, code settlement.Code) *settlement.Error {
	t.Helper()
	e := settlement.AsError(err)
	if e == nil || e.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return e
}

func TestSettlementFlowIsExample3(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	_, rec := flow(t, n)
	a := rec.Amounts
	if a.Hifp != yuan("11165") || a.PsnPart != yuan("6835") || a.AcctPay != yuan("6835") || a.PsnCash != 0 || a.Balc != yuan("3165") {
		t.Errorf("settlement %+v is not Example 3", a)
	}
	if rec.PolicyRef != "450100/310@2024.1" || rec.CatalogRef != "450200@2024.1" || rec.Filing != settlement.FilingTempOther {
		t.Errorf("record references %s %s %s", rec.PolicyRef, rec.CatalogRef, rec.Filing)
	}
}

func TestIdempotentReplay(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	mdtrtID, rec := flow(t, n)
	again, err := n.Submit(context.Background(), settle("M3", mdtrtID))
	must(t, err)
	if !again.Replayed {
		t.Error("the retry was not marked as a replay")
	}
	if !reflect.DeepEqual(*again.Outcome.Record, rec) {
		t.Errorf("replayed answer differs:\n got %+v\nwant %+v", *again.Outcome.Record, rec)
	}
	// The replay left the state alone: the account was charged once.
	n.store.View(func(tx *storage.Tx) error {
		if b, _ := tx.Balance("PSN001"); b != yuan("3165") {
			t.Errorf("balance after replay = %s, want 3165.00", b)
		}
		return nil
	})
}

func TestSameMsgIDDifferentBody(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	mdtrtID, _ := flow(t, n)
	other := settle("M3", mdtrtID)
	other.Digest = "something else"
	_, err := n.Submit(context.Background(), other)
	wantCode(t, err, settlement.CodeMsgIDConflict)
}

func TestSecondSettlementNamesTheFirst(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	mdtrtID, rec := flow(t, n)
	_, err := n.Submit(context.Background(), settle("M4-new-msgid", mdtrtID))
	e := wantCode(t, err, settlement.CodeAlreadySettled)
	if want := rec.SetlID; !contains(e.ZH, want) || !contains(e.EN, want) {
		t.Errorf("refusal %q does not name setl_id %s", e.Error(), want)
	}
}

func TestCancelMirrorsAndRestores(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	mdtrtID, rec := flow(t, n)
	a, err := n.Submit(ctx, cancel("C1", rec.SetlID, mdtrtID))
	must(t, err)
	m := a.Outcome.Record
	if m.Cancels != rec.SetlID || m.SetlID == rec.SetlID {
		t.Fatalf("mirror %s cancels %q", m.SetlID, m.Cancels)
	}
	if m.Amounts.Medfee != -rec.Amounts.Medfee || m.Amounts.Hifp != -rec.Amounts.Hifp || m.Amounts.AcctPay != -rec.Amounts.AcctPay ||
		m.Amounts.ActPayDedc != -rec.Amounts.ActPayDedc || m.Deltas != rec.Deltas.Neg() {
		t.Errorf("mirror is not the negation:\n%+v\n%+v", m.Amounts, rec.Amounts)
	}
	if m.Amounts.Balc != yuan("10000") {
		t.Errorf("balance on the cancellation = %s, want 10000.00", m.Amounts.Balc)
	}
	n.store.View(func(tx *storage.Tx) error {
		acc, _ := tx.Accumulators("PSN001", "310", rec.Year)
		if acc != (settlement.Accumulators{}) {
			t.Errorf("accumulators after cancel = %+v, want zero", acc)
		}
		if b, _ := tx.Balance("PSN001"); b != yuan("10000") {
			t.Errorf("balance after cancel = %s", b)
		}
		orig, _, _ := tx.Record(rec.SetlID)
		if orig.CancelledBy != m.SetlID {
			t.Errorf("original not marked cancelled: %q", orig.CancelledBy)
		}
		return nil
	})
	// Cancelling again with a new msgid is refused and names the cancellation.
	_, err = n.Submit(ctx, cancel("C2", rec.SetlID, mdtrtID))
	e := wantCode(t, err, settlement.CodeAlreadyCancelled)
	if !contains(e.EN, m.SetlID) {
		t.Errorf("refusal %q does not name the cancellation %s", e.EN, m.SetlID)
	}
	// The batch is open again: settling anew starts from the restored figures.
	again, err := n.Submit(ctx, settle("M5", mdtrtID))
	must(t, err)
	if again.Outcome.Record.Amounts != rec.Amounts {
		t.Errorf("resettlement differs from the first: %+v", again.Outcome.Record.Amounts)
	}
}

func TestRefusalWritesNothing(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	tests := []struct {
		name string
		req  settlement.Request
		code settlement.Code
	}{
		{"unknown hospital", func() settlement.Request { r := register("X1"); r.Hospital = "H99999999999"; return r }(), settlement.CodeUnknownHospital},
		{"unknown person", func() settlement.Request { r := register("X2"); r.Register.PsnNo = "NOBODY"; return r }(), settlement.CodeUnknownPerson},
		{"unknown visit", example3Fees("X3", "M450200nothere"), settlement.CodeVisitNotFound},
		{"settle without fees", settle("X4", "M450200nothere"), settlement.CodeVisitNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dump(t, n.store)
			_, err := n.Submit(ctx, tt.req)
			wantCode(t, err, tt.code)
			if after := dump(t, n.store); !reflect.DeepEqual(before, after) {
				t.Errorf("a refusal changed the state")
			}
		})
	}
}

func TestMedfeeMustBalance(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	id := uploaded(t, n)
	r := settle("M3", id)
	r.Settle.Medfee = yuan("17999.99")
	_, err := n.Submit(ctx, r)
	wantCode(t, err, settlement.CodeAmountsMismatch)
	// After the refusal, the same msgid with the corrected body settles.
	_, err = n.Submit(ctx, settle("M3-fixed", id))
	must(t, err)
}

// TestReplayedEntriesAreSkipped feeds the state machine an entry at or below
// the applied index, as raft does after a restart, and checks that it
// changes nothing.
func TestReplayedEntriesAreSkipped(t *testing.T) {
	store, err := storage.Open(t.TempDir(), storage.Options{})
	must(t, err)
	defer store.Close()
	f, err := newFSM(store, nil)
	must(t, err)
	entry := func(index uint64, name string) *raft.Log {
		data, _ := encode(cmdPutPerson, settlement.Person{PsnNo: "P", CertNo: "1", Name: name,
			Insurances: []settlement.Insurance{{Insutype: "310", PsnType: "11", Status: "1", InsuredAdmdvs: region}}})
		return &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data}
	}
	f.ApplyBatch([]*raft.Log{entry(10, "first")})
	f.ApplyBatch([]*raft.Log{entry(9, "older"), entry(10, "replayed")})
	store.View(func(tx *storage.Tx) error {
		p, _, _ := tx.Person("P")
		if p.Name != "first" {
			t.Errorf("a replayed entry was applied again: name %q", p.Name)
		}
		idx, _, _ := tx.Applied()
		if idx != 10 {
			t.Errorf("applied index = %d, want 10", idx)
		}
		return nil
	})
	f.ApplyBatch([]*raft.Log{entry(10, "replayed"), entry(11, "next")})
	store.View(func(tx *storage.Tx) error {
		if p, _, _ := tx.Person("P"); p.Name != "next" {
			t.Errorf("the entry after the replayed one was not applied: %q", p.Name)
		}
		return nil
	})
}

// TestRestartKeepsEverything closes a node after a settlement and starts it
// again on the same directories: raft replays its log into a state machine
// that has applied it already.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	seed(t, n)
	mdtrtID, rec := flow(t, n)
	applied := n.Status().AppliedIndex
	n.stop()

	n = startNode(t, dir)
	ctx := context.Background()
	again, err := n.Submit(ctx, settle("M3", mdtrtID))
	must(t, err)
	if !again.Replayed || !reflect.DeepEqual(*again.Outcome.Record, rec) {
		t.Errorf("after restart the msgid's answer changed: replayed=%v", again.Replayed)
	}
	n.store.View(func(tx *storage.Tx) error {
		acc, _ := tx.Accumulators("PSN001", "310", rec.Year)
		if acc != rec.Deltas {
			t.Errorf("accumulators after restart = %+v, want %+v", acc, rec.Deltas)
		}
		if b, _ := tx.Balance("PSN001"); b != yuan("3165") {
			t.Errorf("balance after restart = %s", b)
		}
		return nil
	})
	if s := n.Status(); s.AppliedIndex <= applied {
		t.Errorf("applied index %d did not move past %d", s.AppliedIndex, applied)
	}
	_, err = n.Submit(ctx, settle("M9", mdtrtID))
	wantCode(t, err, settlement.CodeAlreadySettled)
}

func TestLinearizableRead(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	r := request(settlement.KindPersonInfo, "R1")
	r.Person = &settlement.PersonQuery{CertType: "02", CertNo: "450101198001011234"}
	a, err := n.Read(context.Background(), r)
	must(t, err)
	if a.Outcome.Person == nil || a.Outcome.Person.Person.PsnNo != "PSN001" || a.Outcome.Person.Balance != yuan("10000") {
		t.Errorf("1101 answer %+v", a.Outcome.Person)
	}
}

// dump returns every key and value of the state except the applied index,
// which moves with every entry, read from a snapshot stream.
func dump(t *testing.T, s *storage.Store) map[string]string {
	t.Helper()
	snap, err := s.Snapshot()
	must(t, err)
	var buf bytes.Buffer
	_, err = snap.WriteTo(&buf)
	snap.Release()
	must(t, err)
	r := bytes.NewReader(buf.Bytes()[8+16:]) // magic, index and term
	out := map[string]string{}
	for {
		kl, err := binary.ReadUvarint(r)
		must(t, err)
		if kl == 0 {
			return out
		}
		k := make([]byte, kl)
		io.ReadFull(r, k)
		vl, err := binary.ReadUvarint(r)
		must(t, err)
		v := make([]byte, vl)
		io.ReadFull(r, v)
		if string(k) != "m/applied" {
			out[string(k)] = string(v)
		}
	}
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

func TestPreSettlementEqualsSettlementAndWritesNothing(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	id := uploaded(t, n)
	pre := settle("P1", id)
	pre.Kind = settlement.KindPreSettle
	before := dump(t, n.store)
	preview, err := n.Read(ctx, pre)
	must(t, err)
	if after := dump(t, n.store); !reflect.DeepEqual(before, after) {
		t.Error("pre-settlement changed the state")
	}
	real, err := n.Submit(ctx, settle("M3", id))
	must(t, err)
	p, r := *preview.Outcome.Record, *real.Outcome.Record
	if p.SetlID != "" || p.Amounts != r.Amounts || !reflect.DeepEqual(p.Details, r.Details) || p.Deltas != r.Deltas {
		t.Errorf("pre-settlement differs from settlement:\n%+v\n%+v", p.Amounts, r.Amounts)
	}
}

func TestChronicDiseaseNeedsRecognition(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	chronic := func(dise, suffix string) (*settlement.Record, error) {
		a, err := n.Submit(ctx, register("R"+suffix))
		must(t, err)
		id := a.Outcome.Visit.MdtrtID
		fees := example3Fees("F"+suffix, id)
		for i := range fees.Fees.Lines {
			fees.Fees.Lines[i].DiseCodg = dise
		}
		_, err = n.Submit(ctx, fees)
		must(t, err)
		s := settle("S"+suffix, id)
		s.Settle.MedType = "14"
		a, err = n.Submit(ctx, s)
		return a.Outcome.Record, err
	}
	rec, err := chronic("M03900", "1")
	must(t, err)
	// Hypertension: no deductible, 90% of 17,150.00 capped at the 5,000.00 annual limit.
	if rec.Amounts.Hifp != yuan("5000") || rec.Deltas.Chronic[0].Paid != yuan("5000") || rec.Deltas.Outpatient.Paid != 0 {
		t.Errorf("chronic settlement %+v, deltas %+v", rec.Amounts, rec.Deltas)
	}
	_, err = chronic("M01600", "2") // diabetes: no rule in the policy
	wantCode(t, err, settlement.CodeMedTypeNotCovered)
}

func TestChronicDiseaseNotRecognised(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	p := settlement.Person{PsnNo: "PSN002", CertNo: "450101198001012222",
		Insurances: []settlement.Insurance{{Insutype: "310", PsnType: "11", Status: "1", InsuredAdmdvs: region}}}
	must(t, n.PutPerson(ctx, p))
	r := register("X1")
	r.Register.PsnNo = "PSN002"
	a, err := n.Submit(ctx, r)
	must(t, err)
	id := a.Outcome.Visit.MdtrtID
	fees := example3Fees("X2", id)
	for i := range fees.Fees.Lines {
		fees.Fees.Lines[i].PsnNo, fees.Fees.Lines[i].DiseCodg = "PSN002", "M03900"
	}
	_, err = n.Submit(ctx, fees)
	must(t, err)
	s := settle("X3", id)
	s.Settle.PsnNo, s.Settle.MedType = "PSN002", "14"
	_, err = n.Submit(ctx, s)
	wantCode(t, err, settlement.CodeChronicNotRecog)
}

func TestCrossRegionNeedsANetworkHospital(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	req := func(r settlement.Request) settlement.Request { r.Hospital = offNetwork; return r }
	a, err := n.Submit(ctx, req(register("N1")))
	must(t, err)
	id := a.Outcome.Visit.MdtrtID
	_, err = n.Submit(ctx, req(example3Fees("N2", id)))
	must(t, err)
	_, err = n.Submit(ctx, req(settle("N3", id)))
	wantCode(t, err, settlement.CodeNotInNetwork)
}

// TestReconcileDetailsAndIsolation checks 3202's four results per record
// and that another hospital can read none of these records.
func TestReconcileDetailsAndIsolation(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	_, rec1 := flow(t, n)
	a, err := n.Submit(ctx, register("R2"))
	must(t, err)
	id2 := a.Outcome.Visit.MdtrtID
	_, err = n.Submit(ctx, example3Fees("F2", id2))
	must(t, err)
	a, err = n.Submit(ctx, settle("S2", id2))
	must(t, err)
	rec2 := *a.Outcome.Record

	date := rec1.SetlTime[:10]
	q := request(settlement.KindReconDetails, "Q1")
	q.Recon = &settlement.Reconciliation{ClrType: "11", SetlOptins: "450200", Begin: date, End: date, Details: []settlement.ReconDetail{
		{SetlID: rec1.SetlID, Medfee: rec1.Amounts.Medfee, FundPay: rec1.Amounts.FundPay, AcctPay: rec1.Amounts.AcctPay},     // balanced
		{SetlID: rec2.SetlID, Medfee: rec2.Amounts.Medfee, FundPay: rec2.Amounts.FundPay - 1, AcctPay: rec2.Amounts.AcctPay}, // different
		{SetlID: "S-HIS-ONLY", Medfee: 100}, // only at the hospital
	}}
	ans, err := n.Read(ctx, q)
	must(t, err)
	got := map[string]string{}
	for _, r := range ans.Outcome.Recon.Rows {
		got[r.SetlID] = r.Result
	}
	want := map[string]string{rec1.SetlID: settlement.ReconBalanced, rec2.SetlID: settlement.ReconDifferent, "S-HIS-ONLY": settlement.ReconOnlyHospital}
	if !reflect.DeepEqual(got, want) || ans.Outcome.Recon.Balanced {
		t.Errorf("3202 rows %v, want %v", got, want)
	}
	q.Recon.Details = q.Recon.Details[:1]
	ans, err = n.Read(ctx, q)
	must(t, err)
	for _, r := range ans.Outcome.Recon.Rows {
		if r.SetlID == rec2.SetlID && r.Result != settlement.ReconOnlyCentre {
			t.Errorf("a record the hospital did not send: %s, want only at the centre", r.Result)
		}
	}

	// Another hospital sees none of it.
	other := request(settlement.KindSetlQuery, "O1")
	other.Hospital = offNetwork
	other.SetlQuery = &settlement.CancelRequest{SetlID: rec1.SetlID, MdtrtID: rec1.MdtrtID, PsnNo: "PSN001"}
	_, err = n.Read(ctx, other)
	wantCode(t, err, settlement.CodeSettlementNotFound)
	cancelOther := cancel("O2", rec1.SetlID, rec1.MdtrtID)
	cancelOther.Hospital = offNetwork
	_, err = n.Submit(ctx, cancelOther)
	wantCode(t, err, settlement.CodeSettlementNotFound)
	feesOther := example3Fees("O3", rec1.MdtrtID)
	feesOther.Hospital = offNetwork
	_, err = n.Submit(ctx, feesOther)
	wantCode(t, err, settlement.CodeVisitNotFound)
	recon := request(settlement.KindReconTotals, "O4")
	recon.Hospital = offNetwork
	recon.Recon = &settlement.Reconciliation{ClrType: "11", SetlOptins: "450200", Begin: date, End: date}
	ans, err = n.Read(ctx, recon)
	must(t, err)
	if ans.Outcome.Recon.Count != 0 {
		t.Errorf("another hospital's reconciliation counts %d records", ans.Outcome.Recon.Count)
	}
}

// TestReadRightAfterElection reads before any write in a new term: the last
// committed entry is then the election's no-op or a barrier, which the state
// machine never sees, and must not hold the read back.
func TestReadRightAfterElection(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	seed(t, n)
	n.stop()
	n = startNode(t, dir)
	r := request(settlement.KindPersonInfo, "R1")
	r.Person = &settlement.PersonQuery{CertType: "02", CertNo: "450101198001011234"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := n.Read(ctx, r); err != nil {
		t.Fatalf("read after election: %v", err)
	}
}

// TestRetryAcrossTheDigestUpgrade: an answer stored before the content
// digest's second version keeps the first version's digest; a retry after
// the upgrade carries the second version and is still a retry (through
// the Raft log, so the first version is recomputed from the request as the
// log returns it), while other content or another format is a conflict.
func TestRetryAcrossTheDigestUpgrade(t *testing.T) {
	n := startNode(t, t.TempDir())
	seed(t, n)
	ctx := context.Background()
	mdtrtID := uploaded(t, n)
	old := settle("M3", mdtrtID)
	old.Digest = settlement.LegacyContentDigest("delimited", old)
	first, err := n.Submit(ctx, old)
	must(t, err)

	retry := settle("M3", mdtrtID)
	retry.Digest = settlement.ContentDigest("delimited", retry)
	again, err := n.Submit(ctx, retry)
	must(t, err)
	if !again.Replayed || !reflect.DeepEqual(again.Outcome.Record, first.Outcome.Record) {
		t.Errorf("a retry after the upgrade was not replayed: %+v", again)
	}

	other := settle("M3", mdtrtID)
	other.Settle.Invono = "INV-2"
	other.Digest = settlement.ContentDigest("delimited", other)
	_, err = n.Submit(ctx, other)
	wantCode(t, err, settlement.CodeMsgIDConflict)

	otherFormat := settle("M3", mdtrtID)
	otherFormat.Digest = settlement.ContentDigest("hl7v2", otherFormat)
	_, err = n.Submit(ctx, otherFormat)
	wantCode(t, err, settlement.CodeMsgIDConflict)
}

// TestPendingIntentAcrossTheDigestUpgrade: the same for a cross-province
// write still waiting for the insured place, in both directions: stored
// before the upgrade and retried after it, and stored by an upgraded node
// and retried through one not yet upgraded (first-version digest).
func TestPendingIntentAcrossTheDigestUpgrade(t *testing.T) {
	store, err := storage.Open("", storage.Options{InMemory: true})
	must(t, err)
	defer store.Close()
	req := settle("M3", "M1")
	other := settle("M3", "M1")
	other.Settle.Medfee++
	v1, v2 := settlement.LegacyContentDigest, settlement.ContentDigest
	for _, c := range []struct {
		name           string
		stored, digest func(string, settlement.Request) string
		req            settlement.Request
		format         string
		pending        bool
	}{
		{"stored before, same content", v1, v2, req, "fhir", true},
		{"stored before, other content", v1, v2, other, "fhir", false},
		{"stored before, other format", v1, v2, req, "hl7v2", false},
		{"retried through an old node, same content", v2, v1, req, "fhir", true},
		{"retried through an old node, other content", v2, v1, other, "fhir", false},
		{"retried through an old node, other format", v2, v1, req, "hl7v2", false},
	} {
		in := settlement.Intent{Hospital: req.Hospital, MsgID: req.MsgID, Kind: req.Kind,
			Digest: c.stored("fhir", req), Stamp: settlement.Stamp{UnixMilli: 1, Index: 7}}
		must(t, store.Update(func(tx *storage.Tx) error { return tx.ApplyChanges(settlement.Changes{Intent: &in}) }))
		c.req.Digest = c.digest(c.format, c.req)
		must(t, store.Update(func(tx *storage.Tx) error {
			res, err := applyRequest(tx, c.req, settlement.Stamp{UnixMilli: 2, Index: 8})
			if err != nil {
				return err
			}
			switch {
			case c.pending && (res.err != nil || res.outcome.Pending == nil || res.outcome.Pending.MsgID != "M3"):
				t.Errorf("%s: %+v, want the pending intent", c.name, res)
			case !c.pending && (res.err == nil || res.err.Code != settlement.CodeMsgIDConflict):
				t.Errorf("%s: %+v, want a msgid conflict", c.name, res)
			}
			return nil
		}))
	}
}
