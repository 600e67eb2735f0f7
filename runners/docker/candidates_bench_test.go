package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/gomod"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/local"
)

// benchCandidates is how many candidates of an example each mode builds
// and starts, one after the other, as a bisection's probes would.
const benchCandidates = 6

// BenchmarkCandidates builds and starts the same sequence of candidates
// of an example (go-mcp, composer-mcp) four ways: on the classic builder,
// on BuildKit without the examples' cache mounts, on BuildKit with them,
// and with the local runner (the example's bisect.yaml: host processes,
// the host's own Go caches). It reports first-s (the first candidate: the
// caches may be cold), s/candidate (the mean of the others: what each
// further probe of a bisection costs, from build to a removed container)
// and build-s/candidate (the build's part of it, Instance.BuildSeconds);
// for the docker modes also the breakdown of timings.report (context-s,
// internal-s, copy-s, run-s, export-s, container-s, ready-s per
// candidate), and with -v the mean of every phase and BuildKit step, and
// the load averages at the start and the end: figures are comparable only
// on an equally quiet machine. The local runner goes first, and each
// docker mode reports x-local, its s/candidate over the local runner's
// (issue 13's target: at most 3 for buildkit-cache). Every run starts
// with a fresh builder layer cache for the candidates' steps (a nonce in
// the Dockerfile's environment), but BuildKit's cache mounts are the engine's
// and stay warm from run to run, as they do on a CI runner's engine. It
// needs the base images of scripts/images.sh, php and composer, and
// minutes: run it alone, with -benchtime 1x.
func BenchmarkCandidates(b *testing.B) {
	cli := needDocker(b)
	examples := []struct {
		name, base string
		eco        manifests.Ecosystem
		lock       string
		tools      []string // the local runner's
		local      runners.Config
	}{
		{"go-mcp", "lockbisect/go:1.26.8", gomod.Ecosystem{}, "go.mod", []string{"go"}, runners.Config{
			Build: []string{"go build -o server ."}, Start: "./server",
			Env: map[string]string{
				"PORT": "{{.Port}}", "GOPROXY": "file://{{.Dir}}/proxy", "GOSUMDB": "off", "GONOSUMDB": "*",
				"GOFLAGS": "-modcacherw", "GOTOOLCHAIN": "local", "GOWORK": "off",
			},
		}},
		{"composer-mcp", "lockbisect/php:bookworm", composer.Ecosystem{}, "composer.lock", []string{"php", "composer"}, runners.Config{
			Build: []string{"composer install --no-interaction --no-progress"},
			Start: "php -S 127.0.0.1:{{.Port}} public/index.php",
			Env: map[string]string{
				"COMPOSER_HOME": "{{.Dir}}/.composer", "COMPOSER_CACHE_DIR": "{{.Dir}}/.composer/cache",
				"COMPOSER_ALLOW_SUPERUSER": "1",
			},
		}},
	}
	modes := []struct {
		name    string
		builder string // "" = the local runner
		mounts  bool
	}{
		{"local", "", false}, // first: the others report their ratio to it
		{"classic", "classic", false},
		{"buildkit", "buildkit", false},
		{"buildkit-cache", "buildkit", true},
	}
	for _, ex := range examples {
		b.Run(ex.name, func(b *testing.B) {
			if _, err := cli.ImageInspect(context.Background(), ex.base); err != nil {
				testenv.Missing(b, ex.base+" (run scripts/images.sh)", err)
			}
			dir, err := filepath.Abs(filepath.Join("..", "..", "examples", ex.name))
			if err != nil {
				b.Fatal(err)
			}
			cands := exampleCandidates(b, ex.eco, dir, ex.lock)
			var localPer float64 // the local runner's s/candidate; 0 = not run
			for _, m := range modes {
				b.Run(m.name, func(b *testing.B) {
					if m.builder == "" {
						testenv.NeedTools(b, ex.tools...)
					}
					var d durations
					times := newTimings()
					b.Logf("load average at the start: %s", loadAverage())
					defer func() { b.Logf("load average at the end: %s", loadAverage()) }()
					for range b.N {
						var r runners.Runner
						if m.builder == "" {
							cfg := ex.local
							cfg.Kind = "local"
							cfg.Ready = runners.Ready{Path: "/healthz", Timeout: 60 * time.Second}
							r = local.New(cfg, filepath.Join(dir, "server"), local.Options{TempDir: b.TempDir()})
						} else {
							nonce := newRunID()
							cfg := settings{Config: runners.Config{Kind: "docker", Ready: runners.Ready{Path: "/healthz", Timeout: 60 * time.Second}}, own: Config{Dockerfile: benchDockerfile(b, filepath.Join(dir, "Dockerfile"), nonce, m.mounts), Port: 8080, Builder: m.builder, BuildParallel: 1}}
							r = newRunner(b, filepath.Join(dir, "server"), cfg, Options{Project: "bench-" + ex.name + "-" + m.name + "-" + nonce, Logger: slog.New(times)})
						}
						d.sequence(b, r, times, cands)
					}
					n := float64(b.N)
					per := d.report(b, n, len(cands))
					if m.builder == "" {
						localPer = per
						return
					}
					times.report(b, n*float64(len(cands)-1))
					if localPer > 0 {
						// The target: at most 3 with the cache mounts.
						b.ReportMetric(per/localPer, "x-local")
					}
				})
			}
		})
	}
}

// exampleCandidates opens an example's old and new lock and returns its
// first benchCandidates feasible candidates: the subsets of its units in
// the order of their bit masks (the old lock first), each a different
// install, as a bisection's probes are.
func exampleCandidates(b *testing.B, eco manifests.Ecosystem, dir, lock string) []*manifests.Candidate {
	b.Helper()
	env := append(os.Environ(), "GOPROXY=file://"+filepath.Join(dir, "server", "proxy"), "GOSUMDB=off", "GONOSUMDB=*",
		"GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "GOWORK=off")
	set, err := manifests.Load(context.Background(), []manifests.Ecosystem{eco},
		filepath.Join(dir, "old", lock), filepath.Join(dir, "server", lock), "", manifests.Options{Env: env})
	if err != nil {
		b.Fatal(err)
	}
	units := set.Diff().Units
	if len(units) > 16 {
		units = units[:16]
	}
	var out []*manifests.Candidate
	for mask := 0; mask < 1<<len(units) && len(out) < benchCandidates; mask++ {
		var applied []string
		for i, u := range units {
			if mask&(1<<i) != 0 {
				applied = append(applied, u.ID)
			}
		}
		c, err := set.Candidate(applied)
		if errors.Is(err, manifests.ErrInfeasible) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) < benchCandidates {
		b.Fatalf("%d feasible candidates in %s, want %d", len(out), dir, benchCandidates)
	}
	return out
}

// mountFlag is a RUN instruction's --mount flag, with the line
// continuation that may follow it.
var mountFlag = regexp.MustCompile(`--mount=\S+[ \t]*(\\\n[ \t]*)?`)

// benchDockerfile writes the example's Dockerfile for one run: with a
// nonce in its first ENV instruction (every RUN step below misses the
// builder's layer cache; on the classic builder it adds no step) and,
// unless mounts, without its cache mounts; its ignore file beside it. It
// returns its path.
func benchDockerfile(b *testing.B, file, nonce string, mounts bool) string {
	b.Helper()
	df, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	s := strings.Replace(string(df), "\nENV ", "\nENV LOCKBISECT_BENCH="+nonce+" ", 1)
	if s == string(df) {
		b.Fatalf("%s has no ENV instruction to put the nonce in", file)
	}
	if !mounts {
		s = mountFlag.ReplaceAllString(s, "")
	}
	out := filepath.Join(b.TempDir(), "Dockerfile")
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		b.Fatal(err)
	}
	// The example's own ignore file goes beside it, as it names it.
	ignore, err := os.ReadFile(file + ".dockerignore")
	if err == nil {
		err = os.WriteFile(out+".dockerignore", ignore, 0o644)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.Fatal(err)
	}
	return out
}

// BenchmarkParallelBuilds starts an example's candidates two at a time
// (search.parallel 2), on BuildKit with the cache mounts, with
// runner.build_parallel 1 (builds take turns, containers run side by side)
// and 2 (two builds at once), and reports the wall time per candidate
// (s/candidate, all candidates). It chose build_parallel's default (the
// engine's CPUs). Like BenchmarkCandidates it takes minutes: -benchtime 1x.
func BenchmarkParallelBuilds(b *testing.B) {
	cli := needDocker(b)
	examples := []struct {
		name, base string
		eco        manifests.Ecosystem
		lock       string
	}{
		{"go-mcp", "lockbisect/go:1.26.8", gomod.Ecosystem{}, "go.mod"},
		{"composer-mcp", "lockbisect/php:bookworm", composer.Ecosystem{}, "composer.lock"},
	}
	for _, ex := range examples {
		b.Run(ex.name, func(b *testing.B) {
			if _, err := cli.ImageInspect(context.Background(), ex.base); err != nil {
				testenv.Missing(b, ex.base+" (run scripts/images.sh)", err)
			}
			dir, err := filepath.Abs(filepath.Join("..", "..", "examples", ex.name))
			if err != nil {
				b.Fatal(err)
			}
			cands := exampleCandidates(b, ex.eco, dir, ex.lock)
			for _, builds := range []int{1, 2} {
				b.Run("build_parallel="+strconv.Itoa(builds), func(b *testing.B) {
					var wall time.Duration
					for range b.N {
						nonce := newRunID()
						cfg := settings{Config: runners.Config{Kind: "docker", Ready: runners.Ready{Path: "/healthz", Timeout: 120 * time.Second}}, own: Config{Dockerfile: benchDockerfile(b, filepath.Join(dir, "Dockerfile"), nonce, true), Port: 8080, Builder: "buildkit", BuildParallel: builds}}
						r := newRunner(b, filepath.Join(dir, "server"), cfg, Options{Project: "bench-parallel-" + nonce})
						start := time.Now()
						next := make(chan *manifests.Candidate, len(cands))
						for _, c := range cands {
							next <- c
						}
						close(next)
						errs := make(chan error, 2)
						for range 2 {
							go func() {
								for c := range next {
									logs := &testenv.Buffer{}
									inst, err := r.Start(context.Background(), runners.Request{Candidate: c, Logs: logs})
									if err != nil {
										errs <- fmt.Errorf("%w\n%s", err, logs)
										return
									}
									inst.Stop(context.Background())
								}
								errs <- nil
							}()
						}
						for range 2 {
							if err := <-errs; err != nil {
								b.Fatal(err)
							}
						}
						wall += time.Since(start)
					}
					b.ReportMetric(wall.Seconds()/float64(b.N)/float64(len(cands)), "s/candidate")
				})
			}
		})
	}
}

// BenchmarkFloor is the engine's floor for a candidate on BuildKit,
// through the same runner code as BenchmarkCandidates: an image whose
// candidate-specific part is a small file (the candidate's lock), then its
// container started, answering ready.path, and removed. It reports what
// BenchmarkCandidates does, for three shapes of image: the file and the
// server binary in one layer FROM scratch (the shape of go-mcp's image),
// the file in a layer of its own on top of the binary's (cached) layer,
// and the same on the php example's Debian base. On a storage driver that
// diffs naively (fuse-overlayfs) exporting a layer that has a parent
// mounts and walks the parent's whole tree; a layer on nothing is only
// packed.
func BenchmarkFloor(b *testing.B) {
	for _, shape := range []struct{ name, base, copy string }{
		{"scratch-one-layer", "scratch", "COPY server deps.lock /\n"},
		{"scratch-on-a-layer", "scratch", "COPY server /server\nCOPY deps.lock /deps.lock\n"},
		{"php-base", "lockbisect/php:bookworm", "COPY server /server\nCOPY deps.lock /deps.lock\n"},
	} {
		b.Run(shape.name, func(b *testing.B) {
			cli := needDocker(b)
			if shape.base != "scratch" {
				if _, err := cli.ImageInspect(context.Background(), shape.base); err != nil {
					testenv.Missing(b, shape.base+" (run scripts/images.sh)", err)
				}
			}
			floor(b, "FROM "+shape.base+"\n"+shape.copy+"ENTRYPOINT [\"/server\"]\n")
		})
	}
}

func floor(b *testing.B, df string) {
	dir := project(b, df, nil)
	var d durations
	times := newTimings()
	b.Logf("load average at the start: %s", loadAverage())
	defer func() { b.Logf("load average at the end: %s", loadAverage()) }()
	for range b.N {
		cfg := testConfig()
		cfg.Builder, cfg.BuildParallel = "buildkit", 1
		r := newRunner(b, dir, cfg, Options{Logger: slog.New(times)})
		nonce := newRunID()
		cands := make([]*manifests.Candidate, benchCandidates)
		for i := range cands {
			cands[i] = candidate(fmt.Sprintf("floor %s %d\n", nonce, i))
		}
		d.sequence(b, r, times, cands)
	}
	n := float64(b.N)
	d.report(b, n, benchCandidates)
	times.report(b, n*(benchCandidates-1))
}

// durations add up the candidates of sequences: the first of each (the
// caches may be cold), the others, and the others' builds.
type durations struct{ first, rest, build time.Duration }

// sequence starts and stops each candidate with r, one after the other,
// as a bisection's probes would; times counts the events of all but the
// first.
func (d *durations) sequence(b *testing.B, r runners.Runner, times *timings, cands []*manifests.Candidate) {
	for i, c := range cands {
		times.count(i > 0)
		start := time.Now()
		logs := &testenv.Buffer{}
		inst, err := r.Start(context.Background(), runners.Request{Candidate: c, Logs: logs})
		if err != nil {
			b.Fatalf("candidate %d: %v\n%s", i, err, logs)
		}
		if err := inst.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			d.first += time.Since(start)
		} else {
			d.rest += time.Since(start)
			d.build += time.Duration(inst.BuildSeconds * float64(time.Second))
		}
	}
}

// report reports first-s, s/candidate and build-s/candidate over n
// sequences of count candidates, and returns s/candidate.
func (d durations) report(b *testing.B, n float64, count int) float64 {
	per := d.rest.Seconds() / n / float64(count-1)
	b.ReportMetric(d.first.Seconds()/n, "first-s")
	b.ReportMetric(per, "s/candidate")
	b.ReportMetric(d.build.Seconds()/n/float64(count-1), "build-s/candidate")
	return per
}
