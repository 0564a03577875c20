package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version names the build; `make build` sets it from git, and /status and
// `provgate version` report it (a rolling upgrade shows nodes moving over).
var version = "dev"

func main() {
	err := rootCommand().Execute()
	logOutput().Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "provgate:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "provgate",
		Short:         "Provincial gateway for cross-region medical-insurance direct settlement",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCommand(), demoCommand(), policyCommand(), catalogCommand(), hospitalCommand(), personCommand(), filingCommand(), clusterCommand(), benchCommand(), backupCommand(), restoreCommand(), certsCommand(), hubCommand(), versionCommand())
	return root
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the build version",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "provgate", version) },
	}
}
