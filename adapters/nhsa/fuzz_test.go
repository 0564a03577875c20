package nhsa

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// FuzzDecode: whatever the bytes, Decode neither panics nor hangs, a
// refusal is a *settlement.Error, the fee-line scanner, when it takes a
// feedetail at all, reads it exactly as the JSON package does, and the one
// pass, when it takes a body, decodes it exactly as the general path. Seeds are
// the golden requests, the benchmark's 20-line upload and its feedetail.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/decode/*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(fees20(f))
	f.Add(fees20Detail(f)) // the scanner's own input, a feedetail array
	r := Receiver{Admdvs: "150000"}
	f.Fuzz(func(t *testing.T, body []byte) {
		if lines, ok := scanFeeLines(body); ok {
			var want []feeLine
			if err := gojson.Unmarshal(body, &want); err != nil {
				t.Fatalf("scanned, but the decoder refuses it: %v", err)
			}
			if len(lines) != len(want) || len(lines) > 0 && !reflect.DeepEqual(lines, want) {
				t.Fatalf("scanned %+v\ndecoded %+v", lines, want)
			}
		}
		checkOnePass(t, body, "")
		m, err := Decode(body, "")
		if err != nil {
			e := settlement.AsError(err)
			if e == nil {
				t.Fatalf("refusal %T is not a *settlement.Error: %v", err, err)
			}
			r.EncodeError(e, time.Unix(0, 0), 1)
			return
		}
		if m.Request.Fees != nil {
			lines := make([]settlement.LineSplit, len(m.Request.Fees.Lines))
			for i, l := range m.Request.Fees.Lines {
				lines[i] = settlement.LineSplit{FeeLine: l}
			}
			if _, err := r.Encode(m.Request.Kind, settlement.Answer{Outcome: settlement.Outcome{Lines: lines}}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
