package nhsa

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// The one pass must decode exactly as the general path does, refusals
// included, or step aside.

func goldenBodies(t testing.TB) [][]byte {
	paths, _ := filepath.Glob("testdata/decode/*.json")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return append(out, fees20(t))
}

// checkOnePass fails when the one pass, taking body, decodes it otherwise
// than the general path.
func checkOnePass(t interface {
	Helper()
	Fatalf(string, ...any)
}, body []byte, pathInfno string) (handled bool) {
	t.Helper()
	got, handled, gotErr := decodeOnePass(body, pathInfno)
	if !handled {
		return false
	}
	want, wantErr := decodeGeneral(body, pathInfno)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: one pass refuses with %v, general path with %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\none pass %+v\ngeneral  %+v", body, got, want)
	}
	return true
}

func TestOnePassTakesTheGoldens(t *testing.T) {
	for _, b := range goldenBodies(t) {
		if !checkOnePass(t, b, "") && !bytes.Contains(b, []byte(`"input":null`)) && bytes.HasPrefix(b, []byte("{")) {
			t.Logf("general path: %.80s", b)
		}
	}
	if !checkOnePass(t, fees20(t), "") || !checkOnePass(t, fees20(t), "2204") {
		t.Error("the benchmark's 20-line upload takes the general path")
	}
}

// mutate changes a golden body the ways HIS software and accidents do:
// white space, case, escapes, duplicated or dropped members, changed
// values, cut or spliced bytes.
func mutate(t *rapid.T, b []byte) []byte {
	b = append([]byte{}, b...)
	for range rapid.IntRange(1, 4).Draw(t, "mutations") {
		if len(b) == 0 {
			return b
		}
		i := rapid.IntRange(0, len(b)-1).Draw(t, "at")
		switch rapid.IntRange(0, 7).Draw(t, "how") {
		case 0: // white space
			b = insert(b, i, rapid.SampledFrom([]string{" ", "\n", "\t ", "\r\n"}).Draw(t, "ws"))
		case 1: // a token or fragment
			b = insert(b, i, rapid.SampledFrom([]string{`"`, `\`, `\u0041`, `\n`, ",", ":", "{", "}", "[", "]", "null",
				`"x":1,`, `"infno":"2207",`, `"feedetl_sn":"9",`, `"input":{},`, "\x01", "\xff", "内", "-", "0", "1e5", "true"}).Draw(t, "token"))
		case 2: // delete a run
			j := min(len(b), i+rapid.IntRange(1, 30).Draw(t, "len"))
			b = append(b[:i], b[j:]...)
		case 3: // flip a letter's case
			if 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		case 4: // change a digit
			if '0' <= b[i] && b[i] <= '9' {
				b[i] = byte('0' + rapid.IntRange(0, 9).Draw(t, "digit"))
			}
		case 5: // cut
			b = b[:i]
		case 6: // repeat a run (a duplicated member, line or value)
			j := min(len(b), i+rapid.IntRange(1, 200).Draw(t, "len"))
			b = insert(b, j, string(b[i:j]))
		case 7: // quote or unquote a number
			if k := bytes.IndexAny(b[i:], "0123456789"); k >= 0 {
				b = insert(b, i+k, `"`)
			}
		}
	}
	return b
}

func insert(b []byte, i int, s string) []byte {
	return append(b[:i], append([]byte(s), b[i:]...)...)
}

func TestOnePassAgreesWithTheGeneralPath(t *testing.T) {
	bodies := goldenBodies(t)
	var taken, total int
	rapid.Check(t, func(t *rapid.T) {
		body := mutate(t, rapid.SampledFrom(bodies).Draw(t, "golden"))
		path := rapid.SampledFrom([]string{"", "", "2204", "2207", "2304"}).Draw(t, "path infno")
		total++
		if checkOnePass(t, body, path) {
			taken++
		}
	})
	t.Logf("the one pass took %d of %d mutated bodies", taken, total)
}

// TestOnePassReadsFeeLinesAsTheGeneralPath wraps generated feedetail
// arrays (keys in any order, repeated, unknown or misspelt, values of
// every JSON kind, white space anywhere) in the golden 2204's envelope.
func TestOnePassReadsFeeLinesAsTheGeneralPath(t *testing.T) {
	golden := goldenBody(t, "2204")
	head := golden[:bytes.Index(golden, []byte(`"input":`))]
	var taken, total int
	rapid.Check(t, func(t *rapid.T) {
		var body []byte
		body = append(body, head...)
		body = append(body, `"input":{"feedetail":`...)
		body = append(body, genFeeDetail(t)...)
		body = append(body, rapid.SampledFrom([]string{"}}", ` } }`, `,"data":{"x":[1,{"y":null}]}}}`, "}}\n"}).Draw(t, "end")...)
		total++
		if checkOnePass(t, body, rapid.SampledFrom([]string{"", "2204", "2304"}).Draw(t, "path infno")) {
			taken++
		}
	})
	t.Logf("the one pass took %d of %d", taken, total)
}

func goldenBody(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/decode/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
