package gateway

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// exchange is one hospital message with what the channel it came on knows
// about it: the flow (serveMessage) is the same for every format and for
// HTTP and MLLP alike.
type exchange struct {
	format Format
	body   []byte
	// sender names the hospital a message may speak for, given the
	// institution the message names (maybe ""): the authenticated one over
	// HTTP, the one MSH-4 names over MLLP if the source is allowed. known
	// is false when authentication is off (tests of other concerns).
	sender func(named string) (h settlement.Hospital, known bool, err error)
	// forwarded: another node relayed the message; it is tried once.
	forwarded bool
	// stale: the sender accepts a report answered from this replica.
	stale bool
	// relay is how this node has a request decided by the leader; nil
	// never relays.
	relay func(req settlement.Request) relayer
}

// reply is the flow's answer to a message.
type reply struct {
	body        []byte
	contentType string
	refused     *settlement.Error // nil when answered
	retry       bool              // the refusal asks for a retry with the same msgid
	replayed    bool              // every write was answered from the idempotency table
	stale       string            // how a stale report was read, for X-Provgate-Consistency
	leader      string            // the leader's HTTP address when it decided for this node
	raw         *relayedAnswer    // the leader's own answer to a relayed national request
	msg         Message           // nil when the bytes did not decode
}

// serveMessage is the one flow of every format: decode, check who may send
// it, fill what the hospital's registration knows, decide each request in
// order (stopping at the first refusal, answered in the message's format),
// and encode the answers.
func (s *Server) serveMessage(ctx context.Context, x exchange) reply {
	m, err := x.format.Decode(x.body)
	if err != nil {
		return s.refusal(x.format, m, err)
	}
	reqs := slices.Clone(m.Requests())
	if len(reqs) == 0 {
		return s.refusal(x.format, m, settlement.Errorf(settlement.CodeMissingField, settlement.Bi("报文中的交易", "a transaction in the message")))
	}
	for i := range reqs {
		if err := s.complete(x, &reqs[i]); err != nil {
			return s.refusal(x.format, m, err)
		}
	}
	answers := make([]settlement.Answer, 0, len(reqs))
	writes, replayed := 0, 0
	var stale, leader string
	for _, req := range reqs {
		if err := s.namePerson(ctx, x, &req); err != nil {
			return s.refusal(x.format, m, err)
		}
		var d decision
		if sr, ok := s.cfg.Ledger.(StaleReader); ok && x.stale && req.Kind.Report() {
			var applied uint64
			d.answer, applied, err = sr.ReadStale(req)
			stale = "stale; applied_index=" + strconv.FormatUint(applied, 10)
		} else {
			var r relayer
			if x.relay != nil {
				r = x.relay(req)
			}
			d, err = s.decide(ctx, req, x.forwarded, r)
		}
		if err == nil && d.raw == nil {
			var raw json.RawMessage
			if d.answer, raw, err = s.crossProvince(ctx, d.answer); err == nil && raw != nil {
				re, ok := m.(rawEncoder)
				if !ok {
					return s.refusal(x.format, m, settlement.Errorf(settlement.CodeFormatNotAllowed, req.Hospital, x.format.Name()+" (cross-province query)"))
				}
				out, err := re.EncodeRaw(raw, d.answer)
				if err != nil {
					return s.refusal(x.format, m, err)
				}
				return reply{body: out, contentType: x.format.ContentType(m), msg: m}
			}
		}
		if err != nil {
			return s.refusal(x.format, m, err)
		}
		if d.raw != nil {
			return reply{raw: d.raw, msg: m}
		}
		if d.leader != "" {
			leader = d.leader
		}
		if req.Kind.Writes() {
			writes++
			if d.answer.Replayed {
				replayed++
			}
		}
		answers = append(answers, d.answer)
	}
	out, err := m.Encode(answers)
	if err != nil {
		return s.refusal(x.format, m, err)
	}
	return reply{body: out, contentType: x.format.ContentType(m), replayed: writes > 0 && replayed == writes,
		stale: stale, leader: leader, msg: m}
}

// complete checks a request against its sender and fills what the sender's
// registration knows: the institution and its region, for formats that do
// not carry them. The digest is recomputed over what was filled, so a retry
// still matches.
func (s *Server) complete(x exchange, req *settlement.Request) error {
	h, known, err := x.sender(req.Hospital)
	if err != nil {
		return err
	}
	filled := false
	if req.Hospital == "" {
		req.Hospital, filled = h.Code, true
	}
	if !known {
		return nil
	}
	if !h.Speaks(x.format.Name()) {
		return settlement.Errorf(settlement.CodeFormatNotAllowed, h.Code, x.format.Name())
	}
	if req.TreatAdmdvs == "" {
		req.TreatAdmdvs, filled = h.Admdvs, true
	}
	if filled {
		req.Digest = settlement.ContentDigest(x.format.Name(), *req)
	}
	return nil
}

// refusal answers a message with a refusal in its format. Domain refusals
// pass through; anything else goes through the one error table.
func (s *Server) refusal(f Format, m Message, err error) reply {
	e, internal := answerFor(err)
	if internal {
		kind, msgid, hospital := describe(m)
		s.cfg.Logger.Error("internal error", "format", f.Name(), "kind", kind, "msgid", msgid,
			"fixmedins_code", hospital, "ref", e.ZH, "err", err)
	}
	return reply{body: f.Refuse(m, e, s.cfg.Now()), contentType: f.ContentType(m), refused: e,
		retry: clusterChanging(err), msg: m}
}

// describe names a message for the log: the first request's transaction,
// msgid and institution, never a patient identifier.
func describe(m Message) (kind, msgid, hospital string) {
	if m == nil {
		return "", "", ""
	}
	reqs := m.Requests()
	if len(reqs) == 0 {
		return "", "", ""
	}
	return string(reqs[0].Kind), reqs[0].MsgID, reqs[0].Hospital
}
