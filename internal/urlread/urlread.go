// Package urlread reads a document from an http(s) or file URL: module
// proxies (go.mod files, version lists) and composer repositories (p2
// metadata). Reads are bounded, and errors name the URL without its user
// information, which often is a token.
package urlread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// Limit bounds what one read returns.
const Limit = 64 << 20

// Read returns the document at raw (http, https or file URL).
func Read(ctx context.Context, client *http.Client, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("read: the URL does not parse")
	}
	shown := *u
	shown.User = nil
	if u.Scheme == "file" {
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", &shown, err)
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, Limit))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", &shown, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", &shown, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read %s: %s", &shown, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, Limit))
}
