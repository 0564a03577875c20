package nhsa

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// The fast paths must do exactly what the JSON package does, or step aside.

var feeKeys = []string{"feedetl_sn", "mdtrt_id", "psn_no", "chrg_bchno", "med_type", "dise_codg", "rx_circ_flag",
	"fee_ocur_time", "med_list_codg", "medins_list_codg", "det_item_fee_sumamt", "cnt", "pric", "bilg_dept_codg",
	"bilg_dept_name", "bilg_dr_codg", "bilg_dr_name", "hosp_appr_flag"}

func genFeeDetail(t *rapid.T) []byte {
	var b strings.Builder
	ws := func() { b.WriteString(rapid.SampledFrom([]string{"", "", " ", "\n  "}).Draw(t, "ws")) }
	b.WriteByte('[')
	for i := range rapid.IntRange(0, 4).Draw(t, "lines") {
		if i > 0 {
			b.WriteByte(',')
		}
		ws()
		if rapid.IntRange(0, 30).Draw(t, "odd element") == 0 {
			b.WriteString(rapid.SampledFrom([]string{"null", "1", `"x"`, "[]"}).Draw(t, "element"))
			continue
		}
		b.WriteByte('{')
		for j := range rapid.IntRange(0, 8).Draw(t, "members") {
			if j > 0 {
				b.WriteByte(',')
			}
			ws()
			key := rapid.SampledFrom(append(feeKeys, "rxno", "FEEDETL_SN", "Cnt", `psn\u005fno`, "memo")).Draw(t, "key")
			b.WriteString(`"` + key + `"`)
			ws()
			b.WriteByte(':')
			ws()
			b.WriteString(rapid.SampledFrom([]string{`"1"`, `"A03"`, `"内科"`, `"a\"b"`, `"\u0041"`, `""`, "12400.00", "-0.5", "1e3",
				"01", "true", "false", "null", `{"x":1}`, `[1]`, `"2024-05-01 09:30:00"`, "\"\x01\"", "\"\xff\"", "1.", "-"}).Draw(t, "value"))
			ws()
		}
		b.WriteByte('}')
		ws()
	}
	if rapid.IntRange(0, 20).Draw(t, "cut") == 0 {
		return []byte(b.String())
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func TestScanFeeLinesAgreesWithTheDecoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		raw := genFeeDetail(t)
		got, ok := scanFeeLines(raw)
		if !ok {
			return // the general path decides
		}
		var want []feeLine
		if err := gojson.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s: scanned, but the decoder refuses it: %v", raw, err)
		}
		if len(got) != len(want) || len(got) > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\nscanned %+v\ndecoded %+v", raw, got, want)
		}
	})
	if _, ok := scanFeeLines(fees20Detail(t)); !ok {
		t.Error("the benchmark's 20 lines take the general path")
	}
}

func fees20Detail(t testing.TB) []byte {
	var env struct {
		Input struct {
			Feedetail gojson.RawMessage `json:"feedetail"`
		} `json:"input"`
	}
	if err := gojson.Unmarshal(fees20(t), &env); err != nil {
		t.Fatal(err)
	}
	return env.Input.Feedetail
}

func genString(t *rapid.T, label string) string {
	return rapid.OneOf(rapid.SampledFrom([]string{"", "1", "01", "A<B>&C", "内科", `a"b\c`, "\x01", "\xff", "\u2028"}),
		rapid.String()).Draw(t, label)
}

func TestFeeOutputIsMarshal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var lines []settlement.LineSplit
		for i := range rapid.IntRange(0, 3).Draw(t, "lines") {
			fen := func(l string) settlement.Fen {
				return settlement.Fen(rapid.Int64Range(-1e9, 1e9).Draw(t, l+strconv.Itoa(i)))
			}
			lines = append(lines, settlement.LineSplit{
				FeeLine: settlement.FeeLine{FeedetlSn: genString(t, "sn"), Amount: fen("amount"),
					Qty: settlement.Qty(rapid.Int64Range(-1e8, 1e8).Draw(t, "qty")), Price: settlement.Price(rapid.Int64Range(-1e12, 1e12).Draw(t, "price"))},
				Class: settlement.ItemClass(genString(t, "class")), ChargeType: genString(t, "type"), Memo: genString(t, "memo"),
				SelfPay: settlement.BP(rapid.Int64Range(0, 10000).Draw(t, "selfpay")), PriceCap: fen("cap"),
				Fulamt: fen("fulamt"), Overlmt: fen("overlmt"), Preselfpay: fen("preselfpay"), Inscp: fen("inscp"),
				Restricted: rapid.Bool().Draw(t, "restricted"),
			})
		}
		want, err := output(settlement.KindUploadFees, settlement.Answer{Outcome: settlement.Outcome{Lines: lines}})
		if err != nil {
			t.Fatal(err)
		}
		if got := feeOutput(lines); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		resp := Response{Infcode: rapid.IntRange(-1, 0).Draw(t, "infcode"), InfRefmsgid: genString(t, "id"),
			RefmsgTime: genString(t, "time"), RespondTime: genString(t, "time2"), ErrMsg: genString(t, "err"),
			WarnMsg: genString(t, "warn"), Output: want}
		wantResp, err := gojson.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.appendTo(nil); !bytes.Equal(got, wantResp) {
			t.Fatalf("\n got %s\nwant %s", got, wantResp)
		}
	})
}

// TestAppendJSONStringEveryByte checks the table of bytes written as they
// are against the JSON package, one byte at a time.
func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := "a" + string([]byte{byte(c)}) + "z"
		want, _ := gojson.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
