package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/reports"
)

type reportOptions struct {
	journal, md, js string
}

func newReportCmd(g *globals) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report --journal FILE [--report-md FILE] [--report-json FILE]",
		Short: "Render a finished run's reports again from its journal",
		Long: `report reads the report a finished run appended to its journal, prints
its short result as run does, and writes the markdown and JSON reports
again, as the run wrote them. A journal of an interrupted run holds no
report: resume it with bisect run --resume.`,
		Example: `  bisect report --journal ~/.cache/lockbisect/runs/20261130-120000-0a1b2c3d/journal.jsonl --report-md report.md`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.journal == "" {
				return errors.New("--journal: the journal of a finished run is required")
			}
			if err := checkReportPaths(o.md, o.js, []string{o.journal}); err != nil {
				return err
			}
			rep, err := hunt.ReadReport(o.journal)
			if err != nil {
				return err
			}
			rep.ExitCode = verdictCode(rep.Verdict)
			if err := reports.Brief(g.stdout, rep); err != nil {
				return err
			}
			return writeReports(cmd.Context(), o.md, o.js, rep)
		},
	}
	cmd.Flags().StringVar(&o.journal, "journal", "", "journal.jsonl of a finished run")
	cmd.Flags().StringVar(&o.md, "report-md", "", "write the markdown report here")
	cmd.Flags().StringVar(&o.js, "report-json", "", "write the JSON report here")
	return cmd
}
