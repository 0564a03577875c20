package national

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The fault actions a Fault may take.
const (
	// FaultDelay waits DelayMS before handling the call as usual.
	FaultDelay = "delay"
	// FaultFail answers HTTP 503 without forwarding.
	FaultFail = "fail"
	// FaultDropRequest forwards nothing and breaks the caller's connection.
	FaultDropRequest = "drop_request"
	// FaultDropAnswer forwards the call (the insured place commits), then
	// discards the answer without storing it for deduplication and breaks
	// the caller's connection: the outcome is unknown to the caller.
	FaultDropAnswer = "drop_answer"
)

// Fault is a rule of fault injection. Empty Infno, Prefix and MsgID match
// every call; a call matching several rules takes the first one added.
type Fault struct {
	Infno   string `json:"infno,omitempty"`
	Prefix  string `json:"prefix,omitempty"` // of the insured region (insuplc_admdvs)
	MsgID   string `json:"msgid,omitempty"`
	Action  string `json:"action"`
	DelayMS int    `json:"delay_ms,omitempty"`
	Times   int    `json:"times"` // matching calls it applies to; 0 until cleared
}

func (f Fault) check() error {
	switch f.Action {
	case FaultDelay:
		if f.DelayMS <= 0 {
			return fmt.Errorf("fault: delay_ms must be positive for action %q", f.Action)
		}
	case FaultFail, FaultDropRequest, FaultDropAnswer:
		if f.DelayMS != 0 {
			return fmt.Errorf("fault: delay_ms applies only to action %q", FaultDelay)
		}
	default:
		return fmt.Errorf("fault: action %q is not one of %s, %s, %s, %s", f.Action, FaultDelay, FaultFail, FaultDropRequest, FaultDropAnswer)
	}
	if f.Times < 0 {
		return fmt.Errorf("fault: times %d may not be negative (0 means until cleared)", f.Times)
	}
	if f.Prefix != "" && (len(f.Prefix) > 6 || !digits(f.Prefix)) {
		return fmt.Errorf("fault: prefix %q: 1 to 6 digits of a region code are expected", f.Prefix)
	}
	return nil
}

func (f Fault) matches(infno, region, msgid string) bool {
	return (f.Infno == "" || f.Infno == infno) && strings.HasPrefix(region, f.Prefix) && (f.MsgID == "" || f.MsgID == msgid)
}

// faultSet is the rules in force. A rule with Times left counts down and
// goes when it reaches zero.
type faultSet struct {
	mu    sync.Mutex
	rules []Fault // Times is what is left; 0 never runs out
}

func (s *faultSet) add(f Fault) error {
	if err := f.check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, f)
	return nil
}

func (s *faultSet) clear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.rules)
	s.rules = nil
	return n
}

func (s *faultSet) list() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Fault{}, s.rules...)
}

// take returns the first rule matching a call and uses it once.
func (s *faultSet) take(infno, region, msgid string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.rules {
		if !f.matches(infno, region, msgid) {
			continue
		}
		switch f.Times {
		case 0:
		case 1:
			s.rules = slices.Delete(s.rules, i, i+1)
		default:
			s.rules[i].Times--
		}
		return f, true
	}
	return Fault{}, false
}
