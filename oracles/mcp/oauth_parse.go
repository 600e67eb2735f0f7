package mcp

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/lockbisect/lockbisect/internal/redact"
)

// parseBearerChallenge finds the Bearer challenge in a WWW-Authenticate
// value (RFC 9110 §11.6.1) and returns its auth-params with lowercase names.
// Several challenges may share one header; params of other schemes are
// skipped.
func parseBearerChallenge(h string) (map[string]string, bool) {
	params := map[string]string{}
	inBearer, found := false, false
	s := h
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return params, found
		}
		tok := s[:tokenLen(s)]
		if tok == "" {
			return params, found // not a token: malformed; keep what was read
		}
		rest := strings.TrimLeft(s[len(tok):], " \t")
		if strings.HasPrefix(rest, "=") && !strings.HasPrefix(strings.TrimLeft(rest[1:], "="), ",") {
			val, after := rest[1:], ""
			val = strings.TrimLeft(val, " \t")
			if strings.HasPrefix(val, `"`) {
				val, after = unquote(val)
			} else {
				n := tokenLen(val)
				for n < len(val) && val[n] == '=' {
					n++ // token68 padding
				}
				val, after = val[:n], val[n:]
			}
			if inBearer {
				params[strings.ToLower(tok)] = val
			}
			s = after
			continue
		}
		// A new challenge: scheme, optionally followed by params or token68.
		inBearer = strings.EqualFold(tok, "bearer")
		found = found || inBearer
		s = s[len(tok):]
	}
}

func tokenLen(s string) int {
	n := 0
	for n < len(s) && redact.TokenChar(s[n]) {
		n++
	}
	return n
}

// unquote reads an RFC 9110 quoted-string at the start of s and returns its
// value and the rest.
func unquote(s string) (string, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// consentForm is the form a consent page asks the user to submit.
type consentForm struct {
	action *url.URL
	method string
	values url.Values
}

// parseConsentForm reads the first form of an HTML page, preferring one
// submitted with POST, and collects what a browser would submit: hidden and
// text inputs, checked boxes, selected options, textareas and the first
// named submit button. base resolves the action.
func parseConsentForm(page []byte, base *url.URL) (*consentForm, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, err
	}
	var forms []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Form {
			forms = append(forms, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(forms) == 0 {
		return nil, errors.New("no <form> on the page")
	}
	form := forms[0]
	for _, f := range forms {
		if strings.EqualFold(attr(f, "method"), "post") {
			form = f
			break
		}
	}
	action, err := base.Parse(attr(form, "action"))
	if err != nil {
		return nil, errors.New("the form's action is not a URL")
	}
	cf := &consentForm{action: action, method: http.MethodGet, values: url.Values{}}
	if strings.EqualFold(attr(form, "method"), "post") {
		cf.method = http.MethodPost
	}
	submitted := false
	var collect func(*html.Node)
	collect = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := attr(n, "name")
			switch n.DataAtom {
			case atom.Input:
				typ := strings.ToLower(attr(n, "type"))
				switch {
				case name == "" || hasAttr(n, "disabled"):
				case typ == "checkbox" || typ == "radio":
					if hasAttr(n, "checked") {
						v, ok := attrOK(n, "value")
						if !ok {
							v = "on"
						}
						cf.values.Add(name, v)
					}
				case typ == "submit" || typ == "image":
					if !submitted {
						cf.values.Add(name, attr(n, "value"))
						submitted = true
					}
				case typ == "button" || typ == "reset" || typ == "file":
				default:
					cf.values.Add(name, attr(n, "value"))
				}
			case atom.Button:
				typ := strings.ToLower(attr(n, "type"))
				if name != "" && !submitted && (typ == "" || typ == "submit") {
					cf.values.Add(name, attr(n, "value"))
					submitted = true
				}
			case atom.Textarea:
				if name != "" {
					cf.values.Add(name, textOf(n))
				}
			case atom.Select:
				if name != "" {
					if v, ok := selected(n); ok {
						cf.values.Add(name, v)
					}
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			collect(c)
		}
	}
	collect(form)
	return cf, nil
}

// selected returns the value of a select's selected option, or its first.
func selected(sel *html.Node) (string, bool) {
	var first, chosen *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Option {
			if first == nil {
				first = n
			}
			if chosen == nil && hasAttr(n, "selected") {
				chosen = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(sel)
	if chosen == nil {
		chosen = first
	}
	if chosen == nil {
		return "", false
	}
	if v, ok := attrOK(chosen, "value"); ok {
		return v, true
	}
	return strings.TrimSpace(textOf(chosen)), true
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := attrOK(n, key)
	return ok
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
