package gateway

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// fakeCluster points at one leader.
type fakeCluster struct{ relayURL, http string }

func (f fakeCluster) LeaderHTTP() (string, bool)  { return f.http, f.http != "" }
func (f fakeCluster) LeaderRelay() (string, bool) { return f.relayURL, f.relayURL != "" }
func (fakeCluster) Join(context.Context, consensus.Member) error {
	return nil
}
func (fakeCluster) RemoveServer(context.Context, string) error { return nil }
func (fakeCluster) TransferLeadership(context.Context, string, string) error {
	return nil
}
func (fakeCluster) Members() ([]consensus.Peer, error) { return nil, nil }
func (fakeCluster) Nodes() ([]consensus.Member, error) { return nil, nil }
func (fakeCluster) Status() consensus.Status           { return consensus.Status{} }
func (f fakeCluster) with(url string) fakeCluster      { f.relayURL = url; return f }
func (f fakeCluster) withHTTP(addr string) fakeCluster { f.http = addr; return f }
func followerLedger() fakeLedger                       { return fakeLedger{submit: notLeader, read: notLeader} }
func notLeader(settlement.Request) (settlement.Answer, error) {
	return settlement.Answer{}, consensus.ErrNotLeader
}

// leaderAnswers is a ledger whose successive answers are given.
type leaderAnswers struct {
	recordingLedger
	errs []error // the first answers; then success
}

func (l *leaderAnswers) Submit(ctx context.Context, r settlement.Request) (settlement.Answer, error) {
	l.mu.Lock()
	n := len(l.asked)
	l.mu.Unlock()
	if n < len(l.errs) {
		l.mu.Lock()
		l.asked = append(l.asked, r)
		l.mu.Unlock()
		return settlement.Answer{}, l.errs[n]
	}
	return l.recordingLedger.Submit(ctx, r)
}

// TestFollowerRelaysDecodedRequests: a follower decodes and authenticates a
// non-national message itself, has the leader decide each request at
// /internal/v1/decide, and answers in the hospital's format.
func TestFollowerRelaysDecodedRequests(t *testing.T) {
	tests := []struct {
		name       string
		leaderErrs []error
		want       string // the start of the answer's body
		calls      int    // decisions the leader was asked for
	}{
		{"settled by the leader", nil, "2201 m2 ok index=1", 1},
		{"the leader's refusal", []error{settlement.Errorf(settlement.CodeNotInsured, "P1", "310")}, "REFUSED E4104", 1},
		{"the leader changes: retried with the same msgid", []error{consensus.ErrNotLeader, consensus.ErrOutcomeUnknown}, "2201 m2 ok index=3", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &leaderAnswers{errs: tt.leaderErrs}
			leader := New(Config{Province: "150000", Ledger: l, NodeID: "node1", RequestTimeout: 5 * time.Second})
			ts := httptest.NewServer(leader.Handler())
			defer ts.Close()
			follower := New(Config{Province: "150000", Ledger: followerLedger(), Credentials: registry(), NodeID: "node2",
				Formats: []Format{tiny{"legacyxml"}}, RequestTimeout: 5 * time.Second, Now: testNow,
				Cluster: fakeCluster{}.with(ts.URL).withHTTP("10.0.0.1:8080")})
			rec := send(follower, "/legacy/xml", "paas-a", "token-a", requests(register("m2")))
			if !strings.HasPrefix(rec.Body.String(), tt.want) {
				t.Fatalf("answer %q, want it to start %q", rec.Body, tt.want)
			}
			if len(l.asked) != tt.calls {
				t.Errorf("leader decided %d times, want %d", len(l.asked), tt.calls)
			}
			for _, r := range l.asked {
				if r.Hospital != hospA || r.TreatAdmdvs != "150100" || r.MsgID != "m2" || r.Ref == nil || r.Ref.VisitNo != "MZ1" {
					t.Errorf("the leader got %+v, want the request as the follower completed it", r)
				}
			}
			if ok := tt.want[0] != 'R'; ok && rec.Header().Get(headerLeader) != "10.0.0.1:8080" {
				t.Errorf("%s header %q", headerLeader, rec.Header().Get(headerLeader))
			}
		})
	}
}

// TestDecideIsOnlyForTheCluster: the internal endpoint answers only a
// request with the relay marker, and with mutual TLS on, the public port
// drops the marker, so only the internal listener can ask.
func TestDecideIsOnlyForTheCluster(t *testing.T) {
	body := requests(register("m2"))[1 : len(requests(register("m2")))-1] // one request, not an array
	for _, tt := range []struct {
		name     string
		internal *tls.Config
		marker   bool
		want     int
	}{
		{"no marker", nil, false, http.StatusForbidden},
		{"marker without TLS (trusted network)", nil, true, http.StatusOK},
		{"marker on the public port with TLS on", &tls.Config{}, true, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &recordingLedger{}
			s := New(Config{Province: "150000", Ledger: l, Internal: tt.internal})
			req := httptest.NewRequest(http.MethodPost, pathDecide, strings.NewReader(string(body)))
			if tt.marker {
				req.Header.Set(headerForwarded, "node9")
			}
			rec := httptest.NewRecorder()
			s.http.Handler.ServeHTTP(rec, req)
			if rec.Code != tt.want || (tt.want != http.StatusOK) != (len(l.asked) == 0) {
				t.Errorf("status %d with %d decisions, want %d: %s", rec.Code, len(l.asked), tt.want, rec.Body)
			}
		})
	}
}
