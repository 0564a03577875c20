package hl7v2

import (
	"bytes"
	"strconv"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/provgate/provgate/internal/cpubench"
	"github.com/provgate/provgate/settlement"
)

// Run with: go test -run '^$' -bench . -benchmem -cpu 1 ./adapters/hl7v2/
// At the first full version (shared 2-core machine, best of 5): a settle
// message round trip 9.6 µs and 32 allocations, a 20-line fee upload
// 44 µs and 71; settlement.ContentDigest (encoding/json) was about a third
// of the latter. With the hand-written digest and fields kept as spans:
// 83,000 and 397,000 instructions (callgrind), 17 and 23 allocations.

// fees20 is an outpatient fee upload of 20 lines, built from the day's.
func fees20(b testing.TB) []byte {
	msg := read(b, "testdata/day/06-2204.hl7")
	i := bytes.Index(msg, []byte("FT1|1|1|"))
	head, line := msg[:i], msg[i:]
	line = line[:bytes.IndexByte(line, '\n')+1]
	for n := 1; n <= 20; n++ {
		sn := strconv.Itoa(n)
		head = append(head, bytes.Replace(line, []byte("FT1|1|1|"), []byte("FT1|"+sn+"|"+sn+"|"), 1)...)
	}
	return head
}

func benchDecode(b *testing.B, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchEncode(b *testing.B, body []byte, answers func(*Message) []settlement.Answer) {
	m, err := Decode(body)
	if err != nil {
		b.Fatal(err)
	}
	a := answers(m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func settleAnswers(b testing.TB) func(*Message) []settlement.Answer {
	out := outcomeOf(b, settlement.KindSettle, nationalOutput(b, "08-2207-settle"))
	return func(*Message) []settlement.Answer { return []settlement.Answer{{Outcome: out, Stamp: dayStamp}} }
}

func feeAnswers(m *Message) []settlement.Answer {
	lines := make([]settlement.LineSplit, len(m.Requests[0].Fees.Lines))
	for i, l := range m.Requests[0].Fees.Lines {
		lines[i] = settlement.LineSplit{FeeLine: l, Class: settlement.ClassB, SelfPay: 500, Preselfpay: l.Amount / 20, Inscp: l.Amount - l.Amount/20}
	}
	return []settlement.Answer{{Outcome: settlement.Outcome{Lines: lines}, Stamp: dayStamp}}
}

func BenchmarkDecodeSettle(b *testing.B) { benchDecode(b, read(b, "testdata/day/08-2207.hl7")) }
func BenchmarkDecodeFees20(b *testing.B) { benchDecode(b, fees20(b)) }
func BenchmarkEncodeSettle(b *testing.B) {
	benchEncode(b, read(b, "testdata/day/08-2207.hl7"), settleAnswers(b))
}
func BenchmarkEncodeFees20(b *testing.B) { benchEncode(b, fees20(b), feeAnswers) }

// BenchmarkRoundTrip decodes a message and encodes its reply, as the
// gateway does for each message: the target is 50,000 settle messages per
// second on one core.
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		name    string
		body    []byte
		answers func(*Message) []settlement.Answer
	}{
		{"Settle", read(b, "testdata/day/08-2207.hl7"), settleAnswers(b)},
		{"Fees20", fees20(b), feeAnswers},
		{"SettleGB18030", gb18030Settle(b), settleAnswers(b)},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := Decode(c.body)
			if err != nil {
				b.Fatal(err)
			}
			a := c.answers(m)
			cpubench.Measure(b, func() {
				m, err := Decode(c.body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Encode(a); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// gb18030Settle is the day's settlement sent in GB 18030.
func gb18030Settle(b *testing.B) []byte {
	msg := read(b, "testdata/day/08-2207.hl7")
	msg = bytes.Replace(msg, []byte("|P|2.5\n"), []byte("|P|2.5||||||GB 18030-2000\n"), 1)
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(msg)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// TestFees20 keeps the benchmark input honest: 20 lines, all accepted.
func TestFees20(t *testing.T) {
	m, err := Decode(fees20(t))
	if err != nil || len(m.Requests[0].Fees.Lines) != 20 {
		t.Fatalf("%v", err)
	}
}
