package main

import (
	"strings"
	"testing"
)

// TestConfigValidation checks the refusals of a node configuration that
// would start a node in a state its operators did not mean.
func TestConfigValidation(t *testing.T) {
	base := func() *Config {
		c := &Config{}
		c.Node.ID, c.Node.DataDir, c.Node.HTTPAddr, c.Node.RaftAddr = "node1", "/tmp/x", "127.0.0.1:0", "127.0.0.1:0"
		c.Province.Admdvs = "150000"
		return c
	}
	withTLS := func(c *Config) {
		c.Cluster.TLS.CA, c.Cluster.TLS.Cert, c.Cluster.TLS.Key = "ca.pem", "n.pem", "n-key.pem"
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"plain single node", func(*Config) {}, ""},
		{"missing id", func(c *Config) { c.Node.ID = "" }, "node.id"},
		{"short province", func(c *Config) { c.Province.Admdvs = "15" }, "6-digit"},
		{"tls with internal channel", func(c *Config) { withTLS(c); c.Node.InternalAddr = "127.0.0.1:0" }, ""},
		{"tls without internal channel", withTLS, "node.internal_addr"},
		{"internal channel without tls", func(c *Config) { c.Node.InternalAddr = "127.0.0.1:0" }, "needs cluster.tls"},
		{"tls half configured", func(c *Config) { c.Cluster.TLS.CA = "ca.pem"; c.Node.InternalAddr = "127.0.0.1:0" }, "all of ca, cert and key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.change(c)
			err := c.validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
