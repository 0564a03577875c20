package national

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/provgate/provgate/settlement"
)

// callHeader is what the hub reads of a request envelope: enough to route
// and deduplicate. The input is forwarded unread.
type callHeader struct {
	Infno         text `json:"infno"`
	MsgID         text `json:"msgid"`
	InsuplcAdmdvs text `json:"insuplc_admdvs"`
}

// logLine is the one line logged per call. It names the call, never the
// patient: no input, no person identifiers.
type logLine struct {
	infno, msgid, from, to, outcome string
}

// serveCall handles a province's POST /national/{infno}.
func (h *Hub) serveCall(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	l := logLine{infno: r.PathValue("infno"), from: "-", to: "-"}
	h.stats.add(func(s *HubStats) { s.Calls++ })
	ans, broken := h.handle(w, r, &l)
	h.cfg.Logger.Info("national call", "infno", l.infno, "msgid", l.msgid, "from", l.from, "to", l.to,
		"outcome", l.outcome, "ms", time.Since(start).Milliseconds())
	if broken {
		// The server closes the connection without an answer; the caller
		// sees a broken connection, as when a network drops it.
		panic(http.ErrAbortHandler)
	}
	writeAnswer(w, ans)
}

// handle authenticates, routes, applies any fault rule and deduplicates a
// call. broken means the caller gets no answer at all.
func (h *Hub) handle(w http.ResponseWriter, r *http.Request, l *logLine) (ans answer, broken bool) {
	from, e := h.authenticate(r)
	if e != nil {
		return h.refuse(l, e), false
	}
	l.from = from.Name
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return h.refuse(l, settlement.Errorf(settlement.CodeTooLarge, strconv.FormatInt(h.cfg.MaxBodyBytes, 10))), false
		}
		l.outcome = "request broken"
		return answer{}, true
	}
	hd, e := readHeader(body, l.infno)
	if e != nil {
		return h.refuse(l, e), false
	}
	l.msgid = hd.msgid
	to := h.route(hd.region)
	if to == nil {
		return h.refuse(l, settlement.Errorf(settlement.CodeBadField, "insuplc_admdvs",
			settlement.Bi(hd.region+"（国家平台未连接该参保地）", hd.region+" (no insured province of this region is connected)"))), false
	}
	l.to = to.Name

	f, faulted := h.faults.take(l.infno, hd.region, hd.msgid)
	if faulted {
		h.stats.add(func(s *HubStats) { s.FaultsApplied[f.Action]++ })
		switch f.Action {
		case FaultDelay:
			t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				l.outcome = "fault delay: caller gone"
				return answer{}, true
			}
		case FaultFail:
			l.outcome = "fault fail"
			h.stats.add(func(s *HubStats) { s.Unavailable++ })
			return h.unavailable(settlement.Bi("故障注入：未转发", "fault injected: not forwarded")), false
		case FaultDropRequest:
			l.outcome = "fault drop_request"
			return answer{}, true
		}
	}
	dropAnswer := faulted && f.Action == FaultDropAnswer

	key := from.PaasID + "\x00" + hd.msgid
	c, lead, conflict := h.calls.begin(key, body)
	switch {
	case conflict:
		return h.refuse(l, settlement.Errorf(settlement.CodeMsgIDConflict, hd.msgid)), false
	case lead:
		ans = h.forward(r.Context(), to, l.infno, hd.msgid, body)
		h.calls.finish(key, c, ans, ans.final && !dropAnswer)
		l.outcome = ans.outcome()
	default:
		select {
		case <-c.done:
		case <-r.Context().Done():
			l.outcome = "duplicate: caller gone"
			return answer{}, true
		}
		ans = c.ans
		h.stats.add(func(s *HubStats) { s.DedupHits++ })
		l.outcome = "duplicate " + ans.outcome()
	}
	if dropAnswer {
		l.outcome = "fault drop_answer after " + l.outcome
		return answer{}, true
	}
	return ans, false
}

// header is a request envelope's routing fields, checked.
type header struct{ msgid, region string }

// readHeader checks the fields the hub routes and deduplicates on. The
// infno in the envelope, if any, must be the one in the URL.
func readHeader(body []byte, infno string) (header, *settlement.Error) {
	var hd callHeader
	if err := json.Unmarshal(body, &hd); err != nil {
		return header{}, settlement.Errorf(settlement.CodeMalformed, err.Error())
	}
	switch {
	case hd.Infno != "" && string(hd.Infno) != infno:
		return header{}, settlement.Errorf(settlement.CodeBadField, "infno",
			settlement.Bi(string(hd.Infno)+"（与URL中的 "+infno+" 不一致）", string(hd.Infno)+" (the URL says "+infno+")"))
	case hd.MsgID == "":
		return header{}, settlement.Errorf(settlement.CodeMissingField, "msgid")
	case hd.InsuplcAdmdvs == "":
		return header{}, settlement.Errorf(settlement.CodeMissingField, "insuplc_admdvs")
	case !region(string(hd.InsuplcAdmdvs)):
		return header{}, settlement.Errorf(settlement.CodeBadField, "insuplc_admdvs",
			settlement.Bi("应为6位数字区划代码", "a 6-digit region code is expected"))
	}
	return header{msgid: string(hd.MsgID), region: string(hd.InsuplcAdmdvs)}, nil
}

// refuse is the hub's own refusal: HTTP 200 and infcode -1, as the national
// interface answers refusals.
func (h *Hub) refuse(l *logLine, e *settlement.Error) answer {
	l.outcome = "refused " + string(e.Code)
	h.stats.add(func(s *HubStats) { s.Refused++ })
	return answer{status: http.StatusOK, body: h.envelope(e)}
}

// unavailable is HTTP 503: nothing was decided, retry with the same msgid.
func (h *Hub) unavailable(why settlement.Text) answer {
	return answer{status: http.StatusServiceUnavailable, body: h.envelope(settlement.Errorf(settlement.CodeUnavailable, why))}
}

// hubAdmdvs is the region part of the inf_refmsgid the hub gives its own
// answers: none of the provinces'.
const hubAdmdvs = "000000"

// envelope is the response envelope of a refusal by the hub.
func (h *Hub) envelope(e *settlement.Error) []byte {
	at := h.cfg.Now().In(infTimeZone)
	serial := strconv.FormatUint(h.serial.Add(1)%10_000_000_000, 10)
	b, _ := json.Marshal(struct {
		Infcode     int             `json:"infcode"`
		InfRefmsgid string          `json:"inf_refmsgid"`
		RefmsgTime  string          `json:"refmsg_time"`
		RespondTime string          `json:"respond_time"`
		ErrMsg      string          `json:"err_msg"`
		Output      json.RawMessage `json:"output"`
	}{-1, hubAdmdvs + at.Format("20060102150405") + zeros[:10-len(serial)] + serial,
		at.Format("20060102150405.000"), at.Format("20060102150405.000"), e.Error(), json.RawMessage("{}")})
	return b
}

const zeros = "0000000000"

func (a answer) outcome() string {
	if !a.final {
		return "unavailable"
	}
	return "infcode " + strconv.Itoa(a.infcode)
}

func writeAnswer(w http.ResponseWriter, a answer) {
	ct := a.contentType
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if a.replayed != "" {
		w.Header().Set("Idempotent-Replayed", a.replayed)
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// writeJSON answers the admin API.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
