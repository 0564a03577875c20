package fhir

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// sameMembers fails t when, for some object of body's tape, the one walk
// of findMembers or pair finds other members than looking each key up.
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
