package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
	"pgregory.net/rapid"
)

// The tape must read every message it takes exactly as fastjson's tree
// does: the same steps, the same reply fields, the same refusal with the
// same path. decode(body, true) is the tree's reading of the same body.

// scans reports whether the scan takes body (after the byte order mark
// Decode drops).
func scans(body []byte) bool {
	d := docs.Get().(*doc)
	defer d.release()
	_, ok := d.scan(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	return ok
}

// agree fails t when the tape and the tree read body differently.
func agree(t interface {
	Helper()
	Fatalf(string, ...any)
}, body []byte) {
	t.Helper()
	got, gotErr := decode(body, false)
	want, wantErr := decode(body, true)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%s\ntape: %v\ntree: %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\ntape: %+v\ntree: %+v", body, got, want)
	}
}

func goldenBodies(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob("testdata/decode/*.json")
	if len(files) == 0 {
		t.Fatal("no messages in testdata/decode")
	}
	bodies := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		bodies[name] = b
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			bodies[name+" (compact)"] = compact.Bytes()
		}
	}
	return bodies
}

func TestTapeAgreesOnTheGoldens(t *testing.T) {
	for name, b := range goldenBodies(t) {
		t.Run(name, func(t *testing.T) {
			agree(t, b)
			// Every accepted message and every refusal past the JSON is
			// the tape's to read; only the charset and syntax errors (and
			// the GBK file) are not JSON it can take.
			if !strings.HasPrefix(name, "err-charset") && !strings.HasPrefix(name, "err-truncated") && !scans(b) {
				t.Errorf("%s takes the fallback", name)
			}
		})
	}
}

// jv is a JSON value kept as written: members in order (repeats allowed)
// and numbers as their text, for the variations to change.
type jv struct {
	kind byte // { [ " n (number) t f 0 (null)
	text string
	keys []string
	vals []*jv
}

func parseJV(dec *json.Decoder) (*jv, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		v := &jv{kind: byte(x)}
		for dec.More() {
			if x == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
			}
			e, err := parseJV(dec)
			if err != nil {
				return nil, err
			}
			v.vals = append(v.vals, e)
		}
		_, err := dec.Token()
		return v, err
	case string:
		return &jv{kind: '"', text: x}, nil
	case json.Number:
		return &jv{kind: 'n', text: string(x)}, nil
	case bool:
		if x {
			return &jv{kind: 't'}, nil
		}
		return &jv{kind: 'f'}, nil
	case nil:
		return &jv{kind: '0'}, nil
	}
	return nil, errors.New("unexpected token")
}

// containers lists every object and array under v.
func (v *jv) containers(out []*jv) []*jv {
	if v.kind == '{' || v.kind == '[' {
		out = append(out, v)
	}
	for _, e := range v.vals {
		out = e.containers(out)
	}
	return out
}

// odd values a member may be replaced with: every JSON type, values the
// readers refuse, and spellings only fastjson takes.
var oddValues = []string{`null`, `true`, `false`, `0`, `-1`, `1.5`, `2`, `1e2`, `01`, `1.`, `NaN`, `-Inf`, `""`, `"x"`,
	`"2026-03-02"`, `"2026-03-02T08:30:00Z"`, `"12.345"`, `"CNY"`, `"USD"`, `{}`, `[]`, `[null]`, `[true]`, `[1]`,
	`{"reference":"#pat"}`, `{"value":1}`, `"#enc"`, `"\u0041"`, `"a\"b"`, `"\/"`, `[{}]`, `99999999999999999999`}

// mutatedGolden draws one of the golden messages and mutates it between
// least and most times.
func mutatedGolden(t *rapid.T, bodies map[string][]byte, names []string, least, most int) *jv {
	name := rapid.SampledFrom(names).Draw(t, "message")
	dec := json.NewDecoder(bytes.NewReader(bodies[name]))
	dec.UseNumber()
	v, err := parseJV(dec)
	if err != nil {
		t.Fatal(err)
	}
	for range rapid.IntRange(least, most).Draw(t, "mutations") {
		v.mutate(t)
	}
	return v
}

func (v *jv) mutate(t *rapid.T) {
	all := v.containers(nil)
	c := rapid.SampledFrom(all).Draw(t, "container")
	if len(c.vals) == 0 {
		return
	}
	i := rapid.IntRange(0, len(c.vals)-1).Draw(t, "at")
	switch rapid.IntRange(0, 7).Draw(t, "mutation") {
	case 0: // drop a member or element
		c.vals = append(c.vals[:i], c.vals[i+1:]...)
		if c.kind == '{' {
			c.keys = append(c.keys[:i], c.keys[i+1:]...)
		}
	case 1, 2: // another value
		c.vals[i] = &jv{kind: 'r', text: rapid.SampledFrom(oddValues).Draw(t, "value")}
	case 3: // the member again, with another value, before or after
		if c.kind == '{' {
			dup := &jv{kind: 'r', text: rapid.SampledFrom(oddValues).Draw(t, "value")}
			at := i + rapid.IntRange(0, 1).Draw(t, "after")
			c.keys = append(c.keys[:at], append([]string{c.keys[i]}, c.keys[at:]...)...)
			c.vals = append(c.vals[:at], append([]*jv{dup}, c.vals[at:]...)...)
		}
	case 4: // an array given as its lone element, or a value as an array
		if e := c.vals[i]; e.kind == '[' && len(e.vals) > 0 {
			c.vals[i] = e.vals[0]
		} else {
			c.vals[i] = &jv{kind: '[', vals: []*jv{e}}
		}
	case 5: // a string changed
		if e := c.vals[i]; e.kind == '"' {
			e.text = rapid.SampledFrom([]string{"", e.text + "x", strings.ToUpper(e.text), e.text[:len(e.text)/2], "内科"}).Draw(t, "string")
		}
	case 6: // a number spelt otherwise
		if e := c.vals[i]; e.kind == 'n' {
			e.text = rapid.SampledFrom([]string{e.text + ".0", e.text + "e0", "-" + e.text, e.text + "0", "0" + e.text}).Draw(t, "number")
		}
	case 7: // a key spelt otherwise
		if c.kind == '{' {
			c.keys[i] = rapid.SampledFrom([]string{strings.ToUpper(c.keys[i]), c.keys[i] + "x", "resourceType"}).Draw(t, "key")
		}
	}
}

// render writes v with white space drawn by t and, with esc, escapes.
func (v *jv) render(t *rapid.T, b *strings.Builder, esc bool) {
	ws := func() { b.WriteString(rapid.SampledFrom([]string{"", "", "", " ", "\n  ", "\t"}).Draw(t, "ws")) }
	str := func(s string) {
		if esc && s != "" && rapid.IntRange(0, 15).Draw(t, "escape") == 0 {
			// One character escaped: fastjson unescapes it, the scan
			// steps aside.
			k := rapid.IntRange(0, len(s)-1).Draw(t, "escaped")
			if s[k] < 0x80 {
				head, _ := json.Marshal(s[:k])
				b.Write(head[:len(head)-1])
				b.WriteString(`\u00` + strconv.FormatInt(int64(s[k])>>4, 16) + strconv.FormatInt(int64(s[k])&15, 16))
				rest, _ := json.Marshal(s[k+1:])
				b.Write(rest[1:])
				return
			}
		}
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	switch v.kind {
	case '{', '[':
		b.WriteByte(v.kind)
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			if v.kind == '{' {
				str(v.keys[i])
				ws()
				b.WriteByte(':')
				ws()
			}
			e.render(t, b, esc)
			ws()
		}
		if v.kind == '{' {
			b.WriteByte('}')
		} else {
			b.WriteByte(']')
		}
	case '"':
		str(v.text)
	case 'n', 'r':
		b.WriteString(v.text)
	case 't':
		b.WriteString("true")
	case 'f':
		b.WriteString("false")
	case '0':
		b.WriteString("null")
	}
}

func TestTapeAgreesOnVariations(t *testing.T) {
	bodies := goldenBodies(t)
	var names []string
	for name, b := range bodies {
		if json.Valid(b) && !strings.Contains(name, "compact") {
			names = append(names, name)
		}
	}
	var taken, all int
	rapid.Check(t, func(t *rapid.T) {
		v := mutatedGolden(t, bodies, names, 0, 3)
		var b strings.Builder
		b.WriteString(rapid.SampledFrom([]string{"", "", " ", "\xef\xbb\xbf"}).Draw(t, "lead"))
		v.render(t, &b, rapid.IntRange(0, 3).Draw(t, "escapes") == 0)
		body := []byte(b.String())
		if rapid.IntRange(0, 20).Draw(t, "cut") == 0 {
			body = body[:rapid.IntRange(0, len(body)).Draw(t, "cut at")]
		}
		all++
		if scans(body) {
			taken++
		}
		agree(t, body)
	})
	if taken < all/2 {
		t.Errorf("the scan took %d of %d variations", taken, all)
	}
}

// TestScanRefuses checks what the scan leaves to fastjson, and that a
// body it takes is one fastjson parses to the same values.
func TestScanRefuses(t *testing.T) {
	for _, body := range []string{``, ` `, `{`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`,
		`{"a":-}`, `{"a":1e}`, `{"a":NaN}`, `{"a":nan}`, `{"a":inf}`, `{"a":tru}`, `{"a":truex}`, `{"a":1-2}`,
		`{"a":"\u0041"}`, `{"\u0061":1}`, `{"a":"b"} x`, `{"a":"b`, `{a:1}`, `{"a":1}}`,
		strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1)} {
		if scans([]byte(body)) {
			t.Errorf("the scan takes %q", body)
		}
	}
	for _, body := range []string{`{}`, `[]`, ` {"a" : [ 1 , -2.5e+3 , "x" , true , false , null , {} , [] ] } `,
		"{\"a\":\"\x01\"}", `{"a":1,"a":2}`, `"x"`, `0`} {
		if !scans([]byte(body)) {
			t.Errorf("the scan does not take %q", body)
			continue
		}
		d := docs.Get().(*doc)
		tape, _ := d.scan([]byte(body))
		var p = parsers.Get()
		tree, err := p.Parse(body)
		if err != nil {
			t.Fatalf("%q: fastjson: %v", body, err)
		}
		if got, want := dump(tape), dump(d.adopt(tree)); got != want {
			t.Errorf("%q: tape %s, tree %s", body, got, want)
		}
		parsers.Put(p)
		d.release()
	}
}

// dump writes what the readers can see of v.
func dump(v *node) string {
	var b strings.Builder
	var walk func(v *node)
	walk = func(v *node) {
		b.WriteString(v.Type().String())
		switch v.Type() {
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			b.WriteString(strconv.Quote(string(s)))
		case fastjson.TypeNumber:
			b.Write(v.numeral())
			n, err := v.Int()
			b.WriteString(strconv.Itoa(n) + strconv.FormatBool(err == nil))
		case fastjson.TypeObject:
			if a := v.Get("a"); a != nil {
				b.WriteString("a:")
				walk(a)
			}
		case fastjson.TypeArray:
			a, _ := v.Array()
			b.WriteByte('[')
			for _, x := range a {
				walk(x)
				b.WriteByte(',')
			}
			b.WriteByte(']')
		}
	}
	walk(v)
	return b.String()
}

// TestScanStrings checks the string scan, which tests eight bytes at a
// time, at every length and position around those eight.
func TestScanStrings(t *testing.T) {
	for n := 0; n < 20; n++ {
		s := strings.Repeat("é", n)[:n] // bytes with the high bit set, cut anywhere
		body := []byte(`["` + s + `"]`)
		d := docs.Get().(*doc)
		root, ok := d.scan(body)
		if !ok {
			t.Fatalf("%q: not taken", body)
		}
		a, _ := root.Array()
		if got, _ := a[0].StringBytes(); string(got) != s {
			t.Errorf("%q: read %q", body, got)
		}
		d.release()
		for k := 0; k < n; k++ {
			esc := []byte(`["` + s[:k] + `\n` + s[k:] + `"]`)
			if scans(esc) {
				t.Errorf("%q: taken with a backslash at %d", esc, k)
			}
			cut := []byte(`["` + s[:k])
			if scans(cut) {
				t.Errorf("%q: taken without its closing quote", cut)
			}
		}
	}
}
