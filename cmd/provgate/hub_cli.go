package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/national"
)

// hubFile is the hub simulator's configuration file (configs/hub.yaml
// documents every field).
type hubFile struct {
	Listen         string              `yaml:"listen"`
	AdminToken     string              `yaml:"admin_token"`
	PaasID         string              `yaml:"paas_id"`
	Secret         string              `yaml:"secret"`
	ForwardTimeout time.Duration       `yaml:"forward_timeout"`
	AuthWindow     time.Duration       `yaml:"auth_window"`
	MaxBodyBytes   int64               `yaml:"max_body_bytes"`
	Log            LogConfig           `yaml:"log"`
	Provinces      []national.Province `yaml:"provinces"`
}

func hubCommand() *cobra.Command {
	var path, addr string
	cmd := &cobra.Command{
		Use:   "hub --config FILE [--addr ADDR]",
		Short: "Run the national-platform hub simulator between provincial clusters",
		Long: `hub stands in for the national platform on one machine: it takes the calls a province's
cluster makes for people insured elsewhere (POST /national/{infno}, signed with the
province's x-tif credentials), routes each by insuplc_admdvs to the insured province's
cluster, fails over between its nodes, deduplicates by msgid and relays the answer.

Its admin API (bearer admin_token) injects faults for tests: POST /hub/v1/faults,
DELETE /hub/v1/faults, GET /hub/v1/stats. Everything it remembers is in memory.
$PROVGATE_HUB_ADMIN_TOKEN, if set, replaces admin_token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return errors.New("--config is required")
			}
			var f hubFile
			if err := decodeYAML(path, &f); err != nil {
				return err
			}
			if addr != "" {
				f.Listen = addr
			}
			if f.Listen == "" {
				return fmt.Errorf("%s: listen (or --addr) is required", path)
			}
			if t := os.Getenv("PROVGATE_HUB_ADMIN_TOKEN"); t != "" {
				f.AdminToken = t
			}
			hub, err := national.NewHub(national.HubConfig{
				PaasID: f.PaasID, Secret: f.Secret, Provinces: f.Provinces, AdminToken: f.AdminToken,
				AuthWindow: f.AuthWindow, ForwardTimeout: f.ForwardTimeout, MaxBodyBytes: f.MaxBodyBytes,
				Logger: (&Config{Log: f.Log}).logger(),
			})
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			ln, err := net.Listen("tcp", f.Listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: hub, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()

			names := make([]string, len(f.Provinces))
			for i, p := range f.Provinces {
				names[i] = fmt.Sprintf("%s %s* (%d nodes)", p.Name, p.Prefix, len(p.Nodes))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "provgate hub serving on http://%s, routing to %s\n", ln.Addr(), strings.Join(names, ", "))

			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			// Calls in flight finish their forward (at most forward_timeout
			// per node) before the hub exits.
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close()
				return fmt.Errorf("hub shutdown: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "hub configuration file (YAML), e.g. configs/hub.yaml")
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (overrides listen in the file; 127.0.0.1:0 picks a free port)")
	return cmd
}
