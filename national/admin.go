package national

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// admin guards the /hub/v1 API with the bearer admin token.
func (h *Hub) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.AdminToken == "" {
			writeJSON(w, http.StatusNotFound, adminError("the admin API is off: the hub has no admin_token"))
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(h.cfg.AdminToken)) != 1 {
			writeJSON(w, http.StatusUnauthorized, adminError("Authorization: Bearer <admin_token> is required"))
			return
		}
		next(w, r)
	}
}

func adminError(msg string) map[string]string { return map[string]string{"error": msg} }

func (h *Hub) serveStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.Stats())
}

func (h *Hub) serveFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]Fault{"faults": h.faults.list()})
}

// serveAddFault takes one Fault as JSON; unknown fields are refused so a
// misspelt matcher never widens a rule to every call.
func (h *Hub) serveAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, adminError("fault: "+err.Error()))
		return
	}
	if err := h.AddFault(f); err != nil {
		writeJSON(w, http.StatusBadRequest, adminError(err.Error()))
		return
	}
	writeJSON(w, http.StatusCreated, map[string][]Fault{"faults": h.faults.list()})
}

func (h *Hub) serveClearFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]int{"cleared": h.ClearFaults()})
}

// AddFault adds a fault rule, as POST /hub/v1/faults does.
func (h *Hub) AddFault(f Fault) error { return h.faults.add(f) }

// ClearFaults removes every fault rule and says how many there were.
func (h *Hub) ClearFaults() int { return h.faults.clear() }

// Stats returns the hub's counts.
func (h *Hub) Stats() HubStats { return h.stats.snapshot() }
