package goenv

import (
	"context"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

func TestProxy(t *testing.T) {
	tests := []struct {
		name    string
		env     Env
		path    string
		want    string
		wantErr string
	}{
		{name: "first proxy", env: Env{GOPROXY: "https://p.example/,direct"}, path: "example.com/a", want: "https://p.example"},
		{name: "direct skipped", env: Env{GOPROXY: "direct|file:///srv/proxy"}, path: "example.com/a", want: "file:///srv/proxy"},
		{name: "no scheme is https", env: Env{GOPROXY: "goproxy.example"}, path: "example.com/a", want: "https://goproxy.example"},
		{name: "private", env: Env{GOPROXY: "https://p.example", GONOPROXY: "corp.example/*"}, path: "corp.example/x/y", wantErr: "matches GONOPROXY/GOPRIVATE"},
		{name: "private prefix only", env: Env{GOPROXY: "https://p.example", GONOPROXY: "corp.example"}, path: "corp.example.org/x", want: "https://p.example"},
		{name: "off", env: Env{GOPROXY: "off"}, path: "example.com/a", wantErr: "names no proxy"},
		{name: "direct only", env: Env{GOPROXY: "direct"}, path: "example.com/a", wantErr: "names no proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.env.Proxy(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Proxy(%s) = %q, %v; want an error mentioning %q", tt.path, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Proxy(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

// TestRead: the added environment wins over the process's, and go env
// fills GONOPROXY from GOPRIVATE.
func TestRead(t *testing.T) {
	testenv.NeedTools(t, "go")
	t.Setenv("GOPROXY", "https://process.example")
	e, err := Read(context.Background(), []string{"GOPROXY=file:///a", "GOPROXY=file:///b", "GOPRIVATE=corp.example", "GONOPROXY="})
	if err != nil {
		t.Fatal(err)
	}
	if e.GOPROXY != "file:///b" || e.GOPRIVATE != "corp.example" || e.GONOPROXY != "corp.example" {
		t.Errorf("Read = %+v, want GOPROXY file:///b and GONOPROXY filled from GOPRIVATE", e)
	}
}
