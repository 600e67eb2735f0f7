package mcp

import (
	"maps"
	"net/url"
	"strings"
	"testing"
)

func TestParseBearerChallenge(t *testing.T) {
	cases := []struct {
		name, header string
		want         map[string]string
		bearer       bool
	}{
		{"resource_metadata quoted", `Bearer resource_metadata="http://a/.well-known/oauth-protected-resource/mcp"`,
			map[string]string{"resource_metadata": "http://a/.well-known/oauth-protected-resource/mcp"}, true},
		{"several params, case-insensitive names", `bearer Realm="mcp", error=invalid_token, resource_metadata="http://x/y"`,
			map[string]string{"realm": "mcp", "error": "invalid_token", "resource_metadata": "http://x/y"}, true},
		{"escaped quote", `Bearer realm="a\"b"`, map[string]string{"realm": `a"b`}, true},
		{"after another challenge", `Basic realm="x", Bearer resource_metadata="http://m"`, map[string]string{"resource_metadata": "http://m"}, true},
		{"Bearer without params", `Bearer`, map[string]string{}, true},
		{"not Bearer", `Basic realm="x"`, map[string]string{}, false},
		{"empty", ``, map[string]string{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, bearer := parseBearerChallenge(tc.header)
			if bearer != tc.bearer || !maps.Equal(got, tc.want) {
				t.Fatalf("got %v %t, want %v %t", got, bearer, tc.want, tc.bearer)
			}
		})
	}
}

// FuzzParseBearerChallenge: no input panics, and any value survives being
// quoted into a challenge.
func FuzzParseBearerChallenge(f *testing.F) {
	f.Add(`Bearer realm="x", resource_metadata="http://a/b"`, "http://a/b")
	f.Add(`Bearer abc==, x=`, `a"b\c`)
	f.Fuzz(func(t *testing.T, header, value string) {
		parseBearerChallenge(header)
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value)
		got, ok := parseBearerChallenge(`Bearer realm="r", resource_metadata="` + quoted + `"`)
		if !ok || got["resource_metadata"] != value || got["realm"] != "r" {
			t.Fatalf("value %q parsed as %v (bearer %t)", value, got, ok)
		}
	})
}

func TestParseConsentForm(t *testing.T) {
	base, _ := url.Parse("http://as.example/consent?request=1")
	cases := []struct {
		name, page   string
		action, meth string
		want         url.Values
	}{
		{"post form preferred, browser fields", `<form action="/search"><input name="q"></form>
			<form method="POST" action="/consent/submit">
			<input type="hidden" name="request" value="r1"><input name="user">
			<input type="checkbox" name="remember"><input type="checkbox" name="scope" value="mcp" checked>
			<select name="org"><option value="a">A</option><option value="b" selected>B</option></select>
			<textarea name="note">hi</textarea><input name="off" disabled value="x">
			<button name="decision" value="approve">Allow</button><button name="decision" value="deny">Deny</button>
			</form>`,
			"http://as.example/consent/submit", "POST",
			url.Values{"request": {"r1"}, "user": {""}, "scope": {"mcp"}, "org": {"b"}, "note": {"hi"}, "decision": {"approve"}}},
		{"get form, relative action, submit input", `<form action="ok"><input type="submit" name="go" value="yes"></form>`,
			"http://as.example/ok", "GET", url.Values{"go": {"yes"}}},
		{"no action posts back to the page", `<form method=post><input name=a value=1></form>`,
			"http://as.example/consent?request=1", "POST", url.Values{"a": {"1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseConsentForm([]byte(tc.page), base)
			if err != nil {
				t.Fatal(err)
			}
			if f.action.String() != tc.action || f.method != tc.meth || f.values.Encode() != tc.want.Encode() {
				t.Fatalf("got %s %s %v, want %s %s %v", f.method, f.action, f.values, tc.meth, tc.action, tc.want)
			}
		})
	}
	if _, err := parseConsentForm([]byte("<p>no form</p>"), base); err == nil {
		t.Error("a page without a form was accepted")
	}
}

// FuzzParseConsentForm: no page panics the form reader.
func FuzzParseConsentForm(f *testing.F) {
	f.Add(`<form method=post action="/c"><input type=hidden name=r value=1><button name=d value=ok></form>`)
	f.Add(`<form action="%zz"><select name=s></select></form>`)
	base, _ := url.Parse("http://as.example/consent")
	f.Fuzz(func(t *testing.T, page string) {
		form, err := parseConsentForm([]byte(page), base)
		if err == nil && (form.action == nil || form.values == nil) {
			t.Fatal("a form without action or values")
		}
	})
}
