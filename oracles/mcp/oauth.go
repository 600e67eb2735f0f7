package mcp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/oracles"
)

// Spec references used by the oauth checks.
const (
	specAuthz        = "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization"
	specAuthzUse     = "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization#access-token-usage"
	specRFC9728Hdr   = "RFC 9728 §5.1 (WWW-Authenticate resource_metadata)"
	specRFC9728      = "RFC 9728 §3 (protected resource metadata)"
	specRFC9728Res   = "RFC 9728 §3.3 (resource must match the protected resource's URL)"
	specRFC8414      = "RFC 8414 §3 (authorization server metadata); OpenID Connect Discovery 1.0 §4"
	specRFC8414Iss   = "RFC 8414 §3.3 (issuer must be identical to the issuer identifier)"
	specPKCE         = "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization#authorization-code-protection (RFC 7636 S256)"
	specDCR          = "RFC 7591 §3 (dynamic client registration)"
	specClientReg    = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-registration-approaches"
	specScopes       = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy"
	specClientAuth   = "RFC 6749 §2.3.1 (client password: client_secret_basic, client_secret_post)"
	specAuthorize    = "OAuth 2.1 draft §4.1 (authorization code grant); RFC 8707 (resource)"
	specState        = "OAuth 2.1 draft §7.12 (state must round-trip)"
	specToken        = "OAuth 2.1 draft §4.1.3 (token request and response)"
	specNoStore      = "OAuth 2.1 draft §3.2.3 / RFC 6749 §5.1 (Cache-Control: no-store, Pragma: no-cache)"
	specPKCEVerify   = "RFC 7636 §4.6 (the server must verify code_verifier)"
	specRefresh      = "OAuth 2.1 draft §4.3 (refresh token grant)"
	specRefreshRotat = "OAuth 2.1 draft §4.3.1 (public clients: refresh tokens rotate, the old one is revoked)"
)

// asMeta is the part of authorization server metadata the flow uses.
type asMeta struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	RegistrationEndpoint  string   `json:"registration_endpoint"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	ClientIDMetadata      bool     `json:"client_id_metadata_document_supported"`
}

// client is what registration and the token endpoint gave this run.
type client struct {
	meta     asMeta
	clientID string
	secret   string // "" = a public client
	refresh  string
}

// authorize runs the OAuth 2.1 flow up to an access token, recording a check
// per step and stopping at the first fatal failure. challenge is the
// WWW-Authenticate header of the 401 ("" when the flow is forced). On
// success r.token holds the access token. It returns an error only when
// nothing listens.
func (r *run) authorize(ctx context.Context, challenge string) error {
	r.authorized = true
	cl, err := r.discover(ctx, challenge)
	if cl == nil || err != nil {
		return err
	}
	if !r.register(ctx, cl) {
		return nil
	}
	code, verifier, ok := r.authorizationCode(ctx, cl, true)
	if !ok {
		return nil
	}
	tok, ok := r.exchange(ctx, cl, code, verifier)
	if !ok {
		return nil
	}
	r.token = tok
	r.checkVerifierEnforced(ctx, cl)
	r.cl = cl
	return nil
}

// discover finds the protected resource and authorization server metadata.
func (r *run) discover(ctx context.Context, challenge string) (*client, error) {
	var candidates []string
	if challenge == "" {
		r.rec.skip("oauth.www-authenticate", oracles.Warning, specRFC9728Hdr, "the flow was forced by oracle.mcp.oauth.enabled; no 401 was seen")
	} else {
		params, isBearer := parseBearerChallenge(challenge)
		if r.scope == "" {
			r.scope = params["scope"] // MCP clients request what the challenge names
		}
		rm := params["resource_metadata"]
		switch {
		case !isBearer:
			r.rec.add("oauth.www-authenticate", oracles.Warning, false, specRFC9728Hdr, "WWW-Authenticate is %q, want a Bearer challenge with resource_metadata", challenge)
		case rm == "":
			r.rec.add("oauth.www-authenticate", oracles.Warning, false, specRFC9728Hdr, "WWW-Authenticate %q has no resource_metadata; falling back to the well-known URIs", challenge)
		default:
			r.rec.add("oauth.www-authenticate", oracles.Warning, true, specRFC9728Hdr, "resource_metadata=%s", rm)
			candidates = append(candidates, rm)
		}
	}
	u, err := url.Parse(r.endpoint)
	if err != nil {
		return nil, fmt.Errorf("mcp oracle: endpoint %q: %w", r.endpoint, err)
	}
	origin := u.Scheme + "://" + u.Host
	if p := strings.TrimSuffix(u.EscapedPath(), "/"); p != "" {
		candidates = append(candidates, origin+"/.well-known/oauth-protected-resource"+p)
	}
	candidates = append(candidates, origin+"/.well-known/oauth-protected-resource")

	var prm map[string]any
	var prmURL string
	var tried []string
	for _, c := range slices.Compact(candidates) {
		m, status, err := r.getJSON(ctx, c)
		if errors.Is(err, oracles.ErrUnreachable) {
			return nil, err
		}
		if m != nil {
			prm, prmURL = m, c
			break
		}
		tried = append(tried, fmt.Sprintf("%s (%s)", c, describeGet(status, err)))
	}
	if prm == nil {
		r.rec.add("oauth.prm", oracles.Fatal, false, specRFC9728, "no protected resource metadata at %s", strings.Join(tried, ", "))
		return nil, nil
	}
	servers, _ := prm["authorization_servers"].([]any)
	var issuer string
	if len(servers) > 0 {
		issuer, _ = servers[0].(string)
	}
	if issuer == "" {
		r.rec.add("oauth.prm", oracles.Fatal, false, specRFC9728, "%s: authorization_servers is %s, want a non-empty array of URLs", prmURL, kindAt(prm, "authorization_servers"))
		return nil, nil
	}
	r.rec.add("oauth.prm", oracles.Fatal, true, specRFC9728, "%s names authorization server %s", prmURL, issuer)
	if r.scope == "" {
		// Without a scope in the challenge, clients request every scope the
		// resource lists (MCP 2025-11-25, scope selection strategy).
		var scopes []string
		list, _ := prm["scopes_supported"].([]any)
		for _, sc := range list {
			if sc, ok := sc.(string); ok && sc != "" {
				scopes = append(scopes, sc)
			}
		}
		r.scope = strings.Join(scopes, " ")
		if r.scope != "" {
			r.rec.add("oauth.scope", oracles.Warning, true, specScopes, "no scope in the challenge; requesting the resource's scopes_supported: %s", r.scope)
		}
	}
	res, _ := prm["resource"].(string)
	r.rec.add("oauth.prm.resource-matches", oracles.Fatal, resourceMatches(res, r.endpoint), specRFC9728Res, "resource is %s, want the server URL %q (or a parent of it)", kindAt(prm, "resource"), r.endpoint)

	meta, ok, err := r.serverMetadata(ctx, issuer)
	if err != nil || !ok {
		return nil, err
	}
	return &client{meta: meta}, nil
}

// serverMetadata fetches RFC 8414 metadata (path-inserted), then OpenID
// discovery, and checks the issuer and PKCE support.
func (r *run) serverMetadata(ctx context.Context, issuer string) (asMeta, bool, error) {
	var meta asMeta
	iu, err := url.Parse(issuer)
	if err != nil || iu.Host == "" {
		r.rec.add("oauth.as-metadata", oracles.Fatal, false, specRFC8414, "authorization server %q is not an absolute URL", issuer)
		return meta, false, nil
	}
	origin := iu.Scheme + "://" + iu.Host
	p := strings.TrimSuffix(iu.EscapedPath(), "/")
	candidates := slices.Compact([]string{
		origin + "/.well-known/oauth-authorization-server" + p,
		origin + "/.well-known/openid-configuration" + p,
		origin + p + "/.well-known/openid-configuration",
	})
	var tried []string
	var found string
	for _, c := range candidates {
		m, status, err := r.getJSON(ctx, c)
		if errors.Is(err, oracles.ErrUnreachable) {
			return meta, false, err
		}
		if m != nil {
			b, _ := json.Marshal(m)
			if err := json.Unmarshal(b, &meta); err != nil {
				tried = append(tried, fmt.Sprintf("%s (%v)", c, err))
				continue
			}
			found = c
			break
		}
		tried = append(tried, fmt.Sprintf("%s (%s)", c, describeGet(status, err)))
	}
	switch {
	case found == "":
		r.rec.add("oauth.as-metadata", oracles.Fatal, false, specRFC8414, "no authorization server metadata at %s", strings.Join(tried, ", "))
		return meta, false, nil
	case meta.AuthorizationEndpoint == "" || meta.TokenEndpoint == "":
		r.rec.add("oauth.as-metadata", oracles.Fatal, false, specRFC8414, "%s: authorization_endpoint %q and token_endpoint %q, want both", found, meta.AuthorizationEndpoint, meta.TokenEndpoint)
		return meta, false, nil
	}
	r.rec.add("oauth.as-metadata", oracles.Fatal, true, specRFC8414, "metadata at %s", found)
	if found != candidates[0] {
		r.rec.add("oauth.as-metadata.rfc8414", oracles.Warning, false, specRFC8414, "no RFC 8414 document at %s; tolerated: OpenID discovery at %s was used instead", candidates[0], found)
	}
	issOK := r.checkIssuer(meta.Issuer, issuer)
	s256 := slices.Contains(meta.CodeChallengeMethods, "S256")
	r.rec.add("oauth.as-metadata.pkce-s256", oracles.Fatal, s256, specPKCE, "code_challenge_methods_supported is %q, want it to contain \"S256\"", meta.CodeChallengeMethods)
	return meta, issOK && s256, nil
}

// checkIssuer compares the metadata's issuer with the authorization
// server's URL exactly (RFC 8414 §3.3). A difference of a trailing slash
// alone is judged as each profile's client judges it: fatal for the spec
// when it is judged, and one check per client with that client's severity.
// It reports whether the flow can go on.
func (r *run) checkIssuer(got, want string) bool {
	const id = "oauth.as-metadata.issuer-matches"
	switch {
	case got == want:
		r.rec.add(id, oracles.Fatal, true, specRFC8414Iss, "issuer %q is identical to the authorization server's URL", got)
		return true
	case strings.TrimSuffix(got, "/") != strings.TrimSuffix(want, "/"):
		r.rec.add(id, oracles.Fatal, false, specRFC8414Iss, "issuer is %q, want %q (identical strings)", got, want)
		return false
	}
	ok := true
	for _, p := range r.m.profiles {
		detail := fmt.Sprintf("issuer is %q, the authorization server's URL %q: they differ only by a trailing slash; %s", got, want, p.issuerSlashWhy)
		if p.id == "spec" {
			sev := oracles.Warning
			if r.m.strict {
				sev, ok = oracles.Fatal, false
			}
			r.rec.add(id, sev, false, specRFC8414Iss, "%s", detail)
			continue
		}
		r.rec.add("oauth."+p.id+".issuer", p.issuerSlash, false, p.issuerSlashSpec, "%s", detail)
		r.rec.checks[len(r.rec.checks)-1].Profile = p.id
		r.rec.checks[len(r.rec.checks)-1].Client = p.client
		if p.issuerSlash == oracles.Fatal {
			ok = false
		}
	}
	return ok
}

// register performs RFC 7591 dynamic client registration as a public client
// with a loopback redirect URI.
// A pre-registered client (oracle.mcp.oauth.client_id) comes first, then a
// Client ID Metadata Document where the server supports one, then dynamic
// registration, the order MCP's 2025-11-25 revision gives clients.
func (r *run) register(ctx context.Context, cl *client) bool {
	o := r.m.cfg.MCP.OAuth
	switch {
	case o.ClientID != "":
		cl.clientID, cl.secret = o.ClientID, o.ClientSecret
		kind := "public"
		if o.ClientSecret != "" {
			kind = "confidential"
		}
		r.rec.skip("oauth.dcr", oracles.Fatal, specClientReg, "a pre-registered %s client is configured (oracle.mcp.oauth.client_id %q): no registration", kind, o.ClientID)
		return true
	case cl.meta.ClientIDMetadata && o.ClientMetadataURL != "":
		cl.clientID = o.ClientMetadataURL
		r.rec.skip("oauth.dcr", oracles.Fatal, specClientReg, "the server supports Client ID Metadata Documents: client_id is %s, no registration", o.ClientMetadataURL)
		return true
	case cl.meta.RegistrationEndpoint == "":
		hint := "set oracle.mcp.oauth.client_id to a client registered with the authorization server"
		if cl.meta.ClientIDMetadata {
			hint += ", or oracle.mcp.oauth.client_metadata_url (the server supports Client ID Metadata Documents)"
		}
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "the metadata has no registration_endpoint, so this client cannot register itself: %s", hint)
		return false
	}
	body := map[string]any{
		"client_name":                o.ClientName,
		"redirect_uris":              []string{o.RedirectURI},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
	}
	if r.scope != "" {
		body["scope"] = r.scope
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.meta.RegistrationEndpoint, strings.NewReader(string(b)))
	if err != nil {
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "registration_endpoint %q: %v", cl.meta.RegistrationEndpoint, err)
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, raw, err := r.do(ctx, req)
	if err != nil {
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "POST %s: %v", cl.meta.RegistrationEndpoint, err)
		return false
	}
	var reg struct {
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		RedirectURIs []string `json:"redirect_uris"`
		AccessToken  string   `json:"registration_access_token"` // RFC 7592: a secret too
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "POST %s answered HTTP %d, want 201: %s", cl.meta.RegistrationEndpoint, resp.StatusCode, oracles.Snippet(raw))
		return false
	}
	var members map[string]any
	if err := json.Unmarshal(raw, &reg); err != nil || reg.ClientID == "" || json.Unmarshal(raw, &members) != nil {
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "registration response has no client_id: %s", oracles.Snippet(raw))
		return false
	}
	r.secrets = append(r.secrets, reg.ClientSecret, reg.AccessToken)
	var nulls []string
	for _, k := range slices.Sorted(maps.Keys(members)) {
		if members[k] == nil {
			nulls = append(nulls, k)
		}
	}
	if len(nulls) > 0 {
		r.rec.add("oauth.dcr.nulls", oracles.Warning, false, specDCR, "the registration response has null members (%s); tolerated, but RFC 7591 §3.2.1 omits absent metadata and schema-validating clients refuse null", strings.Join(nulls, ", "))
	}
	if len(reg.RedirectURIs) > 0 && !slices.Contains(reg.RedirectURIs, o.RedirectURI) {
		r.rec.add("oauth.dcr", oracles.Fatal, false, specDCR, "registered redirect_uris %q, want them to contain the loopback %q", reg.RedirectURIs, o.RedirectURI)
		return false
	}
	r.rec.add("oauth.dcr", oracles.Fatal, true, specDCR, "registered a public client (token_endpoint_auth_method none) with redirect URI %s", o.RedirectURI)
	cl.clientID = reg.ClientID
	cl.secret = reg.ClientSecret
	return true
}

// authorizationCode drives the authorization endpoint and the consent page
// to the redirect URI and returns the code with its PKCE verifier. record
// false runs it silently (the second authorization of the verifier test).
func (r *run) authorizationCode(ctx context.Context, cl *client, record bool) (code, verifier string, ok bool) {
	o := r.m.cfg.MCP.OAuth
	fail := func(id, spec, format string, args ...any) (string, string, bool) {
		if record {
			r.rec.add(id, oracles.Fatal, false, spec, format, args...)
		}
		return "", "", false
	}
	verifier, state := randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {cl.clientID},
		"redirect_uri":          {o.RedirectURI},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"state":                 {state},
		"resource":              {r.endpoint},
	}
	if r.scope != "" {
		q.Set("scope", r.scope)
	}
	au, err := url.Parse(cl.meta.AuthorizationEndpoint)
	if err != nil {
		return fail("oauth.authorize", specAuthorize, "authorization_endpoint %q: %v", cl.meta.AuthorizationEndpoint, err)
	}
	extra := au.Query()
	for k, v := range q {
		extra[k] = v
	}
	au.RawQuery = extra.Encode()
	redirect, err := url.Parse(o.RedirectURI)
	if err != nil {
		return fail("oauth.authorize", specAuthorize, "oracle.mcp.oauth.redirect_uri %q: %v", o.RedirectURI, err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, au.String(), nil)
	if err != nil {
		return fail("oauth.authorize", specAuthorize, "authorization_endpoint %q: %v", cl.meta.AuthorizationEndpoint, err)
	}
	const maxHops = 10
	for hop := 0; ; hop++ {
		if hop == maxHops {
			return fail("oauth.authorize", specAuthorize, "no redirect to %s after %d requests", o.RedirectURI, maxHops)
		}
		resp, raw, err := r.do(ctx, req)
		if err != nil {
			return fail("oauth.authorize", specAuthorize, "%s %s: %v", req.Method, req.URL.Path, err)
		}
		r.m.log.DebugContext(ctx, "oauth authorize step", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode)
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return fail("oauth.authorize", specAuthorize, "redirect from %s: Location is not a URL: %v", req.URL.Path, err)
			}
			if sameEndpoint(next, redirect) {
				return r.readRedirect(next, state, verifier, record)
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
				return fail("oauth.authorize", specAuthorize, "redirect to %s: %v", next.Redacted(), err)
			}
			continue
		}
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != http.StatusOK || ct != "text/html" {
			return fail("oauth.authorize", specAuthorize, "%s %s answered HTTP %d %s, want a redirect or a consent page: %s", req.Method, req.URL.Path, resp.StatusCode, ct, oracles.Snippet(raw))
		}
		form, err := parseConsentForm(raw, req.URL)
		if err != nil {
			return fail("oauth.authorize", specAuthorize, "consent page %s: %v", req.URL.Path, err)
		}
		for k, v := range o.Consent {
			form.values.Set(k, v)
		}
		if form.method == http.MethodPost {
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, form.action.String(), strings.NewReader(form.values.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			a := *form.action
			a.RawQuery = form.values.Encode()
			req, err = http.NewRequestWithContext(ctx, http.MethodGet, a.String(), nil)
		}
		if err != nil {
			return fail("oauth.authorize", specAuthorize, "consent form action %q: %v", form.action.Redacted(), err)
		}
	}
}

// readRedirect takes the code from the redirect to the registered URI and
// checks that state came back unchanged.
func (r *run) readRedirect(loc *url.URL, state, verifier string, record bool) (string, string, bool) {
	q := loc.Query()
	code := q.Get("code")
	r.secrets = append(r.secrets, code)
	if record {
		if e := q.Get("error"); e != "" || code == "" {
			r.rec.add("oauth.authorize", oracles.Fatal, false, specAuthorize, "the redirect to the client carries error %q (%s) and no code", e, q.Get("error_description"))
			return "", "", false
		}
		r.rec.add("oauth.authorize", oracles.Fatal, true, specAuthorize, "consent given without a browser; the redirect carries a code")
		got := q.Get("state")
		if got != state {
			r.rec.add("oauth.authorize.state", oracles.Fatal, false, specState, "state in the redirect is %q, want the %d-character value sent", got, len(state))
			return "", "", false
		}
		r.rec.add("oauth.authorize.state", oracles.Fatal, true, specState, "state round-tripped")
	}
	return code, verifier, code != "" && q.Get("state") == state
}

// tokenResponse is the token endpoint's JSON answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

// tokenRequest posts a form to the token endpoint.
func (r *run) tokenRequest(ctx context.Context, cl *client, form url.Values) (*http.Response, *tokenResponse, []byte, error) {
	// A confidential client authenticates with client_secret_basic, the
	// default when the metadata lists no method (RFC 8414 §2), else with
	// client_secret_post.
	basic := cl.secret != "" && (len(cl.meta.TokenAuthMethods) == 0 || slices.Contains(cl.meta.TokenAuthMethods, "client_secret_basic"))
	switch {
	case basic:
	case cl.secret != "":
		form.Set("client_id", cl.clientID)
		form.Set("client_secret", cl.secret)
	default:
		form.Set("client_id", cl.clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.meta.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, nil, err
	}
	if basic {
		// RFC 6749 §2.3.1: both parts form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(cl.clientID), url.QueryEscape(cl.secret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, raw, err := r.do(ctx, req)
	if err != nil {
		return nil, nil, nil, err
	}
	var tr tokenResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &tr); err != nil {
			return resp, nil, raw, fmt.Errorf("token response is not JSON: %w", err)
		}
		r.secrets = append(r.secrets, tr.AccessToken, tr.RefreshToken)
	}
	return resp, &tr, raw, nil
}

// exchange trades the code for tokens.
func (r *run) exchange(ctx context.Context, cl *client, code, verifier string) (string, bool) {
	resp, tr, raw, err := r.tokenRequest(ctx, cl, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {r.m.cfg.MCP.OAuth.RedirectURI},
		"code_verifier": {verifier},
		"resource":      {r.endpoint},
	})
	switch {
	case err != nil:
		r.rec.add("oauth.token", oracles.Fatal, false, specToken, "POST %s: %v", cl.meta.TokenEndpoint, err)
		return "", false
	case resp.StatusCode != http.StatusOK:
		r.rec.add("oauth.token", oracles.Fatal, false, specToken, "the token endpoint answered HTTP %d, want 200: %s", resp.StatusCode, oracles.Snippet(raw))
		return "", false
	case tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer"):
		r.rec.add("oauth.token", oracles.Fatal, false, specToken, "token response has access_token of %d characters and token_type %q, want a token of type Bearer", len(tr.AccessToken), tr.TokenType)
		return "", false
	}
	r.rec.add("oauth.token", oracles.Fatal, true, specToken, "access token issued (refresh token: %t)", tr.RefreshToken != "")
	cc, pragma := resp.Header.Get("Cache-Control"), resp.Header.Get("Pragma")
	noStore := strings.Contains(strings.ToLower(cc), "no-store")
	r.rec.add("oauth.token.no-store", oracles.Warning, noStore, specNoStore, "token response has Cache-Control %q and Pragma %q, want Cache-Control: no-store (and Pragma: no-cache)", cc, pragma)
	cl.refresh = tr.RefreshToken
	return tr.AccessToken, true
}

// checkVerifierEnforced runs a second authorization and redeems its code
// with a wrong code_verifier, which the server must reject.
func (r *run) checkVerifierEnforced(ctx context.Context, cl *client) {
	code, _, ok := r.authorizationCode(ctx, cl, false)
	if !ok {
		r.rec.skip("oauth.token.pkce-verified", oracles.Warning, specPKCEVerify, "a second authorization did not yield a code")
		return
	}
	resp, _, _, err := r.tokenRequest(ctx, cl, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {r.m.cfg.MCP.OAuth.RedirectURI},
		"code_verifier": {randomToken()},
		"resource":      {r.endpoint},
	})
	if err != nil {
		r.rec.skip("oauth.token.pkce-verified", oracles.Warning, specPKCEVerify, "token request with a wrong code_verifier: %v", err)
		return
	}
	r.rec.add("oauth.token.pkce-verified", oracles.Warning, resp.StatusCode != http.StatusOK, specPKCEVerify, "a code redeemed with a wrong code_verifier answered HTTP %d, want 400 invalid_grant", resp.StatusCode)
}

// refresh uses the refresh token, then checks rotation: a new refresh token
// is issued and the old one no longer works.
func (r *run) refresh(ctx context.Context) {
	cl := r.cl
	if cl == nil {
		return
	}
	if cl.refresh == "" {
		r.rec.skip("oauth.refresh", oracles.Fatal, specRefresh, "no refresh token was issued")
		return
	}
	old := cl.refresh
	grant := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}, "resource": {r.endpoint}}
	resp, tr, raw, err := r.tokenRequest(ctx, cl, grant)
	switch {
	case err != nil:
		r.rec.add("oauth.refresh", oracles.Fatal, false, specRefresh, "POST %s: %v", cl.meta.TokenEndpoint, err)
		return
	case resp.StatusCode != http.StatusOK || tr.AccessToken == "":
		r.rec.add("oauth.refresh", oracles.Fatal, false, specRefresh, "the refresh grant answered HTTP %d, want 200 with an access token: %s", resp.StatusCode, oracles.Snippet(raw))
		return
	}
	r.rec.add("oauth.refresh", oracles.Fatal, true, specRefresh, "the refresh grant issued a new access token")
	switch tr.RefreshToken {
	case "":
		r.rec.add("oauth.refresh.rotation", oracles.Warning, false, specRefreshRotat, "the refresh response carried no refresh token, want a new one")
		return
	case old:
		r.rec.add("oauth.refresh.rotation", oracles.Warning, false, specRefreshRotat, "the refresh response returned the same refresh token, want a new one")
		return
	}
	grant.Set("refresh_token", old)
	resp, _, _, err = r.tokenRequest(ctx, cl, grant)
	if err != nil {
		r.rec.add("oauth.refresh.rotation", oracles.Warning, false, specRefreshRotat, "reusing the old refresh token: %v", err)
		return
	}
	r.rec.add("oauth.refresh.rotation", oracles.Warning, resp.StatusCode != http.StatusOK, specRefreshRotat, "a new refresh token was issued; reusing the old one answered HTTP %d, want 400 invalid_grant", resp.StatusCode)
}

// do sends an OAuth request with the per-request timeout and size limit. A
// dial failure before anything answered is oracles.ErrUnreachable.
func (r *run) do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.requestTimeout())
	defer cancel()
	resp, err := r.client.Do(req.WithContext(ctx))
	if err != nil {
		if !r.reached && oracles.Unreachable(err) {
			return nil, nil, fmt.Errorf("%w: %w", oracles.ErrUnreachable, err)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, which may carry a code
		}
		return nil, nil, err
	}
	r.reached = true
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBody()+1))
	if err != nil {
		return resp, nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(raw)) > r.maxBody() {
		return resp, nil, fmt.Errorf("body over %d bytes", r.maxBody())
	}
	return resp, raw, nil
}

// getJSON fetches a metadata document; a nil map means not found or not a
// JSON object.
func (r *run) getJSON(ctx context.Context, u string) (map[string]any, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range r.m.cfg.MCP.Headers {
		req.Header.Set(k, v)
	}
	resp, raw, err := r.do(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("not a JSON object: %w", err)
	}
	return m, resp.StatusCode, nil
}

func describeGet(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("HTTP %d", status)
}

// resourceMatches accepts the server URL itself or a parent of it on the
// same origin, as the official SDK clients do.
func resourceMatches(resource, endpoint string) bool {
	ru, err1 := url.Parse(resource)
	eu, err2 := url.Parse(endpoint)
	if err1 != nil || err2 != nil || resource == "" {
		return false
	}
	if !strings.EqualFold(ru.Scheme, eu.Scheme) || !strings.EqualFold(ru.Host, eu.Host) {
		return false
	}
	rp := strings.TrimSuffix(ru.Path, "/") + "/"
	ep := strings.TrimSuffix(eu.Path, "/") + "/"
	return strings.HasPrefix(ep, rp)
}

// sameEndpoint reports whether u points at the registered redirect URI
// (query aside). Loopback hosts compare by port, as RFC 8252 §7.3 lets
// loopback redirects vary only there.
func sameEndpoint(u, redirect *url.URL) bool {
	if !strings.EqualFold(u.Scheme, redirect.Scheme) || u.Path != redirect.Path {
		return false
	}
	if strings.EqualFold(u.Host, redirect.Host) {
		return true
	}
	return isLoopback(u.Hostname()) && isLoopback(redirect.Hostname()) && u.Port() == redirect.Port()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// randomToken returns 32 random bytes in base64url: a PKCE verifier (43
// characters, RFC 7636 §4.1) or a state value.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
