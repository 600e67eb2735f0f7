package oracles

import (
	"context"
	"time"
)

// DefaultTimeout bounds a whole check when oracle.timeout is unset, for
// every kind.
const DefaultTimeout = 60 * time.Second

// Severity of a check: a failing fatal check makes the verdict fail.
type Severity string

// Status of a check.
type Status string

// Severities and statuses.
const (
	Fatal   Severity = "fatal"
	Warning Severity = "warning"

	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one thing the oracle verified.
type Check struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Detail   string   `json:"detail"`
	Spec     string   `json:"spec"`
	// Profile and Client name the client profile whose rule this is
	// ("gemini", "Gemini"); empty for the checks every profile makes.
	Profile string `json:"profile,omitempty"`
	Client  string `json:"client,omitempty"`
}

// Result is the outcome of one oracle run. Its JSON is the contract of
// `bisect oracle --json`.
type Result struct {
	Verdict    Status  `json:"verdict"` // Pass | Fail
	Checks     []Check `json:"checks"`
	Untestable bool    `json:"untestable,omitempty"` // exec exit 125: the candidate cannot be judged
	Output     string  `json:"output,omitempty"`     // exec: tail of the command's output (redacted)
}

// Passed reports whether no fatal check failed.
func (v *Result) Passed() bool { return v.Failed() == nil }

// Failed returns the first failing fatal check, or nil.
func (v *Result) Failed() *Check {
	for i := range v.Checks {
		if v.Checks[i].Severity == Fatal && v.Checks[i].Status == Fail {
			return &v.Checks[i]
		}
	}
	return nil
}

// Target is the running candidate an oracle judges.
type Target struct {
	BaseURL string   // http://127.0.0.1:PORT; "" when nothing is served
	Host    string   // 127.0.0.1
	Port    int      // 0 when nothing is served
	Dir     string   // the candidate's work directory (exec runs there); may be ""
	Env     []string // extra environment for exec (the runner's env)
}

// Oracle judges a target. An error means the oracle could not run at all
// (an infrastructure problem); a verdict is returned otherwise.
type Oracle interface {
	Check(ctx context.Context, t Target) (*Result, error)
}
