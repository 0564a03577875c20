package national

import (
	"maps"
	"sync"
)

// HubStats are the hub's counts since it started, for tests and demos.
//
// A retry the hub answers from its own msgid table counts in DedupHits. A
// retry it forwards again (its table kept nothing: no node answered, or a
// drop_answer fault discarded the answer) reaches the insured province once
// more; if the province had already decided the call, it answers from its
// idempotency store, marked Idempotent-Replayed, and that answer counts in
// Replayed as well as in Forwarded. Either way nothing is decided twice.
type HubStats struct {
	Calls         int64            `json:"calls"`          // calls received on /national
	Refused       int64            `json:"refused"`        // answered by the hub itself with infcode -1
	Forwarded     map[string]int64 `json:"forwarded"`      // per msgid: requests an insured province's node answered
	ByInfno       map[string]int64 `json:"by_infno"`       // per infno: the same requests
	Replayed      map[string]int64 `json:"replayed"`       // per msgid: of those, answers from the province's idempotency store
	Failovers     int64            `json:"failovers"`      // nodes that could not answer and were passed over
	Unavailable   int64            `json:"unavailable"`    // calls answered 503: no node of the insured province answered
	DedupHits     int64            `json:"dedup_hits"`     // duplicates answered without forwarding
	FaultsApplied map[string]int64 `json:"faults_applied"` // per action
}

// counters keeps HubStats under a lock.
type counters struct {
	mu sync.Mutex
	s  HubStats
}

func (c *counters) add(f func(*HubStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.Forwarded == nil {
		c.s.Forwarded, c.s.Replayed, c.s.FaultsApplied = map[string]int64{}, map[string]int64{}, map[string]int64{}
		c.s.ByInfno = map[string]int64{}
	}
	f(&c.s)
}

func (c *counters) snapshot() HubStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.Forwarded, s.Replayed, s.FaultsApplied = maps.Clone(c.s.Forwarded), maps.Clone(c.s.Replayed), maps.Clone(c.s.FaultsApplied)
	s.ByInfno = maps.Clone(c.s.ByInfno)
	if s.Forwarded == nil {
		s.Forwarded, s.Replayed, s.FaultsApplied = map[string]int64{}, map[string]int64{}, map[string]int64{}
		s.ByInfno = map[string]int64{}
	}
	return s
}
