package npm

import (
	"reflect"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

func TestRollback(t *testing.T) {
	got := (&set{}).Rollback([]manifests.Change{
		{Package: "acme-http", From: "1.0.0", To: "1.1.0", Kind: manifests.Upgrade, Direct: true},
		{Package: "acme-test", From: "1.0.0", To: "2.0.0", Kind: manifests.Upgrade, Direct: true, Dev: true},
		{Package: "@acme/util", From: "1.0.0", To: "1.0.1", Kind: manifests.Upgrade},
		{Package: "lodash.merge", From: "4.6.1", To: "4.6.2", Kind: manifests.Upgrade},
		{Package: "acme-json", From: "2.0.0 at node_modules/acme-sdk/node_modules/acme-json, 3.0.0 at node_modules/acme-json", To: "3.1.0", Kind: manifests.Upgrade},
		{Package: "acme-new", To: "1.0.0", Kind: manifests.Added, Direct: true},
		{Package: "acme-fast", To: "1.0.0", Kind: manifests.Added},
	})
	want := [][]string{
		{"npm", "uninstall", "acme-new"},
		{"npm", "install", "acme-http@1.0.0"},
		{"npm", "install", "--save-dev", "acme-test@1.0.0"},
		{"npm", "pkg", "set", "overrides.@acme/util=1.0.0", "overrides[lodash.merge]=4.6.1", "overrides.acme-json=3.0.0"},
		{"npm", "install"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rollback:\n got %q\nwant %q", got, want)
	}
}
