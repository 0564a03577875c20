package gateway

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// nhsaFormat is the national JSON interface as a Format. The transaction
// code may come from the URL (POST /nhsa/{infno}), so there is one value
// per request.
type nhsaFormat struct {
	receiver nhsa.Receiver
	serial   *serial
	infno    string
}

type nhsaMessage struct {
	msg      nhsa.Message
	receiver nhsa.Receiver
}

func (s *Server) nhsaFormat(infno string) nhsaFormat {
	return nhsaFormat{receiver: s.receiver, serial: &s.serial, infno: infno}
}

func (nhsaFormat) Name() string { return "nhsa" }

func (f nhsaFormat) Decode(body []byte) (Message, error) {
	msg, err := nhsa.Decode(body, f.infno)
	if err != nil {
		return nil, err
	}
	return nhsaMessage{msg: msg, receiver: f.receiver}, nil
}

// Refuse answers with infcode −1. The national interface answers refusals
// with HTTP 200 and the envelope; HIS branch on infcode.
func (f nhsaFormat) Refuse(_ Message, e *settlement.Error, at time.Time) []byte {
	return f.receiver.EncodeError(e, at, f.serial.next())
}

func (nhsaFormat) ContentType(Message) string { return "application/json; charset=utf-8" }

func (m nhsaMessage) Requests() []settlement.Request { return []settlement.Request{m.msg.Request} }

func (m nhsaMessage) Encode(answers []settlement.Answer) ([]byte, error) {
	return m.receiver.Encode(m.msg.Request.Kind, answers[0])
}

// nhsaRelay relays a national request to the leader as it came (body and
// the hospital's signed headers), so the leader authenticates it itself.
type nhsaRelay struct {
	s    *Server
	c    *gin.Context
	body []byte
}

func (r nhsaRelay) relay(ctx context.Context, leader string) (decision, error) {
	ans, err := r.s.relay(ctx, r.c, r.body, leader)
	if err != nil {
		return decision{}, err
	}
	if ans.retry() {
		return decision{}, consensus.ErrOutcomeUnknown // the leader's own answer said so
	}
	return decision{raw: &ans}, nil
}

// resend: without the internal channel the leader checks the hospital's
// nonce itself, so it would refuse the same request twice as a replay; the
// hospital retries instead.
func (r nhsaRelay) resend() bool { return r.s.cfg.Internal != nil }

// headerConsistency asks for ("stale") and reports how a report was read.
// Without it every read is linearizable; with it, a report query (3201,
// 3202, 5203, 5206) is answered from the replica it reached, which names
// the log index its state includes. Other kinds ignore it.
const headerConsistency = "X-Provgate-Consistency"

// serial numbers refusals, which are not stored and so have no log index,
// for their inf_refmsgid.
type serial struct{ n atomic.Uint64 }

func (s *serial) next() uint64 { return s.n.Add(1) }
