// Package rspamd is a client of rspamd's HTTP protocol: the normal
// worker's /checkv2 (scan a message) and the controller's /learnspam,
// /learnham and /stat (https://rspamd.com/doc/developers/protocol.html).
package rspamd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one scan or learn request.
const DefaultTimeout = 15 * time.Second

// Actions rspamd returns (the "action" of /checkv2).
const (
	ActionReject      = "reject"
	ActionSoftReject  = "soft reject"
	ActionGreylist    = "greylist"
	ActionAddHeader   = "add header"
	ActionRewriteSubj = "rewrite subject"
	ActionNoAction    = "no action"
)

// Client talks to one rspamd. ScanURL is the normal worker (port 11333
// by default), ControllerURL the controller (11334), which learning
// needs; Password is the controller's password (sent in the Password
// header; rspamd requires it unless the client is in its secure_ip).
type Client struct {
	ScanURL       string
	ControllerURL string
	Password      string
	Timeout       time.Duration
	HTTP          *http.Client
}

// Meta is the envelope and connection facts sent with a scan, as the
// request headers of rspamd's protocol.
type Meta struct {
	IP       string   // client IP
	Helo     string   // HELO/EHLO name
	Hostname string   // client's reverse DNS name, if known
	From     string   // MAIL FROM ("" for the null sender)
	Rcpts    []string // every RCPT TO
	User     string   // authenticated user
	QueueID  string
	TLS      string // cipher suite, if the session was encrypted
	TLSVer   string // TLS version
	MTAName  string // our host name
}

// Result is rspamd's verdict.
type Result struct {
	Action        string                `json:"action"`
	Score         float64               `json:"score"`
	RequiredScore float64               `json:"required_score"`
	IsSkipped     bool                  `json:"is_skipped"`
	Symbols       map[string]SymbolInfo `json:"symbols"`
	Messages      map[string]string     `json:"messages"`
	Subject       string                `json:"subject"` // for "rewrite subject"
	MessageID     string                `json:"message-id"`
}

// SymbolInfo is one symbol of a Result.
type SymbolInfo struct {
	Name    string   `json:"name"`
	Score   float64  `json:"score"`
	Options []string `json:"options"`
}

// SMTPMessage is the text rspamd wants the client to see, if any.
func (r *Result) SMTPMessage() string {
	return r.Messages["smtp_message"]
}

// Check scans msg (size octets). The request is bounded by c.Timeout.
func (c *Client) Check(ctx context.Context, msg io.Reader, size int64, m *Meta) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, join(c.ScanURL, "/checkv2"), msg)
	if err != nil {
		return nil, fmt.Errorf("rspamd: %w", err)
	}
	req.ContentLength = size
	h := req.Header
	set := func(k, v string) {
		if v != "" && !strings.ContainsAny(v, "\r\n") {
			h.Set(k, v)
		}
	}
	set("IP", m.IP)
	set("Helo", m.Helo)
	set("Hostname", m.Hostname)
	if m.From != "" {
		set("From", m.From)
	} else {
		h.Set("From", "<>")
	}
	for _, r := range m.Rcpts {
		if !strings.ContainsAny(r, "\r\n") {
			h.Add("Rcpt", r)
		}
	}
	set("User", m.User)
	set("Queue-Id", m.QueueID)
	set("TLS-Cipher", m.TLS)
	set("TLS-Version", m.TLSVer)
	set("MTA-Name", m.MTAName)
	var res Result
	if err := c.do(req, &res); err != nil {
		return nil, err
	}
	if res.Action == "" {
		return nil, errors.New("rspamd: /checkv2: no action in the reply")
	}
	return &res, nil
}

// ErrAlreadyLearned: rspamd had learned this message as this class
// already (HTTP 208).
var ErrAlreadyLearned = errors.New("rspamd: already learned")

// Learn teaches rspamd's controller msg as spam or ham.
func (c *Client) Learn(ctx context.Context, spam bool, msg []byte) error {
	path := "/learnham"
	if spam {
		path = "/learnspam"
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, join(c.ControllerURL, path), bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("rspamd: %w", err)
	}
	var res struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}
	err = c.do(req, &res)
	if err != nil {
		return err
	}
	if !res.Success {
		return fmt.Errorf("rspamd: %s: not learned: %s", path, res.Error)
	}
	return nil
}

// Stat is the part of the controller's /stat the tests and operators
// read.
type Stat struct {
	Scanned  int64 `json:"scanned"`
	Learned  int64 `json:"learned"`
	Statfile []struct {
		Symbol   string `json:"symbol"`
		Revision int64  `json:"revision"`
	} `json:"statfiles"`
}

// Revision is the learn count of the statfile of symbol (BAYES_SPAM,
// BAYES_HAM).
func (s *Stat) Revision(symbol string) int64 {
	for _, f := range s.Statfile {
		if f.Symbol == symbol {
			return f.Revision
		}
	}
	return 0
}

// Stat reads the controller's statistics.
func (c *Client) Stat(ctx context.Context) (*Stat, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, join(c.ControllerURL, "/stat"), nil)
	if err != nil {
		return nil, fmt.Errorf("rspamd: %w", err)
	}
	var s Stat
	if err := c.do(req, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// maxReply bounds what is read of a reply (a verdict is a few KiB).
const maxReply = 4 << 20

func (c *Client) do(req *http.Request, out any) error {
	if c.Password != "" {
		req.Header.Set("Password", c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("rspamd: %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return fmt.Errorf("rspamd: %s: reading the reply: %w", req.URL.Path, err)
	}
	switch {
	case resp.StatusCode == http.StatusAlreadyReported:
		return ErrAlreadyLearned
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("rspamd: %s: %s: %s", req.URL.Path, resp.Status, firstLine(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("rspamd: %s: bad reply: %w", req.URL.Path, err)
	}
	return nil
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func join(base, path string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(base, "/") + path
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String()
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.TrimSpace(string(b))
}
