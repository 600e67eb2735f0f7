package urlread

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/doc" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("over http"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc"), []byte("from a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct{ url, want, err string }{
		{srv.URL + "/doc", "over http", ""},
		{"file://" + filepath.ToSlash(dir) + "/doc", "from a file", ""},
		{strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/missing", "", "404 Not Found"},
		{"file://" + filepath.ToSlash(dir) + "/missing", "", "no such file"},
	} {
		got, err := Read(ctx, srv.Client(), c.url)
		if c.err == "" {
			if err != nil || string(got) != c.want {
				t.Errorf("Read(%s) = %q, %v; want %q", c.url, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Read(%s) error = %v, want %q", c.url, err, c.err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Read(%s) error names the credentials: %v", c.url, err)
		}
	}
}
