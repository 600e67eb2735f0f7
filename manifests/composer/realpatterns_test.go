package composer

import (
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests"
)

// The scenarios below reproduce, with packages of our own, the patterns
// of real Symfony and Laravel applications that the tool once got wrong.

// skeletonScenario is a Symfony-skeleton root: it replaces the polyfills
// its PHP version makes unnecessary, and the new composer.json replaces
// two more (php82, php83: the old lock has php83, the new one not) and no
// longer php81 (which the new lock then has). league-style markdown
// requires the php80 polyfill, which neither lock has: the root answers.
var skeletonScenario = scenario{
	unchanged: []composerrepo.Package{
		{Name: "acme/markdown", Version: "2.4.0", Require: req{"php": ">=7.4", "symfony/polyfill-php80": "^1.16"}},
	},
	old: []composerrepo.Package{
		{Name: "symfony/clock", Version: "v7.3.0", Require: req{"php": ">=8.2", "symfony/polyfill-php83": "^1.28"}},
		{Name: "symfony/framework-bundle", Version: "v7.3.0", Require: req{"symfony/clock": "^7.3", "symfony/string": "^7.3"}},
		{Name: "symfony/string", Version: "v7.3.0", Require: req{"symfony/polyfill-php81": "^1.0"}},
		{Name: "symfony/polyfill-php83", Version: "v1.29.0", Require: req{"php": ">=7.2"}},
	},
	new: []composerrepo.Package{
		{Name: "symfony/clock", Version: "v7.4.0", Require: req{"php": ">=8.2", "symfony/polyfill-php83": "^1.28"}},
		{Name: "symfony/framework-bundle", Version: "v7.4.0", Require: req{"symfony/clock": "^7.4", "symfony/string": "^7.3"}},
		{Name: "symfony/string", Version: "v7.4.0", Require: req{"symfony/polyfill-php81": "^1.0"}},
		{Name: "symfony/polyfill-php81", Version: "v1.29.0", Require: req{"php": ">=7.2"}},
	},
	oldRoot: composerrepo.Root{
		Name:    "acme/skeleton",
		Require: req{"php": ">=8.2", "symfony/framework-bundle": "^7.3", "acme/markdown": "^2.4"},
		Replace: req{"symfony/polyfill-ctype": "*", "symfony/polyfill-php80": "*", "symfony/polyfill-php81": "*"},
	},
	newRoot: composerrepo.Root{
		Name:    "acme/skeleton",
		Require: req{"php": ">=8.2", "symfony/framework-bundle": "^7.4", "acme/markdown": "^2.4"},
		Replace: req{"symfony/polyfill-ctype": "*", "symfony/polyfill-php80": "*", "symfony/polyfill-php82": "*", "symfony/polyfill-php83": "*"},
	},
}

// outgrownScenario is a root that newly replaces a polyfill whose old
// release the new requirer has outgrown: the new acme/app-lib requires
// the polyfill at ^2.0, which the new root's replace answers but the old
// polyfill 1.0 does not; while that one is locked, the root cannot
// replace it, so applying app-lib needs the polyfill's removal applied.
var outgrownScenario = scenario{
	old: []composerrepo.Package{
		{Name: "acme/app-lib", Version: "1.0.0", Require: req{"acme/polyfill": "^1.0"}},
		{Name: "acme/polyfill", Version: "1.0.0"},
	},
	new: []composerrepo.Package{
		{Name: "acme/app-lib", Version: "2.0.0", Require: req{"acme/polyfill": "^2.0"}},
	},
	oldRoot: composerrepo.Root{Require: req{"acme/app-lib": "^1.0"}},
	newRoot: composerrepo.Root{Require: req{"acme/app-lib": "^2.0"}, Replace: req{"acme/polyfill": "*"}},
}

// rangesScenario has replaced ranges that do and do not meet a conflict:
// the bridge replaces acme/mailer ^5.4, then ^6.0; the unchanged guard
// conflicts with acme/mailer <5.4, which neither meets; the old strict
// guard conflicts with >=6.0, which the new bridge meets; the old user
// requires acme/mailer ^5.4, which only the old bridge meets.
var rangesScenario = scenario{
	unchanged: []composerrepo.Package{
		{Name: "acme/guard", Version: "1.0.0", Conflict: req{"acme/mailer": "<5.4"}},
	},
	old: []composerrepo.Package{
		{Name: "acme/bridge", Version: "1.0.0", Replace: req{"acme/mailer": "^5.4"}},
		{Name: "acme/strict-guard", Version: "1.0.0", Conflict: req{"acme/mailer": ">=6.0"}},
		{Name: "acme/mail-user", Version: "1.0.0", Require: req{"acme/mailer": "^5.4"}},
	},
	new: []composerrepo.Package{
		{Name: "acme/bridge", Version: "2.0.0", Replace: req{"acme/mailer": "^6.0"}},
		{Name: "acme/strict-guard", Version: "1.1.0"},
		{Name: "acme/mail-user", Version: "1.1.0", Require: req{"acme/mailer": "^5.4 || ^6.0"}},
	},
	oldRoot: composerrepo.Root{Require: req{"acme/guard": "^1.0", "acme/bridge": "^1.0", "acme/strict-guard": "^1.0", "acme/mail-user": "^1.0"}},
	newRoot: composerrepo.Root{Require: req{"acme/guard": "^1.0", "acme/bridge": "^2.0", "acme/strict-guard": "^1.1", "acme/mail-user": "^1.1"}},
}

// splitScenario is a monorepo split: the totp and backup-code packages
// require the bundle at self.version, so the three move together; the
// clock beside them is free.
var splitScenario = scenario{
	old: []composerrepo.Package{
		{Name: "acme/twofa-bundle", Version: "v6.12.0", Require: req{"php": ">=8.1"}},
		{Name: "acme/twofa-totp", Version: "v6.12.0", Require: req{"acme/twofa-bundle": "self.version"}},
		{Name: "acme/twofa-backup-code", Version: "v6.12.0", Require: req{"acme/twofa-bundle": "self.version"}},
		{Name: "acme/clock", Version: "1.0.0"},
	},
	new: []composerrepo.Package{
		{Name: "acme/twofa-bundle", Version: "v6.13.1", Require: req{"php": ">=8.1"}},
		{Name: "acme/twofa-totp", Version: "v6.13.1", Require: req{"acme/twofa-bundle": "self.version"}},
		{Name: "acme/twofa-backup-code", Version: "v6.13.1", Require: req{"acme/twofa-bundle": "self.version"}},
		{Name: "acme/clock", Version: "1.1.0"},
	},
	oldRoot: composerrepo.Root{Require: req{"acme/twofa-totp": "^6.12", "acme/twofa-backup-code": "^6.12", "acme/clock": "^1.0"}},
	newRoot: composerrepo.Root{Require: req{"acme/twofa-totp": "^6.12", "acme/twofa-backup-code": "^6.12", "acme/clock": "^1.0"}},
}

// frameworkScenario is a Laravel-style framework that replaces its
// components at self.version: a package that requires the support
// component at ^10 only must stay old while the framework does, one that
// conflicts with support >=11 likewise, and an unchanged tool that takes
// either major is free.
var frameworkScenario = scenario{
	unchanged: []composerrepo.Package{
		{Name: "acme/tool", Version: "1.0.0", Require: req{"illuminate/collections": "^10.0 || ^11.0"}},
	},
	old: []composerrepo.Package{
		{Name: "laravel/framework", Version: "v10.48.0", Replace: req{"illuminate/support": "self.version", "illuminate/collections": "self.version"}},
		{Name: "acme/package", Version: "1.0.0", Require: req{"illuminate/support": "^10.0"}},
		{Name: "acme/old-guard", Version: "1.0.0", Conflict: req{"illuminate/support": ">=11.0"}},
	},
	new: []composerrepo.Package{
		{Name: "laravel/framework", Version: "v11.2.0", Replace: req{"illuminate/support": "self.version", "illuminate/collections": "self.version"}},
		{Name: "acme/package", Version: "2.0.0", Require: req{"illuminate/support": "^10.0 || ^11.0"}},
		{Name: "acme/old-guard", Version: "1.1.0"},
	},
	oldRoot: composerrepo.Root{Require: req{"laravel/framework": "^10.0", "acme/tool": "^1.0", "acme/package": "^1.0", "acme/old-guard": "^1.0"}},
	newRoot: composerrepo.Root{Require: req{"laravel/framework": "^11.0", "acme/tool": "^1.0", "acme/package": "^2.0", "acme/old-guard": "^1.1"}},
}

// platformScenario changes platform requirements (php, an extension this
// machine lacks, composer's plugin and runtime APIs, a library): none of
// them couples, and with config.platform standing in for the missing
// extension composer installs every subset.
var platformScenario = scenario{
	old: []composerrepo.Package{
		{Name: "acme/needs-php", Version: "1.0.0", Require: req{"php": ">=7.4", "ext-json": "*"}},
		{Name: "acme/plugin", Version: "1.0.0", Require: req{"composer-plugin-api": "^2.0"}},
	},
	new: []composerrepo.Package{
		{Name: "acme/needs-php", Version: "2.0.0", Require: req{"php": ">=8.1", "ext-lockbisect-fixture": "^1.2", "lib-pcre": "*"}},
		{Name: "acme/plugin", Version: "2.0.0", Require: req{"composer-plugin-api": "^2.3", "composer-runtime-api": "^2.2"}},
	},
	oldRoot: composerrepo.Root{Require: req{"php": ">=7.4", "acme/needs-php": "^1.0", "acme/plugin": "^1.0"}},
	newRoot: composerrepo.Root{
		Require:  req{"php": ">=8.1", "acme/needs-php": "^2.0", "acme/plugin": "^2.0"},
		Platform: req{"ext-lockbisect-fixture": "1.2.3"},
	},
}

// TestRealPatternsEverySubset holds each pattern to the real composer on
// every subset of its units, and checks the units and reasons composer
// forces.
func TestRealPatternsEverySubset(t *testing.T) {
	c := composerrepo.New(t)
	t.Run("skeleton", func(t *testing.T) {
		// clock, framework-bundle (needs clock), string, php81, php83: 32 - 8
		s := everySubset(t, c, skeletonScenario, 24)
		d := s.Diff()
		if len(d.Units) != 5 {
			t.Errorf("units %+v, want one per package", d.Units)
		}
		wantEdges(t, d, [][2]string{{"symfony/framework-bundle", "symfony/clock"}})
	})
	t.Run("outgrown", func(t *testing.T) {
		s := everySubset(t, c, outgrownScenario, 3)
		wantEdges(t, s.Diff(), [][2]string{{"acme/app-lib", "acme/polyfill"}})
		wantReasons(t, s.Diff(), "acme/app-lib 2.0.0 requires acme/polyfill ^2.0")
	})
	t.Run("ranges", func(t *testing.T) {
		// bridge needs user and strict-guard: 4 without bridge + 1
		s := everySubset(t, c, rangesScenario, 5)
		d := s.Diff()
		wantEdges(t, d, [][2]string{{"acme/bridge", "acme/mail-user"}, {"acme/bridge", "acme/strict-guard"}})
		wantReasons(t, d, "acme/strict-guard 1.0.0 conflicts with acme/mailer >=6.0", "acme/mail-user 1.0.0 requires acme/mailer ^5.4 (provided by acme/bridge)")
	})
	t.Run("split", func(t *testing.T) {
		s := everySubset(t, c, splitScenario, 4)
		d := s.Diff()
		unitOf := unitsByPackage(d)
		if unitOf["acme/twofa-bundle"] != unitOf["acme/twofa-totp"] || unitOf["acme/twofa-bundle"] != unitOf["acme/twofa-backup-code"] {
			t.Errorf("units %+v: the split packages must be one unit", d.Units)
		}
		if r := d.Unit(unitOf["acme/twofa-totp"]).Reason; !strings.Contains(r, "acme/twofa-totp v6.13.1 requires acme/twofa-bundle self.version (v6.13.1)") {
			t.Errorf("reason %q does not name the self.version requirement", r)
		}
	})
	t.Run("framework", func(t *testing.T) {
		s := everySubset(t, c, frameworkScenario, 5)
		d := s.Diff()
		wantEdges(t, d, [][2]string{{"laravel/framework", "acme/package"}, {"laravel/framework", "acme/old-guard"}})
		wantReasons(t, d, "acme/package 1.0.0 requires illuminate/support ^10.0 (provided by laravel/framework)")
	})
	t.Run("platform", func(t *testing.T) {
		s := everySubset(t, c, platformScenario, 4)
		if d := s.Diff(); len(d.Edges) != 0 || len(d.Units) != 2 {
			t.Errorf("platform requirements coupled: units %+v, edges %+v", d.Units, d.Edges)
		}
	})
}

// wantReasons checks that each reason is some edge's.
func wantReasons(t *testing.T, d *manifests.Diff, reasons ...string) {
	t.Helper()
	for _, r := range reasons {
		found := false
		for _, e := range d.Edges {
			found = found || e.Reason == r
		}
		if !found {
			t.Errorf("no edge says %q; edges %+v", r, d.Edges)
		}
	}
}
