package sieve

import (
	"context"
	"time"
)

// Script is a parsed and checked Sieve script, safe for concurrent Runs.
type Script struct {
	cmds     []command
	requires []string
	lim      Limits
}

// Input is everything a run may look at; the package does no I/O.
type Input struct {
	EnvelopeFrom string    // "" = null reverse path
	EnvelopeTo   string    // the recipient as given in RCPT TO
	Message      []byte    // the whole message, header and body (CRLF); parsed lazily
	Now          time.Time // for currentdate and vacation; zero = time.Now()
	Flags        []string  // initial internal flags variable (imap4flags), normally nil
}

// extensions is the list Extensions returns (RFC 5228 §3.2 capability names).
var extensions = []string{
	"fileinto", "copy", "mailbox", "reject", "ereject", "vacation", "vacation-seconds",
	"imap4flags", "variables", "envelope", "encoded-character", "subaddress", "body",
	"relational", "comparator-i;ascii-numeric", "date", "regex",
	"comparator-i;octet", "comparator-i;ascii-casemap",
}

// Extensions lists every capability the package implements, for
// ManageSieve's SIEVE capability and require checking.
func Extensions() []string { return append([]string(nil), extensions...) }

// Parse parses and checks a script. Errors are *Error with a position.
func Parse(src []byte, lim Limits) (*Script, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxScriptBytes {
		return nil, &Error{Line: 1, Column: 1, Msg: "script larger than " + itoa(lim.MaxScriptBytes) + " bytes"}
	}
	nodes, err := parse(src, lim.MaxNesting)
	if err != nil {
		return nil, err
	}
	c := &checker{lim: lim, requires: map[string]bool{}, vars: map[string]bool{}}
	cmds, err := c.commands(nodes, true)
	if err != nil {
		return nil, err
	}
	return &Script{cmds: cmds, requires: c.reqList, lim: lim}, nil
}

// Requires returns the capabilities the script require's.
func (s *Script) Requires() []string { return append([]string(nil), s.requires...) }

// Run executes the script on a message. A non-nil error is a runtime error
// (RFC 5228 §2.10.6): the returned Result then says implicit keep only, and
// the caller keeps the message and logs the error.
func (s *Script) Run(ctx context.Context, in *Input) (*Result, error) {
	r := newRun(ctx, s, in)
	err := r.execBlock(s.cmds)
	if err == errStop {
		err = nil
	}
	if err != nil {
		return &Result{ImplicitKeep: true, KeepFlags: append([]string(nil), in.Flags...),
			envelopeFrom: in.EnvelopeFrom, failed: true}, err
	}
	return r.finish(), nil
}
