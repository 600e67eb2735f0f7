package runners

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// Vars are what runner templates (runner.env values, runner.build,
// runner.start) may refer to: {{.Port}}, {{.Host}}, {{.Dir}}.
type Vars struct {
	Port int    // port the server must listen on
	Host string // address the server must listen on (127.0.0.1)
	Dir  string // the candidate's work directory; "" for docker
}

// Expand renders tmpl with v. A reference to anything Vars does not have is
// an error (a typo such as {{.Prot}} must not silently become empty); the
// error quotes the template so that the user can find it in the config.
func Expand(tmpl string, v Vars) (string, error) {
	t, err := template.New("runner").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// Environ renders every value of env with v and returns KEY=VALUE entries
// sorted by key, ready to append to os.Environ (later entries win there).
func Environ(env map[string]string, v Vars) ([]string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		val, err := Expand(env[k], v)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", k, err)
		}
		out = append(out, k+"="+val)
	}
	return out, nil
}
