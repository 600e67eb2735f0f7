package composer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
)

// maxProblems bounds how many violated requirements an infeasible
// candidate's error lists; the first few say enough to act on.
const maxProblems = 3

// Candidate implements [manifests.Pair]. Every package of an applied unit is
// taken at its new entry, every other changed package at its old one, and
// every unchanged package at its new entry; packages and packages-dev are
// written sorted by name under the new lock's top-level keys, so the full
// set reproduces the new lock byte for byte.
//
// The files are keyed by base name: "composer.lock", and "composer.json"
// when the new snapshot has one. When the new composer.json does not admit
// a rolled-back package, the candidate's composer.json takes that
// package's constraint from the old composer.json (or drops it when the old
// one did not name it), as composer install refuses a lock that does not
// satisfy the root requirements.
//
// Before the candidate is returned, every locked package's require, conflict and
// replace and every root requirement is checked against the candidate set,
// as composer install does; a violation is an error wrapping
// [manifests.ErrInfeasible] that names the packages.
func (s *set) Candidate(applied []string) (*manifests.Candidate, error) {
	c, problems, err := s.build(applied, nil)
	if err != nil {
		return nil, err
	}
	if err := infeasible("", problems); err != nil {
		return nil, err
	}
	return c, nil
}

// infeasible is the error for a candidate whose requirements do not hold,
// naming the first few violations; nil when there are none.
func infeasible(what string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	more := ""
	if len(problems) > maxProblems {
		more = fmt.Sprintf(" (and %d more)", len(problems)-maxProblems)
		problems = problems[:maxProblems]
	}
	return fmt.Errorf("%w: %s%s%s", manifests.ErrInfeasible, what, strings.Join(problems, "; "), more)
}

// build writes the candidate's files whether or not it is feasible, and
// returns the violated requirements beside them (so that tests can show
// composer the candidates the check refuses). A pinned entry, when given,
// takes the place of its package's entry (drill-down).
func (s *set) build(applied []string, pinned *entry) (*manifests.Candidate, []string, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(applied)))
	take := map[string]bool{}
	for _, id := range ids {
		pkgs, ok := s.unitOf[id]
		if !ok {
			return nil, nil, fmt.Errorf("composer candidate: unknown unit %q", id)
		}
		for _, p := range pkgs {
			take[strings.ToLower(p)] = true
		}
	}
	var chosen []*entry
	for _, p := range s.pkgs {
		e := p.new
		if p.changed && !take[p.key] {
			e = p.old
		}
		if pinned != nil && p.key == strings.ToLower(pinned.Name) {
			e = pinned
		}
		if e != nil {
			chosen = append(chosen, e)
		}
	}
	idx := candidateIndex(chosen)
	var problems []string
	files := map[string][]byte{}
	hash := ""
	checked := chosen // the root package is checked with them, but not locked
	if s.newRoot != nil {
		rootEntry, fromOld := s.rootLinks(chosen, idx)
		root, rootProblems := s.rootFor(idx, fromOld)
		addToIndex(idx, rootEntry)
		checked = append(chosen[:len(chosen):len(chosen)], rootEntry)
		problems = append(problems, rootProblems...)
		files["composer.json"] = root
		if !bytes.Equal(root, s.newRoot.data) {
			// A stale hash only makes composer warn, so a composer.json
			// whose hash we cannot compute keeps the new lock's.
			if h, err := contentHash(root); err == nil {
				hash = h
			} else {
				s.log.Debug("content-hash of the candidate composer.json not computed", "err", err)
			}
		}
	}
	for _, e := range checked {
		problems = s.checkEntry(problems, e, idx, "")
	}
	files["composer.lock"] = s.writeLock(chosen, hash)
	return &manifests.Candidate{Applied: ids, Files: files}, problems, nil
}

// candidateIndex maps each name to the chosen entries that answer to it.
func candidateIndex(chosen []*entry) map[string][]*entry {
	idx := make(map[string][]*entry, len(chosen))
	for _, e := range chosen {
		addToIndex(idx, e)
	}
	return idx
}

func addToIndex(idx map[string][]*entry, e *entry) {
	k := strings.ToLower(e.Name)
	idx[k] = append(idx[k], e)
	for _, l := range e.Replace {
		idx[l.Key] = append(idx[l.Key], e)
	}
	for _, l := range e.Provide {
		idx[l.Key] = append(idx[l.Key], e)
	}
}

// checkEntry appends a sentence for each of e's links the candidate set
// violates; with only set, for its links on that name alone. Each sentence
// names the package, the constraint and what the candidate holds instead.
func (s *set) checkEntry(problems []string, e *entry, idx map[string][]*entry, only string) []string {
	for _, l := range e.Require {
		if isPlatform(l.Name) || (only != "" && l.Key != only) {
			continue
		}
		for _, c := range s.required(e, l) {
			if !s.satisfied(idx, l.Key, c) {
				problems = append(problems, fmt.Sprintf("%s requires %s %s, but the candidate locks %s", label(e), l.Name, requiredText(e, l), lockedAs(idx, l.Key)))
				break
			}
		}
	}
	for _, l := range e.Conflict {
		if isPlatform(l.Name) || (only != "" && l.Key != only) {
			continue
		}
		c := s.conflict(e, l.Constraint)
		if c == nil {
			continue
		}
		for _, x := range idx[l.Key] {
			if x != e && s.answers(x, l.Key, c) {
				problems = append(problems, fmt.Sprintf("%s conflicts with %s %s, and the candidate locks %s", label(e), l.Name, l.Constraint, describe(x, l.Key)))
			}
		}
	}
	for _, l := range e.Replace {
		if only != "" && l.Key != only {
			continue
		}
		for _, x := range idx[l.Key] {
			// Each pair is reported once, by the first of the two by name.
			if x == e || !claims(x, l.Key) || (strings.ToLower(x.Name) != l.Key && x.Name < e.Name) {
				continue
			}
			problems = append(problems, fmt.Sprintf("%s replaces %s and thus cannot coexist with %s", label(e), l.Name, describe(x, l.Key)))
		}
	}
	return problems
}

func (s *set) satisfied(idx map[string][]*entry, key string, c *constraint.Constraint) bool {
	for _, x := range idx[key] {
		if s.answers(x, key, c) {
			return true
		}
	}
	return false
}

// lockedAs describes what the candidate has under a name, for messages.
func lockedAs(idx map[string][]*entry, key string) string {
	var have []string
	for _, x := range idx[key] {
		have = append(have, describe(x, key))
	}
	if len(have) == 0 {
		return "no " + key
	}
	return strings.Join(have, ", ")
}

// label is a package's name and version (a root package without a
// "version" has only its name).
func label(x *entry) string {
	if x.Version == "" {
		return x.Name
	}
	return x.Name + " " + x.Version
}

// describe names an entry of the candidate under key: the package and its
// version, and how it answers to key when not by its name.
func describe(x *entry, key string) string {
	d := label(x)
	if strings.ToLower(x.Name) == key {
		return d
	}
	for _, l := range x.Replace {
		if l.Key == key {
			return d + " (replacing " + l.Name + " " + l.Constraint + ")"
		}
	}
	for _, l := range x.Provide {
		if l.Key == key {
			return d + " (providing " + l.Name + " " + l.Constraint + ")"
		}
	}
	return d
}

// writeLock writes the candidate's composer.lock with the new lock's
// top-level keys in their order, composer's own layout (four-space indent)
// and each package entry's original bytes. A non-empty hash replaces the
// content-hash.
func (s *set) writeLock(chosen []*entry, hash string) []byte {
	var prod, dev []*entry
	for _, e := range chosen {
		if e.Dev {
			dev = append(dev, e)
		} else {
			prod = append(prod, e)
		}
	}
	keys := s.new.keys
	if !slices.Contains(keys, "packages") {
		keys = append([]string{"packages"}, keys...)
	}
	if len(dev) > 0 && !slices.Contains(keys, "packages-dev") {
		i := slices.Index(keys, "packages") + 1
		keys = append(keys[:i:i], append([]string{"packages-dev"}, keys[i:]...)...)
	}
	var b bytes.Buffer
	b.Grow(len(s.new.top["packages"]) + len(s.new.top["packages-dev"]) + 4096)
	b.WriteString("{\n")
	for i, k := range keys {
		kj, _ := json.Marshal(k)
		b.WriteString("    ")
		b.Write(kj)
		b.WriteString(": ")
		switch k {
		case "packages":
			writeEntries(&b, prod)
		case "packages-dev":
			writeEntries(&b, dev)
		case "content-hash":
			if hash != "" {
				b.WriteString(jsonString(hash))
				break
			}
			b.Write(s.new.top[k])
		default:
			b.Write(s.new.top[k])
		}
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	if s.new.newline {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// writeEntries writes a packages array as composer does: sorted by name
// (chosen already is), one entry per element, eight-space indent.
func writeEntries(b *bytes.Buffer, es []*entry) {
	if len(es) == 0 {
		b.WriteString("[]")
		return
	}
	b.WriteString("[\n")
	for i, e := range es {
		b.WriteString("        ")
		b.Write(e.Raw)
		if i < len(es)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("    ]")
}

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// rootFor returns the candidate's composer.json: the new one, with each
// requirement (or conflict) that the candidate set violates taken from the
// old composer.json instead. It also returns the root requirements that
// still do not hold.
func (s *set) rootFor(idx map[string][]*entry, fromOld []rootLink) ([]byte, []string) {
	edits := append(s.linkEdits(fromOld), s.pathEdits...)
	var problems []string
	for _, section := range rootSections {
		members := s.newRoot.sections[section]
		deleted := make([]bool, len(members))
		for i, m := range members {
			key := strings.ToLower(m.Name)
			if isPlatform(key) || s.rootHolds(section, key, m.Constraint, idx) {
				continue
			}
			old, ok := s.oldRoot.constraintOf(section, m.Name)
			if !ok && section != "conflict" {
				old, ok = s.oldRoot.constraintOf(otherRequire(section), m.Name)
			}
			switch {
			case !ok:
				deleted[i] = true
			case !s.rootHolds(section, key, old, idx):
				problems = append(problems, fmt.Sprintf("composer.json %s %s %s (and the old composer.json's %s) does not admit the candidate's %s", section, m.Name, m.Constraint, old, lockedAs(idx, key)))
			default:
				edits = append(edits, edit{m.valStart, m.valEnd, jsonString(old)})
			}
		}
		edits = append(edits, deletions(members, deleted)...)
	}
	if len(edits) == 0 {
		return s.newRoot.data, problems
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), s.newRoot.data...)
	for _, e := range edits {
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out, problems
}

// rootLink names one link of the root package: a section of linkSections
// and a lower-case package name.
type rootLink struct{ section, key string }

// rootDiff lists the links the old and the new composer.json differ in,
// sorted by section and name.
func rootDiff(old, new *rootFile) []rootLink {
	if old == nil || new == nil {
		return nil
	}
	var diff []rootLink
	for _, section := range linkSections {
		was, is := linkMap(old, section), linkMap(new, section)
		var keys []string
		for k, c := range is {
			if o, ok := was[k]; !ok || o != c {
				keys = append(keys, k)
			}
		}
		for k := range was {
			if _, ok := is[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			diff = append(diff, rootLink{section, k})
		}
	}
	return diff
}

func linkMap(rf *rootFile, section string) map[string]string {
	m := map[string]string{}
	for _, mb := range rf.sections[section] {
		m[strings.ToLower(mb.Name)] = mb.Constraint
	}
	return m
}

// rootLinks returns the candidate's root package: what the new
// composer.json replaces and provides, except that each link the two
// files differ in is taken from the old one (or dropped, or added) when
// that leaves fewer of the candidate's requirements, conflicts and
// replacements on that name violated. So the root's own change follows
// the packages it affects: a candidate that rolls back the removal of a
// polyfill the new root replaces keeps the old root's "no replace", and
// one that rolls back a polyfill's addition keeps the old root's replace.
// Links on different names never interact, so one name at a time is
// exact. It also returns the links taken from the old composer.json.
func (s *set) rootLinks(chosen []*entry, idx map[string][]*entry) (*entry, []rootLink) {
	root := s.newRootEntry
	var fromOld []rootLink
	for _, rl := range s.rootDiff {
		alt := withLink(root, rl, s.oldRootEntry)
		if len(s.problemsOn(rl.key, chosen, idx, alt)) < len(s.problemsOn(rl.key, chosen, idx, root)) {
			root = alt
			fromOld = append(fromOld, rl)
		}
	}
	return root, fromOld
}

// withLink returns a copy of root whose link rl is from's (or absent when
// from has none).
func withLink(root *entry, rl rootLink, from *entry) *entry {
	pick := func(mine, theirs []link) []link {
		var out []link
		for _, l := range mine {
			if l.Key != rl.key {
				out = append(out, l)
			}
		}
		for _, l := range theirs {
			if l.Key == rl.key {
				out = append(out, l)
			}
		}
		return out
	}
	e := *root
	if rl.section == "replace" {
		e.Replace = pick(root.Replace, from.Replace)
	} else {
		e.Provide = pick(root.Provide, from.Provide)
	}
	return &e
}

// problemsOn lists what the candidate violates on the name key with root
// as its root package.
func (s *set) problemsOn(key string, chosen []*entry, idx map[string][]*entry, root *entry) []string {
	on := map[string][]*entry{key: idx[key]}
	if root.answersTo(key) {
		on[key] = append(on[key][:len(on[key]):len(on[key])], root)
	}
	var problems []string
	for _, e := range chosen {
		problems = s.checkEntry(problems, e, on, key)
	}
	return s.checkEntry(problems, root, on, key)
}

// answersTo reports whether e is named key, replaces or provides it.
func (e *entry) answersTo(key string) bool {
	if claims(e, key) {
		return true
	}
	for _, l := range e.Provide {
		if l.Key == key {
			return true
		}
	}
	return false
}

// linkEdits are the edits that take the links fromOld from the old
// composer.json into the new one. A changed or dropped link is edited in
// place; a section that gains a link is rewritten whole (or added after
// the last top-level member), as an insertion beside deletions could not
// keep the commas right.
func (s *set) linkEdits(fromOld []rootLink) []edit {
	var edits []edit
	for _, section := range linkSections {
		old := map[string]member{}
		for _, m := range s.oldRoot.sections[section] {
			old[strings.ToLower(m.Name)] = m
		}
		take := map[string]bool{}
		for _, rl := range fromOld {
			if rl.section == section {
				take[rl.key] = true
			}
		}
		if len(take) == 0 {
			continue
		}
		members := s.newRoot.sections[section]
		var added []member
		seen := map[string]bool{}
		for _, m := range members {
			seen[strings.ToLower(m.Name)] = true
		}
		for k := range take {
			if !seen[k] {
				added = append(added, old[k])
			}
		}
		if len(added) > 0 {
			sort.Slice(added, func(i, j int) bool { return added[i].Name < added[j].Name })
			edits = append(edits, s.newRoot.rewriteSection(section, take, old, added))
			continue
		}
		deleted := make([]bool, len(members))
		for i, m := range members {
			k := strings.ToLower(m.Name)
			switch o, ok := old[k]; {
			case !take[k]:
			case !ok:
				deleted[i] = true
			default:
				edits = append(edits, edit{m.valStart, m.valEnd, jsonString(o.Constraint)})
			}
		}
		edits = append(edits, deletions(members, deleted)...)
	}
	return edits
}

// rewriteSection returns the edit that writes section anew: its members
// kept (or taken from old where take says so) in their order, then added,
// indented as its first member was. A section the file lacks is added
// after the last top-level member.
func (rf *rootFile) rewriteSection(section string, take map[string]bool, old map[string]member, added []member) edit {
	var pairs []string
	for _, m := range rf.sections[section] {
		k := strings.ToLower(m.Name)
		o, ok := old[k]
		switch {
		case !take[k]:
			pairs = append(pairs, jsonString(m.Name)+": "+jsonString(m.Constraint))
		case ok:
			pairs = append(pairs, jsonString(m.Name)+": "+jsonString(o.Constraint))
		}
	}
	for _, m := range added {
		pairs = append(pairs, jsonString(m.Name)+": "+jsonString(m.Constraint))
	}
	if v, ok := rf.values[section]; ok {
		indent, closing := "", ""
		if ms := rf.sections[section]; len(ms) > 0 {
			indent = spaceBefore(rf.data, ms[0].keyStart)
			closing = spaceBefore(rf.data, v[1]-1)
		}
		return edit{v[0], v[1], "{" + indent + strings.Join(pairs, ","+indent) + closing + "}"}
	}
	body := jsonString(section) + ": {" + strings.Join(pairs, ", ") + "}"
	if rf.end == 0 {
		open := bytes.IndexByte(rf.data, '{') + 1
		return edit{open, open, body}
	}
	return edit{rf.end, rf.end, "," + spaceBefore(rf.data, rf.lastKey) + body}
}

// spaceBefore is the whitespace that ends just before offset i.
func spaceBefore(data []byte, i int) string {
	j := i
	for j > 0 && strings.IndexByte(" \t\r\n", data[j-1]) >= 0 {
		j--
	}
	return string(data[j:i])
}

// rootHolds reports whether a root requirement (or conflict) on key holds
// for the candidate set.
func (s *set) rootHolds(section, key, constraint string, idx map[string][]*entry) bool {
	c := s.constraint(constraint)
	if section != "conflict" {
		return s.satisfied(idx, key, c)
	}
	if c == nil {
		return true
	}
	for _, x := range idx[key] {
		if s.answers(x, key, c) {
			return false
		}
	}
	return true
}

func otherRequire(section string) string {
	if section == "require" {
		return "require-dev"
	}
	return "require"
}

// deletions removes the deleted members of one section with the commas
// between them, leaving the rest of the file as it was: a leading run of
// deleted members goes up to the first kept key, any later one from the end
// of the value before it.
func deletions(members []member, deleted []bool) []edit {
	var edits []edit
	j := 0
	for j < len(members) && deleted[j] {
		j++
	}
	switch {
	case j == len(members) && j > 0:
		edits = append(edits, edit{members[0].keyStart, members[j-1].valEnd, ""})
	case j > 0:
		edits = append(edits, edit{members[0].keyStart, members[j].keyStart, ""})
	}
	for i := j + 1; i < len(members); i++ {
		if deleted[i] {
			edits = append(edits, edit{members[i-1].valEnd, members[i].valEnd, ""})
		}
	}
	return edits
}

// jsonString encodes s as composer would: without escaping <, > and &.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
