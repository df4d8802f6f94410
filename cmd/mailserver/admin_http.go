package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The admin protocol: HTTP over the unix socket DATA_DIR/admin.sock (mode
// 0600 inside the 0700 data directory, so only the server's user reaches
// it). Every operation is "POST /v1/<noun>/<verb>" with a JSON request body;
// success is 200 with the JSON result, failure a non-200 status with
// adminErrorBody, whose code maps back to the store's sentinel error so
// errors.Is works the same through the socket as directly.

// Paths of the admin endpoints, shared by adminEndpoints and adminClient.
const (
	pathDomainAdd  = "/v1/domain/add"
	pathDomainDel  = "/v1/domain/del"
	pathDomainList = "/v1/domain/list"
	pathUserAdd    = "/v1/user/add"
	pathUserDel    = "/v1/user/del"
	pathUserPasswd = "/v1/user/passwd"
	pathUserList   = "/v1/user/list"
	pathAliasAdd   = "/v1/alias/add"
	pathAliasDel   = "/v1/alias/del"
	pathAliasList  = "/v1/alias/list"
)

// Request bodies.
type (
	noArgs   struct{}
	nameArgs struct{ Name string }
	addrArgs struct{ Address string }
	userArgs struct {
		Address, Password string
		Quota             store.Quota
	}
	passwdArgs struct{ Address, Password string }
	aliasArgs  struct {
		Address string
		Targets []string
	}
)

// adminEndpoint is one operation of the admin socket.
type adminEndpoint struct {
	path string
	// serve decodes the request body, runs the operation and returns the
	// value to send back as JSON.
	serve func(ctx context.Context, a admin, body io.Reader) (any, error)
}

// endpoint builds an adminEndpoint from a typed function.
func endpoint[Req, Resp any](path string, fn func(ctx context.Context, a admin, req Req) (Resp, error)) adminEndpoint {
	return adminEndpoint{path: path, serve: func(ctx context.Context, a admin, body io.Reader) (any, error) {
		var req Req
		dec := json.NewDecoder(body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return nil, &badRequestError{err}
		}
		return fn(ctx, a, req)
	}}
}

// done adapts an operation that returns only an error.
func done(err error) (noArgs, error) { return noArgs{}, err }

// adminEndpoints lists every operation; the queue subcommands add theirs
// here.
func adminEndpoints() []adminEndpoint {
	return append([]adminEndpoint{
		endpoint(pathDomainAdd, func(ctx context.Context, a admin, r nameArgs) (noArgs, error) {
			return done(a.AddDomain(ctx, r.Name))
		}),
		endpoint(pathDomainDel, func(ctx context.Context, a admin, r nameArgs) (noArgs, error) {
			return done(a.DeleteDomain(ctx, r.Name))
		}),
		endpoint(pathDomainList, func(ctx context.Context, a admin, _ noArgs) ([]string, error) {
			return a.Domains(ctx)
		}),
		endpoint(pathUserAdd, func(ctx context.Context, a admin, r userArgs) (*store.User, error) {
			return a.AddUser(ctx, r.Address, r.Password, r.Quota)
		}),
		endpoint(pathUserDel, func(ctx context.Context, a admin, r addrArgs) (noArgs, error) {
			return done(a.DeleteUser(ctx, r.Address))
		}),
		endpoint(pathUserPasswd, func(ctx context.Context, a admin, r passwdArgs) (noArgs, error) {
			return done(a.SetPassword(ctx, r.Address, r.Password))
		}),
		endpoint(pathUserList, func(ctx context.Context, a admin, _ noArgs) ([]store.User, error) {
			return a.Users(ctx)
		}),
		endpoint(pathAliasAdd, func(ctx context.Context, a admin, r aliasArgs) (noArgs, error) {
			return done(a.AddAlias(ctx, r.Address, r.Targets))
		}),
		endpoint(pathAliasDel, func(ctx context.Context, a admin, r addrArgs) (noArgs, error) {
			return done(a.DeleteAlias(ctx, r.Address))
		}),
		endpoint(pathAliasList, func(ctx context.Context, a admin, _ noArgs) ([]store.Alias, error) {
			return a.Aliases(ctx)
		}),
	}, append(append(append(queueEndpoints(), dkimEndpoints()...), backupEndpoints()...), append(spamEndpoints(), userAdminEndpoints()...)...)...)
}

// adminErrorCodes maps wire codes to the errors they stand for.
func adminErrorCodes() []struct {
	code   string
	err    error
	status int
} {
	return []struct {
		code   string
		err    error
		status int
	}{
		{"not_found", store.ErrNotFound, http.StatusNotFound},
		{"exists", store.ErrExists, http.StatusConflict},
		{"no_such_domain", store.ErrNoSuchDomain, http.StatusNotFound},
		{"domain_in_use", store.ErrDomainInUse, http.StatusConflict},
		{"invalid_address", store.ErrInvalidAddress, http.StatusBadRequest},
		{"closed", store.ErrClosed, http.StatusServiceUnavailable},
		{"dkim_in_use", store.ErrDKIMInUse, http.StatusConflict},
	}
}

// adminErrorBody is the JSON body of a failed request.
type adminErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

type badRequestError struct{ err error }

func (e *badRequestError) Error() string { return "bad request: " + e.err.Error() }

// adminHandler serves the admin endpoints over a.
func adminHandler(a admin, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	for path, h := range importHandlers(a, log) { // import_cmd.go: streaming bodies
		mux.HandleFunc("POST "+path, h)
	}
	for _, ep := range adminEndpoints() {
		mux.HandleFunc("POST "+ep.path, func(w http.ResponseWriter, r *http.Request) {
			body := http.MaxBytesReader(w, r.Body, 1<<20)
			result, err := ep.serve(r.Context(), a, body)
			if err != nil {
				log.Info("admin request failed", "op", ep.path, "err", err)
				writeAdminError(w, err)
				return
			}
			log.Info("admin request", "op", ep.path)
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(result); err != nil {
				log.Warn("admin response", "op", ep.path, "err", err)
			}
		})
	}
	mux.Handle("POST "+pathBackupCreate, backupHandler(a, log)) // streaming (backup_cmd.go)
	return mux
}

func writeAdminError(w http.ResponseWriter, err error) {
	body := adminErrorBody{Error: err.Error()}
	status := http.StatusInternalServerError
	var br *badRequestError
	if errors.As(err, &br) {
		status = http.StatusBadRequest
	}
	for _, c := range adminErrorCodes() {
		if errors.Is(err, c.err) {
			body.Code, status = c.code, c.status
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// remoteError is an error reported by the server. It unwraps to the store
// error its code names, so callers test it with errors.Is as usual.
type remoteError struct {
	msg  string
	code string
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Unwrap() error {
	for _, c := range adminErrorCodes() {
		if c.code == e.code {
			return c.err
		}
	}
	return nil
}

// adminClient is the admin interface of a running server, reached
// through its socket.
type adminClient struct {
	hc *http.Client
}

func newAdminClient(socket string) *adminClient {
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns:    1,
		IdleConnTimeout: 10 * time.Second,
	}
	return &adminClient{hc: &http.Client{Transport: tr}}
}

// adminCall posts req to path and decodes the result.
func adminCall[Resp any](ctx context.Context, c *adminClient, path string, req any) (Resp, error) {
	var resp Resp
	body, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mailserver"+path, bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return resp, fmt.Errorf("admin socket: %w", err)
	}
	defer hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		var eb adminErrorBody
		if err := json.NewDecoder(hresp.Body).Decode(&eb); err != nil || eb.Error == "" {
			return resp, fmt.Errorf("admin socket: %s %s: %s", http.MethodPost, path, hresp.Status)
		}
		return resp, &remoteError{msg: eb.Error, code: eb.Code}
	}
	if err := json.NewDecoder(hresp.Body).Decode(&resp); err != nil {
		return resp, fmt.Errorf("admin socket: decode %s response: %w", path, err)
	}
	return resp, nil
}

func (c *adminClient) AddDomain(ctx context.Context, name string) error {
	_, err := adminCall[noArgs](ctx, c, pathDomainAdd, nameArgs{name})
	return err
}

func (c *adminClient) DeleteDomain(ctx context.Context, name string) error {
	_, err := adminCall[noArgs](ctx, c, pathDomainDel, nameArgs{name})
	return err
}

func (c *adminClient) Domains(ctx context.Context) ([]string, error) {
	return adminCall[[]string](ctx, c, pathDomainList, noArgs{})
}

func (c *adminClient) AddUser(ctx context.Context, address, password string, quota store.Quota) (*store.User, error) {
	return adminCall[*store.User](ctx, c, pathUserAdd, userArgs{address, password, quota})
}

func (c *adminClient) DeleteUser(ctx context.Context, address string) error {
	_, err := adminCall[noArgs](ctx, c, pathUserDel, addrArgs{address})
	return err
}

func (c *adminClient) SetPassword(ctx context.Context, address, password string) error {
	_, err := adminCall[noArgs](ctx, c, pathUserPasswd, passwdArgs{address, password})
	return err
}

func (c *adminClient) Users(ctx context.Context) ([]store.User, error) {
	return adminCall[[]store.User](ctx, c, pathUserList, noArgs{})
}

func (c *adminClient) AddAlias(ctx context.Context, address string, targets []string) error {
	_, err := adminCall[noArgs](ctx, c, pathAliasAdd, aliasArgs{address, targets})
	return err
}

func (c *adminClient) DeleteAlias(ctx context.Context, address string) error {
	_, err := adminCall[noArgs](ctx, c, pathAliasDel, addrArgs{address})
	return err
}

func (c *adminClient) Aliases(ctx context.Context) ([]store.Alias, error) {
	return adminCall[[]store.Alias](ctx, c, pathAliasList, noArgs{})
}

func (c *adminClient) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// adminServer serves the admin socket until Shutdown.
type adminServer struct {
	srv  *http.Server
	ln   net.Listener
	path string
	// stop ends the context of every request, at Shutdown: a long one
	// (an online backup or verify) stops rather than hold the store,
	// which closes next, past the shutdown deadline.
	stop context.CancelFunc
}

// listenAdmin creates the admin socket at path, replacing a stale file
// left by a crash: the caller holds the database lock, so no other server
// can be using it.
func listenAdmin(path string, h http.Handler, log *slog.Logger) (*adminServer, error) {
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	// The data directory is 0700 already; this guards a data_dir someone
	// made wider.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	return &adminServer{srv: srv, ln: ln, path: path, stop: stop}, nil
}

// Serve blocks until Shutdown.
func (a *adminServer) Serve() error {
	if err := a.srv.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown ends the requests in flight, waits for them, and removes the
// socket file.
func (a *adminServer) Shutdown(ctx context.Context) error {
	a.stop()
	err := a.srv.Shutdown(ctx)
	a.ln.Close() // in case Serve never ran; unlinks the socket
	if rerr := os.Remove(a.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}
