package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/gomod"
	"github.com/lockbisect/lockbisect/manifests/npm"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/exec"
	"github.com/lockbisect/lockbisect/oracles/httpsteps"
	"github.com/lockbisect/lockbisect/oracles/mcp"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/local"
	"github.com/lockbisect/lockbisect/runners/swarm"
)

// globals are the flags every command shares.
type globals struct {
	stdout, stderr io.Writer
	configFile     string
	quiet, verbose bool
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "bisect",
		Short: "Find which dependency change between two lock files broke a server",
		Long: `bisect diffs two lock files (composer.lock, or go.mod/go.sum), groups the
changes that must move together, builds the server with subsets of them rolled
back, judges each candidate with an oracle (an MCP + OAuth handshake, an HTTP
script or any command), and names the smallest set of package changes that
breaks it.`,
		Example: `  bisect diff --lock-old main:composer.lock --lock-new composer.lock
  bisect run --lock-old old/go.mod --lock-new go.mod --config bisect.yaml
  bisect oracle --url http://127.0.0.1:8080/mcp --profile claude,gemini`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "YAML config file (see config.example.yaml)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only results and errors")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print debug events")
	root.AddCommand(newVersionCmd(g), newDiffCmd(g), newRunCmd(g))
	root.AddCommand(newOracleCmd(g))
	root.AddCommand(newCleanCmd(g))
	root.AddCommand(newReportCmd(g))
	return root
}

// logger writes progress and debug events to stderr.
func (g *globals) logger() *slog.Logger {
	level := slog.LevelInfo
	switch {
	case g.quiet:
		level = slog.LevelWarn
	case g.verbose:
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

// loadConfig reads the config file (optional unless named), BISECT_
// environment variables and the command's flags (bound by bind: config key →
// flag name), flags winning, and returns it with defaults filled and validated.
func (g *globals) loadConfig(flags *pflag.FlagSet, bind map[string]string) (*config.Config, error) {
	return g.loadConfigChecked(flags, bind, func(c *config.Config) error { return c.Validate(kinds()) })
}

// loadConfigChecked is loadConfig with the validation the command needs:
// `bisect oracle` judges a server it did not start, so only the oracle
// section must be valid there.
func (g *globals) loadConfigChecked(flags *pflag.FlagSet, bind map[string]string, validate func(*config.Config) error) (*config.Config, error) {
	v := viper.New()
	v.SetEnvPrefix("BISECT")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, key := range config.Keys() {
		if err := v.BindEnv(key); err != nil {
			return nil, err
		}
	}
	for key, name := range bind {
		if f := flags.Lookup(name); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return nil, err
			}
		}
	}
	if g.configFile != "" {
		v.SetConfigFile(g.configFile)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var nf viper.ConfigFileNotFoundError
			if errors.As(err, &nf) || os.IsNotExist(err) {
				return nil, fmt.Errorf("config %s: file not found", g.configFile)
			}
			return nil, fmt.Errorf("config %s: %w", g.configFile, err)
		}
	}
	var c config.Config
	err := v.Unmarshal(&c, configDecoding)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", g.configName(), withLines(g.configFile, err))
	}
	if g.configFile != "" {
		if err := restoreCase(g.configFile, &c); err != nil {
			return nil, err
		}
	}
	c.Defaults(kinds(), v.IsSet)
	if err := validate(&c); err != nil {
		return nil, g.configError(err, flags, bind)
	}
	return &c, nil
}

// configError says where the wrong value of a key came from: the flag,
// the BISECT_ environment variable or the file's line, in that order of
// precedence, so that the user knows what to edit.
func (g *globals) configError(err error, flags *pflag.FlagSet, bind map[string]string) error {
	var ke *config.KeyError
	if !errors.As(err, &ke) {
		return fmt.Errorf("config %s: %w", g.configName(), err)
	}
	if f := flags.Lookup(bind[ke.Key]); f != nil && f.Changed {
		return fmt.Errorf("flag --%s: %w", f.Name, err)
	}
	env := "BISECT_" + strings.ToUpper(strings.ReplaceAll(ke.Key, ".", "_"))
	// Viper ignores an empty variable, and so does this.
	if os.Getenv(env) != "" && slices.Contains(config.Keys(), ke.Key) {
		return fmt.Errorf("environment %s: %w", env, err)
	}
	if g.configFile != "" {
		if line := keyLine(g.configFile, ke.Key); line > 0 {
			return fmt.Errorf("config %s:%d: %w", g.configFile, line, err)
		}
	}
	return fmt.Errorf("config %s: %w", g.configName(), err)
}

// decodedKey matches the key a decoding error names: "'search.repeat'
// cannot parse …", or "'runner' has invalid keys: prot, …".
var decodedKey = regexp.MustCompile(`^'([^']*)'(?: has invalid keys: ([^,\s]+))?`)

// lineError is a decoding error with each of its lines that names a key
// of the file prefixed by FILE:LINE.
type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }

// withLines says on which line of the file each key a decoding error names
// is written.
func withLines(file string, err error) error {
	if file == "" {
		return err
	}
	lines := strings.Split(err.Error(), "\n")
	found := false
	for i, l := range lines {
		m := decodedKey.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		key := m[1]
		if m[2] != "" {
			key = strings.TrimPrefix(key+"."+m[2], ".")
		}
		if n := keyLine(file, key); n > 0 {
			lines[i], found = fmt.Sprintf("%s:%d: %s", file, n, l), true
		}
	}
	if !found {
		return err
	}
	return &lineError{msg: strings.Join(lines, "\n"), err: err}
}

// keyLine is the line of the file on which a dotted key (runner.ready.timeout)
// is written, or 0 when the file does not write it (a default was wrong, or
// the file cannot be read: its error was reported already).
func keyLine(file, key string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	line := 0
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return 0
		}
		var next *yaml.Node
		// Viper matches keys without regard to case; so does this.
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, part) {
				line, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return line
}

// configDecoding is how config values become typed fields.
func configDecoding(dc *mapstructure.DecoderConfig) {
	dc.ErrorUnused = true
	dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
		dateToString,
	)
}

// dateToString undoes YAML's reading of an unquoted 2025-06-18 (a protocol
// version) as a timestamp where the config wants text.
func dateToString(_, to reflect.Type, v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok || to.Kind() != reflect.String {
		return v, nil
	}
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly), nil
	}
	return t.Format(time.RFC3339Nano), nil
}

// restoreCase reads again, as written in the file, the values whose map keys
// are data rather than config keys. Viper lowercases every key, also inside
// lists and maps, which would turn an http step's JSON body {"userName": …}
// into {"username": …}, break JSON paths and capture names, tool call
// arguments, and environment variable names (PORT → port). None of these can
// be set by a flag or an environment variable, so the file is their only
// source.
func restoreCase(file string, c *config.Config) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	var exact config.Config
	dc := &mapstructure.DecoderConfig{Result: &exact, WeaklyTypedInput: true} // as viper decodes
	configDecoding(dc)
	dec, err := mapstructure.NewDecoder(dc)
	if err == nil {
		err = dec.Decode(raw)
	}
	if err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	c.Runner.Env = exact.Runner.Env
	c.Runner.BuildArgs = exact.Runner.BuildArgs
	c.Oracle.Steps = exact.Oracle.Steps
	c.Oracle.MCP.Calls = exact.Oracle.MCP.Calls
	c.Oracle.MCP.Headers = exact.Oracle.MCP.Headers
	c.Oracle.MCP.OAuth.Consent = exact.Oracle.MCP.OAuth.Consent
	return nil
}

// resolveProject makes a relative project directory relative to the config
// file that names it.
func (g *globals) resolveProject(cfg *config.Config) {
	if cfg.Project != "" && !filepath.IsAbs(cfg.Project) && g.configFile != "" {
		cfg.Project = filepath.Join(filepath.Dir(g.configFile), cfg.Project)
	}
}

func (g *globals) configName() string {
	if g.configFile == "" {
		return "(flags and environment)"
	}
	return g.configFile
}

// ecosystems are the lock formats bisect knows, registered in this one place.
func ecosystems() []manifests.Ecosystem {
	return []manifests.Ecosystem{composer.Ecosystem{}, gomod.Ecosystem{}, npm.Ecosystem{}}
}

// kinds are the runners and oracles bisect knows, registered in this one
// place; the first of each is the default (runner.kind local, oracle.kind
// mcp).
func kinds() config.Kinds {
	return config.Kinds{
		Runners: runners.Registry[config.Runner]{local.Kind[config.Runner](), docker.Kind[config.Runner](), swarm.Kind[config.Runner]()},
		Oracles: oracles.Registry[config.Oracle]{mcp.Kind[config.Oracle](), httpsteps.Kind[config.Oracle](), exec.Kind[config.Oracle]()},
	}
}
