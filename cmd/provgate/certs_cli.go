package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/consensus"
)

func certsCommand() *cobra.Command {
	var dir, nodes, hosts string
	cmd := &cobra.Command{
		Use:   "certs --dir DIR --nodes node1,node2,node3",
		Short: "Make a cluster CA and node certificates for mutual TLS between nodes",
		Long: `certs writes ca.pem and, for every node, NODE.pem and NODE-key.pem into DIR. Point each
node's cluster.tls (or --tls-ca, --tls-cert, --tls-key) at ca.pem and its own pair: Raft
then runs over mutual TLS, and a node without a certificate of this CA can neither join nor
talk to the cluster. The CA's key is not kept: to add a node later, make a new set.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			ca, err := consensus.NewCA("provgate cluster CA")
			if err != nil {
				return err
			}
			write := func(name string, b []byte, mode os.FileMode) error {
				return os.WriteFile(filepath.Join(dir, name), b, mode)
			}
			if err := write("ca.pem", ca.PEM, 0o644); err != nil {
				return err
			}
			hostList := strings.Split(hosts, ",")
			for _, n := range strings.Split(nodes, ",") {
				if n = strings.TrimSpace(n); n == "" {
					continue
				}
				cert, key, err := ca.Issue(n, hostList)
				if err != nil {
					return err
				}
				if err := write(n+".pem", cert, 0o644); err != nil {
					return err
				}
				if err := write(n+"-key.pem", key, 0o600); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote ca.pem and certificates for %s (hosts %s) into %s\n", nodes, hosts, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "certs", "directory to write into")
	cmd.Flags().StringVar(&nodes, "nodes", "node1,node2,node3", "comma-separated node ids")
	cmd.Flags().StringVar(&hosts, "hosts", "127.0.0.1,localhost", "addresses the nodes are reached at (IPs or names)")
	return cmd
}
