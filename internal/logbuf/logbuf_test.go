package logbuf

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is the file the writer writes to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int // writes
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWhenLinesReachTheFile(t *testing.T) {
	tests := []struct {
		name  string
		log   func(l *slog.Logger, w *Writer)
		want  []string // lines in the file afterwards, in order
		gone  []string // lines not (yet) in it
		close bool
	}{
		{"information waits", func(l *slog.Logger, _ *Writer) { l.Info("served") }, nil, []string{"served"}, false},
		{"a warning takes what waits with it", func(l *slog.Logger, _ *Writer) {
			l.Info("served")
			l.Warn("leader lost")
		}, []string{"served", "leader lost"}, nil, false},
		{"an error too", func(l *slog.Logger, _ *Writer) { l.Error("disk full") }, []string{"disk full"}, nil, false},
		{"a derived logger keeps the rule", func(l *slog.Logger, _ *Writer) {
			l.With("node", "n1").WithGroup("g").Warn("election")
		}, []string{"election"}, nil, false},
		{"32 KB flush at once", func(l *slog.Logger, _ *Writer) {
			for i := range 400 {
				l.Info("line", "n", i, "pad", strings.Repeat("x", 80))
			}
		}, []string{"n=0 ", "n=150 "}, []string{"n=399 "}, false},
		{"close flushes", func(l *slog.Logger, _ *Writer) { l.Info("last words") }, []string{"last words"}, nil, true},
		{"after close lines go straight through", func(l *slog.Logger, w *Writer) {
			w.Close()
			l.Info("after")
		}, []string{"after"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			w := New(&out, time.Hour) // the ticker never fires here
			defer w.Close()
			l := slog.New(Urgent(slog.NewTextHandler(w, nil), w))
			tt.log(l, w)
			if tt.close {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			got := out.String()
			last := -1
			for _, s := range tt.want {
				i := strings.Index(got, s)
				if i < 0 || i < last {
					t.Fatalf("%q not in the file (in order); file:\n%s", s, got)
				}
				last = i
			}
			for _, s := range tt.gone {
				if strings.Contains(got, s) {
					t.Errorf("%q reached the file before a flush", s)
				}
			}
		})
	}
}

func TestTheTickerFlushes(t *testing.T) {
	var out syncBuffer
	w := New(&out, 5*time.Millisecond)
	defer w.Close()
	fmt.Fprintln(w, "served")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "served"); {
		if time.Now().After(deadline) {
			t.Fatal("never flushed")
		}
		time.Sleep(time.Millisecond)
	}
}

// Concurrent writers: every line arrives whole, none lost, in far fewer
// writes to the file than lines.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var out syncBuffer
	w := New(&out, time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "g%d line %d %s\n", g, i, strings.Repeat("y", 20))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		var pad string
		if n, _ := fmt.Sscanf(l, "g%d line %d %s", &g, &i, &pad); n != 3 || len(pad) != 20 {
			t.Fatalf("broken line %q", l)
		}
		seen[l] = true
	}
	if len(seen) != len(lines) {
		t.Errorf("%d distinct lines of %d", len(seen), len(lines))
	}
	if out.n >= len(lines)/10 {
		t.Errorf("%d writes for %d lines", out.n, len(lines))
	}
}
