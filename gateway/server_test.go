package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// fakeLedger answers with whatever its functions say.
type fakeLedger struct {
	submit func(settlement.Request) (settlement.Answer, error)
	read   func(settlement.Request) (settlement.Answer, error)
	ready  error
}

func (f fakeLedger) Submit(_ context.Context, r settlement.Request) (settlement.Answer, error) {
	return f.submit(r)
}
func (f fakeLedger) Read(_ context.Context, r settlement.Request) (settlement.Answer, error) {
	return f.read(r)
}
func (f fakeLedger) Ready() error { return f.ready }

func post(t *testing.T, s *Server, path, file string) (int, map[string]any) {
	t.Helper()
	body, err := os.ReadFile("../adapters/nhsa/testdata/decode/" + file)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("not JSON: %s", rec.Body)
	}
	return rec.Code, out
}

func TestErrorTable(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     string
		mustNot  []string
		mustHave string
	}{
		{"refusal passes through", settlement.Errorf(settlement.CodeAlreadySettled, "S1"), "E4202", nil, "S1"},
		{"outcome unknown", consensus.ErrOutcomeUnknown, "E5001", nil, "retry with the same msgid"},
		{"wrapped outcome unknown", errors.Join(errors.New("x"), consensus.ErrOutcomeUnknown), "E5001", nil, "same msgid"},
		{"not the leader", consensus.ErrNotLeader, "E5002", nil, "not the leader"},
		{"no leader", consensus.ErrNoLeader, "E5002", nil, "electing"},
		{"internal details stay inside", errors.New("badger: write /var/lib/provgate/state/000001.vlog: certno 150826198003150018"),
			"E5000", []string{"badger", "/var/lib", "150826198003150018"}, "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A short deadline: cluster conditions are retried until it runs out.
			s := New(Config{Province: "150000", RequestTimeout: 200 * time.Millisecond, Ledger: fakeLedger{
				submit: func(settlement.Request) (settlement.Answer, error) { return settlement.Answer{}, tt.err },
			}})
			status, out := post(t, s, "/nhsa/2207", "2207.json")
			msg, _ := out["err_msg"].(string)
			if status != http.StatusOK || out["infcode"] != float64(-1) || !strings.HasPrefix(msg, "["+tt.code+"]") {
				t.Errorf("answer %d %v, want infcode -1 and %s", status, out, tt.code)
			}
			if !strings.Contains(msg, tt.mustHave) {
				t.Errorf("err_msg %q lacks %q", msg, tt.mustHave)
			}
			for _, leak := range tt.mustNot {
				if strings.Contains(msg, leak) {
					t.Errorf("err_msg %q leaks %q", msg, leak)
				}
			}
		})
	}
}

// TestClusterChangesAreRetried checks that a node gets a request decided
// across a leader change within the deadline, with the same request (and
// so the same msgid), and does not retry what the request itself caused.
func TestClusterChangesAreRetried(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error // the first answers of the ledger, then success
		forwarded bool
		wantCode  float64
		wantCalls int
	}{
		{"no leader, then one", []error{consensus.ErrNoLeader, consensus.ErrNoLeader}, false, 0, 3},
		{"leadership lost mid-write", []error{consensus.ErrOutcomeUnknown}, false, 0, 2},
		{"a refusal is final", []error{settlement.Errorf(settlement.CodeAlreadySettled, "S1")}, false, -1, 1},
		{"internal error is final", []error{errors.New("disk")}, false, -1, 1},
		{"relayed requests are tried once", []error{consensus.ErrOutcomeUnknown}, true, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var bodies []string
			s := New(Config{Province: "150000", RequestTimeout: 5 * time.Second, Ledger: fakeLedger{
				submit: func(r settlement.Request) (settlement.Answer, error) {
					calls++
					bodies = append(bodies, r.MsgID+"/"+r.Digest)
					if calls <= len(tt.errs) {
						return settlement.Answer{}, tt.errs[calls-1]
					}
					return settlement.Answer{Outcome: settlement.Outcome{Visit: &settlement.Visit{MdtrtID: "M1"}}}, nil
				},
			}})
			body, _ := os.ReadFile("../adapters/nhsa/testdata/decode/2201.json")
			req := httptest.NewRequest(http.MethodPost, "/nhsa/2201", bytes.NewReader(body))
			if tt.forwarded {
				req.Header.Set(headerForwarded, "node2")
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			var out map[string]any
			json.Unmarshal(rec.Body.Bytes(), &out)
			if out["infcode"] != tt.wantCode || calls != tt.wantCalls {
				t.Fatalf("infcode %v after %d calls, want %v after %d: %s", out["infcode"], calls, tt.wantCode, tt.wantCalls, rec.Body)
			}
			for _, b := range bodies[1:] {
				if b != bodies[0] {
					t.Errorf("retried a different request: %q then %q", bodies[0], b)
				}
			}
			if retry := rec.Header().Get(headerRetry) != ""; retry != (tt.forwarded && tt.wantCode != 0) {
				t.Errorf("retry header %v", retry)
			}
		})
	}
}

func TestReadsDoNotGoThroughTheLog(t *testing.T) {
	var submitted, read int
	s := New(Config{Province: "150000", Ledger: fakeLedger{
		submit: func(settlement.Request) (settlement.Answer, error) { submitted++; return settlement.Answer{}, nil },
		read: func(r settlement.Request) (settlement.Answer, error) {
			read++
			return settlement.Answer{Outcome: settlement.Outcome{Person: &settlement.PersonInfo{}}}, nil
		},
	}})
	_, out := post(t, s, "/nhsa/1101", "1101.json")
	if out["infcode"] != float64(0) || read != 1 || submitted != 0 {
		t.Errorf("1101: infcode %v, reads %d, submits %d", out["infcode"], read, submitted)
	}
}

func TestPanicBecomesInternalError(t *testing.T) {
	s := New(Config{Province: "150000", Ledger: fakeLedger{
		submit: func(settlement.Request) (settlement.Answer, error) { panic("boom at /secret") },
	}})
	_, out := post(t, s, "/nhsa/2207", "2207.json")
	msg, _ := out["err_msg"].(string)
	if !strings.HasPrefix(msg, "[E5000]") || strings.Contains(msg, "secret") {
		t.Errorf("panic answered %q", msg)
	}
}

func TestReadiness(t *testing.T) {
	for _, tt := range []struct {
		ready error
		want  int
	}{{nil, http.StatusOK}, {consensus.ErrNoLeader, http.StatusServiceUnavailable}} {
		s := New(Config{Province: "150000", Ledger: fakeLedger{ready: tt.ready}})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("ready before start-up finished: %d", rec.Code)
		}
		s.MarkStarted()
		rec = httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != tt.want {
			t.Errorf("ready error %v: status %d, want %d", tt.ready, rec.Code, tt.want)
		}
	}
}

// staleLedger is a fakeLedger that can also read stale.
type staleLedger struct {
	fakeLedger
	stale *int
}

func (s staleLedger) ReadStale(settlement.Request) (settlement.Answer, uint64, error) {
	*s.stale++
	return settlement.Answer{Outcome: settlement.Outcome{Person: &settlement.PersonInfo{}}}, 42, nil
}

// TestStaleReadsOnlyForReports checks that asking for a stale read does not
// make a read that feeds a decision (1101 here) skip the leader.
func TestStaleReadsOnlyForReports(t *testing.T) {
	var reads, stale int
	s := New(Config{Province: "150000", Ledger: staleLedger{fakeLedger: fakeLedger{
		read: func(settlement.Request) (settlement.Answer, error) {
			reads++
			return settlement.Answer{Outcome: settlement.Outcome{Person: &settlement.PersonInfo{}}}, nil
		},
	}, stale: &stale}})
	body, _ := os.ReadFile("../adapters/nhsa/testdata/decode/1101.json")
	req := httptest.NewRequest(http.MethodPost, "/nhsa/1101", bytes.NewReader(body))
	req.Header.Set(headerConsistency, "stale")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if reads != 1 || stale != 0 || rec.Header().Get(headerConsistency) != "" {
		t.Errorf("1101 asking for stale: %d linearizable reads, %d stale, header %q", reads, stale, rec.Header().Get(headerConsistency))
	}
	for _, k := range []settlement.Kind{settlement.KindReconTotals, settlement.KindReconDetails, settlement.KindSetlQuery, settlement.KindCumQuery} {
		if !k.Report() {
			t.Errorf("%s should be a report", k)
		}
	}
	for _, k := range []settlement.Kind{settlement.KindPersonInfo, settlement.KindBenefitCheck, settlement.KindPreSettle, settlement.KindInpPreSettle, settlement.KindSettle} {
		if k.Report() {
			t.Errorf("%s must not be read stale", k)
		}
	}
}

// Bodies are read whole or refused with the limit named, with and without
// a declared length, over real HTTP.
func TestBodyLimit(t *testing.T) {
	golden, err := os.ReadFile("../adapters/nhsa/testdata/decode/2207.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	s := New(Config{Province: "150000", RequestTimeout: time.Second, MaxBodyBytes: int64(len(golden)),
		Ledger: fakeLedger{submit: func(r settlement.Request) (settlement.Answer, error) {
			got = []byte(r.MsgID)
			return settlement.Answer{}, settlement.Errorf(settlement.CodeAlreadySettled, "S1")
		}}})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	over := append(bytes.Clone(golden), ' ')
	tests := []struct {
		name    string
		body    []byte
		chunked bool
		code    string
	}{
		{"declared length at the limit", golden, false, "E4202"},
		{"declared length over the limit", over, false, string(settlement.CodeTooLarge)},
		{"chunked at the limit", golden, true, "E4202"},
		{"chunked over the limit", over, true, string(settlement.CodeTooLarge)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			resp, err := http.Post(srv.URL+"/nhsa/2207", "application/json", body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if msg, _ := out["err_msg"].(string); !strings.HasPrefix(msg, "["+tt.code+"]") {
				t.Fatalf("err_msg %q, want code %s", msg, tt.code)
			}
			if (tt.code == "E4202") != (got != nil) {
				t.Errorf("request reached the ledger: %v", got != nil)
			}
		})
	}
}
