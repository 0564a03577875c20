package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/provgate/provgate/settlement"
)

// MLLP configures HL7 v2 over MLLP (the minimal lower layer protocol: each
// message framed by a start byte and an end sequence, on a long-lived TCP
// connection). The framing functions come from the hl7v2 adapter.
type MLLP struct {
	Format     Format // hl7v2
	ReadFrame  func(r *bufio.Reader, max int) ([]byte, error)
	WriteFrame func(w io.Writer, msg []byte) error
	// ErrTooLarge is ReadFrame's error for a frame over the limit that it
	// read to its end: the frame is refused and the connection stays in
	// step, so it is kept. Any other framing error closes the connection.
	ErrTooLarge error
	// MaxFrame bounds one message. Default Config.MaxBodyBytes.
	MaxFrame int
	// IdleTimeout closes a connection that sends nothing for this long.
	// Default 5 minutes.
	IdleTimeout time.Duration
	// FrameTimeout bounds the time from a frame's first byte to its last,
	// and the writing of the answer. Default 30 seconds.
	FrameTimeout time.Duration
}

// mllpServer tracks the listeners and connections of ServeMLLP so that
// Shutdown can stop them: idle connections close at once, busy ones after
// answering the message in hand.
type mllpServer struct {
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*mllpConn]struct{}
	closing   bool
	wg        sync.WaitGroup
}

type mllpConn struct {
	net.Conn
	busy bool // guarded by mllpServer.mu
}

// ServeMLLP accepts HL7 v2 over MLLP on l until Shutdown. Each connection
// is served by its own goroutine, one message at a time, in order.
func (s *Server) ServeMLLP(l net.Listener) error {
	m := s.cfg.MLLP
	if m == nil {
		return errors.New("gateway: ServeMLLP needs Config.MLLP")
	}
	srv := &s.mllp
	srv.mu.Lock()
	if srv.closing {
		srv.mu.Unlock()
		l.Close()
		return nil
	}
	if srv.listeners == nil {
		srv.listeners, srv.conns = map[net.Listener]struct{}{}, map[*mllpConn]struct{}{}
	}
	srv.listeners[l] = struct{}{}
	srv.mu.Unlock()
	backoff := 5 * time.Millisecond
	for {
		conn, err := l.Accept()
		if err != nil {
			srv.mu.Lock()
			closing := srv.closing
			srv.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(backoff) // out of file descriptors and the like
				backoff = min(2*backoff, time.Second)
				continue
			}
			return err
		}
		backoff = 5 * time.Millisecond
		c := &mllpConn{Conn: conn}
		srv.mu.Lock()
		if srv.closing {
			srv.mu.Unlock()
			conn.Close()
			return nil
		}
		srv.conns[c] = struct{}{}
		srv.wg.Add(1)
		srv.mu.Unlock()
		go func() {
			defer srv.wg.Done()
			s.serveMLLPConn(c)
		}()
	}
}

// serveMLLPConn reads frames and answers each with one frame.
func (s *Server) serveMLLPConn(c *mllpConn) {
	srv, m := &s.mllp, s.mllpDefaults()
	defer func() {
		srv.mu.Lock()
		delete(srv.conns, c)
		srv.mu.Unlock()
		c.Close()
	}()
	source, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(m.IdleTimeout))
		if _, err := br.Peek(1); err != nil {
			return // closed, idle too long, or shutting down
		}
		srv.mu.Lock()
		if srv.closing {
			srv.mu.Unlock()
			return
		}
		c.busy = true
		srv.mu.Unlock()
		start := time.Now()
		c.SetReadDeadline(start.Add(m.FrameTimeout))
		frame, err := m.ReadFrame(br, m.MaxFrame)
		var r reply
		switch {
		case err != nil && m.ErrTooLarge != nil && errors.Is(err, m.ErrTooLarge):
			r = s.refusal(m.Format, nil, settlement.Errorf(settlement.CodeTooLarge, strconv.Itoa(m.MaxFrame)))
			err = nil // the frame was read to its end: the stream is in step
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded):
			s.cfg.Logger.Warn("MLLP connection ended inside a frame", "source", source.Addr().String(), "err", err)
			return
		case err != nil:
			// The stream cannot be trusted past a bad frame: answer, then close.
			s.cfg.Logger.Warn("MLLP frame refused; closing the connection", "source", source.Addr().String(), "err", err)
			r = s.refusal(m.Format, nil, settlement.Errorf(settlement.CodeBadMessage, "HL7 v2 (MLLP)",
				settlement.Bi("MLLP 帧", "the MLLP frame"), settlement.Bi("帧的起止字节不符合 MLLP（0x0B … 0x1C 0x0D）",
					"not framed as MLLP (0x0B … 0x1C 0x0D)")))
		default:
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
			r = s.serveMessage(ctx, exchange{format: m.Format, body: frame, sender: s.mllpSender(source.Addr()),
				relay: func(req settlement.Request) relayer { return decodedRelay{s: s, req: req} }})
			cancel()
		}
		c.SetWriteDeadline(time.Now().Add(m.FrameTimeout))
		werr := m.WriteFrame(c, r.body)
		s.logMessage(m.Format, "mllp", r, start)
		srv.mu.Lock()
		c.busy = false
		closing := srv.closing
		srv.mu.Unlock()
		if err != nil || werr != nil || closing {
			return
		}
	}
}

func (s *Server) mllpDefaults() MLLP {
	m := *s.cfg.MLLP
	if m.MaxFrame == 0 {
		m.MaxFrame = int(s.cfg.MaxBodyBytes)
	}
	if m.IdleTimeout == 0 {
		m.IdleTimeout = 5 * time.Minute
	}
	if m.FrameTimeout == 0 {
		m.FrameTimeout = 30 * time.Second
	}
	return m
}

// mllpSender: MLLP carries no credentials, so the message names its
// institution (MSH-4) and the connection's source address must be on that
// institution's allow-list; a message from anywhere else is refused with
// the reason, and nothing is decided.
func (s *Server) mllpSender(source netip.Addr) func(string) (settlement.Hospital, bool, error) {
	return func(named string) (settlement.Hospital, bool, error) {
		if s.cfg.Credentials == nil {
			return settlement.Hospital{Code: named}, false, nil // authentication off
		}
		if named == "" {
			return settlement.Hospital{}, false, settlement.Errorf(settlement.CodeMissingField, settlement.Bi("MSH-4 发送机构", "MSH-4 (sending facility)"))
		}
		h, ok, err := s.cfg.Credentials.HospitalByCode(named)
		switch {
		case err != nil:
			return h, false, err
		case !ok:
			return h, false, settlement.Errorf(settlement.CodeUnknownHospital, named)
		case h.Disabled:
			return h, false, settlement.Errorf(settlement.CodeHospitalDisabled, named)
		case !h.Speaks("hl7v2"):
			return h, false, settlement.Errorf(settlement.CodeFormatNotAllowed, named, "hl7v2")
		case !h.AcceptsMLLPFrom(source):
			return h, false, settlement.Errorf(settlement.CodeAuthMissing, settlement.Bi(
				"MLLP 来源地址 "+source.Unmap().String()+" 不在机构 "+named+" 登记的 mllp_sources 中",
				"MLLP source address "+source.Unmap().String()+" is not among the mllp_sources registered for "+named))
		}
		return h, true, nil
	}
}

// shutdownMLLP stops accepting, closes idle connections, lets busy ones
// answer the message in hand, and waits for them until ctx ends; then it
// closes what is left.
func (s *Server) shutdownMLLP(ctx context.Context) error {
	srv := &s.mllp
	srv.mu.Lock()
	srv.closing = true
	for l := range srv.listeners {
		l.Close()
	}
	for c := range srv.conns {
		if !c.busy {
			c.Close()
		}
	}
	srv.mu.Unlock()
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		srv.mu.Lock()
		for c := range srv.conns {
			c.Close()
		}
		srv.mu.Unlock()
		<-done
		return ctx.Err()
	}
}
