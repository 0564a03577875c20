package delimited

import (
	"strconv"
	"strings"
	"testing"

	"github.com/provgate/provgate/internal/cpubench"
	"github.com/provgate/provgate/settlement"
)

// A typical message is an outpatient settlement (2207); the heavy one a
// 20-line fee upload. The GBK variants add the charset conversion.
var (
	benchSettle = "2207^H15010100001^0001^SN150100202603020000000015^H15010100001202603020800000008^150826^" +
		"02|150826198003150018|MZ0001|CB1|11|310|18000.00|1|01|INV-CB1|600.00|0.00|250.00|17150.00|^1^"
	benchFees = func() string {
		var b strings.Builder
		b.WriteString("2204^H15010100001^0001^SN150100202603020000000015^H15010100001202603020800000006^150826^\r\n02|150826198003150018|MZ0001|CB1|\r\n")
		for i := 1; i <= 20; i++ {
			b.WriteString(strconv.Itoa(i) + "|2026-03-02 09:00:00|XL01XC028B001010104325|L-" + strconv.Itoa(i) + "|2500|2|5000.00|A03|内科|D150100001|李医生|1|0||\r\n")
		}
		b.WriteString("^1^")
		return b.String()
	}()
)

func benchDecode(b *testing.B, msg []byte) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDecodeSettle(b *testing.B)      { benchDecode(b, []byte(benchSettle)) }
func BenchmarkDecodeRegisterGBK(b *testing.B) { benchDecode(b, gbkRegister()) }
func BenchmarkDecodeFees20(b *testing.B)      { benchDecode(b, []byte(benchFees)) }
func BenchmarkDecodeFees20GBK(b *testing.B) {
	benchDecode(b, encodeText([]byte(benchFees), gb18030))
}

// A settlement is pure ASCII, which is valid UTF-8; the GBK path is
// measured on a registration, whose names make it GBK.
func gbkRegister() []byte {
	return encodeText([]byte("2201^H15010100001^0001^SN150100202603020000000015^H15010100001202603020800000004^150826^"+
		"02|150826198003150018|MZ0001|310|2026-03-02 08:30:00|D150100001|李医生|A03|内科|A03|^1^"), gb18030)
}

func registerAnswer() []settlement.Answer {
	return []settlement.Answer{{Outcome: settlement.Outcome{Visit: &settlement.Visit{
		MdtrtID: "M150100202603020000000016", PsnNo: "15082600000001", IptOtpNo: "MZ0001"}}, Stamp: stamp}}
}

func benchEncode(b *testing.B, msg []byte, answers []settlement.Answer) {
	m, err := Decode(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(answers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func settleAnswer() []settlement.Answer {
	return []settlement.Answer{{Outcome: settlement.Outcome{Record: exampleRecord()}, Stamp: stamp}}
}

func feesAnswer() []settlement.Answer {
	lines := make([]settlement.LineSplit, 20)
	for i := range lines {
		lines[i] = exampleLines()[1]
		lines[i].FeedetlSn = strconv.Itoa(i + 1)
	}
	return []settlement.Answer{{Outcome: settlement.Outcome{Lines: lines}, Stamp: stamp}}
}

func BenchmarkEncodeSettle(b *testing.B)      { benchEncode(b, []byte(benchSettle), settleAnswer()) }
func BenchmarkEncodeRegisterGBK(b *testing.B) { benchEncode(b, gbkRegister(), registerAnswer()) }
func BenchmarkEncodeFees20(b *testing.B)      { benchEncode(b, []byte(benchFees), feesAnswer()) }

// BenchmarkRoundTrip is what the gateway spends in this package per
// message: decode it, encode its reply.
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		name    string
		msg     []byte
		answers []settlement.Answer
	}{
		{"Settle", []byte(benchSettle), settleAnswer()},
		{"Fees20", []byte(benchFees), feesAnswer()},
		{"RegisterGBK", gbkRegister(), registerAnswer()},
	} {
		b.Run(c.name, func(b *testing.B) {
			answers := c.answers
			cpubench.Measure(b, func() {
				m, err := Decode(c.msg)
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
