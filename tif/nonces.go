package tif

import (
	"sync"
	"time"
)

// Nonces remembers the nonces seen within at least twice the replay window,
// so a signed request sent again inside the window is refused. Both the
// gateway (hospitals) and the hub (provinces) check with it.
//
// It keeps two generations of a map and drops the older one when the
// current one is two windows old: no sweep over every entry, and a nonce
// is remembered for two to four windows.
type Nonces struct {
	mu        sync.Mutex
	cur, prev map[string]struct{}
	since     time.Time // when cur began
}

// maxNonces bounds a generation; a flood turns it over early rather than
// growing the cache without limit.
const maxNonces = 1 << 20

// Fresh records key (the caller's id and nonce) and reports whether it was
// not seen before.
func (n *Nonces) Fresh(key string, now time.Time, window time.Duration) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil || now.Sub(n.since) > 2*window || len(n.cur) >= maxNonces {
		n.prev, n.cur, n.since = n.cur, map[string]struct{}{}, now
	}
	_, inCur := n.cur[key]
	_, inPrev := n.prev[key]
	if inCur || inPrev {
		return false
	}
	n.cur[key] = struct{}{}
	return true
}
