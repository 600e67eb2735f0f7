package hunt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
)

// publicEnv are the runner.env variables whose values are settings, not
// credentials (a trailing * matches a prefix), whatever the ecosystem; the
// ecosystems' own ([manifests.Environ]) and runner.public_env add to them.
var publicEnv = []string{"PATH", "HOME", "TMPDIR", "PORT", "HOST", "LANG", "LC_*", "TZ",
	"APP_ENV", "APP_DEBUG", "NODE_ENV", "DEBUG", "LOG_LEVEL", "XDEBUG_MODE"}

// minSecret is the shortest value redacted as a secret: shorter values
// ("1", "true", "prod") occur in ordinary text, so replacing them would
// shred every line without protecting anything a guess would not find.
const minSecret = 8

// redactor removes the run's secrets from everything that leaves it:
// every non-public runner.env value, every oracle header value, the
// OAuth consent fields, and what redact.String knows by shape (bearer
// tokens, credential headers and parameters, URL user information).
type redactor struct {
	secrets []string
}

func newRedactor(cfg *config.Config, ecosystems []manifests.Ecosystem) *redactor {
	r := &redactor{}
	settings, secret := append([]string{}, publicEnv...), []string(nil)
	for _, e := range ecosystems {
		if env, ok := e.(manifests.Environ); ok {
			settings, secret = append(settings, env.PublicEnv()...), append(secret, env.SecretEnv()...)
		}
	}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < minSecret {
			return
		}
		r.secrets = append(r.secrets, v)
		// "Bearer TOKEN" and the like: the token alone is a secret too.
		if f := strings.Fields(v); len(f) > 1 && len(f[len(f)-1]) >= minSecret {
			r.secrets = append(r.secrets, f[len(f)-1])
		}
	}
	for k, v := range cfg.Runner.Env {
		if match(k, cfg.Runner.PublicEnv) || match(k, settings) && !match(k, secret) {
			continue
		}
		// A template's value is known once rendered; {{.Port}} and {{.Dir}}
		// differ per candidate and are no secrets, the literal text is.
		if out, err := runners.Expand(v, runners.Vars{Host: "127.0.0.1"}); err == nil {
			v = out
		}
		add(v)
	}
	for _, v := range cfg.Oracle.MCP.Headers {
		add(v)
	}
	for _, v := range cfg.Oracle.MCP.OAuth.Consent {
		add(v)
	}
	for _, st := range cfg.Oracle.Steps {
		for _, v := range st.Headers {
			add(v)
		}
		for k, v := range st.Form {
			if credentialName(k) {
				add(v)
			}
		}
	}
	return r
}

// match reports whether the variable name is in the list (a trailing *
// matches a prefix).
func match(name string, list []string) bool {
	for _, p := range list {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(name, prefix) || p == name {
			return true
		}
	}
	return false
}

func credentialName(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "pass") || strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "key")
}

// String redacts s.
func (r *redactor) String(s string) string { return redact.String(s, r.secrets...) }

// Error returns err with its message redacted; errors.Is and errors.As
// still see what it wraps.
func (r *redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	if msg := r.String(err.Error()); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Report redacts every string of a report (or any struct) in place.
func (r *redactor) Report(v any) { r.scrub(reflect.ValueOf(v)) }

func (r *redactor) scrub(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			r.scrub(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				r.scrub(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			r.scrub(v.Index(i))
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(r.String(v.String()))
		}
	}
}

// Logger wraps log so that its messages and attributes are redacted.
func (r *redactor) Logger(log *slog.Logger) *slog.Logger {
	return slog.New(&redactHandler{h: log.Handler(), r: r})
}

type redactHandler struct {
	h slog.Handler
	r *redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{h: h.h.WithAttrs(red), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(name), r: h.r}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = h.attr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if red := h.r.String(s); red != s {
			return slog.String(a.Key, red)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// Writer returns a writer that redacts what it passes on to w, a line at
// a time (a secret is never split between two writes of a line); Flush
// writes a last line without its newline.
func (r *redactor) Writer(w io.Writer) *redactWriter { return &redactWriter{w: w, r: r} }

type redactWriter struct {
	mu  sync.Mutex
	w   io.Writer
	r   *redactor
	buf []byte
}

// maxLine bounds what is held back waiting for a newline.
const maxLine = 64 << 10

func (rw *redactWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	i := bytes.LastIndexByte(rw.buf, '\n')
	if i < 0 && len(rw.buf) < maxLine {
		return len(p), nil
	}
	if i < 0 {
		i = len(rw.buf) - 1
	}
	_, err := io.WriteString(rw.w, rw.r.String(string(rw.buf[:i+1])))
	rw.buf = append(rw.buf[:0], rw.buf[i+1:]...)
	return len(p), err
}

// Flush writes what is held back.
func (rw *redactWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(rw.w, rw.r.String(string(rw.buf)))
	rw.buf = rw.buf[:0]
	return err
}
