package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/settlement"
)

// adminClient talks to a running node's admin API.
type adminClient struct {
	addr, token string
}

func (a *adminClient) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.addr, "addr", "http://127.0.0.1:8080", "HTTP address of any node")
	cmd.Flags().StringVar(&a.token, "token", "", "admin bearer token (default: $PROVGATE_ADMIN_TOKEN)")
}

func (a *adminClient) do(ctx context.Context, method, path string, body any, out any) error {
	token := a.token
	if token == "" {
		token = os.Getenv("PROVGATE_ADMIN_TOKEN")
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	addr := strings.TrimSuffix(a.addr, "/")
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	req, err := http.NewRequestWithContext(ctx, method, addr+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// versionedCommand builds `provgate policy` or `provgate catalog`.
func versionedCommand[T interface{ Check() settlement.Problems }](noun, path string, describe func(T) string,
	list func(context.Context, *adminClient, io.Writer) error) *cobra.Command {
	cmd := &cobra.Command{Use: noun, Short: "Check, apply and list " + noun + " versions"}

	var file string
	check := &cobra.Command{
		Use:   "check -f FILE",
		Short: "Check a " + noun + " file without applying it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := loadChecked[T](file)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s is valid\n", file, describe(v))
			return nil
		},
	}
	check.Flags().StringVarP(&file, "file", "f", "", "the YAML file")
	check.MarkFlagRequired("file")

	var ac adminClient
	var applyFile string
	apply := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Check a " + noun + " file and replicate it to the cluster",
		Long: "apply checks the file (every mistake is reported with its line), then sends it to a node,\n" +
			"which validates it again and replicates it through the Raft log to every node.\n" +
			"A published version is immutable: applying it again unchanged is harmless, changed it is refused.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := loadChecked[T](applyFile)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			var out struct{ Applied string }
			if err := ac.do(ctx, http.MethodPost, path, v, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "applied %s %s\n", noun, describe(v))
			return nil
		},
	}
	apply.Flags().StringVarP(&applyFile, "file", "f", "", "the YAML file")
	apply.MarkFlagRequired("file")
	ac.register(apply)

	var lc adminClient
	ls := &cobra.Command{
		Use:   "list",
		Short: "List the " + noun + " versions the cluster holds",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			return list(ctx, &lc, cmd.OutOrStdout())
		},
	}
	lc.register(ls)
	cmd.AddCommand(check, apply, ls)
	return cmd
}

func policyCommand() *cobra.Command {
	return versionedCommand[settlement.Policy]("policy", "/admin/v1/policies",
		func(p settlement.Policy) string { return p.Ref() + " effective " + p.EffectiveFrom },
		func(ctx context.Context, ac *adminClient, w io.Writer) error {
			var ps []settlement.Policy
			if err := ac.do(ctx, http.MethodGet, "/admin/v1/policies", nil, &ps); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INSURED\tINSUTYPE\tVERSION\tEFFECTIVE\tNAME")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.InsuredAdmdvs, p.Insutype, p.Version, p.EffectiveFrom, p.Name)
			}
			return tw.Flush()
		})
}

func catalogCommand() *cobra.Command {
	return versionedCommand[settlement.Catalog]("catalog", "/admin/v1/catalogs",
		func(c settlement.Catalog) string {
			return fmt.Sprintf("%s effective %s (%d items)", c.Ref(), c.EffectiveFrom, len(c.Items))
		},
		func(ctx context.Context, ac *adminClient, w io.Writer) error {
			var cs []settlement.CatalogVersion
			if err := ac.do(ctx, http.MethodGet, "/admin/v1/catalogs", nil, &cs); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TREATMENT\tVERSION\tEFFECTIVE\tNAME")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.TreatAdmdvs, c.Version, c.EffectiveFrom, c.Name)
			}
			return tw.Flush()
		})
}
