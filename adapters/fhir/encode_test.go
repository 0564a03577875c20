package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// TestEncodeGolden replies to each accepted message of testdata/decode with
// the answers the reference day's settlement gave, and compares the reply
// with testdata/encode/<message>.golden. Replies are deterministic: the
// same answers give the same bytes.
func TestEncodeGolden(t *testing.T) {
	for _, name := range []string{
		"outpatient-claim", "outpatient-predetermination", "outpatient-cancel", "inpatient-claim",
		"inpatient-predetermination", "bundle-chronic-claim", "eligibility", "eligibility-benefits",
	} {
		t.Run(name, func(t *testing.T) {
			m := decodeFile(t, name)
			answers := dayAnswers(t, name)
			b, err := m.Encode(answers)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "encode/"+name+".golden", indent(t, b))
			again, _ := m.Encode(answers)
			if !bytes.Equal(b, again) {
				t.Error("encoding the same answers twice gave different bytes")
			}
			if ct := ContentType(m); ct != "application/fhir+json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
		})
	}
}

func TestEncodeError(t *testing.T) {
	m := decodeFile(t, "outpatient-claim")
	e := settlement.Errorf(settlement.CodeAlreadySettled, "S150100202603020000000019")
	got := EncodeError(m, e, refusedAt)
	golden(t, "encode/error-already-settled.golden", indent(t, got))
	if !bytes.Contains(got, []byte(`"value":"CLM202603020001"`)) {
		t.Error("the refusal of an identified Claim does not echo its identifier")
	}
	if bytes.Contains(EncodeError(nil, e, refusedAt), []byte("extension")) {
		t.Error("a refusal with no message names a request")
	}
	if ContentType(nil) != ContentType(m) {
		t.Error("the content type depends on the message")
	}
	for code, want := range map[settlement.Code]string{
		settlement.CodeBadCharset: "structure", settlement.CodeMissingField: "required", settlement.CodeLineAmount: "value",
		settlement.CodeUnknownCode: "code-invalid", settlement.CodeVisitNotFound: "not-found",
		settlement.CodeMsgIDConflict: "conflict", settlement.CodeNotInsured: "business-rule",
		settlement.CodeUnavailable: "transient", settlement.CodeInternal: "exception", settlement.CodeAuthSignature: "security",
	} {
		if got := issueType(&settlement.Error{Code: code}); got != want {
			t.Errorf("%s: issue type %s, want %s", code, got, want)
		}
	}
	if !strings.Contains(string(EncodeError(nil, nil, refusedAt)), "E5000") {
		t.Error("a nil refusal is not answered as an internal error")
	}
}

func TestEncodeMismatch(t *testing.T) {
	m := decodeFile(t, "outpatient-claim")
	if _, err := m.Encode(nil); err == nil {
		t.Error("no answers for four steps was accepted")
	}
	answers := dayAnswers(t, "outpatient-claim")
	answers[3].Outcome.Record = nil
	if _, err := m.Encode(answers); err == nil {
		t.Error("a settlement answer without its record was accepted")
	}
}

// TestAppendString checks the reply writer's strings decode to what was
// written, whatever they hold.
func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"王秀兰", "王秀兰"},
		{`say "hi" \ bye`, `say "hi" \ bye`},
		{"tab\tnew\nline\r\x00\x1f", "tab\tnew\nline\r\x00\x1f"},
		{"bad \xff\xfe utf-8", "bad \ufffd\ufffd utf-8"},
		{"line\u2028sep\u2029", "line\u2028sep\u2029"},
		{"<a&b>", "<a&b>"},
		{"", ""},
	}
	for _, tc := range tests {
		b := appendString(nil, tc.in)
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != tc.want {
			t.Errorf("appendString(%q) = %s, decodes to %q (%v), want %q", tc.in, b, got, err, tc.want)
		}
	}
}

// TestConcurrent decodes and encodes from several goroutines at once: the
// pooled parsers and buffers must not leak one message into another (run
// it with -race).
func TestConcurrent(t *testing.T) {
	names := []string{"outpatient-claim", "inpatient-claim", "eligibility-benefits", "bundle-chronic-claim"}
	want := map[string][]byte{}
	bodies := map[string][]byte{}
	for _, n := range names {
		bodies[n], _ = os.ReadFile("testdata/decode/" + n + ".json")
		m := decodeFile(t, n)
		want[n], _ = m.Encode(dayAnswers(t, n))
	}
	answers := map[string][]settlement.Answer{}
	for _, n := range names {
		answers[n] = dayAnswers(t, n)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				n := names[(g+i)%len(names)]
				m, err := Decode(bodies[n])
				if err != nil {
					errs <- n + ": " + err.Error()
					return
				}
				got, err := m.Encode(answers[n])
				if err != nil || !bytes.Equal(got, want[n]) {
					errs <- n + ": a different reply under concurrency"
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestEligibleHeads checks the premade eligible amounts against writing
// them element by element, for every class and one the package does not
// know.
func TestEligibleHeads(t *testing.T) {
	for _, c := range []settlement.ItemClass{"", settlement.ClassA, settlement.ClassB, settlement.ClassC, "9", "乙\"类"} {
		for _, f := range []settlement.Fen{0, 1, -250, 123456} {
			var want writer
			want.open('[')
			want.open('{')
			want.concept("category", csHL7Adjud, "eligible", "")
			if c != "" {
				want.concept("reason", csChrgitmLv, string(c), classNames[c])
			}
			want.money("amount", f)
			want.close('}')
			want.close(']')
			var got writer
			got.open('[')
			got.categoryAmount(eligibleHead(c), f)
			got.close(']')
			if string(got.b) != string(want.b) {
				t.Errorf("class %q, %d fen:\n got %s\nwant %s", c, f, got.b, want.b)
			}
		}
	}
}

// itemAdjudicationByElement is itemAdjudication written element by
// element, as it was before it appended the item whole.
func itemAdjudicationByElement(w *writer, l *settlement.LineSplit) {
	w.open('{')
	seq, _ := strconv.Atoi(l.FeedetlSn)
	w.key("itemSequence")
	w.int(seq)
	w.key("adjudication")
	w.open('[')
	w.categoryAmount(submittedHead, l.Amount)
	w.categoryAmount(eligibleHead(l.Class), l.Inscp)
	for i, p := range lineParts {
		if v := p.of(l); v != 0 {
			w.categoryAmount(linePartHeads[i], v)
		}
	}
	if l.SelfPay != 0 {
		w.sep()
		w.b = append(append(w.b, selfPayHead...), l.SelfPay.Fraction()...)
		w.b = append(w.b, '}')
	}
	w.close(']')
	w.close('}')
}

func TestItemAdjudicationAsByElement(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fen := func(name string) settlement.Fen {
			return settlement.Fen(rapid.SampledFrom([]int64{0, 0, 1, -5, 12400, 999999999}).Draw(t, name))
		}
		var lines []settlement.LineSplit
		for range rapid.IntRange(1, 3).Draw(t, "lines") {
			l := settlement.LineSplit{Class: settlement.ItemClass(rapid.SampledFrom([]string{"", "A", "B", "C", "x"}).Draw(t, "class")),
				Inscp: fen("inscp"), Fulamt: fen("fulamt"), Overlmt: fen("overlmt"),
				Preselfpay: fen("preselfpay"), HospPart: fen("hosp"),
				SelfPay: settlement.BP(rapid.SampledFrom([]int64{0, 1, 1000, 10000}).Draw(t, "selfpay"))}
			l.Amount = fen("amount")
			l.FeedetlSn = rapid.SampledFrom([]string{"1", "17", "x", ""}).Draw(t, "sn")
			lines = append(lines, l)
		}
		var got, want writer
		for _, w := range []*writer{&got, &want} {
			w.open('{')
			w.key("item")
			w.open('[')
		}
		for i := range lines {
			itemAdjudication(&got, &lines[i])
			itemAdjudicationByElement(&want, &lines[i])
		}
		for _, w := range []*writer{&got, &want} {
			w.close(']')
			w.key("next")
			w.int(1)
			w.close('}')
		}
		// Bits above the depth are stale: open clears them before use.
		live := uint64(1)<<(want.depth+1) - 1
		if string(got.b) != string(want.b) || got.depth != want.depth || got.filled&live != want.filled&live {
			t.Fatalf("\n got %s\nwant %s", got.b, want.b)
		}
	})
}

// TestChinaTime checks appendChinaTime against the time package's
// formatter, over the whole range it writes itself and beyond.
func TestChinaTime(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, sec int64) {
		at := time.Unix(sec, 0)
		for _, c := range []struct {
			clock  bool
			layout string
		}{{true, fhirTimeLayout}, {false, "2006-01-02"}} {
			got := string(appendChinaTime(nil, at, c.clock))
			if want := at.In(chinaTime).Format(c.layout); got != want {
				t.Fatalf("%d: %s, want %s", sec, got, want)
			}
		}
	}
	for _, s := range []string{"1970-01-01T00:00:00+08:00", "1969-12-31T23:59:59+08:00", "2000-02-29T23:59:59+08:00",
		"2100-03-01T00:00:00+08:00", "2026-12-31T16:00:00Z", "9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00Z"} {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		for d := int64(-1); d <= 1; d++ {
			check(t, at.Unix()+d)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		check(t, rapid.Int64Range(-1e11, 3e11).Draw(t, "unix"))
	})
}
