package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/settlement"
)

// formatRoutes are the hospital endpoints of the formats other than the
// national one, with the format each speaks. A route is served when
// Config.Formats has its format.
var formatRoutes = []struct{ path, format string }{
	{"/legacy/xml", "legacyxml"},
	{"/legacy/delimited", "delimited"},
	{"/hl7v2", "hl7v2"},
	{"/fhir/Claim/$submit", "fhir"},
	{"/fhir/CoverageEligibilityRequest/$submit", "fhir"},
}

// refusalStatus lists the formats whose clients branch on the HTTP status
// of a refusal (FHIR's RESTful API); the others read the status from the
// answer's body and always get 200.
var refusalStatus = map[string]bool{"fhir": true}

// formatKey is the gin context key of the format a route speaks, set before
// authentication so that even an unauthenticated caller is refused in it.
const formatKey = "provgate.format"

// routeHospitals registers the hospital endpoints, all behind the same
// authentication and through the same flow.
func (s *Server) routeHospitals(e *gin.Engine) {
	nhsaRoute := func(c *gin.Context) { c.Set(formatKey, Format(s.nhsaFormat(c.Param("infno")))) }
	e.POST("/nhsa", nhsaRoute, s.authenticate, s.handleMessage)
	e.POST("/nhsa/:infno", nhsaRoute, s.authenticate, s.handleMessage)
	byName := map[string]Format{}
	for _, f := range s.cfg.Formats {
		byName[f.Name()] = f
	}
	for _, r := range formatRoutes {
		if f, ok := byName[r.format]; ok {
			e.POST(r.path, func(c *gin.Context) { c.Set(formatKey, f) }, s.authenticate, s.handleMessage)
		}
	}
	if s.cfg.Platform != nil {
		e.POST("/national/:infno", func(c *gin.Context) {
			c.Set(formatKey, Format(nationalFormat{s.nhsaFormat(c.Param("infno"))}))
		}, s.authenticatePlatform, s.handleMessage)
	}
	e.POST(pathDecide, s.handleDecide)
}

// formatOf is the format the route speaks; the national one for routes
// that speak none (a panic outside the hospital endpoints).
func (s *Server) formatOf(c *gin.Context) Format {
	if v, ok := c.Get(formatKey); ok {
		return v.(Format)
	}
	return s.nhsaFormat("")
}

// handleMessage serves a hospital message in any format over HTTP.
func (s *Server) handleMessage(c *gin.Context) {
	start := time.Now()
	f := s.formatOf(c)
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = settlement.Errorf(settlement.CodeTooLarge, strconv.FormatInt(s.cfg.MaxBodyBytes, 10))
		} else {
			err = settlement.Errorf(settlement.CodeMalformed, settlement.Bi("请求体读取失败", "the request body could not be read"))
		}
		s.respond(c, start, f, s.refusal(f, nil, err))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	x := exchange{format: f, body: body, sender: s.httpSender(c),
		forwarded: c.GetHeader(headerForwarded) != "", stale: c.GetHeader(headerConsistency) == "stale"}
	_, platform := f.(nationalFormat)
	if _, national := f.(nhsaFormat); national || platform {
		x.relay = func(settlement.Request) relayer { return nhsaRelay{s: s, c: c, body: body} }
	} else {
		x.relay = func(req settlement.Request) relayer { return decodedRelay{s: s, req: req} }
	}
	s.respond(c, start, f, s.serveMessage(ctx, x))
}

// httpSender: over HTTP the credentials decide the institution, and a
// message naming another one is refused.
func (s *Server) httpSender(c *gin.Context) func(string) (settlement.Hospital, bool, error) {
	return func(named string) (settlement.Hospital, bool, error) {
		v, ok := c.Get(authenticated)
		if !ok {
			return settlement.Hospital{Code: named}, false, nil // authentication off
		}
		h := v.(settlement.Hospital)
		if named != "" && named != h.Code {
			return h, true, settlement.Errorf(settlement.CodeAuthHospital, c.GetHeader(headerPaasID), named)
		}
		return h, true, nil
	}
}

// respond writes a reply and logs one line for the message.
func (s *Server) respond(c *gin.Context, start time.Time, f Format, r reply) {
	switch {
	case r.raw != nil:
		r.raw.write(c)
	default:
		if r.retry {
			c.Header(headerRetry, "1")
		}
		if r.replayed {
			c.Header("Idempotent-Replayed", "true")
		}
		if r.stale != "" {
			c.Header(headerConsistency, r.stale)
		}
		if r.leader != "" {
			c.Header(headerLeader, r.leader)
		}
		status := http.StatusOK
		if r.refused != nil && refusalStatus[f.Name()] {
			status = statusFor(r.refused)
		}
		// A declared length spares net/http chunking an answer over 2 KB,
		// which costs an extra write to the socket.
		c.Header("Content-Length", strconv.Itoa(len(r.body)))
		c.Data(status, r.contentType, r.body)
	}
	s.logMessage(f, "http", r, start)
}

// refuse answers an HTTP request refused before its message was read
// (authentication), in the route's format.
func (s *Server) refuse(c *gin.Context, start time.Time, err error) {
	f := s.formatOf(c)
	s.respond(c, start, f, s.refusal(f, nil, err))
}

// logMessage logs a message's outcome: format, channel, transaction,
// msgid, institution, result code and latency; never a body, a name or an
// ID number.
func (s *Server) logMessage(f Format, channel string, r reply, start time.Time) {
	kind, msgid, hospital := describe(r.msg)
	code := "0"
	if r.refused != nil {
		code = string(r.refused.Code)
	}
	if r.raw != nil {
		code = "relayed"
	}
	var n int
	if r.msg != nil {
		n = len(r.msg.Requests())
	}
	s.cfg.Logger.Info("message", "format", f.Name(), "channel", channel, "kind", kind, "requests", n, "msgid", msgid,
		"fixmedins_code", hospital, "code", code, "replayed", r.replayed, "ms", time.Since(start).Milliseconds())
}
