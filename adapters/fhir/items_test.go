package fhir

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// sameMembers fails t when, for some object of body's tape, the one walk
// of findMembers or pair finds other members than looking each key up, or
// fastLine takes it as an item and reads it otherwise than feeLine.
func sameMembers(t interface {
	Helper()
	Fatalf(string, ...any)
}, body []byte) {
	t.Helper()
	d := docs.Get().(*doc)
	defer d.release()
	if _, ok := d.scan(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))); !ok {
		return
	}
	for i := range d.nodes {
		x := &d.nodes[i]
		if x.kind != kObject {
			continue
		}
		walked, looked := findMembers(x), lookMembers(x)
		if walked != looked {
			t.Fatalf("%s\nobject %d: walk %+v, lookups %+v", body, i, walked, looked)
		}
		for _, keys := range [][2]string{{"system", "code"}, {"value", "currency"}} {
			x1, x2 := pair(x, keys[0], keys[1])
			if x1 != get(x, keys[0]) || x2 != get(x, keys[1]) {
				t.Fatalf("%s\nobject %d: pair %q differs from get", body, i, keys)
			}
		}
		sameLine(t, body, x)
	}
}

// sameLine fails t when fastLine takes the object x as an item and reads
// it otherwise than feeLine.
func sameLine(t interface {
	Helper()
	Fatalf(string, ...any)
}, body []byte, x *node) {
	t.Helper()
	v := visit{begin: "2026-03-02 08:30:00"}
	var fast, slow settlement.FeeLine
	seq, ok := fastLine(x, v, "B1", &fast)
	if !ok {
		if fast != (settlement.FeeLine{}) {
			t.Fatalf("%s\nobject %d: fastLine declined but wrote %+v", body, x.vs, fast)
		}
		return
	}
	want, err := feeLine(x, v, diagSet{}, "B1", &slow)
	if err != nil || want != seq || fast != slow {
		t.Fatalf("%s\nobject %d: fastLine %d %+v, feeLine %d %+v %v", body, x.vs, seq, fast, want, slow, err)
	}
}

// TestFastLineTakesTheGoldens checks that the usual items of the goldens
// are read by fastLine (else it would only be slower): all but those with
// a diagnosisSequence, which it leaves to feeLine.
func TestFastLineTakesTheGoldens(t *testing.T) {
	for name, b := range goldenBodies(t) {
		if !strings.HasSuffix(name, "claim") || strings.HasPrefix(name, "err") {
			continue
		}
		d := docs.Get().(*doc)
		root, ok := d.scan(b)
		if !ok {
			t.Fatalf("%s: not scanned", name)
		}
		c := root
		if rt := raw(root, "resourceType"); string(rt) == "Bundle" {
			entries, _ := list(root, "entry")
			c = get(entries[0], "resource")
		}
		items, _ := list(c, "item")
		if len(items) == 0 {
			t.Fatalf("%s: no items", name)
		}
		for i, it := range items {
			var l settlement.FeeLine
			if _, ok := fastLine(it, visit{}, "", &l); !ok && get(it, "diagnosisSequence") == nil {
				t.Errorf("%s: item %d left to feeLine", name, i)
			}
		}
		d.release()
	}
}

func TestItemMembersOnTheGoldens(t *testing.T) {
	for name, b := range goldenBodies(t) {
		t.Run(name, func(t *testing.T) { sameMembers(t, b) })
	}
	// Repeated keys, nulls, keys feeLine does not read.
	sameMembers(t, []byte(`{"net":null,"net":{"value":1},"sequence":1,"sequence":2,"x":3,"factor":null}`))
	sameMembers(t, []byte(`{"quantity":{"value":1},"quantity":null,"Net":1,"nett":2,"":3}`))
	sameMembers(t, []byte(`{"code":null,"system":"a","code":"b","system":"c","value":1,"currency":null,"currency":"CNY"}`))
}

// TestItemMembersOnVariations checks findMembers against the lookups, and the
// tape against the tree, on goldens mutated as TestTapeAgreesOnVariations
// does, on the messages with items.
func TestItemMembersOnVariations(t *testing.T) {
	bodies := goldenBodies(t)
	var names []string
	for name, b := range bodies {
		if json.Valid(b) && !strings.Contains(name, "compact") && bytes.Contains(b, []byte(`"item"`)) {
			names = append(names, name)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		v := mutatedGolden(t, bodies, names, 1, 4)
		var b strings.Builder
		v.render(t, &b, false)
		body := []byte(b.String())
		sameMembers(t, body)
		agree(t, body)
	})
}

// TestFastDecimal checks that where fastDecimal reads a number, settlement's
// parsers read the same value.
func TestFastDecimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringMatching(`-?[0-9]{0,16}(\.[0-9]{0,6})?([eE][0-9])?`).Draw(t, "number")
		for _, scale := range []int{2, 4} {
			v, ok := fastDecimal([]byte(s), scale)
			if !ok {
				continue
			}
			var want int64
			var err error
			if scale == 2 {
				var f settlement.Fen
				f, err = settlement.ParseFen(s)
				want = int64(f)
			} else {
				var q settlement.Qty
				q, err = settlement.ParseQty(s)
				want = int64(q)
			}
			if err != nil || v != want {
				t.Fatalf("%q scale %d: fastDecimal %d, settlement %d %v", s, scale, v, want, err)
			}
		}
	})
	for _, s := range []string{"12400.0", "2500", "0.01", "9999999999999.99", "1.5"} {
		if _, ok := fastDecimal([]byte(s), 2); !ok {
			t.Errorf("%q not read", s)
		}
	}
}
