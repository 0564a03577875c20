package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// flushAt is the buffered size that makes a write flush at once.
const flushAt = 32 << 10

// Writer is an io.Writer that buffers and flushes in the background. It is
// safe for concurrent use; each Write's bytes stay together.
type Writer struct {
	mu     sync.Mutex
	out    io.Writer
	buf    []byte
	err    error // the first error writing to out, returned by later calls
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// New returns a Writer to out that flushes every interval.
func New(out io.Writer, interval time.Duration) *Writer {
	w := &Writer{out: out, buf: make([]byte, 0, flushAt), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop(interval)
	return w
}

func (w *Writer) loop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.Flush()
		case <-w.stop:
			return
		}
	}
}

// Write buffers p; after Close it writes through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		if len(w.buf) > 0 {
			w.flushLocked()
		}
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= flushAt {
		w.flushLocked()
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return w.err
	}
	if _, err := w.out.Write(w.buf); err != nil && w.err == nil {
		w.err = err
	}
	w.buf = w.buf[:0]
	return w.err
}

// Close flushes and stops the background flushing; later writes go
// straight through. It may be called more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	<-w.done
	return w.Flush()
}

// Urgent wraps h so that a record at warning level or above is flushed to
// w before Handle returns.
func Urgent(h slog.Handler, w *Writer) slog.Handler { return urgent{h, w} }

type urgent struct {
	slog.Handler
	w *Writer
}

func (u urgent) Handle(ctx context.Context, r slog.Record) error {
	err := u.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := u.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (u urgent) WithAttrs(as []slog.Attr) slog.Handler { return urgent{u.Handler.WithAttrs(as), u.w} }
func (u urgent) WithGroup(name string) slog.Handler    { return urgent{u.Handler.WithGroup(name), u.w} }
