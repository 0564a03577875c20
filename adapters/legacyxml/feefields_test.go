package legacyxml

import (
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// appendFeeFields must write exactly what feeFields writes at its depth.
func TestAppendFeeFieldsIsFeeFields(t *testing.T) {
	str := func(t *rapid.T, label string) string {
		return rapid.OneOf(rapid.SampledFrom([]string{"", "0", "1", "A", "甲", "一般诊疗费", "a&b<c>", "\x01", "\xff", "€"}),
			rapid.String()).Draw(t, label)
	}
	rapid.Check(t, func(t *rapid.T) {
		fen := func(label string) settlement.Fen { return settlement.Fen(rapid.Int64Range(-1e12, 1e12).Draw(t, label)) }
		l := settlement.LineSplit{
			FeeLine: settlement.FeeLine{FeedetlSn: str(t, "sn"), Amount: fen("amount"),
				Qty: settlement.Qty(rapid.Int64Range(-1e9, 1e9).Draw(t, "qty")), Price: settlement.Price(rapid.Int64Range(-1e12, 1e12).Draw(t, "price"))},
			Class: settlement.ItemClass(str(t, "class")), ChargeType: str(t, "type"), Memo: str(t, "memo"),
			SelfPay: settlement.BP(rapid.Int64Range(-20000, 20000).Draw(t, "selfpay")), PriceCap: fen("cap"),
			Fulamt: fen("fulamt"), Overlmt: fen("overlmt"), Preselfpay: fen("preselfpay"), Inscp: fen("inscp"),
			HospPart: fen("hosppart"), Restricted: rapid.Bool().Draw(t, "restricted"),
		}
		cs := rapid.SampledFrom([]charset{csUTF8, csGBK, csGB2312, csGB18030}).Draw(t, "charset")
		w := writer{cs: cs, depth: feeFieldDepth}
		w.feeFields(&l)
		if got := appendFeeFields(nil, &l, cs); string(got) != string(w.b) {
			t.Fatalf("\n got %q\nwant %q", got, w.b)
		}
	})
}

// TestFeeRowsTakeAppendFeeFields: a fee answer's rows stand at
// feeFieldDepth, or appendFeeFields would never be used.
func TestFeeRowsTakeAppendFeeFields(t *testing.T) {
	m := &Message{Requests: []settlement.Request{{Kind: settlement.KindUploadFees}}, cs: csGBK}
	out, err := m.Encode([]settlement.Answer{{Outcome: settlement.Outcome{Lines: []settlement.LineSplit{{}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := tagsAt(feeFieldDepth, "FEEDETL_SN").empty; !strings.Contains(string(out), want) {
		t.Fatalf("no %q in\n%s", want, out)
	}
}

// appendScaled's two spelt-out units write what the general loop writes.
func TestAppendScaledUnits(t *testing.T) {
	general := func(v int64, unit uint64) string {
		u := uint64(v)
		var b []byte
		if v < 0 {
			b = append(b, '-')
			u = -u
		}
		b = strconv.AppendUint(b, u/unit, 10)
		b = append(b, '.')
		for d, r := unit/10, u%unit; d > 0; d /= 10 {
			b = append(b, byte('0'+r/d%10))
		}
		return string(b)
	}
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-100000, 100000)).Draw(t, "v")
		for _, unit := range []uint64{100, 10000} {
			if got, want := string(appendScaled(nil, v, unit)), general(v, unit); got != want {
				t.Fatalf("%d / %d: got %s, want %s", v, unit, got, want)
			}
		}
	})
}

// The GBK table reads every run exactly as the decoder does.
func TestGBKTableIsTheDecoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var src []byte
		for range rapid.IntRange(0, 20).Draw(t, "pieces") {
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0:
				src = append(src, rapid.SampledFrom([]string{"<A>", " ", "x", "1"}).Draw(t, "ascii")...)
			case 1: // any two-byte pair, valid or not
				src = append(src, byte(rapid.IntRange(0x80, 0xFF).Draw(t, "lead")), byte(rapid.IntRange(0, 0xFF).Draw(t, "trail")))
			case 2: // a pair the decoder knows
				src = append(src, byte(rapid.IntRange(0xB0, 0xD7).Draw(t, "lead")), byte(rapid.IntRange(0xA1, 0xFE).Draw(t, "trail")))
			default:
				src = append(src, byte(rapid.IntRange(0x80, 0xFF).Draw(t, "byte")))
			}
		}
		for _, cs := range []charset{csGBK, csGB2312} {
			got, gotErr := transcodeStringWith(decoder(cs), src, cs, true)
			want, wantErr := transcodeStringWith(decoder(cs), src, cs, false)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("% x: table %q (%v), decoder %q (%v)", src, got, gotErr, want, wantErr)
			}
		}
	})
	var b strings.Builder
	if !appendGBK(&b, []byte{0xB0, 0xA1, 0xD6, 0xD0}) || b.String() != "啊中" {
		t.Fatalf("the table does not read 啊中: %q", b.String())
	}
	// Every two-byte character, one at a time.
	for lead := 0x81; lead <= 0xFE; lead++ {
		for trail := 0x40; trail <= 0xFE; trail++ {
			src := []byte{byte(lead), byte(trail)}
			got, _ := transcodeStringWith(decoder(csGBK), src, csGBK, true)
			want, _ := transcodeStringWith(decoder(csGBK), src, csGBK, false)
			if got != want {
				t.Fatalf("% x: table %q, decoder %q", src, got, want)
			}
		}
	}
}
