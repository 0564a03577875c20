package nhsa

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/provgate/provgate/internal/cpubench"
	"github.com/provgate/provgate/settlement"
)

// Run with: go test -run '^$' -bench . -benchmem -cpu 1 ./adapters/nhsa/
// A typical message is an outpatient settlement (2207); the heavy one a
// 20-line fee upload (2204). msgs/s is per core.

var benchStamp = settlement.Stamp{UnixMilli: time.Date(2024, 5, 1, 1, 31, 2, 345e6, time.UTC).UnixMilli(), Index: 42}

func benchBody(b testing.TB, name string) []byte {
	body, err := os.ReadFile("testdata/decode/" + name + ".json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// fees20 is the golden 2204 with its second line repeated to 20 lines.
func fees20(b testing.TB) []byte {
	body := benchBody(b, "2204")
	start := bytes.Index(body, []byte(`{"feedetl_sn":"2"`))
	end := bytes.LastIndex(body, []byte("]}}"))
	line := string(body[start:end])
	out := append([]byte{}, body[:bytes.Index(body, []byte(`{"feedetl_sn":"1"`))]...)
	for i := 1; i <= 20; i++ {
		if i > 1 {
			out = append(out, ',')
		}
		out = append(out, bytes.Replace([]byte(line), []byte(`"feedetl_sn":"2"`), []byte(`"feedetl_sn":"`+strconv.Itoa(i)+`"`), 1)...)
	}
	return append(out, body[end:]...)
}

func feesAnswer(m Message) settlement.Answer {
	var lines []settlement.LineSplit
	for _, l := range m.Request.Fees.Lines {
		lines = append(lines, settlement.LineSplit{FeeLine: l, Class: settlement.ClassB, SelfPay: 500,
			Preselfpay: l.Amount / 20, Inscp: l.Amount - l.Amount/20})
	}
	return settlement.Answer{Outcome: settlement.Outcome{Lines: lines}, Stamp: benchStamp}
}

func settleAnswer(Message) settlement.Answer {
	rec := exampleRecord()
	return settlement.Answer{Outcome: settlement.Outcome{Record: &rec}, Stamp: benchStamp}
}

// BenchmarkRoundTrip decodes a message and encodes its reply, the
// adapter's whole share of one hospital message.
func BenchmarkRoundTrip(b *testing.B) {
	benchMessages(b, true)
}

// benchMessages measures encoding the reply to each bench message, after
// decoding it too when decode is set.
func benchMessages(b *testing.B, decode bool) {
	r := Receiver{Admdvs: "150000"}
	for _, c := range []struct {
		name   string
		body   []byte
		answer func(Message) settlement.Answer
	}{{"Settle", benchBody(b, "2207"), settleAnswer}, {"Fees20", fees20(b), feesAnswer}} {
		b.Run(c.name, func(b *testing.B) {
			m, err := Decode(c.body, "")
			if err != nil {
				b.Fatal(err)
			}
			a := c.answer(m)
			cpubench.Measure(b, func() {
				if decode {
					if m, err = Decode(c.body, ""); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.Encode(m.Request.Kind, a); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkDecode and BenchmarkEncode are the round trip's two halves.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"Settle", benchBody(b, "2207")}, {"Fees20", fees20(b)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			cpubench.Measure(b, func() {
				if _, err := Decode(c.body, ""); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkEncode(b *testing.B) { benchMessages(b, false) }

// TestFees20 keeps the benchmark input honest: 20 lines, all accepted.
func TestFees20(t *testing.T) {
	m, err := Decode(fees20(t), "")
	if err != nil || len(m.Request.Fees.Lines) != 20 {
		t.Fatalf("%v", err)
	}
}
