package national

import (
	"encoding/json"
	"testing"
)

// FuzzReadHeader: whatever a caller sends, the hub's envelope reading
// neither panics nor accepts a call it could not route.
func FuzzReadHeader(f *testing.F) {
	good, _ := testCall("M1").encode()
	for _, s := range []string{string(good), `{"msgid":1,"insuplc_admdvs":360100}`, `{"infno":"2208"}`, `[]`, `{"msgid":{}}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		hd, e := readHeader(body, "2207")
		if e != nil {
			if e.Code == "" || e.EN == "" {
				t.Fatalf("refusal without a code or reason: %+v", e)
			}
			return
		}
		if hd.msgid == "" || !region(hd.region) {
			t.Fatalf("accepted %+v from %q", hd, body)
		}
	})
}

// FuzzDecodeReply: an answer is either a response envelope with an
// integer infcode or not one; reading it never panics.
func FuzzDecodeReply(f *testing.F) {
	for _, s := range []string{okBody, refusedBody, retryBody, `{"infcode":"0"}`, `{"infcode":null}`, `{"infcode":1e3}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, ok := decodeReply(body)
		if !ok {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		r.retryLater()
	})
}
