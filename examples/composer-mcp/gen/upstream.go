package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// acme/schema's upstream repository, for `bisect run`'s drill-down: every
// release of packages() tagged (annotated), with the same composer.json and
// class as its zip; between 1.1.3 and 1.1.4 the first-parent chain is
//
//	Document the package                      good
//	WIP: validate with acme/json-pointer      skip (requires a package never published)
//	Drop acme/json-pointer again              good
//	Merge pull request #12 …                  bad: the first bad commit, a merge of
//	    Add Schema::empty()                       good
//	    Return the properties array as is         bad: the first bad commit on the branch
//	Release 1.1.4                             bad (tagged 1.1.4)

const schemaChangelog = `# Changelog

## 1.1.4

- Schema::object() returns the properties array as is (#12).

## 1.1.3

- Internal clean-ups.
`

// schemaEmpty is the helper the feature branch adds before its breaking
// commit; it changes nothing the server sees.
const schemaEmpty = `
    /** @return array<string, mixed> */
    public static function empty(): array
    {
        return self::object([]);
    }
`

// writeUpstream writes acme/schema's repository into dir.
func writeUpstream(dir string) error {
	releases := map[string]pkg{}
	var order []string
	for _, p := range packages() {
		if p.name == "acme/schema" {
			releases[p.version] = p
			order = append(order, p.version)
		}
	}
	filesOf := func(p pkg) (map[string]string, error) {
		files, err := p.files()
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for name, body := range files {
			out[name] = string(body)
		}
		return out, nil
	}
	r, err := git.PlainInit(dir, false)
	if err != nil {
		return err
	}
	wt, err := r.Worktree()
	if err != nil {
		return err
	}
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(msg, author string, files map[string]string, parents ...plumbing.Hash) (plumbing.Hash, error) {
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return plumbing.ZeroHash, err
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return plumbing.ZeroHash, err
			}
			if _, err := wt.Add(name); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		when = when.Add(time.Hour)
		sig := &object.Signature{Name: author, Email: author + "@example.com", When: when}
		return wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, Parents: parents, AllowEmptyCommits: true})
	}
	tag := func(name string, h plumbing.Hash) error {
		sig := &object.Signature{Name: "Ada", Email: "Ada@example.com", When: when}
		_, err := r.CreateTag(name, h, &git.CreateTagOptions{Tagger: sig, Message: "Release " + name})
		return err
	}
	release := func(version string, extra map[string]string) error {
		files, err := filesOf(releases[version])
		if err != nil {
			return err
		}
		for k, v := range extra {
			files[k] = v
		}
		h, err := commit("Release "+version, "Ada", files)
		if err != nil {
			return err
		}
		return tag(version, h)
	}
	for _, v := range order {
		if v == "1.1.4" {
			break
		}
		if err := release(v, nil); err != nil {
			return err
		}
	}
	fork, err := commit("Document the package", "Ada", map[string]string{"README.md": "# acme/schema\n\nJSON Schemas for MCP tool arguments.\n"})
	if err != nil {
		return err
	}
	good, err := filesOf(releases["1.1.3"])
	if err != nil {
		return err
	}
	wip, err := filesOf(releases["1.1.2"])
	if err != nil {
		return err
	}
	if _, err := commit("WIP: validate with acme/json-pointer", "Bob", map[string]string{"composer.json": wip["composer.json"]}); err != nil {
		return err
	}
	fixed, err := commit("Drop acme/json-pointer again", "Bob", map[string]string{"composer.json": good["composer.json"]})
	if err != nil {
		return err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: fork}); err != nil {
		return err
	}
	class := "src/Schema.php"
	helper := releases["1.1.3"]
	helper.body += schemaEmpty
	withHelper, err := filesOf(helper)
	if err != nil {
		return err
	}
	side1, err := commit("Add Schema::empty()", "Cy", map[string]string{class: withHelper[class]}, fork)
	if err != nil {
		return err
	}
	broken := releases["1.1.4"]
	broken.body += schemaEmpty
	withBreak, err := filesOf(broken)
	if err != nil {
		return err
	}
	side2, err := commit("Return the properties array as is", "Cy", map[string]string{class: withBreak[class]}, side1)
	if err != nil {
		return err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("master"), Force: true}); err != nil {
		return err
	}
	if head, err := r.Head(); err != nil || head.Hash() != fixed {
		return fmt.Errorf("upstream: master is not at the fix (%v)", err)
	}
	if _, err := commit("Merge pull request #12 from cy/plain-properties\n\nReturn the properties array as is", "Ada",
		map[string]string{class: withBreak[class]}, fixed, side2); err != nil {
		return err
	}
	if err := release("1.1.4", map[string]string{"CHANGELOG.md": schemaChangelog}); err != nil {
		return err
	}
	return release("1.2.0", nil)
}
