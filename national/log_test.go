package national

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log destination shared by the hub's handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHubLogsOneLinePerCall: each call is one line naming infno, msgid,
// caller, insured province, outcome and duration, and no line carries the
// patient's identifiers from the input.
func TestHubLogsOneLinePerCall(t *testing.T) {
	var out lockedBuffer
	jx := newProvince(t, "江西")
	_, srv := startHub(t, []string{deadURL(t)}, []string{deadURL(t), jx.srv.URL}, func(cfg *HubConfig) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&out, nil))
	})
	c := newClient(t, srv.URL)
	call := testCall("M1")
	c.Call(context.Background(), call) // forwarded after a failover
	c.Call(context.Background(), call) // duplicate
	unroutable := testCall("M2")
	unroutable.InsuredAdmdvs = "110000"
	c.Call(context.Background(), unroutable)

	type line struct {
		Msg, Infno, MsgID, From, To, Outcome string
		MS                                   *int64 `json:"ms"`
	}
	var calls []line
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.Contains(l, "36000000000000000001") {
			t.Errorf("a log line carries the patient's psn_no: %s", l)
		}
		var v line // field names match the log's keys regardless of case
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if v.Msg == "national call" {
			calls = append(calls, v)
		}
	}
	want := []line{
		{"national call", "2207", "M1", "广西", "江西", "infcode 0", nil},
		{"national call", "2207", "M1", "广西", "江西", "duplicate infcode 0", nil},
		{"national call", "2207", "M2", "广西", "-", "refused E4006", nil},
	}
	if len(calls) != len(want) {
		t.Fatalf("%d call lines, want %d:\n%s", len(calls), len(want), out.String())
	}
	for i, w := range want {
		got := calls[i]
		if got.MS == nil {
			t.Errorf("line %d has no ms", i)
		}
		got.MS = nil
		if got != w {
			t.Errorf("line %d: %+v, want %+v", i, got, w)
		}
	}
}
