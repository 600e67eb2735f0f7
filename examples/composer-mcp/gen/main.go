// Command gen writes the fabricated composer packages of the composer-mcp
// example as zip files for an artifact repository. The zips are committed;
// gen exists so that they can be regenerated and reviewed as source. Its
// output is byte-for-byte deterministic (fixed timestamps, sorted entries),
// so the shasums recorded in the committed lock files stay valid.
//
//	go run ./examples/composer-mcp/gen -out examples/composer-mcp/server/artifacts
//
// Every package works in all its versions except acme/schema 1.2.0 (and
// 1.1.4, the release that introduced it), which serialises an empty
// "properties" as [] instead of {}: the defect that makes strict MCP clients
// reject the whole tool list. acme/schema 1.1.2 requires a package that was
// never published, so composer cannot install it.
//
//	go run ./examples/composer-mcp/gen -upstream DIR
//
// writes acme/schema's upstream git repository instead (upstream.go), for
// the drill-down from release to commit. The releases' p2 metadata, as a
// composer repository serves it, goes to server/repo/p2/acme/schema.json
// (bisect.yaml's search.composer_repo).
package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests/composer"
)

type pkg struct {
	name      string // vendor/name
	version   string
	require   map[string]string
	namespace string // PHP namespace, PSR-4 root of src/
	class     string // class name
	body      string // class body
}

// schemaBody returns acme/schema's Schema class. The broken release drops the
// stdClass that makes json_encode write an empty map as an object.
func schemaBody(emptyAsObject bool) string {
	properties := "$properties"
	if emptyAsObject {
		properties = "$properties === [] ? new \\stdClass() : $properties"
	}
	return `    /**
     * A JSON Schema for an object with the given properties.
     *
     * @param array<string, array<string, mixed>> $properties
     * @param list<string> $required
     * @return array<string, mixed>
     */
    public static function object(array $properties, array $required = []): array
    {
        $schema = ['type' => 'object', 'properties' => ` + properties + `];
        if ($required !== []) {
            $schema['required'] = $required;
        }
        return $schema;
    }
`
}

func versionBody(version string) string {
	return fmt.Sprintf("    public const VERSION = '%s';\n", version)
}

// packages lists every version of every fabricated package. The chain
// mcp-bundle → mcp-sdk → reflection-docblock → type-resolver must move
// together: each major step of one requires the matching step of the next.
func packages() []pkg {
	var ps []pkg
	for _, v := range []struct {
		version string
		object  bool
		require map[string]string
	}{
		{"1.1.0", true, nil},
		// The releases between the locks' two, for the drill-down.
		{"1.1.1", true, nil},
		{"1.1.2", true, map[string]string{"acme/json-pointer": "^1.0"}},
		{"1.1.3", true, nil},
		{"1.1.4", false, nil},
		{"1.2.0", false, nil},
	} {
		ps = append(ps, pkg{name: "acme/schema", version: v.version, require: v.require, namespace: "Acme\\Schema", class: "Schema", body: schemaBody(v.object)})
	}
	for _, v := range []struct{ bundle, sdk, docblock, resolver string }{
		{"0.8.0", "0.4.0", "5.0.0", "1.0.0"},
		{"0.9.0", "0.5.0", "6.0.0", "2.0.0"},
	} {
		ps = append(ps,
			pkg{name: "acme/mcp-bundle", version: v.bundle, require: map[string]string{"acme/mcp-sdk": "^" + strings.TrimSuffix(v.sdk, ".0")},
				namespace: "Acme\\McpBundle", class: "Server", body: versionBody(v.bundle) + serverInfo},
			pkg{name: "acme/mcp-sdk", version: v.sdk, require: map[string]string{"acme/reflection-docblock": "^" + strings.Split(v.docblock, ".")[0]},
				namespace: "Acme\\McpSdk", class: "Protocol", body: versionBody(v.sdk) + negotiate},
			pkg{name: "acme/reflection-docblock", version: v.docblock, require: map[string]string{"acme/type-resolver": "^" + strings.Split(v.resolver, ".")[0]},
				namespace: "Acme\\ReflectionDocblock", class: "DocBlock", body: versionBody(v.docblock) + summary},
			pkg{name: "acme/type-resolver", version: v.resolver,
				namespace: "Acme\\TypeResolver", class: "TypeResolver", body: versionBody(v.resolver)},
		)
	}
	for _, v := range []string{"1.0.0", "2.0.0"} {
		ps = append(ps, pkg{name: "acme/log", version: v, require: map[string]string{"acme/util": "^1.0"},
			namespace: "Acme\\Log", class: "Logger", body: versionBody(v) + logLine})
	}
	for _, v := range []string{"1.0.0", "1.0.1"} {
		ps = append(ps, pkg{name: "acme/util", version: v, namespace: "Acme\\Util", class: "Clock", body: versionBody(v) + clock})
	}
	return ps
}

const serverInfo = `
    /** @return array{name: string, version: string} */
    public static function info(string $name): array
    {
        return ['name' => $name, 'version' => self::VERSION];
    }
`

const negotiate = `
    public const SUPPORTED = ['2025-06-18', '2025-03-26', '2024-11-05'];

    /** Answers the client's protocol version when supported, else the newest. */
    public static function negotiate(?string $requested): string
    {
        return in_array($requested, self::SUPPORTED, true) ? $requested : self::SUPPORTED[0];
    }
`

const summary = `
    /** The first line of a doc comment, without its markers. */
    public static function summary(string $doc): string
    {
        $lines = preg_split('/\R/', trim(preg_replace('#^/\*\*|\*/$#', '', trim($doc))));
        return trim(ltrim($lines[0] ?? '', "* \t"));
    }
`

const logLine = `
    /** Writes one line to stderr, where php -S keeps its own log. */
    public static function info(string $message): void
    {
        file_put_contents('php://stderr', \Acme\Util\Clock::stamp() . ' ' . $message . "\n");
    }
`

const clock = `
    public static function stamp(): string
    {
        return gmdate('Y-m-d\TH:i:s\Z');
    }
`

func (p pkg) files() (map[string][]byte, error) {
	manifest := map[string]any{
		"name":        p.name,
		"version":     p.version,
		"description": "Fabricated package for the lockbisect composer-mcp example.",
		"license":     "MIT",
		"autoload":    map[string]any{"psr-4": map[string]string{p.namespace + "\\": "src/"}},
		"require":     map[string]string{"php": ">=8.1"},
	}
	for k, v := range p.require {
		manifest["require"].(map[string]string)[k] = v
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false) // keep ">=8.1" readable for composer users
	enc.SetIndent("", "    ")
	if err := enc.Encode(manifest); err != nil {
		return nil, fmt.Errorf("encode composer.json of %s %s: %w", p.name, p.version, err)
	}
	class := fmt.Sprintf("<?php\n\ndeclare(strict_types=1);\n\nnamespace %s;\n\nfinal class %s\n{\n%s}\n", p.namespace, p.class, p.body)
	return map[string][]byte{
		"composer.json":           js.Bytes(),
		"src/" + p.class + ".php": []byte(class),
	}, nil
}

func (p pkg) zip() ([]byte, error) {
	files, err := p.files()
	if err != nil {
		return nil, err
	}
	b, err := composerrepo.ZipFiles(files)
	if err != nil {
		return nil, fmt.Errorf("zip %s %s: %w", p.name, p.version, err)
	}
	return b, nil
}

func main() {
	out := flag.String("out", "examples/composer-mcp/server/artifacts", "directory the zips are written to")
	repo := flag.String("repo", "examples/composer-mcp/server/repo", "directory acme/schema's p2 metadata is written to (search.composer_repo)")
	upstream := flag.String("upstream", "", "write acme/schema's upstream git repository (for the drill-down) into this new directory, and nothing else")
	flag.Parse()
	var err error
	switch {
	case *upstream != "":
		err = writeUpstream(*upstream)
	default:
		if err = run(*out); err == nil {
			err = writeP2(*repo)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	for _, p := range packages() {
		data, err := p.zip()
		if err != nil {
			return err
		}
		name := filepath.Join(out, strings.ReplaceAll(p.name, "/", "-")+"-"+p.version+".zip")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// writeP2 writes acme/schema's p2 metadata into repo/p2/acme/schema.json:
// every release, newest first, in Packagist's minified form, each with the
// dist entry composer locks for it (the zip's path relative to the
// project and its sha1).
func writeP2(repo string) error {
	var entries []map[string]json.RawMessage
	for _, p := range packages() {
		if p.name != "acme/schema" {
			continue
		}
		files, err := p.files()
		if err != nil {
			return err
		}
		var e map[string]json.RawMessage
		if err := json.Unmarshal(files["composer.json"], &e); err != nil {
			return fmt.Errorf("composer.json of %s %s: %w", p.name, p.version, err)
		}
		data, err := p.zip()
		if err != nil {
			return err
		}
		sum := sha1.Sum(data)
		dist, err := json.Marshal(map[string]string{"type": "zip", "url": "artifacts/" + strings.ReplaceAll(p.name, "/", "-") + "-" + p.version + ".zip", "shasum": hex.EncodeToString(sum[:])})
		if err != nil {
			return err
		}
		e["dist"], e["type"] = dist, json.RawMessage(`"library"`)
		entries = append([]map[string]json.RawMessage{e}, entries...)
	}
	data, err := composer.MarshalP2("acme/schema", entries)
	if err != nil {
		return err
	}
	name := filepath.Join(repo, "p2", "acme", "schema.json")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(name), err)
	}
	if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
