package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/gateway"
	"github.com/provgate/provgate/national"
	"github.com/provgate/provgate/storage"
)

// tuneGC lets the heap grow to three times what is live before collecting,
// unless GOGC says otherwise: a node allocates briskly (decoded requests,
// encoded answers) and keeps little, and with Go's default the collector
// took about a tenth of the cluster's CPU under load. Measured with
// provgate bench (128 clients, three nodes): ~15% less CPU per write for
// ~45% more peak memory (1.3 → 1.9 GiB for the three nodes).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

// overrides are the flags that take precedence over the config file, so
// scripts and tests can start nodes side by side from one file.
type overrides struct {
	config, dataDir, httpAddr, raftAddr string
	clock, nodeID, join, debugAddr      string
	tlsCA, tlsCert, tlsKey              string
	advertise, advertiseHTTP            string
	internalAddr, advertiseInternal     string
	nationalURL                         string
	mllpAddr                            string
	bootstrap, verifyWrites             bool
}

func (o *overrides) register(cmd *cobra.Command, defaultConfig string) {
	cmd.Flags().StringVar(&o.config, "config", defaultConfig, "node configuration file (YAML)")
	cmd.Flags().StringVar(&o.dataDir, "data-dir", "", "data directory (overrides node.data_dir)")
	cmd.Flags().StringVar(&o.httpAddr, "http-addr", "", "HTTP listen address (overrides node.http_addr)")
	cmd.Flags().StringVar(&o.raftAddr, "raft-addr", "", "Raft listen address (overrides node.raft_addr)")
	cmd.Flags().StringVar(&o.nodeID, "node-id", "", "node id (overrides node.id)")
	cmd.Flags().BoolVar(&o.bootstrap, "bootstrap", false, "form a new cluster if this data directory has none (overrides node.bootstrap)")
	cmd.Flags().StringVar(&o.join, "join", "", "HTTP address of a member to join the cluster through (needs the admin token)")
	cmd.Flags().StringVar(&o.advertise, "advertise", "", "Raft address the other nodes reach this one at (overrides node.advertise)")
	cmd.Flags().StringVar(&o.advertiseHTTP, "advertise-http", "", "HTTP address the other nodes relay to (default: the address it listens on)")
	cmd.Flags().StringVar(&o.internalAddr, "internal-addr", "", "mutual-TLS listen address for requests relayed between nodes (overrides node.internal_addr; needs --tls-*)")
	cmd.Flags().StringVar(&o.advertiseInternal, "advertise-internal", "", "internal address the other nodes relay to (default: the address it listens on)")
	cmd.Flags().StringVar(&o.mllpAddr, "mllp-addr", "", "listen address for HL7 v2 over MLLP (overrides node.mllp_addr)")
	cmd.Flags().StringVar(&o.tlsCA, "tls-ca", "", "cluster CA for mutual TLS between nodes (overrides cluster.tls.ca)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "this node's certificate (overrides cluster.tls.cert)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "this node's key (overrides cluster.tls.key)")
	cmd.Flags().StringVar(&o.nationalURL, "national-url", "", "national platform (or hub) base URL (overrides national.url)")
	cmd.Flags().StringVar(&o.debugAddr, "debug-addr", "", "serve Go's pprof profiles on this address (keep it on loopback)")
	cmd.Flags().StringVar(&o.clock, "clock", "", "fix the clock at this RFC 3339 time (deterministic tests only)")
	cmd.Flags().MarkHidden("clock")
	cmd.Flags().BoolVar(&o.verifyWrites, "verify-writes", false, "followers also compute what they take from the leader's writes, and stop on a difference (overrides cluster.verify_writes)")
}

func (o *overrides) load() (*Config, error) {
	if o.config == "" {
		return nil, errors.New("--config is required")
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		flag string
		into *string
	}{{o.dataDir, &cfg.Node.DataDir}, {o.httpAddr, &cfg.Node.HTTPAddr}, {o.raftAddr, &cfg.Node.RaftAddr},
		{o.nodeID, &cfg.Node.ID}, {o.advertise, &cfg.Node.Advertise}, {o.advertiseHTTP, &cfg.Node.AdvertiseHTTP},
		{o.internalAddr, &cfg.Node.InternalAddr}, {o.advertiseInternal, &cfg.Node.AdvertiseInternal},
		{o.nationalURL, &cfg.National.URL}, {o.mllpAddr, &cfg.Node.MLLPAddr}} {
		if f.flag != "" {
			*f.into = f.flag
		}
	}
	if o.bootstrap {
		cfg.Node.Bootstrap = true
	}
	if o.verifyWrites {
		cfg.Cluster.VerifyWrites = true
	}
	if o.join != "" {
		cfg.Node.Join = o.join
		cfg.Node.Bootstrap = false
	}
	for _, f := range []struct {
		flag string
		into *string
	}{{o.tlsCA, &cfg.Cluster.TLS.CA}, {o.tlsCert, &cfg.Cluster.TLS.Cert}, {o.tlsKey, &cfg.Cluster.TLS.Key}} {
		if f.flag != "" {
			abs, err := filepath.Abs(f.flag)
			if err != nil {
				return nil, err
			}
			*f.into = abs
		}
	}
	if o.debugAddr != "" {
		go http.ListenAndServe(o.debugAddr, nil) // net/http/pprof registers on the default mux
	}
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return nil, fmt.Errorf("--clock: %w", err)
		}
		cfg.now = func() time.Time { return t }
	}
	return cfg, cfg.validate()
}

func serveCommand() *cobra.Command {
	var o overrides
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a provgate node",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.load()
			if err != nil {
				return err
			}
			tuneGC()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := start(ctx, cfg, cfg.logger())
			if err != nil {
				return err
			}
			fmt.Printf("provgate node %s serving hospitals on http://%s (Raft %s, data %s)\n",
				cfg.Node.ID, n.httpAddr, cfg.Node.RaftAddr, cfg.Node.DataDir)
			if n.mllpAddr != "" {
				fmt.Printf("HL7 v2 over MLLP on %s\n", n.mllpAddr)
			}
			<-ctx.Done()
			return n.leave()
		},
	}
	o.register(cmd, "")
	return cmd
}

// node is a running provgate node: storage, Raft and the HTTP server.
type node struct {
	cfg      *Config
	log      *slog.Logger
	store    *storage.Store
	raft     *consensus.Node
	http     *gateway.Server
	httpAddr string
	mllpAddr string     // "" without an MLLP listener
	served   chan error // one result per listener served
	serving  int
	// stopOutbox ends the re-drive loop of cross-province intents.
	stopOutbox context.CancelFunc
}

// start opens the state, starts Raft and the HTTP server, and, if the node
// leads, replicates the seed files. It returns once the node serves.
func start(ctx context.Context, cfg *Config, log *slog.Logger) (*node, error) {
	seed, err := cfg.loadSeed()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Node.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := checkNodeID(cfg.Node.DataDir, cfg.Node.ID); err != nil {
		return nil, err
	}
	tlsConf, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	n := &node{cfg: cfg, log: log}
	if n.store, err = storage.Open(filepath.Join(cfg.Node.DataDir, "state"), storage.Options{Logger: log}); err != nil {
		return nil, err
	}
	n.raft, err = consensus.Open(consensus.Config{
		NodeID: cfg.Node.ID, Dir: filepath.Join(cfg.Node.DataDir, "raft"), BindAddr: cfg.Node.RaftAddr,
		Advertise: cfg.Node.Advertise, Bootstrap: cfg.Node.Bootstrap, Logger: log, Now: cfg.now, TLS: tlsConf,
		ComputeOnFollowers: cfg.Cluster.ComputeOnFollowers, VerifyWrites: cfg.Cluster.VerifyWrites,
	}, n.store)
	if err != nil {
		n.store.Close()
		return nil, err
	}
	token, err := cfg.adminToken()
	if err != nil {
		n.stop()
		return nil, err
	}
	l, err := net.Listen("tcp", cfg.Node.HTTPAddr)
	if err != nil {
		n.stop()
		return nil, fmt.Errorf("listen for HTTP on %s: %w", cfg.Node.HTTPAddr, err)
	}
	n.httpAddr = l.Addr().String()
	var internal net.Listener
	if tlsConf != nil {
		if internal, err = net.Listen("tcp", cfg.Node.InternalAddr); err != nil {
			l.Close()
			n.stop()
			return nil, fmt.Errorf("listen for relayed requests on %s: %w", cfg.Node.InternalAddr, err)
		}
	}
	var mllp net.Listener
	if cfg.Node.MLLPAddr != "" {
		if mllp, err = net.Listen("tcp", cfg.Node.MLLPAddr); err != nil {
			l.Close()
			if internal != nil {
				internal.Close()
			}
			n.stop()
			return nil, fmt.Errorf("listen for MLLP on %s: %w", cfg.Node.MLLPAddr, err)
		}
		n.mllpAddr = mllp.Addr().String()
	}
	self := consensus.Member{ID: cfg.Node.ID, HTTPAddr: n.httpAddr, RaftAddr: cfg.Node.RaftAddr}
	if internal != nil {
		self.InternalAddr = internal.Addr().String()
		if cfg.Node.AdvertiseInternal != "" {
			self.InternalAddr = cfg.Node.AdvertiseInternal
		}
	}
	if cfg.Node.Advertise != "" {
		self.RaftAddr = cfg.Node.Advertise
	}
	if cfg.Node.AdvertiseHTTP != "" {
		self.HTTPAddr = cfg.Node.AdvertiseHTTP
	}
	if token == "" {
		log.Info("admin API is off: set PROVGATE_ADMIN_TOKEN or admin.token_file to manage policies and registries")
	}
	var upstream gateway.Upstream
	if cfg.National.URL != "" {
		client, err := national.NewClient(national.ClientConfig{URL: cfg.National.URL, PaasID: cfg.National.PaasID, Secret: cfg.National.Secret})
		if err != nil {
			l.Close()
			n.stop()
			return nil, fmt.Errorf("national platform client: %w", err)
		}
		outbox := national.NewOutbox(client, n.raft, log, cfg.National.CallTimeout)
		ctx, cancel := context.WithCancel(context.Background())
		n.stopOutbox = cancel
		go outbox.Run(ctx, cmp.Or(cfg.National.Redrive, time.Second))
		upstream = outbox
	}
	var platform *gateway.PlatformCredentials
	if cfg.National.PlatformPaasID != "" {
		platform = &gateway.PlatformCredentials{PaasID: cfg.National.PlatformPaasID, Secret: cfg.National.PlatformSecret}
	}
	n.http = gateway.New(gateway.Config{
		Upstream: upstream, Platform: platform,
		Admin: n.raft, AdminToken: token, Credentials: n.raft, Now: cfg.now, Cluster: n.raft, NodeID: cfg.Node.ID,
		Ledger: n.raft, Province: cfg.Province.Admdvs, Logger: log,
		MaxBodyBytes: cfg.Limits.MaxBodyBytes, RequestTimeout: cfg.Limits.RequestTimeout,
		Status: func() any {
			return struct {
				consensus.Status
				Version string `json:"version"`
			}{n.raft.Status(), version}
		},
		Verify: func() (any, error) { return n.raft.Verify() },
		Backup: n.raft.Backup, Internal: tlsConf,
		Formats: hospitalFormats(), MLLP: mllpConfig(),
	})
	n.served = make(chan error, 3)
	n.serving = 1
	go func() { n.served <- n.http.Serve(l) }()
	if internal != nil {
		n.serving++
		go func() { n.served <- n.http.ServeInternal(internal) }()
	}
	if mllp != nil {
		n.serving++
		go func() { n.served <- n.http.ServeMLLP(mllp) }()
	}

	// A new cluster must have its leader before it takes the seed files; a
	// member restarting with the others waits a little and carries on: it
	// serves (readiness says whether it can answer) while the cluster forms.
	wait := 30 * time.Second
	if !n.raft.Fresh() {
		wait = 5 * time.Second
	}
	if cfg.Node.Join == "" {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err := n.raft.WaitForLeader(wctx)
		cancel()
		if err != nil && n.raft.Fresh() {
			n.stop()
			return nil, err
		}
		if err != nil {
			log.Warn("no leader yet; serving while the other members start", "err", err)
		}
	}
	if n.raft.IsLeader() {
		// Record where this node serves, then the seed files (both harmless to repeat).
		err := n.raft.Join(ctx, self)
		if err == nil {
			err = applySeed(ctx, n.raft, seed)
		}
		if err != nil {
			n.stop()
			return nil, err
		}
	}
	if cfg.Node.Join != "" {
		if err := joinCluster(ctx, cfg.Node.Join, token, self, log); err != nil {
			n.stop()
			return nil, err
		}
	}
	n.http.MarkStarted()
	return n, nil
}

// joinCluster asks a member (forwarded to the leader) to add this node,
// retrying while the cluster elects or the member starts. Joining again
// with the same addresses is harmless, so a restarted node announces itself
// the same way.
func joinCluster(ctx context.Context, addr, token string, self consensus.Member, log *slog.Logger) error {
	ac := adminClient{addr: addr, token: token}
	deadline := time.Now().Add(60 * time.Second)
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := ac.do(callCtx, http.MethodPost, "/admin/v1/cluster/join", self, nil)
		cancel()
		if err == nil {
			log.Info("joined the cluster", "through", addr)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("join through %s: %w", addr, err)
		}
		log.Warn("join failed; retrying", "through", addr, "err", err)
		time.Sleep(time.Second)
	}
}

// applySeed replicates the seed data through the Raft log.
func applySeed(ctx context.Context, r *consensus.Node, s *seedData) error {
	for _, p := range s.Policies {
		if err := r.PutPolicy(ctx, p); err != nil {
			return fmt.Errorf("policy %s: %w", p.Ref(), err)
		}
	}
	for _, c := range s.Catalogs {
		if err := r.PutCatalog(ctx, c); err != nil {
			return fmt.Errorf("catalog %s: %w", c.Ref(), err)
		}
	}
	for _, h := range s.Hospitals {
		if err := r.PutHospital(ctx, h); err != nil {
			return fmt.Errorf("hospital %s: %w", h.Code, err)
		}
	}
	for _, p := range s.Persons {
		if err := r.PutPerson(ctx, p); err != nil {
			return fmt.Errorf("person %s: %w", p.PsnNo, err)
		}
	}
	return nil
}

// stop shuts the node down in order: stop taking requests, finish those in
// flight, stop Raft, close the state.
// leave stops a node the way a rolling restart wants: readiness turns to
// "stopping" so load balancers drain it, a leader hands leadership to an
// up-to-date follower (the cluster keeps settling without waiting for an
// election timeout), and only then do HTTP and Raft stop.
func (n *node) leave() error {
	n.http.MarkStopping()
	drain := n.cfg.Node.Drain
	if drain == 0 {
		drain = time.Second
	}
	drainUntil := time.Now().Add(drain)
	if n.raft.IsLeader() {
		if peers, err := n.raft.Members(); err == nil && len(peers) > 1 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := n.raft.TransferLeadership(ctx, "", "")
			cancel()
			if err != nil {
				n.log.Warn("leadership transfer before stopping failed; the others will elect", "err", err)
			} else {
				n.log.Info("handed leadership over before stopping")
			}
		}
	}
	time.Sleep(time.Until(drainUntil)) // requests still arriving are served, relayed to the new leader
	return n.stop()
}

func (n *node) stop() error {
	if n.stopOutbox != nil {
		n.stopOutbox()
	}
	var errs []error
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, n.http.Shutdown(ctx))
		cancel()
		for i := 0; i < n.serving; i++ {
			errs = append(errs, <-n.served)
		}
	}
	if n.raft != nil {
		errs = append(errs, n.raft.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	return errors.Join(errs...)
}

// checkNodeID keeps a node's identity stable: the first start writes it to
// the data directory, and a later start with another id is refused, because
// a Raft member must never change its id under the same state.
func checkNodeID(dir, id string) error {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(path, []byte(id+"\n"), 0o640)
	}
	if err != nil {
		return err
	}
	if have := strings.TrimSpace(string(b)); have != id {
		return fmt.Errorf("data directory %s belongs to node %q, not %q", dir, have, id)
	}
	return nil
}
