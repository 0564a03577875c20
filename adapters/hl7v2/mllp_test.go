package hl7v2

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadFrame(t *testing.T) {
	const max = 16
	tests := []struct {
		name   string
		stream string
		want   []string // the frames read, in order
		err    error    // the error after them
	}{
		{"one", "\x0bMSH|a\x1c\r", []string{"MSH|a"}, io.EOF},
		{"two", "\x0bA\x1c\r\x0bB\x1c\r", []string{"A", "B"}, io.EOF},
		{"newline between frames", "\x0bA\x1c\r\n\r\n\x0bB\x1c\r", []string{"A", "B"}, io.EOF},
		{"empty frame", "\x0b\x1c\r", []string{""}, io.EOF},
		{"segments keep their CR", "\x0bMSH|x\rPID|1\r\x1c\r", []string{"MSH|x\rPID|1\r"}, io.EOF},
		{"exactly max", "\x0b" + strings.Repeat("x", max) + "\x1c\r", []string{strings.Repeat("x", max)}, io.EOF},
		{"nothing", "", nil, io.EOF},
		{"no start block", "MSH|a\x1c\r", nil, ErrFrameStart},
		{"junk after a frame", "\x0bA\x1c\rX", []string{"A"}, ErrFrameStart},
		{"cut inside", "\x0bMSH|a", nil, io.ErrUnexpectedEOF},
		{"cut before CR", "\x0bA\x1c", nil, io.ErrUnexpectedEOF},
		{"end block without CR", "\x0bA\x1cB", nil, ErrFrameEnd},
		{"start inside a frame", "\x0bA\x0bB\x1c\r", nil, ErrFrameEnd},
		{"too large", "\x0b" + strings.Repeat("x", max+1) + "\x1c\r\x0bok\x1c\r", []string{}, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.stream), 16)
			var got []string
			var err error
			for {
				var f []byte
				f, err = ReadFrame(r, max)
				if err != nil {
					break
				}
				got = append(got, string(f))
			}
			if len(got) != len(tt.want) || !errors.Is(err, tt.err) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("frame %d: %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestReadFrameTooLargeKeepsStep: after an oversized frame the next frame
// is read normally, so the listener can refuse one message and go on.
func TestReadFrameTooLargeKeepsStep(t *testing.T) {
	big := "\x0b" + strings.Repeat("y", 100) + "\x1c\r"
	r := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(big+"\x0bnext\x1c\r")), 16)
	if _, err := ReadFrame(r, 10); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized frame: %v", err)
	}
	f, err := ReadFrame(r, 10)
	if err != nil || string(f) != "next" {
		t.Errorf("frame after the oversized one: %q, %v", f, err)
	}
}

// TestFrameRoundTrip writes the replies of the encode goldens framed and
// reads them back through a reader that returns one byte at a time.
func TestFrameRoundTrip(t *testing.T) {
	var stream bytes.Buffer
	msgs := [][]byte{read(t, "testdata/day/08-2207.hl7"), gbkSettle(t), {}}
	for _, m := range msgs {
		if err := WriteFrame(&stream, m); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReaderSize(iotest.OneByteReader(&stream), 16)
	for i, want := range msgs {
		got, err := ReadFrame(r, 1<<20)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("message %d: %v, %q", i, err, got)
		}
	}
	if _, err := ReadFrame(r, 1<<20); err != io.EOF {
		t.Errorf("after the last frame: %v", err)
	}
	for _, bad := range []string{"a\x0bb", "a\x1cb"} {
		if err := WriteFrame(io.Discard, []byte(bad)); !errors.Is(err, ErrFrameContent) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzReadFrame: ReadFrame never panics, never returns more than max
// bytes, and what it returns frames back to the same bytes.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x0bMSH|^~\\&|a\rPID|1\x1c\r"), 64)
	f.Add([]byte("\x0b\x1c\r\n\x0bx\x1c\r"), 4)
	f.Add([]byte("\x0bxxxxxxxx\x1c\r\x0bok\x1c\r"), 4)
	f.Fuzz(func(t *testing.T, stream []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		r := bufio.NewReaderSize(bytes.NewReader(stream), 16)
		for range len(stream) + 1 {
			msg, err := ReadFrame(r, max)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrFrameStart) || errors.Is(err, ErrFrameEnd) {
					return
				}
				if errors.Is(err, ErrFrameTooLarge) {
					continue
				}
				t.Fatalf("unexpected error %v", err)
			}
			if len(msg) > max {
				t.Fatalf("%d bytes returned, max %d", len(msg), max)
			}
			var out bytes.Buffer
			if err := WriteFrame(&out, msg); err != nil {
				t.Fatalf("a frame read does not write back: %v", err)
			}
			again, err := ReadFrame(bufio.NewReader(&out), max)
			if err != nil || !bytes.Equal(again, msg) {
				t.Fatalf("round trip: %q, %v", again, err)
			}
		}
	})
}
