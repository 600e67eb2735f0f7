package constraint

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		constraint string
		version    string
		want       bool
	}{
		{"^1.2", "1.9.9", true},
		{"^1.2", "2.0.0", false},
		{"^1.2", "1.2.0-beta1", true}, // no minimum-stability inside a constraint
		{"^0.0.3", "0.0.3", true},
		{"^0.0.3", "0.0.4", false},
		{"^0.3", "0.3.9", true},
		{"^0.3", "0.4.0", false},
		{"~1", "1.99", true},
		{"~1", "2.0", false},
		{"~1.2", "1.9", true},
		{"~1.2.3", "1.3.0", false},
		{"1.2.*", "1.2.99", true},
		{"1.2.*", "1.3.0", false},
		{"1 - 2", "2.9.9", true},
		{"1 - 2", "3.0.0", false},
		{"1.0 - 2.1.3", "2.1.3", true},
		{"1.0 - 2.1.3", "2.1.4", false},
		{">=1.0 <2.0 || ^3", "3.4.0", true},
		{">=1.0 <2.0 || ^3", "2.5.0", false},
		{">=1.0,<2.0", "1.5", true},
		{"!=1.0", "v1.0.0", false},
		{"<>1.0", "1.0.1", true},
		{"dev-main", "dev-main", true},
		{"dev-main", "1.0.0", false},
		{">=1.0", "dev-main", false},
		{"*", "dev-main", true},
		{"1.0.x-dev as 1.0.0", "1.0.x-dev", true},
		{"2.x-dev", "2.x-dev", true},
		{"1.2.3.4", "1.2.3.4", true},
		{">1.0.0", "1.0.0-p1", true},   // a patch release sorts after its release
		{"<1.0.0", "1.0.0-RC3", false}, // < means below every pre-release of 1.0.0
		{"^1.0@dev", "1.1.0-dev", true},
		{">=1.0-RC1", "1.0.0-RC1", true},
		{"^7.4", "v7.4.9", true},
		{"^1.0", "not a version", false},
	}
	for _, tt := range tests {
		t.Run(tt.constraint+"/"+tt.version, func(t *testing.T) {
			c, err := Parse(tt.constraint)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.constraint, err)
			}
			if got := c.Check(tt.version); got != tt.want {
				t.Errorf("Parse(%q).Check(%q) = %v, want %v", tt.constraint, tt.version, got, tt.want)
			}
			if c.String() != tt.constraint {
				t.Errorf("String() = %q, want the original text %q", c.String(), tt.constraint)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		constraint string
		mention    string
	}{
		{"", `""`},
		{"~>1.0", `"~>"`},
		{"foo", `"foo"`},
		{"1.0.0.0.0", `"1.0.0.0.0"`},
		{">=1.0 || ", `">=1.0 || "`},
	}
	for _, tt := range tests {
		t.Run(tt.constraint, func(t *testing.T) {
			_, err := Parse(tt.constraint)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, composer rejects it", tt.constraint)
			}
			if !strings.Contains(err.Error(), tt.mention) || !strings.HasPrefix(err.Error(), "composer constraint") {
				t.Errorf("error %q should name the constraint and mention %s", err, tt.mention)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"v7.4.9", "7.4.9.0"},
		{"7.4", "7.4.0.0"},
		{"dev-main", "dev-main"},
		{"master", "dev-master"},
		{"2.x-dev", "2.9999999.9999999.9999999-dev"},
		{"1.2.x-dev", "1.2.9999999.9999999-dev"},
		{"1.0.0-beta.2", "1.0.0.0-beta2"},
		{"1.0.0-p1", "1.0.0.0-patch1"},
		{"1.0.0-pl1", "1.0.0.0-patch1"},
		{"1.0-RC3", "1.0.0.0-RC3"},
		{"1.0.0-stable", "1.0.0.0"},
		{"1.0.0+build.7", "1.0.0.0"},
		{"1.2.3.4", "1.2.3.4"},
		{"2020.01.01", "2020.01.01.0"},
		{"20200101", "20200101"},
		{"1.0.x-dev as 1.0.0", "1.0.9999999.9999999-dev"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := Normalize("foo"); err == nil || !strings.Contains(err.Error(), `"foo"`) {
		t.Errorf("Normalize(foo) error = %v, want one naming the version", err)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"7.4.8", "v7.4.9", -1},
		{"v7.4.9", "7.4.9", 0},
		{"1.0.0-dev", "1.0.0-alpha1", -1},
		{"1.0.0-alpha1", "1.0.0-beta1", -1},
		{"1.0.0-beta2", "1.0.0-beta10", -1},
		{"1.0.0-RC1", "1.0.0", -1},
		{"1.0.0", "1.0.0-p1", -1},
		{"1.2.3.4", "1.2.3", 1},
		{"dev-main", "0.0.1", -1},
		{"2.x-dev", "2.5.0", 1},
		{"dev-a", "dev-b", -1},
		{"dev-b", "dev-b", 0},
		{"not a version", "0.0.1", -1},
		{"A!", "B!", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := Compare(tt.a, tt.b); got != tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Compare(tt.b, tt.a); got != -tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestAndSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{">=1.0 <2.0", []string{">=1.0", "<2.0"}},
		{">= 1.0, < 2.0", []string{">= 1.0", "< 2.0"}},
		{"1.0 - 2.0", []string{"1.0 - 2.0"}},
		{"1.0.x-dev as 1.0.0", []string{"1.0.x-dev as 1.0.0"}},
		{"^1.0  ,  ^1.5", []string{"^1.0", "^1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := andSplit(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("andSplit(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIntersects(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"^6.0", "<5.4", false}, // a replace of symfony/mailer ^6.0 against a conflict <5.4
		{"^6.0", ">=5.4", true},
		{"*", "dev-main", true},
		{"^1.0", "dev-main", false},
		{"v6.12.0", "v6.13.1", false}, // self.version of two split packages
		{"v6.12.0", "6.12.0.0", true},
		{">=1.0 <2.0", ">=2.0 <3.0", false},
		{">=1.0 <2.0 || >=2.0 <3.0", "2.5", true},
		{"<2.0 || >=3.0", "^2.0", false},
		{"2.x-dev", "^2.0@dev", true},
	}
	for _, tt := range tests {
		a, err := Parse(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Intersects(b); got != tt.want {
			t.Errorf("Parse(%q).Intersects(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range edgeConstraints {
		f.Add(c, "1.0.0")
	}
	for _, v := range versionPool {
		f.Add("^1.0 || dev-main", v)
	}
	f.Fuzz(func(t *testing.T, constraint, version string) {
		c, err := Parse(constraint)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "composer constraint") {
				t.Errorf("error %q does not name the constraint", err)
			}
			return
		}
		// A version is the range of one version: the constraint meets it
		// exactly when it admits it.
		if v, err := Parse(version); err == nil && len(v.groups) == 1 && len(v.groups[0]) == 1 && v.groups[0][0].op == "==" {
			if c.Check(version) != c.Intersects(v) {
				t.Errorf("Parse(%q): Check(%q) = %v but Intersects = %v", constraint, version, c.Check(version), c.Intersects(v))
			}
		}
		if c.String() != constraint {
			t.Errorf("String() = %q, want %q", c.String(), constraint)
		}
		// Normalize is not idempotent in composer ("1.0-StABle" becomes
		// 1.0.0.0-stable, which becomes 1.0.0.0), so the order is checked for
		// reflexivity and antisymmetry instead.
		if Compare(version, version) != 0 {
			t.Errorf("Compare(%q, itself) != 0", version)
		}
		for _, other := range []string{"1.0.0", "dev-main", "1.0.0-beta1"} {
			if Compare(version, other) != -Compare(other, version) {
				t.Errorf("Compare(%q, %q) is not antisymmetric", version, other)
			}
		}
	})
}
