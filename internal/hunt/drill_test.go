package hunt

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/drill"
	"github.com/lockbisect/lockbisect/manifests"
)

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		line drill.Line
		want string
	}{
		{"exact", drill.Line{LastGood: 1, FirstBad: 2}, "the first bad one is r2 (r1 is the last good one)"},
		{"exact with a skip outside the range", drill.Line{LastGood: 1, FirstBad: 2, Skipped: []int{0}}, "the first bad one is r2 (r1 is the last good one)"},
		{"skips in between", drill.Line{LastGood: 0, FirstBad: 3, Skipped: []int{1, 2}}, "after r0 (known good), no later than r3 (first known bad): r1, r2 could not be tested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := func(i int) string { return "r" + string(rune('0'+i)) }
			got := answer(name(tc.line.LastGood), name(tc.line.FirstBad), tc.line.Exact(), skippedBetween(tc.line, name))
			if got != tc.want {
				t.Errorf("answer = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLastGood(t *testing.T) {
	res := &bisect.Result{Probes: []bisect.Record{
		{Applied: nil, Outcome: bisect.Good},
		{Applied: []string{"u1", "u2", "u3"}, Outcome: bisect.Bad},
		{Applied: []string{"u1", "u3"}, Outcome: bisect.Good},
		{Applied: []string{"u1", "u2", "u4"}, Outcome: bisect.Untestable},
		{Applied: []string{"u3"}, Outcome: bisect.Good},
	}}
	if got := lastGood(res, "u2"); !reflect.DeepEqual(got, []string{"u1", "u3"}) {
		t.Errorf("lastGood = %v, want the largest good set [u1 u3]", got)
	}
	if got := lastGood(&bisect.Result{}, "u2"); got != nil {
		t.Errorf("lastGood without good probes = %v, want the old lock (nil)", got)
	}
}

func TestDetail(t *testing.T) {
	long := strings.Repeat("x", 400) + "the cause"
	if got := detail("", long); !strings.HasSuffix(got, "the cause") || !strings.HasPrefix(got, "…") || len([]rune(got)) != 301 {
		t.Errorf("detail keeps %q, want the last 300 characters", got)
	}
	if got := detail("tools.list", long); got != "tools.list" {
		t.Errorf("detail = %q, want the failing check", got)
	}
}

// fakeSet is a set that can list releases and name repositories, for the
// drill-down's generic ordering and --repo-map.
type fakeSet struct {
	manifests.Pair
	releases []manifests.Release
	up       manifests.Upstream
	upErr    error
}

func (f fakeSet) Releases(context.Context, string) ([]manifests.Release, error) {
	return f.releases, nil
}
func (f fakeSet) Compare(a, b string) int { return semver.Compare(a, b) }
func (f fakeSet) Upstream(context.Context, manifests.Change) (manifests.Upstream, error) {
	return f.up, f.upErr
}

// TestReleasesBetween: strictly between the two versions, from the good
// end toward the bad one (so descending for a downgrade), whatever order
// the registry lists them in.
func TestReleasesBetween(t *testing.T) {
	var rels []manifests.Release
	for _, v := range []string{"v1.4.0", "v1.0.0", "v1.2.0", "v1.1.0", "v1.3.0"} {
		rels = append(rels, manifests.Release{Version: v})
	}
	dr := &driller{releaser: fakeSet{releases: rels}}
	for _, tc := range []struct {
		name string
		ch   manifests.Change
		want []string
	}{
		{"upgrade", manifests.Change{Package: "example.com/m", From: "v1.0.0", To: "v1.4.0", Kind: manifests.Upgrade}, []string{"v1.1.0", "v1.2.0", "v1.3.0"}},
		{"downgrade", manifests.Change{Package: "example.com/m", From: "v1.4.0", To: "v1.1.0", Kind: manifests.Downgrade}, []string{"v1.3.0", "v1.2.0"}},
		{"adjacent", manifests.Change{Package: "example.com/m", From: "v1.3.0", To: "v1.4.0", Kind: manifests.Upgrade}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dr.releases(context.Background(), tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			var versions []string
			for _, r := range got {
				versions = append(versions, r.Version)
			}
			if !reflect.DeepEqual(versions, tc.want) {
				t.Errorf("releases = %v, want %v", versions, tc.want)
			}
		})
	}
}

// TestUpstreamRepoMap: --repo-map wins over what the ecosystem knows,
// below the directory the ecosystem names, and stands in where it knows
// nothing.
func TestUpstreamRepoMap(t *testing.T) {
	o := Options{RepoMap: map[string]string{"example.com/mapped": "/srv/mapped"}}
	for _, tc := range []struct {
		name    string
		set     fakeSet
		pkg     string
		want    manifests.Upstream
		wantErr string
	}{
		{name: "known", set: fakeSet{up: manifests.Upstream{URL: "https://github.com/o/r", Subdir: "sub"}}, pkg: "example.com/other", want: manifests.Upstream{URL: "https://github.com/o/r", Subdir: "sub"}},
		{name: "mapped below the known directory", set: fakeSet{up: manifests.Upstream{URL: "https://github.com/o/r", Subdir: "sub"}}, pkg: "example.com/mapped", want: manifests.Upstream{URL: "/srv/mapped", Subdir: "sub"}},
		{name: "mapped where nothing is known", set: fakeSet{upErr: errors.New("unknown")}, pkg: "example.com/mapped", want: manifests.Upstream{URL: "/srv/mapped"}},
		{name: "unknown", set: fakeSet{upErr: errors.New("pass --repo-map")}, pkg: "example.com/unknown", wantErr: "--repo-map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dr := &driller{p: &prober{diff: &manifests.Diff{Ecosystem: "fake"}}, o: o, upstreamer: tc.set}
			got, err := dr.upstream(context.Background(), manifests.Change{Package: tc.pkg})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("upstream = %+v, %v; want an error naming %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("upstream = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
