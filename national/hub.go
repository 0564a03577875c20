package national

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/provgate/provgate/tif"
)

// HubConfig configures a Hub. Zero durations and sizes take the defaults
// named on each field.
type HubConfig struct {
	PaasID, Secret string        // the hub's own credentials towards the provinces' nodes
	Provinces      []Province    // the provincial clusters it routes between
	AdminToken     string        // bearer token of /hub/v1; "" turns the admin API off
	AuthWindow     time.Duration // accepted x-tif-timestamp skew (default 300s)
	ForwardTimeout time.Duration // per node tried (default 10s)
	MaxBodyBytes   int64         // largest request accepted (default 4 MiB)
	HTTPClient     *http.Client  // towards the nodes; default keeps connections alive
	Logger         *slog.Logger  // one line per call; default discards
	Now            func() time.Time
}

// Province is one provincial cluster connected to the hub.
type Province struct {
	Name   string   `yaml:"name"`   // for logs, e.g. 广西
	Prefix string   `yaml:"prefix"` // region prefix it insures, e.g. "45"; the longest matching prefix wins
	Nodes  []string `yaml:"nodes"`  // base URLs of every node of its cluster; any node accepts
	PaasID string   `yaml:"paas_id"`
	Secret string   `yaml:"secret"` // what the province signs its calls to the hub with
}

// Hub simulates the national platform between provincial clusters. It is
// an http.Handler:
//
//	POST   /national/{infno}  a province's call, routed to the insured province
//	GET    /healthz
//	GET    /hub/v1/stats      counts (bearer AdminToken)
//	GET    /hub/v1/faults     the fault rules in force
//	POST   /hub/v1/faults     add a fault rule
//	DELETE /hub/v1/faults     clear them
//
// Its deduplication table, fault rules and counts are in memory: a
// restarted hub has forgotten the answers it gave, as a simulator may.
type Hub struct {
	cfg       HubConfig
	mux       *http.ServeMux
	provinces []*province // longest prefix first
	callers   map[string]*province
	nonces    tif.Nonces
	calls     dedup
	faults    faultSet
	stats     counters
	serial    atomic.Uint64
}

// province is a Province with the node that answered last, tried first.
type province struct {
	Province
	preferred atomic.Int64
}

// NewHub checks cfg and returns the hub.
func NewHub(cfg HubConfig) (*Hub, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	setDefault(&cfg.AuthWindow, 300*time.Second)
	setDefault(&cfg.ForwardTimeout, 10*time.Second)
	setDefault(&cfg.MaxBodyBytes, 4<<20)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{cfg: cfg, mux: http.NewServeMux(), callers: map[string]*province{}}
	for _, p := range cfg.Provinces {
		p.Nodes = slices.Clone(p.Nodes)
		for i, n := range p.Nodes {
			p.Nodes[i] = strings.TrimSuffix(n, "/")
		}
		pr := &province{Province: p}
		h.provinces = append(h.provinces, pr)
		h.callers[p.PaasID] = pr
	}
	slices.SortStableFunc(h.provinces, func(a, b *province) int { return len(b.Prefix) - len(a.Prefix) })
	h.mux.HandleFunc("POST /national/{infno}", h.serveCall)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	h.mux.HandleFunc("GET /hub/v1/stats", h.admin(h.serveStats))
	h.mux.HandleFunc("GET /hub/v1/faults", h.admin(h.serveFaults))
	h.mux.HandleFunc("POST /hub/v1/faults", h.admin(h.serveAddFault))
	h.mux.HandleFunc("DELETE /hub/v1/faults", h.admin(h.serveClearFaults))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// check names the first mistake in a configuration, by its YAML path.
func (cfg *HubConfig) check() error {
	if cfg.PaasID == "" || cfg.Secret == "" {
		return errors.New("hub: paas_id and secret (the hub's credentials towards the provinces) are required")
	}
	if len(cfg.Provinces) == 0 {
		return errors.New("hub: provinces: at least one province is required")
	}
	if cfg.AuthWindow < 0 || cfg.ForwardTimeout < 0 || cfg.MaxBodyBytes < 0 {
		return errors.New("hub: durations and sizes may not be negative")
	}
	seen := map[string]string{}
	for i, p := range cfg.Provinces {
		at := fmt.Sprintf("hub: provinces[%d]", i)
		switch {
		case p.Name == "":
			return fmt.Errorf("%s.name is required", at)
		case p.Prefix == "" || len(p.Prefix) > 6 || !digits(p.Prefix):
			return fmt.Errorf("%s.prefix %q: 1 to 6 digits of a region code are expected, e.g. \"45\"", at, p.Prefix)
		case p.PaasID == "" || p.Secret == "":
			return fmt.Errorf("%s: paas_id and secret (the province's credentials at the hub) are required", at)
		case len(p.Nodes) == 0:
			return fmt.Errorf("%s.nodes: at least one node URL is required", at)
		}
		for j, n := range p.Nodes {
			u, err := url.Parse(n)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s.nodes[%d] %q: an http(s) base URL is expected", at, j, n)
			}
		}
		for _, key := range []string{"name " + p.Name, "prefix " + p.Prefix, "paas_id " + p.PaasID} {
			if prev, dup := seen[key]; dup {
				return fmt.Errorf("%s: %s is also used by %s", at, key, prev)
			}
			seen[key] = at
		}
	}
	return nil
}

// route finds the province insuring region: the longest matching prefix.
func (h *Hub) route(region string) *province {
	for _, p := range h.provinces {
		if strings.HasPrefix(region, p.Prefix) {
			return p
		}
	}
	return nil
}
