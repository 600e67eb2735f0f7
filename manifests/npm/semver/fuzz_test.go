package semver

import "testing"

// FuzzParseRange: any input parses or fails without panicking, and a
// parsed range's verdict on a version is stable.
func FuzzParseRange(f *testing.F) {
	for _, r := range fixedRanges {
		f.Add(r, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, rng, version string) {
		r, err := ParseRange(rng)
		v, verr := Parse(version)
		if err != nil || verr != nil {
			return
		}
		if r.Test(v) != Satisfies(version, rng) {
			t.Fatalf("Test and Satisfies disagree on %q, %q", version, rng)
		}
		if w, err := Parse(v.String()); err != nil || Compare(v, w) != 0 {
			t.Fatalf("version %q does not round-trip: %v", version, err)
		}
	})
}
