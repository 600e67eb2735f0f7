package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer"
	"github.com/lockbisect/lockbisect/manifests/gomod"
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
  bisect oracle --url http://127.0.0.1:8080/mcp --profile claude`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "YAML config file (see config.example.yaml)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only results and errors")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print debug events")
	root.AddCommand(newVersionCmd(g), newDiffCmd(g), newRunCmd(g))
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
	v := viper.New()
	v.SetEnvPrefix("BISECT")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, key := range configKeys {
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
	err := v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", g.configName(), err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", g.configName(), err)
	}
	return &c, nil
}

func (g *globals) configName() string {
	if g.configFile == "" {
		return "(flags and environment)"
	}
	return g.configFile
}

// configKeys are the keys that BISECT_ environment variables may set
// (BISECT_RUNNER_KIND sets runner.kind).
var configKeys = []string{
	"project", "runner.kind", "runner.start", "runner.dockerfile", "runner.port",
	"runner.ready.path", "runner.ready.timeout", "oracle.kind", "oracle.path",
	"oracle.profile", "oracle.command", "search.repeat", "search.parallel",
	"search.drill", "report.markdown", "report.json",
}

// ecosystems are the lock formats bisect knows, registered in this one place.
func ecosystems() []manifests.Ecosystem {
	return []manifests.Ecosystem{composer.Ecosystem{}, gomod.Ecosystem{}}
}
