package main

import (
	"fmt"

	"github.com/lockbisect/lockbisect/internal/fixtures/gitrepo"
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
	repo, err := gitrepo.Init(dir)
	if err != nil {
		return err
	}
	commit, tag := repo.Commit, repo.Tag
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
	if err := repo.Detach(fork); err != nil {
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
	if err := repo.Switch("master"); err != nil {
		return err
	}
	if head, err := repo.Head(); err != nil || head != fixed {
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
