package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/settlement"
)

func hospitalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "hospital", Short: "Register, list and disable hospitals"}

	var ac adminClient
	var h settlement.Hospital
	var formats, sources string
	add := &cobra.Command{
		Use:   "add --code CODE --name NAME --admdvs REGION --grade 1|2|3",
		Short: "Register a hospital (or update it) and issue its gateway credentials",
		Long: "add registers a designated institution. Unless --hospital-token is given it issues a new token and prints it\n" +
			"once, with the paas id: configure the HIS with both (x-tif-paasid, x-tif-signature).",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(h.Code) != 12 || len(h.Admdvs) != 6 || h.Name == "" {
				return fmt.Errorf("--code (12 characters), --name and --admdvs (6 digits) are required")
			}
			if h.PaasID == "" {
				h.PaasID = "paas-" + h.Code
			}
			issued := h.Token == ""
			if issued {
				h.Token = rand.Text()
			}
			h.Formats = splitList(formats)
			h.MLLPSources = splitList(sources)
			if err := h.Check(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			if err := ac.do(ctx, http.MethodPost, "/admin/v1/hospitals", h, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered %s %s (region %s, grade %s, formats %s)\n", h.Code, h.Name, h.Admdvs, h.Grade, formats)
			if issued {
				fmt.Fprintf(cmd.OutOrStdout(), "x-tif-paasid: %s\ntoken:        %s   (shown once; store it in the HIS)\n", h.PaasID, h.Token)
			}
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&h.Code, "code", "", "fixmedins_code (12 characters)")
	f.StringVar(&h.Name, "name", "", "fixmedins_name")
	f.StringVar(&h.Admdvs, "admdvs", "", "the hospital's 6-digit insurance region")
	f.StringVar(&h.Level, "hosp-lv", "", "national hosp_lv code, e.g. 02 三级甲等")
	f.StringVar(&h.Grade, "grade", "3", "grade the insured places' tables use: 1, 2 or 3")
	f.BoolVar(&h.InNetwork, "in-network", true, "in the cross-region direct-settlement network")
	f.StringVar(&formats, "formats", "nhsa", "comma-separated formats it may send: "+strings.Join(settlement.Formats, ", "))
	f.StringVar(&sources, "mllp-sources", "", "comma-separated addresses or CIDR prefixes it sends HL7 v2 over MLLP from (needs hl7v2 in --formats)")
	f.StringVar(&h.PaasID, "paas-id", "", "x-tif-paasid (default paas-CODE)")
	f.StringVar(&h.Token, "hospital-token", "", "use this token instead of issuing one")
	ac.register(add)

	var lc adminClient
	ls := &cobra.Command{
		Use:   "list",
		Short: "List registered hospitals (tokens are never shown)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			hs, err := fetchHospitals(cmd.Context(), &lc)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tREGION\tGRADE\tNETWORK\tFORMATS\tMLLP SOURCES\tPAAS ID\tSTATUS")
			for _, h := range hs {
				status := "enabled"
				if h.Disabled {
					status = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\t%s\n", h.Code, h.Name, h.Admdvs, h.Grade, h.InNetwork,
					strings.Join(h.Formats, ","), orDash(strings.Join(h.MLLPSources, ",")), h.PaasID, status)
			}
			return tw.Flush()
		},
	}
	lc.register(ls)

	var dc adminClient
	var enable bool
	disable := &cobra.Command{
		Use:   "disable CODE",
		Short: "Disable a hospital: its requests are refused (E4102) until enabled again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hs, err := fetchHospitals(cmd.Context(), &dc)
			if err != nil {
				return err
			}
			for _, h := range hs {
				if h.Code != args[0] {
					continue
				}
				h.Disabled, h.Token = !enable, "" // an empty token keeps the one on record
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				defer cancel()
				if err := dc.do(ctx, http.MethodPost, "/admin/v1/hospitals", h, nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", map[bool]string{true: "enabled", false: "disabled"}[enable], h.Code)
				return nil
			}
			return fmt.Errorf("no hospital %s", args[0])
		},
	}
	disable.Flags().BoolVar(&enable, "enable", false, "enable it again instead")
	dc.register(disable)

	cmd.AddCommand(add, ls, disable)
	return cmd
}

func fetchHospitals(ctx context.Context, ac *adminClient) ([]settlement.Hospital, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var hs []settlement.Hospital
	return hs, ac.do(ctx, http.MethodGet, "/admin/v1/hospitals", nil, &hs)
}

// splitList reads a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
