package docker

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func contextTar(t *testing.T, dir string, overlay map[string][]byte) []byte {
	t.Helper()
	entries, err := contextEntries(dir, filepath.Join(dir, ".dockerignore"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeContext(&b, dir, entries, overlay); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// listTar returns name → content (directories end in / and map to "").
func listTar(t *testing.T, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: header not normalised: uid %d gid %d uname %q mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

func TestContextDockerignore(t *testing.T) {
	tests := []struct {
		name    string
		ignore  string
		overlay map[string][]byte
		want    []string // present
		absent  []string
	}{
		{
			name:   "no dockerignore sends everything",
			want:   []string{"Dockerfile", "composer.lock", "vendor/", "vendor/lib.php", "src/app.php", ".env"},
			absent: []string{".dockerignore"},
		},
		{
			name:   "excluded directory and file",
			ignore: "vendor\n.env\n# comment\n",
			want:   []string{"Dockerfile", ".dockerignore", "composer.lock", "src/app.php"},
			absent: []string{"vendor/", "vendor/lib.php", ".env"},
		},
		{
			name:   "re-included path inside an excluded directory",
			ignore: "vendor\n!vendor/keep.txt\n",
			want:   []string{"vendor/keep.txt"},
			absent: []string{"vendor/lib.php"},
		},
		{
			name:   "dockerfile and dockerignore always sent",
			ignore: "*\n",
			want:   []string{"Dockerfile", ".dockerignore"},
			absent: []string{"composer.lock", "src/app.php"},
		},
		{
			name:    "candidate files written in even where ignored or new",
			ignore:  "composer.lock\n",
			overlay: map[string][]byte{"composer.lock": []byte("candidate"), "sub/dir/go.mod": []byte("module x")},
			want:    []string{"composer.lock", "sub/", "sub/dir/", "sub/dir/go.mod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{
				"Dockerfile": "FROM scratch\n", "composer.lock": "old", "vendor/lib.php": "<?php",
				"vendor/keep.txt": "k", "src/app.php": "<?php", ".env": "SECRET=1",
			}
			if tt.ignore != "" {
				files[".dockerignore"] = tt.ignore
			}
			got := listTar(t, contextTar(t, writeTree(t, files), tt.overlay))
			for _, w := range tt.want {
				if _, ok := got[w]; !ok {
					t.Errorf("%s missing from the context", w)
				}
			}
			for _, a := range tt.absent {
				if _, ok := got[a]; ok {
					t.Errorf("%s reached the context", a)
				}
			}
			for name, data := range tt.overlay {
				if got[name] != string(data) {
					t.Errorf("%s = %q, want the candidate's %q", name, got[name], data)
				}
			}
		})
	}
}

func TestContextDeterministic(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n", "a/b.txt": "b", "c.txt": "c"})
	overlay := map[string][]byte{"c.txt": []byte("candidate")}
	first := contextTar(t, dir, overlay)
	// A checkout touched later (a git pull, an editor) must not change the
	// archive, or the layer cache would miss.
	later := time.Now().Add(time.Hour)
	for _, p := range []string{"a/b.txt", "c.txt", "a"} {
		if err := os.Chtimes(filepath.Join(dir, p), later, later); err != nil {
			t.Fatal(err)
		}
	}
	if second := contextTar(t, dir, overlay); !bytes.Equal(first, second) {
		t.Error("same inputs gave different archives")
	}
	if other := contextTar(t, dir, map[string][]byte{"c.txt": []byte("other")}); bytes.Equal(first, other) {
		t.Error("different candidates gave the same archive")
	}
	if err := os.Chmod(filepath.Join(dir, "a/b.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := contextTar(t, dir, overlay)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatal("a/b.txt not in the archive")
		}
		if h.Name == "a/b.txt" {
			if h.Mode != 0o755 {
				t.Errorf("mode %o, want 755 preserved", h.Mode)
			}
			break
		}
	}
}

func TestSafeOverlay(t *testing.T) {
	for _, name := range []string{"../x.lock", "/etc/passwd", "a/../../b", "."} {
		if err := safeOverlay(map[string][]byte{name: nil}); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
	if err := safeOverlay(map[string][]byte{"a/../composer.lock": nil, "sub/go.mod": nil}); err != nil {
		t.Error(err)
	}
}

func TestDecodeBuild(t *testing.T) {
	tests := []struct {
		name     string
		stream   string
		wantErr  string // "" = success
		wantLogs string
		wantLast string
	}{
		{"success", `{"stream":"Step 1/2 : FROM scratch\n"}{"stream":" ---> \n"}` + "\n" + `{"aux":{"ID":"sha256:ab"}}{"stream":"Successfully built ab\n"}`, "", "Step 1/2 : FROM scratch\n ---> \nSuccessfully built ab\n", ""},
		{"build error with tail", `{"stream":" ---> 749500c49f19\n"}{"stream":"Step 2/2 : RUN false\n"}{"errorDetail":{"message":"returned a non-zero code: 1"},"error":"returned a non-zero code: 1"}`, "returned a non-zero code: 1\n ---> 749500c49f19\nStep 2/2 : RUN false", " ---> 749500c49f19\nStep 2/2 : RUN false\n", "749500c49f19"},
		{"error detail only", `{"errorDetail":{"message":"boom"}}`, "boom", "", ""},
		{"broken stream", `{"stream":" ---> 0123456789ab\n"}{"stream":"x"`, "read build output", " ---> 0123456789ab\n", "0123456789ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			last, _, err := decodeBuild(strings.NewReader(tt.stream), &logs)
			if last != tt.wantLast {
				t.Errorf("last step image %q, want %q", last, tt.wantLast)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(logs.String(), tt.wantLogs) {
				t.Errorf("logs %q, want prefix %q", logs.String(), tt.wantLogs)
			}
		})
	}
}

func FuzzDecodeBuild(f *testing.F) {
	f.Add(`{"stream":"Step 1/1 : FROM scratch\n"}{"aux":{"ID":"x"}}`)
	f.Add(`{"error":"e","errorDetail":{"message":"e"}}`)
	f.Add(`{"status":"pulling"}` + "\n" + `{"stream":null}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, stream string) {
		var logs bytes.Buffer
		last, _, err := decodeBuild(strings.NewReader(stream), &logs)
		if last != "" && !strings.Contains(stream, last) {
			t.Errorf("step image %q is not in the stream %q", last, stream)
		}
		var be *buildError
		if errors.As(err, &be) {
			if be.msg == "" {
				t.Errorf("build error without a message from %q", stream)
			}
			if got := strings.Count(be.tail, "\n"); got >= tailLines {
				t.Errorf("tail of %d lines, want fewer than %d", got+1, tailLines)
			}
		}
	})
}

func FuzzLineTail(f *testing.F) {
	f.Add("a\nb\nc", uint8(2))
	f.Add("\n\n\n", uint8(1))
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		max := int(n%8) + 1
		tl := &lineTail{max: max}
		// Written in two pieces: a line may span writes.
		half := len(s) / 2
		tl.Write([]byte(s[:half]))
		tl.Write([]byte(s[half:]))
		lines := strings.Split(s, "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) > max {
			lines = lines[len(lines)-max:]
		}
		if got, want := tl.String(), strings.Join(lines, "\n"); got != want {
			t.Errorf("tail(%d) of %q = %q, want %q", max, s, got, want)
		}
	})
}

func TestLocateDockerfile(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Dockerfile": "FROM scratch\n", "Dockerfile.dockerignore": "secret\n",
		"server/Dockerfile.dev": "FROM scratch\n", "server/secret": "s", "server/app": "a",
	})
	project := filepath.Join(root, "server")
	tests := []struct {
		name, dockerfile string
		file, inContext  string
		ignore           string
	}{
		{"inside", "Dockerfile.dev", filepath.Join(project, "Dockerfile.dev"), "Dockerfile.dev", filepath.Join(project, ".dockerignore")},
		{"beside the project", "../Dockerfile", filepath.Join(root, "Dockerfile"), "", filepath.Join(root, "Dockerfile.dockerignore")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, in, err := locateDockerfile(project, tt.dockerfile)
			if err != nil {
				t.Fatal(err)
			}
			if file != tt.file || in != tt.inContext {
				t.Errorf("locate %s = %q, %q; want %q, %q", tt.dockerfile, file, in, tt.file, tt.inContext)
			}
			if got := ignoreFile(project, file); got != tt.ignore {
				t.Errorf("ignore file %s, want %s", got, tt.ignore)
			}
		})
	}
	if _, _, err := locateDockerfile(project, "missing"); err == nil || !strings.Contains(err.Error(), "runner.dockerfile") {
		t.Errorf("missing Dockerfile: error %v", err)
	}
	entries, err := contextEntries(project, filepath.Join(root, "Dockerfile.dockerignore"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.rel == "secret" {
			t.Error("the Dockerfile's own ignore file was not applied")
		}
	}
}

func TestLabelled(t *testing.T) {
	in := "FROM scratch AS build\nCOPY a /a\nfrom build\nRUN x \\\n  from y"
	got := string(labelled([]byte(in), map[string]string{"b.x": "2", "a.y": `q"uote`}))
	want := `FROM scratch AS build
LABEL org.lockbisect.tool="bisect"
COPY a /a
from build
LABEL org.lockbisect.tool="bisect"
RUN x \
  from y
LABEL a.y="q\"uote" b.x="2"
`
	if got != want {
		t.Errorf("labelled:\n%q\nwant:\n%q", got, want)
	}
}

func TestAlive(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	start := startLabel()
	if start == "" {
		t.Fatal("no start time for this process (no /proc?)")
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   bool
	}{
		{"this process", map[string]string{LabelPID: self, LabelHost: hostname(), LabelStart: start}, true},
		{"this process, made before start times were labelled", map[string]string{LabelPID: self, LabelHost: hostname()}, true},
		{"a process that got the pid later", map[string]string{LabelPID: self, LabelHost: hostname(), LabelStart: start + "0"}, false},
		{"no such process", map[string]string{LabelPID: "99999999", LabelHost: hostname()}, false},
		{"no pid: a build step's", map[string]string{LabelHost: hostname()}, false},
		{"another host: cannot tell", map[string]string{LabelPID: "99999999", LabelHost: hostname() + "-elsewhere"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alive(tt.labels); got != tt.want {
				t.Errorf("alive(%v) = %v, want %v", tt.labels, got, tt.want)
			}
		})
	}
}
