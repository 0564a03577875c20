package storage

import (
	"bytes"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"
	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

func genIdem() *rapid.Generator[IdemEntry] {
	str := rapid.OneOf(rapid.Just(""), rapid.StringMatching(`[0-9A-Z:]{1,40}`), rapid.String())
	return rapid.Custom(func(t *rapid.T) IdemEntry {
		e := IdemEntry{Kind: settlement.Kind(str.Draw(t, "kind")), Digest: str.Draw(t, "digest"),
			Stamp:     settlement.Stamp{UnixMilli: rapid.Int64().Draw(t, "ms"), Index: rapid.Uint64().Draw(t, "index")},
			Tombstone: rapid.Bool().Draw(t, "tombstone")}
		e.Outcome.Reversed, e.Outcome.FilingSn = str.Draw(t, "reversed"), str.Draw(t, "filing")
		v := genVisit().Draw(t, "visit")
		switch rapid.IntRange(0, 3).Draw(t, "lines") {
		case 1:
			e.Outcome.Lines = []settlement.LineSplit{}
		case 2:
			for _, b := range v.Batches {
				e.Outcome.Lines = append(e.Outcome.Lines, b.Lines...)
			}
		}
		if rapid.Bool().Draw(t, "has visit") {
			e.Outcome.Visit = &v
		}
		if rapid.Bool().Draw(t, "has record") {
			e.Outcome.Record = &settlement.Record{SetlID: str.Draw(t, "setl"), PsnName: str.Draw(t, "name"),
				Year: rapid.IntRange(2000, 2100).Draw(t, "year"), AcctDelta: settlement.Fen(rapid.Int64Range(-1e9, 1e9).Draw(t, "acct")),
				Trace: []string{str.Draw(t, "trace")}}
			e.Outcome.Record.Amounts.Medfee = settlement.Fen(rapid.Int64Range(0, 1e9).Draw(t, "medfee"))
		}
		return e
	})
}

// An idempotency entry decodes to exactly what was stored (a retry gets the
// same answer), encodes to the same bytes every time, and its digest form
// is the JSON an older version stored.
func TestIdemCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genIdem().Draw(t, "entry")
		out := storeAndRead(t, e)
		// The record goes through JSON, as it always did: compare it so.
		wantJSON, _ := json.Marshal(e)
		if gotJSON, _ := json.Marshal(out); !bytes.Equal(gotJSON, wantJSON) {
			t.Fatalf("round trip changed the entry:\n got %s\nwant %s", gotJSON, wantJSON)
		}
		if !reflect.DeepEqual(out.Outcome.Lines, e.Outcome.Lines) || !reflect.DeepEqual(out.Outcome.Visit, e.Outcome.Visit) {
			t.Fatal("lines or visit differ after the round trip")
		}
		var fromJSON IdemEntry // an entry an older version stored
		if err := decodeValue(wantJSON, &fromJSON); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIdemCodecRefusesDamage(t *testing.T) {
	e := IdemEntry{Kind: "2204", Digest: "2:nhsa:ab", Outcome: settlement.Outcome{Lines: []settlement.LineSplit{
		{FeeLine: settlement.FeeLine{FeedetlSn: "1", MdtrtID: "M1", PsnNo: "P1", Amount: 2500}}}}}
	good := appendIdem(nil, &e)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"newer version": append([]byte{idemMark, idemVersion + 1}, good[2:]...),
		"truncated":     good[:len(good)-1],
		"trailing byte": append(bytes.Clone(good), 0),
		"unknown flag":  func() []byte { c := bytes.Clone(good); c[2+1+4+1+9+1+1] = 0x80; return c }(),
	} {
		var out IdemEntry
		if err := decodeIdem(b, &out); err == nil {
			t.Errorf("%s: decoded damaged bytes into %+v", name, out)
		}
	}
	var wrong settlement.Visit
	if err := decodeValue(good, &wrong); err == nil {
		t.Fatal("an idempotency value decoded as a visit")
	}
}

func FuzzDecodeIdem(f *testing.F) {
	v := settlement.Visit{MdtrtID: "M1", PsnNo: "P1", Batches: []settlement.Batch{{ChrgBchno: "B1"}}}
	f.Add(appendIdem(nil, &IdemEntry{Kind: "2201", Outcome: settlement.Outcome{Visit: &v}}))
	f.Add(appendIdem(nil, &IdemEntry{Kind: "2204", Outcome: settlement.Outcome{Lines: []settlement.LineSplit{
		{FeeLine: settlement.FeeLine{FeedetlSn: "1", MdtrtID: "M1"}}}}}))
	f.Add(appendIdem(nil, &IdemEntry{Kind: "2207", Outcome: settlement.Outcome{Record: &settlement.Record{SetlID: "S1"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out IdemEntry
		if decodeIdem(b, &out) != nil {
			return
		}
		var again IdemEntry
		if err := decodeIdem(appendIdem(nil, &out), &again); err != nil {
			t.Fatalf("re-encoding a decoded entry: %v", err)
		}
	})
}
