package national

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// authenticate finds the province that signed r, the way the gateway checks
// a hospital: the paas id must be a province's, the signature must verify
// with its secret, the timestamp must be within the window and the nonce
// new.
func (h *Hub) authenticate(r *http.Request) (*province, *settlement.Error) {
	paasID, ts := r.Header.Get(tif.HeaderPaasID), r.Header.Get(tif.HeaderTimestamp)
	nonce, sig := r.Header.Get(tif.HeaderNonce), r.Header.Get(tif.HeaderSignature)
	if paasID == "" || ts == "" || nonce == "" || sig == "" {
		return nil, settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid, x-tif-timestamp, x-tif-nonce, x-tif-signature")
	}
	p, ok := h.callers[paasID]
	if !ok {
		return nil, settlement.Errorf(settlement.CodeAuthMissing, "x-tif-paasid")
	}
	if subtle.ConstantTimeCompare([]byte(tif.Sign(ts, p.Secret, nonce)), []byte(sig)) != 1 {
		return nil, settlement.Errorf(settlement.CodeAuthSignature)
	}
	window := h.cfg.AuthWindow
	sec, err := strconv.ParseInt(ts, 10, 64)
	now := h.cfg.Now()
	if err != nil || abs(now.Unix()-sec) > int64(window/time.Second) {
		return nil, settlement.Errorf(settlement.CodeAuthClock, strconv.Itoa(int(window/time.Second)))
	}
	if !h.nonces.Fresh(paasID+"\x00"+nonce, now, window) {
		return nil, settlement.Errorf(settlement.CodeAuthReplay)
	}
	return p, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
