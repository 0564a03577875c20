package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/adapters/nhsa"
	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// Ledger is what the gateway needs from the replicated ledger.
// *consensus.Node satisfies it.
type Ledger interface {
	// Submit decides a request that writes, through the Raft log.
	Submit(ctx context.Context, req settlement.Request) (settlement.Answer, error)
	// Read decides a request that only reads, linearizably.
	Read(ctx context.Context, req settlement.Request) (settlement.Answer, error)
	// Ready reports nil when the node can serve requests.
	Ready() error
}

// StaleReader is a Ledger that can also answer reports from its replica's
// state without the leader; *consensus.Node is one.
type StaleReader interface {
	ReadStale(req settlement.Request) (settlement.Answer, uint64, error)
}

// Config configures the HTTP server. Zero values take the defaults.
type Config struct {
	Ledger Ledger // required
	// Province is the 6-digit region code of the province, which starts every
	// inf_refmsgid this gateway issues. Required.
	Province string
	// MaxBodyBytes bounds a request body. Default 2 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds the time a request may take inside provgate.
	// Default 10s.
	RequestTimeout time.Duration
	// Logger receives one line per request. Default: discarded.
	Logger *slog.Logger
	// Status, if set, reports the node's view of the cluster at GET /status.
	Status func() any
	// Verify, if set, checks this replica's local ledger at GET
	// /admin/v1/verify (a stale, local read by design).
	Verify func() (any, error)
	// Backup, if set, streams a snapshot of this replica at GET /admin/v1/backup.
	Backup func(w io.Writer) (index uint64, written int64, err error)
	// Admin serves /admin/v1 for operators when AdminToken is set.
	Admin Admin
	// AdminToken is the bearer token the admin API requires. Empty turns
	// the admin API off.
	AdminToken string
	// Credentials, when set, makes the x-tif gateway headers mandatory on
	// hospital endpoints. Nil turns authentication off (unit tests only).
	Credentials Credentials
	// AuthWindow is how far x-tif-timestamp may be from the clock.
	// Default 300s.
	AuthWindow time.Duration
	// Now is the gateway's clock. Default time.Now.
	Now func() time.Time
	// Cluster, when set, lets followers forward to the leader and serves
	// the membership endpoints. NodeID names this node in forwarded requests.
	Cluster Cluster
	NodeID  string
	// Internal, when set, is the cluster's mutual-TLS configuration: the
	// node serves relayed requests on ServeInternal's listener, relays to
	// the leader only over it, and trusts the relay marker only there.
	Internal *tls.Config
	// Upstream, when set, takes cross-province work to the national
	// platform (the treatment-place role).
	Upstream Upstream
	// Platform, when set, are the national platform's credentials: the
	// insured-place endpoint POST /national/{infno} accepts them only.
	Platform *PlatformCredentials
	// Formats are the hospital formats besides the national one (which is
	// always served); each is served on its routes (formatRoutes).
	Formats []Format
	// MLLP configures ServeMLLP, HL7 v2 over MLLP. Nil: no MLLP.
	MLLP *MLLP
}

// Server serves the gateway's HTTP endpoints.
type Server struct {
	cfg      Config
	receiver nhsa.Receiver
	engine   *gin.Engine
	http     *http.Server
	serial   serial
	nonces   tif.Nonces // per node: a replay to another node is caught by the msgid for writes, and reads change nothing
	client   *http.Client
	internal *http.Server // relayed requests, under mutual TLS
	mllp     mllpServer
	// started is set by MarkStarted once the node has done its start-up
	// work (seed files, registration); until then /readyz says "starting".
	started  atomic.Bool
	stopping atomic.Bool
}

// MarkStarted tells readiness that start-up is over.
func (s *Server) MarkStarted() { s.started.Store(true) }

// MarkStopping tells readiness the node is leaving, so load balancers send
// new requests elsewhere; requests that still arrive are served.
func (s *Server) MarkStopping() { s.stopping.Store(true) }

func init() {
	// gin's mode is process-wide; provgate never wants its debug output.
	gin.SetMode(gin.ReleaseMode)
}

// New builds a server.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AuthWindow == 0 {
		cfg.AuthWindow = 300 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	if cfg.Internal != nil {
		transport.TLSClientConfig = cfg.Internal.Clone()
		transport.ForceAttemptHTTP2 = false
	}
	s := &Server{cfg: cfg, receiver: nhsa.Receiver{Admdvs: cfg.Province}, client: &http.Client{Transport: transport}}
	e := gin.New()
	e.Use(s.recoverPanics)
	s.routeHospitals(e)
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	s.routeAdmin(e)
	if cfg.Status != nil {
		e.GET("/status", func(c *gin.Context) { c.JSON(http.StatusOK, cfg.Status()) })
	}
	s.engine = e
	s.http = &http.Server{Handler: s.public(e), ReadHeaderTimeout: 10 * time.Second}
	s.internal = &http.Server{Handler: relayed(e), ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Handler returns the server's routes as an http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Serve serves on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ServeInternal serves requests relayed by the other nodes on l, under
// mutual TLS with Config.Internal: a peer without a certificate the cluster
// CA signed is refused in the handshake. It returns at Shutdown.
func (s *Server) ServeInternal(l net.Listener) error {
	if s.cfg.Internal == nil {
		return errors.New("gateway: ServeInternal needs Config.Internal")
	}
	conf := s.cfg.Internal.Clone()
	conf.ClientAuth = tls.RequireAndVerifyClientCert
	err := s.internal.Serve(tls.NewListener(l, conf))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and messages (HTTP and MLLP) and waits
// for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	return errors.Join(s.http.Shutdown(ctx), s.internal.Shutdown(ctx), s.shutdownMLLP(ctx))
}

func (s *Server) handleHealth(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) handleReady(c *gin.Context) {
	if !s.started.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": "starting"})
		return
	}
	if s.stopping.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": "stopping"})
		return
	}
	err := s.cfg.Ledger.Ready()
	if s.cfg.Cluster != nil && errors.Is(err, consensus.ErrNotLeader) {
		if leader, ok := s.cfg.Cluster.LeaderHTTP(); ok {
			c.JSON(http.StatusOK, gin.H{"status": "ready", "role": "follower", "leader_http": leader})
			return
		}
	}
	if err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// recoverPanics turns a panic in a handler into an internal-error answer; the
// details go to the log only.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			e := settlement.Errorf(settlement.CodeInternal, reference())
			s.cfg.Logger.Error("panic in handler", "path", c.FullPath(), "panic", p, "ref", e.ZH)
			f := s.formatOf(c)
			c.Data(http.StatusOK, f.ContentType(nil), f.Refuse(nil, e, s.cfg.Now()))
			c.Abort()
		}
	}()
	c.Next()
}
