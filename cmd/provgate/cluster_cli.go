package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/consensus"
)

func clusterCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Show and change the cluster's membership"}

	var sc adminClient
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the members, the leader and each member's addresses",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			var st struct {
				Members    []consensus.Peer   `json:"members"`
				Nodes      []consensus.Member `json:"nodes"`
				LeaderHTTP string             `json:"leader_http"`
				This       consensus.Status   `json:"this"`
			}
			if err := sc.do(ctx, http.MethodGet, "/admin/v1/cluster", nil, &st); err != nil {
				return err
			}
			httpOf := map[string]string{}
			for _, n := range st.Nodes {
				httpOf[n.ID] = n.HTTPAddr
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			// TAKEN/COMPUTED: requests a follower stored from the leader's
			// writes, and those it computed itself because they did not come.
			fmt.Fprintln(tw, "ID\tRAFT\tHTTP\tROLE\tSTATE\tAPPLIED\tTAKEN/COMPUTED\tVERSION")
			for _, m := range st.Members {
				role := "follower"
				if m.ID == st.This.Leader {
					role = "leader"
				}
				// Each member's own view, so an operator sees a rolling upgrade
				// move along and a member that is down or behind.
				state, applied, writes, version := "unreachable", "-", "-", "-"
				if ns, ok := nodeStatus(ctx, httpOf[m.ID]); ok {
					state, applied, version = ns.State, fmt.Sprint(ns.AppliedIndex), ns.Version
					writes = fmt.Sprintf("%d/%d", ns.WritesTaken, ns.HeldComputed)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Addr, httpOf[m.ID], role, state, applied, writes, version)
			}
			tw.Flush()
			b, _ := json.Marshal(st.This)
			fmt.Fprintf(cmd.OutOrStdout(), "answered by %s: %s\n", st.This.NodeID, b)
			return nil
		},
	}
	sc.register(status)

	change := func(use, short, path string, args int, body func([]string) consensus.Member) *cobra.Command {
		var ac adminClient
		c := &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(args),
			RunE: func(cmd *cobra.Command, a []string) error {
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				defer cancel()
				if err := ac.do(ctx, http.MethodPost, path, body(a), nil); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "done")
				return nil
			},
		}
		ac.register(c)
		return c
	}
	join := change("join ID RAFT-ADDR HTTP-ADDR", "Add a node (usually done by `serve --join`)", "/admin/v1/cluster/join", 3,
		func(a []string) consensus.Member { return consensus.Member{ID: a[0], RaftAddr: a[1], HTTPAddr: a[2]} })
	remove := change("remove ID", "Remove a node from the cluster (one at a time; transfer leadership away first)", "/admin/v1/cluster/remove", 1,
		func(a []string) consensus.Member { return consensus.Member{ID: a[0]} })
	transfer := change("transfer-leader [ID RAFT-ADDR]", "Hand leadership to another node (any, without arguments)", "/admin/v1/cluster/transfer-leader", 0,
		func(a []string) consensus.Member {
			if len(a) == 2 {
				return consensus.Member{ID: a[0], RaftAddr: a[1]}
			}
			return consensus.Member{}
		})
	transfer.Args = cobra.RangeArgs(0, 2)
	cmd.AddCommand(status, join, remove, transfer)
	return cmd
}

// nodeStatus asks one node for its own view (GET /status, which needs no
// token), briefly: a member that does not answer is reported as such.
func nodeStatus(ctx context.Context, httpAddr string) (st struct {
	consensus.Status
	Version string `json:"version"`
}, ok bool) {
	if httpAddr == "" {
		return st, false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/status", nil)
	if err != nil {
		return st, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	return st, resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil
}
