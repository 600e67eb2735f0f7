package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/mcp"
)

type oracleOptions struct {
	url   string
	dir   string
	json  bool
	flags *pflag.FlagSet // for the config keys the flags override
}

func newOracleCmd(g *globals) *cobra.Command {
	var o oracleOptions
	cmd := &cobra.Command{
		Use:   "oracle [--url URL] [--config FILE] [--dir DIR] [--profile PROFILE[,PROFILE…]|all] [--json]",
		Short: "Judge a running server once with the configured oracle",
		Long: `oracle runs the oracle of the config (mcp when none is configured) once
against a server that is already running, prints every check, and exits
0 when no fatal check fails, 1 when one does, and 2 when it could not run
(bad flags or config, nothing listening, or an exec command that exits 125).

--url is the running server's URL, to which oracle.path is joined as a run
joins it to a candidate's: for mcp the endpoint, for http the {{.BaseURL}}
of the steps, for exec BISECT_URL. An exec command runs in --dir, by
default the config's project (as a run's runs in the candidate's copy of
it). Only the oracle section and the project of the config are used; the
runner is not. The report of a run prints this command with its config.

--profile judges the server as the listed clients do (spec, claude, gemini,
openai, cursor, vscode; spec is always judged): a fatal rule of any of
them failing fails the verdict, and each check names its client. With
--profile all the checks print as a matrix, one column per client, ending
in a row that says which clients can use the server.`,
		Example: `  bisect oracle --url http://127.0.0.1:8080/mcp
  bisect oracle --url http://127.0.0.1:8080/mcp --profile claude,gemini --json
  bisect oracle --url http://127.0.0.1:8080/mcp --profile all
  bisect oracle --url http://127.0.0.1:8080 --config bisect.yaml   # oracle.kind: http, steps: [...]
  bisect oracle --config bisect.yaml --dir app                      # oracle.kind: exec, a test suite`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.flags = cmd.Flags()
			return runOracle(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.url, "url", "", "endpoint of the running server, such as http://127.0.0.1:8080/mcp (required unless oracle.kind is exec)")
	cmd.Flags().StringVar(&o.dir, "dir", "", "exec: the directory the command runs in (default the config's project, else the current directory)")
	cmd.Flags().String("profile", "", "mcp: client profiles, comma-separated: spec, claude, gemini, openai, cursor, vscode, or all (default spec)")
	cmd.Flags().BoolVar(&o.json, "json", false, `print {"verdict", "checks"} as JSON`)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &codeError{code: exitCannotRun, msg: err.Error()}
	})
	return cmd
}

func runOracle(ctx context.Context, g *globals, o oracleOptions) error {
	cannot := func(err error) error { return &codeError{code: exitCannotRun, msg: err.Error()} }
	cfg, err := g.loadConfigChecked(o.flags, map[string]string{"oracle.profile": "profile"},
		func(c *config.Config) error { return c.Oracle.Validate(kinds().Oracles) })
	if err != nil {
		return cannot(err)
	}
	kind := kinds().Oracle(cfg)
	target, err := oracleTarget(o.url, kind)
	if err != nil {
		return cannot(err)
	}
	g.resolveProject(cfg)
	target.Dir = cmp.Or(o.dir, cfg.Project)
	if kind.Serverless && target.Dir != "" {
		if fi, err := os.Stat(target.Dir); err != nil || !fi.IsDir() {
			return cannot(fmt.Errorf("--dir %s: not a directory", target.Dir))
		}
	}
	or, err := hunt.NewOracle(kinds().Oracles, cfg.Oracle, g.logger())
	if err != nil {
		return cannot(fmt.Errorf("config %s: %w", g.configName(), err))
	}
	v, err := or.Check(ctx, target)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return cannot(err)
	}
	if v.Checks == nil {
		v.Checks = []oracles.Check{}
	}
	if o.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else if slices.Contains(cfg.Oracle.Profile, "all") && kind.Profiles {
		if err := printMatrix(g, v); err != nil {
			return err
		}
	} else if err := printVerdict(g, v); err != nil {
		return err
	}
	switch {
	case v.Untestable:
		return &codeError{code: exitCannotRun, msg: "the oracle says the server cannot be tested"}
	case !v.Passed():
		return &codeError{code: exitCheckFailed}
	}
	return nil
}

// oracleTarget turns --url into the target. Only a serverless (exec)
// oracle may run without one (its command then sees an empty BISECT_URL).
func oracleTarget(raw string, kind oracles.Kind[config.Oracle]) (oracles.Target, error) {
	if raw == "" {
		if kind.Serverless {
			return oracles.Target{}, nil
		}
		return oracles.Target{}, fmt.Errorf("--url: the %s oracle needs the URL of a running server", kind.Name)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return oracles.Target{}, fmt.Errorf("--url: %q is not an http:// or https:// URL", raw)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return oracles.Target{}, fmt.Errorf("--url: port %q: %w", p, err)
		}
	}
	return oracles.Target{BaseURL: raw, Host: u.Hostname(), Port: port}, nil
}

// printVerdict prints the checks as a table, the exec output when there is
// one, and the verdict line.
func printVerdict(g *globals, v *oracles.Result) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tSTATUS\tDETAIL")
	for _, c := range v.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, c.Status, strings.ReplaceAll(c.Detail, "\n", " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if v.Output != "" {
		fmt.Fprintf(g.stdout, "\noutput (tail):\n%s", v.Output)
		if !strings.HasSuffix(v.Output, "\n") {
			fmt.Fprintln(g.stdout)
		}
	}
	line := "verdict: " + string(v.Verdict)
	switch f := v.Failed(); {
	case v.Untestable:
		line += " (untestable)"
	case f != nil:
		line += " (first failing check: " + f.ID + ")"
	}
	_, err := fmt.Fprintf(g.stdout, "\n%s\n", line)
	return err
}

// printMatrix prints the checks as a check × client matrix: a check every
// profile makes fills every column, a client's own rule its column only
// ("·" elsewhere). A check made several times (once per protocol version)
// shows its worst outcome. The last row says which clients can use the
// server: no fatal check of theirs failed.
func printMatrix(g *globals, v *oracles.Result) error {
	clients := mcp.ProfileNames()
	cell := map[string]map[string]string{} // check id → profile → outcome
	var ids []string
	usable := map[string]bool{}
	for _, p := range clients {
		usable[p] = true
	}
	rank := map[string]int{"": 0, "skip": 1, "pass": 2, "warn": 3, "FAIL": 4}
	for _, c := range v.Checks {
		if cell[c.ID] == nil {
			cell[c.ID] = map[string]string{}
			ids = append(ids, c.ID)
		}
		out := string(c.Status)
		if c.Status == oracles.Fail {
			out = "warn"
			if c.Severity == oracles.Fatal {
				out = "FAIL"
			}
		}
		for _, p := range clients {
			if c.Profile != "" && c.Profile != p {
				continue
			}
			if rank[out] > rank[cell[c.ID][p]] {
				cell[c.ID][p] = out
			}
			if out == "FAIL" {
				usable[p] = false
			}
		}
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\t%s\n", strings.ToUpper(strings.Join(clients, "\t")))
	for _, id := range ids {
		row := []string{id}
		for _, p := range clients {
			out := cell[id][p]
			if out == "" {
				out = "·"
			}
			row = append(row, out)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	row := []string{"usable"}
	for _, p := range clients {
		answer := "yes"
		if !usable[p] {
			answer = "NO"
		}
		row = append(row, answer)
	}
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	if err := tw.Flush(); err != nil {
		return err
	}
	line := "verdict: " + string(v.Verdict)
	if f := v.Failed(); f != nil {
		line += " (first failing check: " + f.ID + ")"
	}
	_, err := fmt.Fprintf(g.stdout, "\n%s\n", line)
	return err
}
