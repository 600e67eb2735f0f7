// Package httpsteps is the http oracle: declarative steps for servers
// that are not MCP.
//
// [Oracle] runs oracle.steps ([Config].Steps) in order, one request each, with a cookie
// jar shared by the steps. Redirects are not followed unless the step says
// follow: true, so a 302 and its Location can be judged. The URL, headers,
// form values, raw body and every string of a JSON body are text/template
// texts over {{.BaseURL}} (the target's base URL joined with oracle.path),
// {{.Host}}, {{.Port}} and the captures of earlier steps by name; a name
// that was never captured is an error, not an empty string.
//
//	steps:
//	  - name: token
//	    method: POST
//	    url: "{{.BaseURL}}/token"
//	    json: {code: "{{.code}}"}
//	    expect:
//	      status: 200                          # 0 = any 2xx
//	      headers: {Cache-Control: no-store}   # name → regexp
//	      json: {token_type: Bearer}           # JSON path → value it equals
//	      match: {$.expires_in: "^[0-9]+$"}    # JSON path → regexp
//	    capture: {access: "json:access_token"} # or header:NAME, location:PARAM
//
// Each expectation is one fatal check: step.NAME.status, .header.H, .json.P,
// .match.P, .capture.C, plus .request and .body when the request could not be
// made or its body exceeds [Oracle.MaxBody]; its detail says what was expected
// and what came, and its spec field names the config key. The first step with
// a failing check ends the run; later steps are reported as skipped. JSON
// paths are dotted: "$", "$.a.b", "result.tools.0.name" (a segment of digits
// indexes an array). Numbers compare by value (1 equals 1.0). Captured values
// are secrets: they, and credentials internal/redact knows, never appear in details.
// Each step has its own timeout (step timeout, default 30s) within
// oracle.timeout. Nothing listening at the target is an error, not a verdict.
package httpsteps
