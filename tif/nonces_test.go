package tif

import (
	"testing"
	"time"
)

func TestNonces(t *testing.T) {
	const w = time.Minute
	t0 := time.Unix(1_800_000_000, 0)
	var n Nonces
	steps := []struct {
		key   string
		at    time.Duration
		fresh bool
	}{
		{"a", 0, true},
		{"a", time.Second, false},         // replay inside the window
		{"b", time.Second, true},          // another nonce
		{"a", 2 * w, false},               // remembered for two windows at least
		{"a", 2*w + 2*time.Second, false}, // a new generation began; a is in the previous one
		{"c", 2*w + 2*time.Second, true},
		{"a", 4*w + 3*time.Second, true},  // more than four windows old: forgotten
		{"c", 4*w + 3*time.Second, false}, // c is in the previous generation now
		{"b", 4*w + 4*time.Second, true},  // b went with its generation
	}
	for i, s := range steps {
		if got := n.Fresh(s.key, t0.Add(s.at), w); got != s.fresh {
			t.Errorf("step %d: Fresh(%s at %v) = %v, want %v", i, s.key, s.at, got, s.fresh)
		}
	}
}
