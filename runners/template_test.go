package runners

import (
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	v := Vars{Port: 8123, Host: "127.0.0.1", Dir: "/tmp/w"}
	tests := []struct {
		name, tmpl, want, err string
	}{
		{name: "plain", tmpl: "./server", want: "./server"},
		{name: "empty", tmpl: "", want: ""},
		{name: "port", tmpl: "php -S {{.Host}}:{{.Port}} public/index.php", want: "php -S 127.0.0.1:8123 public/index.php"},
		{name: "dir", tmpl: "{{.Dir}}/bin/server", want: "/tmp/w/bin/server"},
		{name: "function", tmpl: `{{printf "%05d" .Port}}`, want: "08123"},
		{name: "unknown field", tmpl: "{{.Prot}}", err: `template "{{.Prot}}"`},
		{name: "unknown field names it", tmpl: "x{{.Nope}}", err: "Nope"},
		{name: "parse error", tmpl: "{{.Port", err: `template "{{.Port"`},
		{name: "unknown function", tmpl: "{{env .Port}}", err: `"env" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.tmpl, v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Expand(%q) error = %v, want it to contain %q", tt.tmpl, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.tmpl, err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	v := Vars{Port: 9000, Host: "127.0.0.1", Dir: "/w"}
	tests := []struct {
		name string
		env  map[string]string
		want []string
		err  string
	}{
		{name: "nil", env: nil, want: []string{}},
		{name: "sorted and rendered", env: map[string]string{"PORT": "{{.Port}}", "APP_ENV": "prod", "ADDR": "{{.Host}}:{{.Port}}", "CACHE": "{{.Dir}}/cache"},
			want: []string{"ADDR=127.0.0.1:9000", "APP_ENV=prod", "CACHE=/w/cache", "PORT=9000"}},
		{name: "empty value", env: map[string]string{"EMPTY": ""}, want: []string{"EMPTY="}},
		{name: "missing key names the variable", env: map[string]string{"A": "ok", "PORT": "{{.Prt}}"}, err: "env PORT: template \"{{.Prt}}\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Environ(tt.env, v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Environ error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Environ: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Environ = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzExpand checks that any template text either renders or fails with an
// error quoting it, and that text without actions renders unchanged.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"./server", "{{.Port}}", "{{.Host}}:{{.Port}}", "{{.Nope}}", "{{", "}}{{.Dir}}", `{{printf "%d" .Port}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Expand(s, Vars{Port: 1, Host: "h", Dir: "d"})
		if err != nil {
			if !strings.Contains(err.Error(), "template ") {
				t.Fatalf("Expand(%q) error %q does not name the template", s, err)
			}
			return
		}
		if !strings.Contains(s, "{{") && got != s {
			t.Fatalf("Expand(%q) = %q, want the text unchanged", s, got)
		}
	})
}
