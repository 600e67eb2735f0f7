package drill

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/lockbisect/lockbisect/internal/urlread"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// GoRelease is one version of a Go module as the proxy lists it.
type GoRelease struct {
	Version   string
	Retracted string // the rationale when the newest go.mod retracts it ("retracted" if it gives none); "" otherwise
}

// proxyURL returns the first proxy of a GOPROXY list that can be fetched
// (http, https or file), or an error when none can.
func proxyURL(goproxy string) (string, error) {
	for _, p := range strings.FieldsFunc(goproxy, func(r rune) bool { return r == ',' || r == '|' }) {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "file://") {
			return strings.TrimSuffix(p, "/"), nil
		}
	}
	return "", fmt.Errorf("GOPROXY %q names no proxy to list versions from", goproxy)
}

// GoReleases lists the module's versions from the proxy, semver-sorted, with
// the retractions of the newest version's go.mod marked.
func GoReleases(ctx context.Context, client *http.Client, goproxy, mod string) ([]GoRelease, error) {
	base, err := proxyURL(goproxy)
	if err != nil {
		return nil, err
	}
	esc, err := module.EscapePath(mod)
	if err != nil {
		return nil, fmt.Errorf("module path %s: %w", mod, err)
	}
	data, err := urlread.Read(ctx, client, base+"/"+esc+"/@v/list")
	if err != nil {
		return nil, err
	}
	var versions []string
	for _, v := range strings.Fields(string(data)) {
		if semver.IsValid(v) {
			versions = append(versions, v)
		}
	}
	semver.Sort(versions)
	out := make([]GoRelease, len(versions))
	for i, v := range versions {
		out[i].Version = v
	}
	if len(versions) == 0 {
		return out, nil
	}
	latest := versions[len(versions)-1]
	escV, err := module.EscapeVersion(latest)
	if err != nil {
		return nil, err
	}
	modData, err := urlread.Read(ctx, client, base+"/"+esc+"/@v/"+escV+".mod")
	if err != nil {
		return nil, err
	}
	mf, err := modfile.ParseLax(mod+"@"+latest+"/go.mod", modData, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod of %s@%s: %w", mod, latest, err)
	}
	for i := range out {
		for _, r := range mf.Retract {
			if semver.Compare(out[i].Version, r.Low) >= 0 && semver.Compare(out[i].Version, r.High) <= 0 {
				out[i].Retracted = r.Rationale
				if out[i].Retracted == "" {
					out[i].Retracted = "retracted"
				}
			}
		}
	}
	return out, nil
}

// Between returns the versions strictly between from and to in the order
// of cmp (ascending), without duplicates.
func Between(versions []string, from, to string, cmp func(a, b string) int) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range versions {
		if seen[v] || cmp(v, from) <= 0 || cmp(v, to) >= 0 {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return cmp(out[i], out[j]) < 0 })
	return out
}
