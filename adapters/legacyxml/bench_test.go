package legacyxml

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/provgate/provgate/internal/cpubench"
	"github.com/provgate/provgate/settlement"
)

// The typical message is the day's outpatient settlement in GBK; the
// large one a 20-row fee upload. Run with -cpu 1; msgs/s is per core.

func benchBody(b *testing.B, file string) []byte {
	body, err := os.ReadFile("testdata/decode/" + file)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// fees20 builds a 20-row fee upload from the day's 3-row one.
func fees20(b *testing.B) []byte {
	body := benchBody(b, "day-06-2630-fees.xml")
	start := bytes.Index(body, []byte("      <KC22ROW>"))
	end := bytes.Index(body[start:], []byte("      </KC22ROW>\n")) + start + len("      </KC22ROW>\n")
	row := string(body[start:end])
	var rows strings.Builder
	for i := 1; i <= 20; i++ {
		rows.WriteString(strings.Replace(row, "<FEEDETL_SN>1<", "<FEEDETL_SN>"+strconv.Itoa(i)+"<", 1))
	}
	closeList := bytes.Index(body, []byte("    </KC22XML>"))
	return append(append(append([]byte{}, body[:start]...), rows.String()...), body[closeList:]...)
}

func dayAnswers(b *testing.B, m *Message, national ...string) []settlement.Answer {
	out := make([]settlement.Answer, len(national))
	t := &testing.T{}
	for i, n := range national {
		golden, err := os.ReadFile(dayDir + n + ".response.json")
		if err != nil {
			b.Fatal(err)
		}
		out[i], _ = rebuildAnswer(t, m.Requests[i].Kind, golden)
	}
	return out
}

func benchDecode(b *testing.B, body []byte) {
	b.SetBytes(int64(len(body)))
	cpubench.Measure(b, func() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDecodeSettle(b *testing.B)     { benchDecode(b, benchBody(b, "day-08-2720-settle.xml")) }
func BenchmarkDecodeSettleUTF8(b *testing.B) { benchDecode(b, utf8Settle(b)) }
func BenchmarkDecodeFees20(b *testing.B)     { benchDecode(b, fees20(b)) }

func utf8Settle(b *testing.B) []byte {
	s, err := decoder(csGBK).String(string(benchBody(b, "day-08-2720-settle.xml")))
	if err != nil {
		b.Fatal(err)
	}
	return []byte(strings.Replace(s, `encoding="GBK"`, `encoding="UTF-8"`, 1))
}

func benchEncode(b *testing.B, body []byte, national ...string) {
	m, err := Decode(body)
	if err != nil {
		b.Fatal(err)
	}
	answers := dayAnswers(b, m, national...)
	cpubench.Measure(b, func() {
		if _, err := m.Encode(answers); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkEncodeSettle(b *testing.B) {
	benchEncode(b, benchBody(b, "day-08-2720-settle.xml"), "08-2207-settle")
}

// The day's fee answer has three lines; the upload's twenty rows get
// answers of the same shape.
func BenchmarkEncodeFees20(b *testing.B) {
	m, err := Decode(fees20(b))
	if err != nil {
		b.Fatal(err)
	}
	answers := fees20Answers(b, m)
	cpubench.Measure(b, func() {
		if _, err := m.Encode(answers); err != nil {
			b.Fatal(err)
		}
	})
}

// fees20Answers answers each of the upload's rows with one of the day's
// three line answers, renumbered.
func fees20Answers(b *testing.B, m *Message) []settlement.Answer {
	three := dayAnswers(b, &Message{Requests: []settlement.Request{{Kind: settlement.KindUploadFees}}}, "06-2204-upload-fees")[0]
	a := three
	a.Outcome.Lines = nil
	for i := range m.Requests[0].Fees.Lines {
		l := three.Outcome.Lines[i%3]
		l.FeedetlSn = m.Requests[0].Fees.Lines[i].FeedetlSn
		a.Outcome.Lines = append(a.Outcome.Lines, l)
	}
	return []settlement.Answer{a}
}

// BenchmarkRoundTrip decodes a message and encodes its reply: the
// adapter's whole share of one hospital message. Settle is the day's
// outpatient settlement in GBK, Fees20 a 20-row fee upload.
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		name    string
		body    []byte
		answers func(*testing.B, *Message) []settlement.Answer
	}{
		{"Settle", benchBody(b, "day-08-2720-settle.xml"), func(b *testing.B, m *Message) []settlement.Answer {
			return dayAnswers(b, m, "08-2207-settle")
		}},
		{"Fees20", fees20(b), fees20Answers},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := Decode(c.body)
			if err != nil {
				b.Fatal(err)
			}
			answers := c.answers(b, m)
			cpubench.Measure(b, func() {
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
