package national

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// Caller sends one request to the national platform; *Client is one.
type Caller interface {
	Call(ctx context.Context, call Call) (Reply, error)
}

// Ledger is what the outbox needs of the cluster; *consensus.Node is one.
type Ledger interface {
	IsLeader() bool
	PendingIntents() ([]settlement.Intent, error)
	Complete(ctx context.Context, hospital, msgID string, c settlement.Completion) (settlement.Answer, error)
}

// Outbox drives cross-province intents to completion: it calls the
// national platform with the intent's msgid and records the answer through
// the log. Only the leader drives; a new leader finds every intent still
// pending in the replicated state and drives it again with the same msgid,
// which the hub and the insured place deduplicate. One drive per intent is
// in flight at a time on a node; waiting hospitals share it.
type Outbox struct {
	caller  Caller
	ledger  Ledger
	log     *slog.Logger
	timeout time.Duration

	mu      sync.Mutex
	flights map[string]*flight
	// retryAt holds, per intent whose last drive failed, when Run may
	// drive it again: the wait doubles with each failure up to
	// maxRedriveWait, so an insured place that keeps failing (or answers
	// in a shape we cannot read) is not called every second for ever.
	// A hospital's retry drives at once regardless.
	retryAt map[string]redrive
}

type redrive struct {
	failures int
	at       time.Time
}

// maxRedriveWait bounds the wait between re-drives of a failing intent.
const maxRedriveWait = time.Minute

type flight struct {
	done chan struct{}
	ans  settlement.Answer
	err  error
}

// NewOutbox returns an outbox. timeout bounds one drive (all the client's
// attempts and the completion); the intent stays pending after it.
func NewOutbox(caller Caller, ledger Ledger, log *slog.Logger, timeout time.Duration) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Outbox{caller: caller, ledger: ledger, log: log, timeout: timeout, flights: map[string]*flight{},
		retryAt: map[string]redrive{}}
}

// Wait drives the intent, or joins the drive in flight, until ctx ends:
// then the hospital is told the transaction is in progress and to retry
// with the same msgid, while the drive goes on.
func (o *Outbox) Wait(ctx context.Context, in settlement.Intent) (settlement.Answer, error) {
	f := o.drive(in)
	select {
	case <-f.done:
		return f.ans, f.err
	case <-ctx.Done():
		return settlement.Answer{}, settlement.Errorf(settlement.CodeInProgress)
	}
}

// Query sends a cross-province read (1101, 2001, 5206, the
// pre-settlements) and returns the insured place's output. The read goes
// out under a msgid of its own, readMsgID.
func (o *Outbox) Query(ctx context.Context, wire settlement.Request, st settlement.Stamp) (json.RawMessage, error) {
	readID := readMsgID(wire.Hospital, wire.MsgID, wire.Kind, st)
	o.log.Info("cross-province read", "infno", string(wire.Kind), "msgid", wire.MsgID, "read_msgid", readID)
	reply, err := o.call(ctx, wire, readID, st, settlement.UpstreamNothingDone)
	if err != nil {
		return nil, err
	}
	if reply.Infcode != 0 {
		return nil, nhsa.DecodeErrMsg(reply.ErrMsg, settlement.UpstreamNothingDone)
	}
	return reply.Output, nil
}

// readMsgID is the msgid a cross-province read is sent under, in the
// national layout (30 characters: the hospital's code, the read's time in
// China, four characters of its own), e.g. H15010100001202601011000000k3f.
//
// The platform (and the hub) keeps every msgid with the bytes first sent
// under it and refuses the same msgid with other bytes (E4901). A write's
// bytes never change: its intent and stamp are replicated, so every
// re-drive sends them again. A read is not recorded anywhere, here or at
// the insured place, and its stamp (hence inf_time) is taken when it is
// answered, so a hospital that retries a 1101 with the same msgid a second
// later would send other bytes under the same msgid and be refused. Nor
// is a stable body the answer: the hospital's own inf_time may change on a
// retry (a retry is judged by its input alone), other formats carry none,
// and the platform would answer a retry from its memory of the first
// answer, where a local read answers afresh. So each read gets a msgid of
// its own, tied to its stamp: one msgid, one body. The client's retries
// within one Query keep it, so the platform still deduplicates those.
//
// The last four characters are a hash of the hospital's msgid, the infno
// and the stamp: two reads of one hospital in the same second share a
// msgid only by a 1-in-1.7-million chance, and then the platform refuses
// the second (E4901, other bytes) rather than answering it with the first.
// Query logs which hospital msgid each read msgid stands for.
func readMsgID(hospital, msgid string, kind settlement.Kind, st settlement.Stamp) string {
	code := (hospital + "000000000000")[:12]
	h := fnv.New32a()
	h.Write([]byte(msgid + "\x00" + string(kind) + "\x00" + strconv.FormatInt(st.UnixMilli, 10)))
	seq := strconv.FormatUint(uint64(h.Sum32()%(36*36*36*36)), 36)
	seq = strings.Repeat("0", 4-len(seq)) + seq
	return code + time.UnixMilli(st.UnixMilli).In(chinaTime).Format("20060102150405") + seq
}

// chinaTime is UTC+8, the national interface's clock, fixed so the msgid
// does not depend on the node's time-zone database.
var chinaTime = time.FixedZone("CST", 8*3600)

// Run re-drives pending intents while this node leads, every interval,
// until ctx ends: after a leader change, after the platform was down.
func (o *Outbox) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !o.ledger.IsLeader() {
			continue
		}
		pending, err := o.ledger.PendingIntents()
		if err != nil {
			o.log.Error("cannot list pending cross-province intents", "err", err)
			continue
		}
		now := time.Now()
		var due []settlement.Intent
		o.mu.Lock()
		still := make(map[string]bool, len(pending))
		for _, in := range pending {
			key := intentKey(in)
			still[key] = true
			if r, failing := o.retryAt[key]; !failing || !now.Before(r.at) {
				due = append(due, in)
			}
		}
		for key := range o.retryAt {
			if !still[key] { // completed or refused meanwhile
				delete(o.retryAt, key)
			}
		}
		o.mu.Unlock()
		for _, in := range due {
			o.drive(in)
		}
	}
}

func intentKey(in settlement.Intent) string { return in.Hospital + "\x00" + in.MsgID }

func (o *Outbox) drive(in settlement.Intent) *flight {
	key := intentKey(in)
	o.mu.Lock()
	defer o.mu.Unlock()
	if f, ok := o.flights[key]; ok {
		return f
	}
	f := &flight{done: make(chan struct{})}
	o.flights[key] = f
	go func() {
		f.ans, f.err = o.once(in)
		o.mu.Lock()
		delete(o.flights, key)
		if f.err != nil {
			r := o.retryAt[key]
			r.failures++
			r.at = time.Now().Add(min(time.Second<<min(r.failures-1, 6), maxRedriveWait))
			o.retryAt[key] = r
		} else {
			delete(o.retryAt, key)
		}
		o.mu.Unlock()
		close(f.done)
	}()
	return f
}

// once makes one drive: the call, then the completion. A failure to get a
// definitive answer leaves the intent pending and says so.
func (o *Outbox) once(in settlement.Intent) (settlement.Answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	start := time.Now()
	reply, err := o.call(ctx, in.Wire, in.MsgID, in.Stamp, settlement.UpstreamPending)
	if err != nil {
		o.log.Warn("cross-province call pending", "infno", string(in.Wire.Kind), "msgid", in.MsgID, "err", err)
		return settlement.Answer{}, err
	}
	var c settlement.Completion
	if reply.Infcode != 0 {
		e := nhsa.DecodeErrMsg(reply.ErrMsg, settlement.UpstreamPending)
		if e.Class() == settlement.ClassUnavailable {
			// The insured place could not decide yet (its own leader
			// change): still pending.
			return settlement.Answer{}, e
		}
		c.Refusal = e
	} else {
		rec, err := nhsa.DecodeSettlementOutput(reply.Output)
		if err != nil {
			o.log.Error("cross-province answer unreadable; intent stays pending", "msgid", in.MsgID, "err", err)
			return settlement.Answer{}, settlement.Errorf(settlement.CodeUpstream, "unreadable answer", settlement.UpstreamPending)
		}
		c.Record = &rec
	}
	a, err := o.ledger.Complete(ctx, in.Hospital, in.MsgID, c)
	o.log.Info("cross-province call completed", "infno", string(in.Wire.Kind), "msgid", in.MsgID,
		"infcode", reply.Infcode, "ms", time.Since(start).Milliseconds(), "err", err)
	return a, err
}

// call sends wire under msgID. A failure to get an answer is E5004, whose
// reason says what became of the request (fate).
func (o *Outbox) call(ctx context.Context, wire settlement.Request, msgID string, st settlement.Stamp, fate settlement.Text) (Reply, error) {
	input, err := nhsa.WireInput(wire)
	if err != nil {
		return Reply{}, err
	}
	name := ""
	if wire.Remote != nil {
		name = wire.Remote.Hospital.Name
	}
	reply, err := o.caller.Call(ctx, Call{Infno: string(wire.Kind), MsgID: msgID, TreatAdmdvs: wire.TreatAdmdvs,
		InsuredAdmdvs: wire.InsuredAdmdvs, Hospital: wire.Hospital, HospitalName: name, Input: input, Time: st.Time()})
	if err != nil {
		reason := "unreachable"
		if !errors.Is(err, ErrUnavailable) {
			reason = err.Error()
		}
		return Reply{}, settlement.Errorf(settlement.CodeUpstream, reason, fate)
	}
	return reply, nil
}
