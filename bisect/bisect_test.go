package bisect

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/*.txt")

// TestCases runs each testdata/*.txt case: its comment holds the input
// (units, culprit expression, untestable rules, requires, repeat, workers,
// flip rate and seed), its files the expected probe log and result.
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no cases in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, s, err := parseCase(string(ar.Comment))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			cfg.Trial = s.probe
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// With several workers, which unneeded probes finish before
			// they are cancelled depends on timing: only the decisions,
			// the rounds and the result are compared.
			parallel := cfg.Workers > 1
			got := map[string]string{"probes": probeLog(res, parallel), "result": resultText(res, parallel)}
			if *update {
				ar.Files = []txtar.File{{Name: "probes", Data: []byte(got["probes"])}, {Name: "result", Data: []byte(got["result"])}}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, f := range ar.Files {
				if want := string(f.Data); got[f.Name] != want {
					t.Errorf("%s: %s differs\ngot:\n%s\nwant:\n%s", file, f.Name, got[f.Name], want)
				}
			}
			if len(ar.Files) != 2 {
				t.Errorf("%s: want files probes and result, run with -update", file)
			}
		})
	}
}

// parseCase reads the "key: value" lines of a case.
func parseCase(text string) (Config, *sim, error) {
	cfg := Config{Requires: map[string][]string{}}
	s := &sim{untestable: map[string][]string{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return cfg, nil, fmt.Errorf("line %d: want key: value", n+1)
		}
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "units":
			var c int
			c, err = strconv.Atoi(v)
			cfg.Units, s.units = letters(c), c
		case "culprit":
			s.terms, err = parseExpr(v)
		case "untestable":
			// "b" (never builds but in the new lock) or "b!c" (not without c)
			for _, f := range strings.Fields(v) {
				u, w, _ := strings.Cut(f, "!")
				s.untestable[u] = append(s.untestable[u], strings.Fields(strings.ReplaceAll(w, ",", " "))...)
			}
		case "requires":
			// "f>c g>c,d": f needs c, g needs c and d
			for _, f := range strings.Fields(v) {
				u, w, _ := strings.Cut(f, ">")
				cfg.Requires[u] = append(cfg.Requires[u], strings.Split(w, ",")...)
			}
		case "repeat":
			cfg.Repeat, err = strconv.Atoi(v)
		case "workers":
			cfg.Workers, err = strconv.Atoi(v)
		case "flip":
			s.flip, err = strconv.ParseFloat(v, 64)
		case "seed":
			s.seed, err = strconv.ParseUint(v, 10, 64)
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return cfg, nil, fmt.Errorf("line %d: %w", n+1, err)
		}
	}
	return cfg, s, nil
}

func probeLog(res *Result, parallel bool) string {
	var b bytes.Buffer
	if parallel {
		fmt.Fprintf(&b, "rounds: %d\n", res.Rounds)
		return b.String()
	}
	for i, p := range res.Probes {
		mixed := ""
		if p.Mixed {
			mixed = " mixed"
		}
		fmt.Fprintf(&b, "%d r%d %-12s {%s} %s %s%s\n", i+1, p.Round, p.Purpose, strings.Join(p.Applied, " "), p.Outcome, trials(p.Trials), mixed)
	}
	return b.String()
}

func trials(ts []Outcome) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteByte(string(t)[0])
	}
	return b.String()
}

func resultText(res *Result, parallel bool) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "verdict: %s\n", res.Verdict)
	if res.Detail != "" {
		fmt.Fprintf(&b, "detail: %s\n", res.Detail)
	}
	for _, c := range res.Culprits {
		fmt.Fprintf(&b, "culprit: %s", strings.Join(c.Units, " "))
		if len(c.Untestable) > 0 {
			fmt.Fprintf(&b, " (untestable: %s)", strings.Join(c.Untestable, " "))
		}
		if len(c.Requires) > 0 {
			fmt.Fprintf(&b, " (requires: %s)", strings.Join(c.Requires, " "))
		}
		fmt.Fprintf(&b, " confirmed by {%s}\n", strings.Join(c.Confirm.Applied, " "))
	}
	var innocent []string
	for u := range res.Innocent {
		innocent = append(innocent, u)
	}
	slices.Sort(innocent)
	if parallel && len(innocent) > 0 {
		fmt.Fprintf(&b, "innocent: %s\n", strings.Join(innocent, " "))
	}
	for _, u := range innocent {
		if !parallel {
			fmt.Fprintf(&b, "innocent: %s: %s\n", u, res.Innocent[u])
		}
	}
	if len(res.Untestable) > 0 {
		fmt.Fprintf(&b, "untestable: %s\n", strings.Join(res.Untestable, " "))
	}
	for _, p := range res.Evidence {
		fmt.Fprintf(&b, "evidence: {%s} %s %s\n", strings.Join(p.Applied, " "), p.Outcome, trials(p.Trials))
	}
	if !parallel {
		fmt.Fprintf(&b, "probes: %d, rounds: %d\n", len(res.Probes), res.Rounds)
	}
	return b.String()
}
