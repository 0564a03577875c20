package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/provgate/provgate/internal/cpubench"
	"github.com/provgate/provgate/settlement"
)

// measure is cpubench.Measure: besides ns/op, the CPU time per op and
// the messages per second of one core it stands for.
func measure(b *testing.B, f func()) { cpubench.Measure(b, f) }

// typical is the outpatient Claim of the reference day (register, visit
// information, three fee lines, settle) as a HIS sends it: compact JSON,
// 3.9 KB. The file in testdata is indented for people to read.
func typical(b *testing.B) []byte {
	body, err := os.ReadFile("testdata/decode/outpatient-claim.json")
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		b.Fatal(err)
	}
	return compact.Bytes()
}

// twentyLines is the same Claim with 20 fee lines.
func twentyLines(b *testing.B) []byte {
	var claim map[string]any
	if err := json.Unmarshal(typical(b), &claim); err != nil {
		b.Fatal(err)
	}
	items := claim["item"].([]any)
	var all []any
	for i := 0; i < 20; i++ {
		it := map[string]any{}
		for k, v := range items[i%len(items)].(map[string]any) {
			it[k] = v
		}
		it["sequence"] = i + 1
		all = append(all, it)
	}
	claim["item"] = all
	delete(claim, "total")
	body, _ := json.Marshal(claim)
	return body
}

func benchDecode(b *testing.B, body []byte) {
	b.SetBytes(int64(len(body)))
	measure(b, func() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	})
}

func benchEncode(b *testing.B, body []byte) {
	m, err := Decode(body)
	if err != nil {
		b.Fatal(err)
	}
	answers := synthetic(m)
	measure(b, func() {
		if _, err := m.Encode(answers); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDecodeSettle(b *testing.B) { benchDecode(b, typical(b)) }
func BenchmarkDecodeFees20(b *testing.B) { benchDecode(b, twentyLines(b)) }
func BenchmarkEncodeSettle(b *testing.B) { benchEncode(b, typical(b)) }
func BenchmarkEncodeFees20(b *testing.B) { benchEncode(b, twentyLines(b)) }

// BenchmarkRoundTrip is one message through the adapter: decode, then
// encode the reply to its answers. Settle is the typical outpatient Claim
// (register, visit, three fee lines, settle), Fees20 the same Claim with
// 20 items. The target is 50,000 a second on one core (20 µs).
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"Settle", typical(b)}, {"Fees20", twentyLines(b)}} {
		b.Run(c.name, func(b *testing.B) {
			m, err := Decode(c.body)
			if err != nil {
				b.Fatal(err)
			}
			answers := synthetic(m)
			measure(b, func() {
				m, err := Decode(c.body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Encode(answers); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkDigest is the part of decoding spent in settlement.ContentDigest
// (one per step).
func BenchmarkDigest(b *testing.B) {
	m, _ := Decode(typical(b))
	measure(b, func() {
		for _, r := range m.Requests {
			settlement.ContentDigest("fhir", r)
		}
	})
}
