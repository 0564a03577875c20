package goldenfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provgate/provgate/settlement"
)

// Decodes is the decode-golden test every adapter shares. It runs decode on
// each testdata/decode/*<ext> input (at least min of them) and compares what
// decode printed with testdata/decode/<name>.golden. Inputs named err-* must
// be refused with a domain error (what a hospital is told), every other one
// accepted. decode returns the bytes to compare in both cases: the decoded
// requests, or the refusal as the format reports it.
func Decodes(t *testing.T, ext string, min int, decode func(t *testing.T, body []byte) (got []byte, refusal error)) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "decode", "*"+ext))
	if len(files) < max(min, 1) {
		t.Fatalf("only %d golden inputs in testdata/decode", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ext)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decode(t, body)
			wantRefusal := strings.HasPrefix(name, "err-")
			switch {
			case err != nil && settlement.AsError(err) == nil:
				t.Fatalf("refusal is not a domain error: %v", err)
			case err != nil && !wantRefusal:
				t.Fatalf("unexpected refusal %v", err)
			case err == nil && wantRefusal:
				t.Fatal("a bad message was accepted")
			}
			Check(t, filepath.Join("testdata", "decode", name+".golden"), got)
		})
	}
}

// Reason is what a refusal tells the hospital: the domain error's message,
// or, for an error that is not one (which Decodes then fails), its text.
func Reason(err error) string {
	if e := settlement.AsError(err); e != nil {
		return e.Error()
	}
	return err.Error()
}

// JSON is v indented, with a final newline: how decoded requests and
// refusals are printed for the golden files.
func JSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // test values always marshal
	}
	return append(b, '\n')
}
