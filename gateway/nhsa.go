package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/settlement"
)

// handleNHSA serves the national JSON interface.
func (s *Server) handleNHSA(c *gin.Context) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.refuse(c, start, nhsa.Message{}, settlement.Errorf(settlement.CodeTooLarge, strconv.FormatInt(s.cfg.MaxBodyBytes, 10)))
			return
		}
		s.refuse(c, start, nhsa.Message{}, settlement.Errorf(settlement.CodeMalformed, settlement.Bi("请求体读取失败", "the request body could not be read")))
		return
	}
	msg, err := nhsa.Decode(body, c.Param("infno"))
	if err != nil {
		s.refuse(c, start, msg, err)
		return
	}
	if v, ok := c.Get(authenticated); ok {
		h := v.(settlement.Hospital)
		if h.Code != msg.Request.Hospital {
			s.refuse(c, start, msg, settlement.Errorf(settlement.CodeAuthHospital, c.GetHeader(headerPaasID), msg.Request.Hospital))
			return
		}
		if !h.Speaks("nhsa") {
			s.refuse(c, start, msg, settlement.Errorf(settlement.CodeFormatNotAllowed, h.Code, "nhsa"))
			return
		}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	var a settlement.Answer
	if msg.Request.Kind.Writes() {
		a, err = s.cfg.Ledger.Submit(ctx, msg.Request)
	} else {
		a, err = s.cfg.Ledger.Read(ctx, msg.Request)
	}
	if err != nil {
		if s.forwardable(c, err) {
			s.forward(c, body)
			return
		}
		s.refuse(c, start, msg, err)
		return
	}
	out, err := s.receiver.Encode(msg.Request.Kind, a)
	if err != nil {
		s.refuse(c, start, msg, err)
		return
	}
	if a.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	s.logRequest(msg, "0", a.Replayed, start)
}

// refuse answers with infcode −1. The national interface answers refusals
// with HTTP 200 and the envelope; HIS branch on infcode.
func (s *Server) refuse(c *gin.Context, start time.Time, msg nhsa.Message, err error) {
	e, internal := answerFor(err)
	if internal {
		s.cfg.Logger.Error("internal error", "infno", string(msg.Header.Infno), "msgid", string(msg.Header.MsgID),
			"fixmedins_code", string(msg.Header.FixmedinsCode), "ref", e.ZH, "err", err)
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.receiver.EncodeError(e, s.cfg.Now(), s.serial.next()))
	s.logRequest(msg, string(e.Code), false, start)
}

func (s *Server) logRequest(msg nhsa.Message, code string, replayed bool, start time.Time) {
	s.cfg.Logger.Info("nhsa", "infno", string(msg.Header.Infno), "msgid", string(msg.Header.MsgID),
		"fixmedins_code", string(msg.Header.FixmedinsCode), "code", code, "replayed", replayed,
		"ms", time.Since(start).Milliseconds())
}

// serial numbers refusals, which are not stored and so have no log index,
// for their inf_refmsgid.
type serial struct{ n atomic.Uint64 }

func (s *serial) next() uint64 { return s.n.Add(1) }

// nhsaMessage names a request that was refused before its body was read,
// for the log line: the infno from the URL if there is one.
func nhsaMessage(c *gin.Context) nhsa.Message {
	var m nhsa.Message
	m.Header.Infno = nhsa.Text(c.Param("infno"))
	return m
}
