package drill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// maxWalk bounds every walk through history.
const maxWalk = 100000

// Commit is an upstream commit as a report shows it.
type Commit struct {
	Hash    string    `json:"hash"`
	Subject string    `json:"subject"`
	Author  string    `json:"author"`
	Date    time.Time `json:"date"`
	URL     string    `json:"url,omitempty"`
	PR      string    `json:"pr,omitempty"` // "#123" where the subject names a pull request
	Merge   bool      `json:"merge,omitempty"`
}

// Open clones url (full history) into the cache below cacheDir, or fetches
// into the clone already there, and returns the repository. Credentials in
// url's user information (https://user:token@host/…) are handed to git in
// memory only: the clone's config records the URL without them, and the
// cache is named by that URL.
func Open(ctx context.Context, url, cacheDir string) (*git.Repository, error) {
	dir := cloneDir(url, cacheDir)
	url, auth := splitAuth(url)
	if r, err := git.PlainOpen(dir); err == nil {
		err := r.FetchContext(ctx, &git.FetchOptions{
			RefSpecs: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
			Tags:     git.AllTags,
			Auth:     auth,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, fmt.Errorf("fetch %s into %s: %w", url, dir, err)
		}
		return r, nil
	}
	// A clone the cache cannot open (an interrupted one) is made again.
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clear the cached clone %s: %w", dir, err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cacheDir, "clone-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{URL: url, Tags: git.AllTags, Auth: auth}); err != nil {
		return nil, fmt.Errorf("clone %s: %w", url, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("cache clone of %s: %w", url, err)
	}
	return git.PlainOpen(dir)
}

// cloneDir is where Open keeps the clone of url.
func cloneDir(url, cacheDir string) string {
	url, _ = splitAuth(url)
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(cacheDir, hex.EncodeToString(sum[:12]))
}

// Source is what another tool that clones url (composer, installing a
// package from a commit) is given: url itself, or, when url carries
// credentials, the path of Open's clone of it, so that the credentials
// reach no file (a lock entry, the tool's config) and no log.
func Source(url, cacheDir string) string {
	if clean, auth := splitAuth(url); auth != nil && clean != url {
		return cloneDir(url, cacheDir)
	}
	return url
}

// splitAuth takes the user information out of an http(s) URL and returns
// it as basic authentication (nil when there is none, or for other schemes,
// whose credentials go-git takes from elsewhere).
func splitAuth(raw string) (string, transport.AuthMethod) {
	u, err := neturl.Parse(raw)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw, nil
	}
	pw, _ := u.User.Password()
	auth := &githttp.BasicAuth{Username: u.User.Username(), Password: pw}
	u.User = nil
	return u.String(), auth
}

// ResolveTag finds the commit a release tag points to, trying the version
// as given, with and without a leading v, below prefix (a module in a
// subdirectory tags its releases "sub/dir/v1.2.3"). Annotated tags are
// dereferenced.
func ResolveTag(r *git.Repository, prefix, version string) (*object.Commit, error) {
	name, ok := findTag(r, prefix, version)
	if !ok {
		return nil, fmt.Errorf("no tag for release %s%s", prefix, version)
	}
	ref, err := r.Tag(name)
	if err != nil {
		return nil, err
	}
	if tag, err := r.TagObject(ref.Hash()); err == nil {
		return tag.Commit()
	}
	return r.CommitObject(ref.Hash())
}

// TagName is the tag a release resolves through ([ResolveTag]), for links
// and reports; without one, the conventional name.
func TagName(r *git.Repository, prefix, version string) string {
	if name, ok := findTag(r, prefix, version); ok {
		return name
	}
	return prefix + version
}

func findTag(r *git.Repository, prefix, version string) (string, bool) {
	bare := strings.TrimPrefix(version, "v")
	for _, name := range []string{prefix + version, prefix + "v" + bare, prefix + bare} {
		if _, err := r.Tag(name); err == nil {
			return name, true
		}
	}
	return "", false
}

// FirstParent returns the first-parent chain from good (exclusive) to bad
// (inclusive), oldest first. When good is not on that chain, the walk stops
// at the first commit that is an ancestor of good.
func FirstParent(good, bad *object.Commit) ([]*object.Commit, error) {
	// good's history is walked once; each chain commit is then a lookup.
	known := map[plumbing.Hash]bool{}
	iter := object.NewCommitPreorderIter(good, nil, nil)
	err := iter.ForEach(func(c *object.Commit) error {
		if len(known) > maxWalk {
			return storer.ErrStop
		}
		known[c.Hash] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk the history of %s: %w", short(good.Hash), err)
	}
	var chain []*object.Commit
	for c := bad; !known[c.Hash]; {
		if len(chain) > maxWalk {
			return nil, fmt.Errorf("more than %d commits between %s and %s", maxWalk, short(good.Hash), short(bad.Hash))
		}
		chain = append(chain, c)
		if c.NumParents() == 0 {
			break
		}
		p, err := c.Parent(0)
		if err != nil {
			return nil, err
		}
		c = p
	}
	slices.Reverse(chain)
	return chain, nil
}

// Merged returns the commits a merge brought in: the first-parent chain of
// its second parent down to the first commit already reachable from its
// first parent, oldest first.
func Merged(merge *object.Commit) ([]*object.Commit, error) {
	if merge.NumParents() < 2 {
		return nil, nil
	}
	base, err := merge.Parent(0)
	if err != nil {
		return nil, err
	}
	side, err := merge.Parent(1)
	if err != nil {
		return nil, err
	}
	return FirstParent(base, side)
}

var (
	mergePR  = regexp.MustCompile(`^Merge pull request (#\d+)`)
	squashPR = regexp.MustCompile(`\((#\d+)\)\s*$`)
	mergeMR  = regexp.MustCompile(`See merge request [^!]*(!\d+)`)
)

// Describe turns a commit into its report form; web is the repository's
// web address ("" when unknown) for links.
func Describe(c *object.Commit, web string) Commit {
	subject, _, _ := strings.Cut(c.Message, "\n")
	d := Commit{Hash: c.Hash.String(), Subject: subject, Author: c.Author.Name, Date: c.Author.When.UTC(), Merge: c.NumParents() > 1}
	switch {
	case mergePR.MatchString(subject):
		d.PR = mergePR.FindStringSubmatch(subject)[1]
	case squashPR.MatchString(subject):
		d.PR = squashPR.FindStringSubmatch(subject)[1]
	case mergeMR.MatchString(c.Message):
		d.PR = mergeMR.FindStringSubmatch(c.Message)[1]
	}
	if web != "" {
		d.URL = web + "/commit/" + d.Hash
	}
	return d
}

// WebURL returns the browsable address of a repository on a well-known host
// (https://github.com/o/r), or "".
func WebURL(repo string) string {
	s := strings.TrimSuffix(strings.TrimSuffix(repo, "/"), ".git")
	s = strings.TrimPrefix(s, "git@")
	s = strings.Replace(s, ".com:", ".com/", 1)
	s = strings.Replace(s, ".org:", ".org/", 1)
	for _, scheme := range []string{"https://", "http://", "ssh://", "git://"} {
		s = strings.TrimPrefix(s, scheme)
	}
	for _, host := range []string{"github.com/", "gitlab.com/", "bitbucket.org/"} {
		if strings.HasPrefix(s, host) {
			parts := strings.Split(strings.TrimPrefix(s, host), "/")
			if len(parts) >= 2 {
				return "https://" + host + parts[0] + "/" + parts[1]
			}
		}
	}
	return ""
}

// Changelog returns the section of the CHANGELOG at commit c that is headed
// by version (a markdown heading naming it), or "".
func Changelog(c *object.Commit, version string) string {
	tree, err := c.Tree()
	if err != nil {
		return ""
	}
	for _, name := range []string{"CHANGELOG.md", "CHANGELOG", "CHANGES.md", "HISTORY.md"} {
		f, err := tree.File(name)
		if err != nil {
			continue
		}
		rd, err := f.Reader()
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(rd, 1<<20))
		rd.Close()
		return section(string(b), strings.TrimPrefix(version, "v"))
	}
	return ""
}

// section extracts the lines under the first heading that names version, up
// to the next heading of the same or a higher level.
func section(text, version string) string {
	lines := strings.Split(text, "\n")
	level := 0
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		h := len(t) - len(strings.TrimLeft(t, "#"))
		if level == 0 {
			if h > 0 && containsVersion(t, version) {
				level = h
			}
			continue
		}
		if h > 0 && h <= level {
			break
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func containsVersion(heading, version string) bool {
	i := strings.Index(heading, version)
	if i < 0 {
		return false
	}
	end := i + len(version)
	return end == len(heading) || !strings.ContainsAny(heading[end:end+1], "0123456789.")
}

func short(h plumbing.Hash) string { return h.String()[:10] }
