package hl7v2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MLLP (the Minimal Lower Layer Protocol of HL7, release 1) frames each
// message on a TCP stream as 0x0B, the message, 0x1C 0x0D. These helpers
// are pure: the gateway's listener owns the connection and its deadlines.
const (
	startBlock = 0x0b
	endBlock   = 0x1c
	carriage   = 0x0d
)

// Framing errors. The listener answers ErrFrameTooLarge with a refusal
// (ReadFrame has skipped the rest of that frame, so the stream stays in
// step) and closes the connection on the others.
var (
	ErrFrameStart    = errors.New("hl7v2: MLLP frame does not start with 0x0B")
	ErrFrameTooLarge = errors.New("hl7v2: MLLP frame too large")
	ErrFrameEnd      = errors.New("hl7v2: MLLP frame not closed by 0x1C 0x0D")
	ErrFrameContent  = errors.New("hl7v2: message holds an MLLP block byte (0x0B or 0x1C)")
)

// ReadFrame reads one framed message of at most max bytes and returns the
// message without its frame. CR and LF before the start block are skipped
// (some senders end a frame with 0x1C 0x0D 0x0A). io.EOF means the peer
// closed the stream between frames; io.ErrUnexpectedEOF that it closed
// inside one. A frame over max is read to its end and discarded; it yields
// ErrFrameTooLarge. Reading an endless frame takes until the listener's
// read deadline, but never more than max bytes of memory.
func ReadFrame(r *bufio.Reader, max int) ([]byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == '\r' || b == '\n' {
			continue
		}
		if b != startBlock {
			return nil, fmt.Errorf("%w (got 0x%02X)", ErrFrameStart, b)
		}
		break
	}
	var msg []byte
	for {
		chunk, err := r.ReadSlice(endBlock)
		done := err == nil
		if done {
			chunk = chunk[:len(chunk)-1]
		}
		if len(msg)+len(chunk) > max {
			if !done {
				if err := skipFrame(r); err != nil {
					return nil, err
				}
			}
			if err := frameEnd(r); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrFrameTooLarge, max)
		}
		msg = append(msg, chunk...)
		if done {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if bytes.IndexByte(msg, startBlock) >= 0 {
		return nil, fmt.Errorf("%w: a 0x0B inside the frame (the frame before was never closed)", ErrFrameEnd)
	}
	if err := frameEnd(r); err != nil {
		return nil, err
	}
	if msg == nil {
		msg = []byte{}
	}
	return msg, nil
}

// skipFrame reads up to and including the end block.
func skipFrame(r *bufio.Reader) error {
	for {
		_, err := r.ReadSlice(endBlock)
		switch {
		case err == nil:
			return nil
		case err == io.EOF:
			return io.ErrUnexpectedEOF
		case err != bufio.ErrBufferFull:
			return err
		}
	}
}

// frameEnd reads the carriage return that follows the end block.
func frameEnd(r *bufio.Reader) error {
	b, err := r.ReadByte()
	switch {
	case err == io.EOF:
		return io.ErrUnexpectedEOF
	case err != nil:
		return err
	case b != carriage:
		return fmt.Errorf("%w (0x1C followed by 0x%02X)", ErrFrameEnd, b)
	}
	return nil
}

// WriteFrame writes msg framed, in one Write call. A message holding a
// block byte would break the framing and is refused; Encode never writes
// one.
func WriteFrame(w io.Writer, msg []byte) error {
	if bytes.IndexByte(msg, startBlock) >= 0 || bytes.IndexByte(msg, endBlock) >= 0 {
		return ErrFrameContent
	}
	buf := make([]byte, 0, len(msg)+3)
	buf = append(buf, startBlock)
	buf = append(buf, msg...)
	buf = append(buf, endBlock, carriage)
	_, err := w.Write(buf)
	return err
}
