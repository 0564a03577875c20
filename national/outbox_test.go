package national

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provgate/provgate/settlement"
)

// remoteRequest is a Guangxi hospital's request of kind for a person
// insured in Jiangxi, as the treatment place sends it on.
func remoteRequest(kind settlement.Kind, msgid string) settlement.Request {
	r := settlement.Request{Kind: kind, MsgID: msgid, Hospital: "H45010000001", TreatAdmdvs: "450100", InsuredAdmdvs: "360100",
		Remote: &settlement.RemoteOrigin{Hospital: settlement.Hospital{Code: "H45010000001", Name: "广西医科大学第一附属医院", Admdvs: "450100"}}}
	switch kind {
	case settlement.KindPersonInfo:
		r.Person = &settlement.PersonQuery{CertType: "02", CertNo: "360102198506120024"}
	default:
		r.Settle = &settlement.SettleRequest{PsnNo: "36010000000001", MdtrtID: "M1", ChrgBchno: "CB1", MedType: "11"}
	}
	return r
}

// TestOutboxReadRetriedWithTheSameMsgID: a hospital retries a
// cross-province read with the msgid it first used. The read is answered
// again from the insured place, never refused as a reuse of the msgid with
// other bytes (E4901), however much later the retry comes; two reads
// decided at the same instant are one call.
func TestOutboxReadRetriedWithTheSameMsgID(t *testing.T) {
	jx := newProvince(t, "江西")
	_, hub := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL})
	o := NewOutbox(newClient(t, hub.URL), nil, nil, 0)
	st := settlement.Stamp{UnixMilli: stamp.UnixMilli()}
	for i, tc := range []struct {
		name  string
		kind  settlement.Kind
		later time.Duration // between the first read and the retry
		calls int           // distinct msgids the insured place sees
	}{
		{"1101 retried a second later", settlement.KindPersonInfo, time.Second, 2},
		{"1101 retried a day later", settlement.KindPersonInfo, 24 * time.Hour, 2},
		{"2206 pre-settlement retried a second later", settlement.KindPreSettle, 1500 * time.Millisecond, 2},
		{"1101 twice in the same millisecond", settlement.KindPersonInfo, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgid := "H4501000000120260314092653" + string(rune('A'+i)) + "001"
			wire := remoteRequest(tc.kind, msgid)
			seen := func() map[string]bool {
				out := map[string]bool{}
				jx.set(func(p *fakeProvince) {
					for m := range p.received {
						out[m] = true
					}
				})
				return out
			}
			before := seen()
			for _, at := range []settlement.Stamp{st, {UnixMilli: st.UnixMilli + tc.later.Milliseconds()}} {
				out, err := o.Query(context.Background(), wire, at)
				if err != nil {
					t.Fatalf("read at %s: %v", at.DateTime(), err)
				}
				if !strings.Contains(string(out), `"province":"江西"`) {
					t.Errorf("read at %s: output %s is not the insured place's", at.DateTime(), out)
				}
			}
			var sent []string
			for m := range seen() {
				if !before[m] {
					sent = append(sent, m)
				}
			}
			sort.Strings(sent)
			if len(sent) != tc.calls {
				t.Errorf("the insured place saw msgids %q, want %d distinct", sent, tc.calls)
			}
			for _, m := range sent {
				// The national layout: the hospital's code, the time, four characters.
				if len(m) != 30 || !strings.HasPrefix(m, wire.Hospital) {
					t.Errorf("read sent under %q, want 30 characters starting with %s", m, wire.Hospital)
				}
			}
		})
	}
}

// TestOutboxUnavailableSaysWhatBecameOfTheRequest: E5004 tells the
// hospital that a cross-province write is kept pending, and that a read
// left nothing behind; both ask for a retry with the same msgid.
func TestOutboxUnavailableSaysWhatBecameOfTheRequest(t *testing.T) {
	jx := newProvince(t, "江西")
	jx.set(func(p *fakeProvince) {
		// An insured place that refuses in a shape of its own, not "[Exxxx] 中文 / English".
		p.answer = func(w http.ResponseWriter, _ string) bool {
			w.Write([]byte(`{"infcode":-1,"inf_refmsgid":"360000202603140926530000000001","err_msg":"参保地系统维护中","output":{}}`))
			return true
		}
	})
	_, foreign := startHub(t, []string{deadURL(t)}, []string{jx.srv.URL})
	st := settlement.Stamp{UnixMilli: stamp.UnixMilli()}
	read := func(o *Outbox, msgid string) error {
		_, err := o.Query(context.Background(), remoteRequest(settlement.KindPersonInfo, msgid), st)
		return err
	}
	write := func(o *Outbox, msgid string) error {
		w := remoteRequest(settlement.KindSettle, msgid)
		_, err := o.Wait(context.Background(), settlement.Intent{Hospital: w.Hospital, MsgID: msgid, Kind: w.Kind, Wire: w, Stamp: st})
		return err
	}
	for i, tc := range []struct {
		name        string
		url         string
		send        func(*Outbox, string) error
		says, never settlement.Text
	}{
		{"read, platform unreachable", deadURL(t), read, settlement.UpstreamNothingDone, settlement.UpstreamPending},
		{"write, platform unreachable", deadURL(t), write, settlement.UpstreamPending, settlement.UpstreamNothingDone},
		{"read, answer in a foreign shape", foreign.URL, read, settlement.UpstreamNothingDone, settlement.UpstreamPending},
		{"write, answer in a foreign shape", foreign.URL, write, settlement.UpstreamPending, settlement.UpstreamNothingDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOutbox(newClient(t, tc.url, func(c *ClientConfig) { c.Attempts = 1 }), nil, nil, 0)
			e := settlement.AsError(tc.send(o, fmt.Sprintf("H450100000012026031409265300%02d", i)))
			if e == nil || e.Code != settlement.CodeUpstream || e.Class() != settlement.ClassUnavailable {
				t.Fatalf("got %v, want E5004", e)
			}
			msg := e.Error()
			for _, s := range []string{tc.says.ZH, tc.says.EN, "请使用相同报文ID重试", "retry with the same msgid"} {
				if !strings.Contains(msg, s) {
					t.Errorf("%s\nlacks %q", msg, s)
				}
			}
			for _, s := range []string{tc.never.ZH, tc.never.EN, "%!"} {
				if strings.Contains(msg, s) {
					t.Errorf("%s\nsays %q", msg, s)
				}
			}
		})
	}
}

// failingCaller counts calls and fails every one as the platform being
// unreachable.
type failingCaller struct{ calls atomic.Int64 }

func (c *failingCaller) Call(context.Context, Call) (Reply, error) {
	c.calls.Add(1)
	return Reply{}, settlement.Errorf(settlement.CodeUpstream, "unreachable", settlement.UpstreamPending)
}

// pendingLedger leads and holds one pending intent for ever.
type pendingLedger struct{ in settlement.Intent }

func (l pendingLedger) IsLeader() bool { return true }
func (l pendingLedger) PendingIntents() ([]settlement.Intent, error) {
	return []settlement.Intent{l.in}, nil
}
func (l pendingLedger) Complete(context.Context, string, string, settlement.Completion) (settlement.Answer, error) {
	return settlement.Answer{}, nil
}

// An intent the insured place keeps failing is re-driven less and less
// often, not on every tick; a hospital's retry still drives it at once.
func TestOutboxBacksOffAFailingIntent(t *testing.T) {
	caller := &failingCaller{}
	in := settlement.Intent{Hospital: "H45010000001", MsgID: "H45010000001202603140926530001",
		Wire: remoteRequest(settlement.KindSettle, "H45010000001202603140926530001")}
	o := NewOutbox(caller, pendingLedger{in}, nil, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	o.Run(ctx, 20*time.Millisecond) // 125 ticks
	// Drives at about 0, 1, 3 s: waits of 1 s, then 2 s.
	if n := caller.calls.Load(); n < 2 || n > 4 {
		t.Errorf("a failing intent was driven %d times in 2.5 s of 20 ms ticks, want 2-4 (backing off)", n)
	}
	before := caller.calls.Load()
	wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
	defer wcancel()
	if _, err := o.Wait(wctx, in); err == nil {
		t.Error("the failing drive reported success")
	}
	if caller.calls.Load() != before+1 {
		t.Errorf("a hospital's retry did not drive the intent at once (%d calls, want %d)", caller.calls.Load(), before+1)
	}
}
