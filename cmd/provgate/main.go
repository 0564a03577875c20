package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCommand().Execute(); err != nil {
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
	root.AddCommand(serveCommand(), demoCommand(), policyCommand(), catalogCommand(), hospitalCommand(), personCommand(), filingCommand(), clusterCommand(), benchCommand(), backupCommand(), restoreCommand(), certsCommand())
	return root
}
