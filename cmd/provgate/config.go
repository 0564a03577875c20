package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/internal/logbuf"
	"github.com/provgate/provgate/settlement"
)

// Config is a node's configuration file (configs/provgate.yaml documents
// every field).
type Config struct {
	Node     NodeConfig     `yaml:"node"`
	Province ProvinceConfig `yaml:"province"`
	Limits   LimitsConfig   `yaml:"limits"`
	Log      LogConfig      `yaml:"log"`
	Admin    AdminConfig    `yaml:"admin"`
	Cluster  ClusterConfig  `yaml:"cluster"`
	Seed     SeedConfig     `yaml:"seed"`
	National NationalConfig `yaml:"national"`

	dir string           // the config file's directory: seed paths are relative to it
	now func() time.Time // the clock; nil is time.Now (--clock fixes it for tests)
}

// NodeConfig identifies the node and where it listens and keeps data.
type NodeConfig struct {
	ID        string `yaml:"id"`
	DataDir   string `yaml:"data_dir"`
	HTTPAddr  string `yaml:"http_addr"`
	RaftAddr  string `yaml:"raft_addr"`
	Advertise string `yaml:"advertise"`
	Bootstrap bool   `yaml:"bootstrap"`
	// Join is the HTTP address of a member to join the cluster through.
	Join string `yaml:"join"`
	// AdvertiseHTTP is the HTTP address other nodes relay requests to;
	// default the address http_addr bound (set it when that is 0.0.0.0).
	AdvertiseHTTP string `yaml:"advertise_http"`
	// InternalAddr is where the node takes requests relayed by the other
	// nodes, under the cluster's mutual TLS; required with cluster.tls.
	InternalAddr string `yaml:"internal_addr"`
	// AdvertiseInternal is the internal address the other nodes relay to;
	// default the address internal_addr bound.
	AdvertiseInternal string `yaml:"advertise_internal"`
	// MLLPAddr is where the node takes HL7 v2 over MLLP from hospitals
	// (each registered with the source addresses it sends from). Empty: no
	// MLLP listener.
	MLLPAddr string `yaml:"mllp_addr"`
	// Drain is how long a stopping node keeps serving after its readiness
	// turns to "stopping", so load balancers stop sending to it before its
	// listener closes. Default 1s; a negative value skips it.
	Drain time.Duration `yaml:"drain"`
}

// NationalConfig connects the cluster to the national platform (or the
// `provgate hub` simulator) for cross-province settlement. Without a URL a
// patient insured in another province cannot be settled here.
type NationalConfig struct {
	// URL is the national platform's base URL; PaasID and Secret are this
	// province's credentials there.
	URL    string `yaml:"url"`
	PaasID string `yaml:"paas_id"`
	Secret string `yaml:"secret"`
	// PlatformPaasID and PlatformSecret are the credentials the national
	// platform calls our insured-place endpoint (POST /national/{infno})
	// with. Empty: the endpoint is off.
	PlatformPaasID string `yaml:"platform_paas_id"`
	PlatformSecret string `yaml:"platform_secret"`
	// CallTimeout bounds one drive of a cross-province call (every
	// attempt); the intent stays pending after it. Default 30s.
	CallTimeout time.Duration `yaml:"call_timeout"`
	// Redrive is how often the leader re-drives pending intents. Default 1s.
	Redrive time.Duration `yaml:"redrive"`
}

// ProvinceConfig names the province this cluster serves.
type ProvinceConfig struct {
	Admdvs string `yaml:"admdvs"`
	Name   string `yaml:"name"`
}

// LimitsConfig bounds requests.
type LimitsConfig struct {
	MaxBodyBytes   int64         `yaml:"max_body_bytes"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// ClusterConfig secures the traffic between nodes.
type ClusterConfig struct {
	// TLS runs Raft over mutual TLS with these PEM files (`provgate certs`
	// makes them for a local cluster). Empty: plain TCP, for a single node
	// or a trusted network only.
	TLS struct {
		CA   string `yaml:"ca"`
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
	// ComputeOnFollowers makes every node compute every request instead of
	// followers storing the writes the leader computed.
	ComputeOnFollowers bool `yaml:"compute_on_followers"`
	// VerifyWrites makes followers compute the requests they have the
	// leader's writes for, too, and stop on any difference (tests, audits).
	VerifyWrites bool `yaml:"verify_writes"`
}

// tlsConfig loads the cluster's mutual-TLS configuration, or nil.
func (c *Config) tlsConfig() (*tls.Config, error) {
	t := c.Cluster.TLS
	if t.CA == "" && t.Cert == "" && t.Key == "" {
		return nil, nil
	}
	var pems [3][]byte
	for i, f := range []string{t.CA, t.Cert, t.Key} {
		b, err := os.ReadFile(c.path(f))
		if err != nil {
			return nil, fmt.Errorf("cluster.tls: %w", err)
		}
		pems[i] = b
	}
	return consensus.TLSConfig(pems[0], pems[1], pems[2])
}

// AdminConfig secures the operators' API (/admin/v1).
type AdminConfig struct {
	// TokenFile holds the bearer token. $PROVGATE_ADMIN_TOKEN, if set, wins.
	// With neither, the admin API is off.
	TokenFile string `yaml:"token_file"`
}

// adminToken returns the configured token, or "" when the API is off.
func (c *Config) adminToken() (string, error) {
	if t := os.Getenv("PROVGATE_ADMIN_TOKEN"); t != "" {
		return t, nil
	}
	if c.Admin.TokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.path(c.Admin.TokenFile))
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// LogConfig chooses the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// SeedConfig lists registry and policy files to replicate when the node
// starts as leader. Applying them again is harmless: registries are upserts
// and published policy and catalog versions are immutable.
type SeedConfig struct {
	Hospitals string   `yaml:"hospitals"`
	Persons   string   `yaml:"persons"`
	Policies  []string `yaml:"policies"`
	Catalogs  []string `yaml:"catalogs"`
}

// loadConfig reads and validates a configuration file.
func loadConfig(path string) (*Config, error) {
	var c Config
	if err := decodeYAML(path, &c); err != nil {
		return nil, err
	}
	c.dir = filepath.Dir(path)
	return &c, nil
}

func (c *Config) validate() error {
	var missing []string
	for name, v := range map[string]string{"node.id": c.Node.ID, "node.data_dir": c.Node.DataDir,
		"node.http_addr": c.Node.HTTPAddr, "node.raft_addr": c.Node.RaftAddr, "province.admdvs": c.Province.Admdvs} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("configuration is missing %s", strings.Join(missing, ", "))
	}
	tlsSet := c.Cluster.TLS.CA != "" || c.Cluster.TLS.Cert != "" || c.Cluster.TLS.Key != ""
	switch {
	case tlsSet && (c.Cluster.TLS.CA == "" || c.Cluster.TLS.Cert == "" || c.Cluster.TLS.Key == ""):
		return errors.New("cluster.tls needs all of ca, cert and key")
	case tlsSet && c.Node.InternalAddr == "":
		return errors.New("cluster.tls is set, so node.internal_addr (--internal-addr) is required: followers relay requests to the leader only over mutual TLS")
	case !tlsSet && c.Node.InternalAddr != "":
		return errors.New("node.internal_addr needs cluster.tls (--tls-ca, --tls-cert, --tls-key): the internal channel is mutual TLS")
	}
	if len(c.Province.Admdvs) != 6 {
		return fmt.Errorf("province.admdvs must be a 6-digit region code, got %q", c.Province.Admdvs)
	}
	return nil
}

// path resolves a seed path relative to the configuration file.
func (c *Config) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	out := logOutput()
	if c.Log.Format == "json" {
		return slog.New(logbuf.Urgent(slog.NewJSONHandler(out, opts), out))
	}
	return slog.New(logbuf.Urgent(slog.NewTextHandler(out, opts), out))
}

// logOutput is stderr, buffered (internal/logbuf): one write per request
// line was a measurable share of a busy node. main flushes it on exit.
var logOutput = sync.OnceValue(func() *logbuf.Writer { return logbuf.New(os.Stderr, 100*time.Millisecond) })

// decodeYAML decodes a file strictly: an unknown field is an error naming
// the file and line, so a typo never silently drops a setting.
func decodeYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: %s", path, strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// seedData is the content of the seed files.
type seedData struct {
	Hospitals []settlement.Hospital
	Persons   []settlement.Person
	Policies  []settlement.Policy
	Catalogs  []settlement.Catalog
}

// loadSeed reads and validates every seed file before anything is applied.
func (c *Config) loadSeed() (*seedData, error) {
	var s seedData
	var err error
	if c.Seed.Hospitals != "" {
		if s.Hospitals, err = decodeList[settlement.Hospital](c.path(c.Seed.Hospitals), "hospitals"); err != nil {
			return nil, err
		}
	}
	if c.Seed.Persons != "" {
		if s.Persons, err = decodeList[settlement.Person](c.path(c.Seed.Persons), "persons"); err != nil {
			return nil, err
		}
	}
	for _, p := range c.Seed.Policies {
		pol, err := loadChecked[settlement.Policy](c.path(p))
		if err != nil {
			return nil, err
		}
		s.Policies = append(s.Policies, pol)
	}
	for _, p := range c.Seed.Catalogs {
		cat, err := loadChecked[settlement.Catalog](c.path(p))
		if err != nil {
			return nil, err
		}
		s.Catalogs = append(s.Catalogs, cat)
	}
	return &s, nil
}

// decodeList reads a file whose only top-level key is key, holding a list.
func decodeList[T any](path, key string) ([]T, error) {
	var f map[string][]T
	if err := decodeYAML(path, &f); err != nil {
		return nil, err
	}
	for k := range f {
		if k != key {
			return nil, fmt.Errorf("%s: unknown top-level key %q (the file holds %q)", path, k, key)
		}
	}
	return f[key], nil
}
