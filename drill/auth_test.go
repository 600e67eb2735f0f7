package drill

import (
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/gitrepo"
	"github.com/lockbisect/lockbisect/internal/testenv"
)

// TestOpenCredentials clones through git's own smart HTTP server behind
// basic authentication: the password in the URL opens the repository, and
// reaches neither the clone's config nor any other file of the cache.
func TestOpenCredentials(t *testing.T) {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		testenv.Missing(t, "git", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		testenv.Missing(t, "git-http-backend", err)
	}
	root := t.TempDir()
	u, err := gitrepo.Init(filepath.Join(root, "up"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := u.Commit("initial", "Ada", map[string]string{"a.txt": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Tag("v1.0.0", h); err != nil {
		t.Fatal(err)
	}
	const password = "pw-0123456789-secret"
	git := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "ada" || pw != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		git.ServeHTTP(w, r)
	}))
	defer srv.Close()

	cache := t.TempDir()
	plain := srv.URL + "/up/.git"
	if _, err := Open(context.Background(), plain, filepath.Join(t.TempDir(), "anon")); err == nil {
		t.Fatal("the server let a clone without credentials through: the test proves nothing")
	}
	withPW := strings.Replace(plain, "http://", "http://ada:"+password+"@", 1)
	for range 2 { // clone, then fetch into the cached clone
		r, err := Open(context.Background(), withPW, cache)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ResolveTag(r, "", "v1.0.0"); err != nil {
			t.Fatal(err)
		}
	}
	if src := Source(withPW, cache); strings.Contains(src, password) || !strings.HasPrefix(src, cache) {
		t.Errorf("Source = %q, want the cached clone", src)
	}
	if src := Source(plain, cache); src != plain {
		t.Errorf("Source of a URL without credentials = %q, want it unchanged", src)
	}
	err = filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if strings.Contains(string(b), password) {
			t.Errorf("%s holds the password", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
