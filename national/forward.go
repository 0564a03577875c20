package national

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// forward sends body to the insured province, trying its nodes from the
// one that answered last, and returns the first node's answer that is the
// province's decision. It runs to the end even if the caller gives up, so
// the duplicates waiting for it get the answer. With no node answering it
// returns HTTP 503.
func (h *Hub) forward(ctx context.Context, p *province, infno, msgid string, body []byte) answer {
	ctx = context.WithoutCancel(ctx)
	n := len(p.Nodes)
	first := int(p.preferred.Load())
	var reasons []string
	for i := range n {
		at := (first + i) % n
		ans, responded, err := h.post(ctx, p.Nodes[at], infno, body)
		if responded {
			h.stats.add(func(s *HubStats) { s.Forwarded[msgid]++; s.ByInfno[infno]++ })
		}
		if err != nil {
			h.stats.add(func(s *HubStats) { s.Failovers++ })
			reasons = append(reasons, fmt.Sprintf("%s: %v", p.Nodes[at], err))
			continue
		}
		p.preferred.Store(int64(at))
		if ans.replayed == "true" {
			h.stats.add(func(s *HubStats) { s.Replayed[msgid]++ })
		}
		return ans
	}
	h.stats.add(func(s *HubStats) { s.Unavailable++ })
	h.cfg.Logger.Warn("no node answered", "to", p.Name, "msgid", msgid, "reasons", strings.Join(reasons, "; "))
	return h.unavailable(settlement.Bi("参保省 "+p.Name+" 的节点均无应答", "no node of the insured province "+p.Name+" answered"))
}

// post sends body to one node, signed with the hub's credentials. err says
// why the node's answer is not the province's decision: no answer, HTTP
// 5xx or 429, no response envelope, or a refusal asking for a retry (its
// cluster is changing leader). responded is whether the node answered at
// all.
func (h *Hub) post(ctx context.Context, node, infno string, body []byte) (ans answer, responded bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.ForwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, node+"/national/"+infno, bytes.NewReader(body))
	if err != nil {
		return answer{}, false, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	tif.SignRequest(req, h.cfg.PaasID, h.cfg.Secret, h.cfg.Now())
	resp, err := h.cfg.HTTPClient.Do(req)
	if err != nil {
		return answer{}, false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	switch {
	case err != nil:
		return answer{}, true, fmt.Errorf("HTTP %d, reading the answer: %w", resp.StatusCode, err)
	case len(data) > maxReplyBytes:
		return answer{}, true, fmt.Errorf("HTTP %d, answer larger than %d bytes", resp.StatusCode, maxReplyBytes)
	}
	r, ok := decodeReply(data)
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return answer{}, true, fmt.Errorf("HTTP %d%s", resp.StatusCode, reason(r, ok))
	case !ok:
		return answer{}, true, fmt.Errorf("HTTP %d without a response envelope", resp.StatusCode)
	case r.retryLater():
		return answer{}, true, fmt.Errorf("asks for a retry: %s", r.ErrMsg)
	}
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"),
		replayed: resp.Header.Get("Idempotent-Replayed"), body: data, final: true, infcode: r.Infcode}, true, nil
}
