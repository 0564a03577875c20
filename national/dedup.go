package national

import (
	"crypto/sha256"
	"sync"
)

// dedup is the hub's idempotency table, keyed by calling province and
// msgid. A call is either in flight (its forward is running; duplicates
// wait for it) or answered (the insured place's well-formed answer, given
// again to every duplicate). A failed forward leaves nothing behind, so the
// next retry forwards again. It lives in memory and is never pruned: the
// hub is a simulator.
type dedup struct {
	mu sync.Mutex
	m  map[string]*call
}

// call is one entry. ans is written once, before done is closed.
type call struct {
	digest [sha256.Size]byte
	done   chan struct{}
	ans    answer
}

// answer is what the hub writes back for a call.
type answer struct {
	status      int
	contentType string
	replayed    string // the node's Idempotent-Replayed header, relayed
	body        []byte
	final       bool // the insured place's decision: stored for duplicates
	infcode     int  // of a final answer, for the log
}

// begin registers a call with body under key. It returns the entry and
// whether the caller must forward it (lead) and then finish it. A
// different body under the same key is a conflict.
func (d *dedup) begin(key string, body []byte) (c *call, lead, conflict bool) {
	digest := sha256.Sum256(body)
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.m[key]; ok {
		return c, false, c.digest != digest
	}
	if d.m == nil {
		d.m = map[string]*call{}
	}
	c = &call{digest: digest, done: make(chan struct{})}
	d.m[key] = c
	return c, true, false
}

// finish gives the lead's answer to the waiting duplicates, and keeps it
// for later ones if keep.
func (d *dedup) finish(key string, c *call, ans answer, keep bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.ans = ans
	close(c.done)
	if !keep && d.m[key] == c {
		delete(d.m, key)
	}
}
