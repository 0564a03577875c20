package settlement

import (
	"os"
	"strings"
	"testing"
)

// TestEveryCodeIsDocumented keeps docs/error-codes.md in step with the
// catalogue, so hospitals can look up every code they may receive.
func TestEveryCodeIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/error-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		if !strings.Contains(string(doc), "| "+string(c)+" |") {
			t.Errorf("%s is not documented in docs/error-codes.md", c)
		}
		info := catalogue[c]
		if strings.Count(info.zh, "%") != strings.Count(info.en, "%") {
			t.Errorf("%s: the Chinese and English reasons take different arguments", c)
		}
	}
}

func TestErrorMessageShape(t *testing.T) {
	e := Errorf(CodeFilingNeeded, "150826", Bi("长期、转诊", "LONG_TERM, REFERRAL"))
	want := "[E4105] 参保地 150826 要求异地就医备案，可选备案类别：长期、转诊 / the insured place 150826 requires a cross-region filing; categories available: LONG_TERM, REFERRAL"
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
	if e.Class() != ClassRefused {
		t.Errorf("class %v", e.Class())
	}
}
