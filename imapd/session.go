package imapd

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/mailserver/mailserver/store"
)

// Store is what imapd needs from the mail store (*store.Store).
type Store interface {
	Authenticate(ctx context.Context, l store.Login) (*store.User, error)
	Watch(userID uint64, fn func(store.Event)) (cancel func())

	Mailboxes(ctx context.Context, userID uint64) ([]store.Mailbox, error)
	MailboxByName(ctx context.Context, userID uint64, name string) (*store.Mailbox, error)
	MailboxByID(ctx context.Context, userID, mailboxID uint64) (*store.Mailbox, error)
	Subscriptions(ctx context.Context, userID uint64) ([]string, error)
	CreateMailbox(ctx context.Context, userID uint64, name, specialUse string) (*store.Mailbox, error)
	DeleteMailbox(ctx context.Context, userID uint64, name string, recursive bool) error
	RenameMailbox(ctx context.Context, userID uint64, oldName, newName string) error
	Subscribe(ctx context.Context, userID uint64, name string) error
	Unsubscribe(ctx context.Context, userID uint64, name string) error

	UIDs(ctx context.Context, userID, mailboxID uint64) ([]uint32, error)
	ListMessages(ctx context.Context, userID, mailboxID uint64, lo, hi uint32) ([]store.Message, error)
	GetMessages(ctx context.Context, userID, mailboxID uint64, uids []uint32) ([]store.Message, error)
	Append(ctx context.Context, userID uint64, mailbox string, body *store.Body, opts store.AppendOptions) (*store.AppendResult, error)
	StoreFlags(ctx context.Context, userID, mailboxID uint64, uids []uint32, op store.FlagOp, flags []string, opts store.StoreFlagsOptions) (*store.StoreFlagsResult, error)
	Expunge(ctx context.Context, userID, mailboxID uint64, opts store.ExpungeOptions) ([]uint32, error)
	ClaimRecent(ctx context.Context, userID, mailboxID uint64, upto uint32, claim bool) (first uint32, err error)
	Copy(ctx context.Context, userID, srcID uint64, uids []uint32, dest string) (*store.CopyResult, error)
	Move(ctx context.Context, userID, srcID uint64, uids []uint32, dest string) (*store.CopyResult, error)

	// HoldBodies keeps every body referenced while the hold is open
	// readable until release, however its messages are expunged meanwhile
	// (store/bodykeeper.go).
	HoldBodies() (release func())
	OpenBody(bodyID uint64) (*store.BodyReader, error)
	ReadBodyBytes(bodyID uint64) ([]byte, error)
	AppendBody(dst []byte, bodyID uint64) ([]byte, error)
	BodyCache(bodyID uint64) ([]byte, error)
	SetBodyCache(ctx context.Context, bodyID uint64, data []byte) error
}

var _ Store = (*store.Store)(nil)

// session is one IMAP connection.
type session struct {
	srv    *Server
	conn   *imapserver.Conn
	remote netip.Addr
	ctx    context.Context // tagged with store.WithOrigin(…, session)
	cancel context.CancelFunc

	// binaryItems counts the BINARY items written (binorigin.go).
	binaryItems uint64

	// Set by Login.
	user  *store.User
	watch *userWatch

	// Set by SELECT/EXAMINE. selMu guards sel against the one other
	// goroutine that reads it: go-imap runs Idle in its own goroutine and,
	// when the connection breaks during IDLE, calls Close without waiting
	// for Idle to return.
	selMu    sync.Mutex
	sel      *view
	readOnly bool
	saved    []uint32 // SEARCH RETURN (SAVE) result, as UIDs (RFC 5182)
}

var (
	_ imapserver.Session            = (*session)(nil)
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*session)(nil)
)

func newSession(srv *Server, c *imapserver.Conn) *session {
	s := &session{srv: srv, conn: c, remote: remoteIP(c.NetConn())}
	if g := guardOf(c.NetConn()); g != nil {
		g.setAppendLimit(srv.opts.MaxMessageBytes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx, s.cancel = store.WithOrigin(ctx, s), cancel
	return s
}

// Close implements imapserver.Session: the connection has ended.
func (s *session) Close() error {
	s.unselect()
	if s.user != nil {
		s.srv.reg.release(s.user.ID, s.watch)
		s.srv.releaseUser(s.user.ID)
		s.user, s.watch = nil, nil
	}
	s.cancel()
	s.srv.removeSession(s)
	return nil
}

// Login implements imapserver.Session (LOGIN, and AUTHENTICATE PLAIN
// through the library).
func (s *session) Login(username, password string) error {
	if s.user != nil {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Already logged in"}
	}
	// The library refuses before calling Login, unless the connection came
	// through the plaintext-allowed path; check again all the same.
	if !isTLS(s.conn.NetConn()) && !(s.srv.opts.AllowPlaintextOnLoopback && s.remote.IsLoopback()) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodePrivacyRequired, Text: "TLS is required to log in"}
	}
	// The store logs every failure in its one documented line.
	u, err := s.srv.opts.Store.Authenticate(s.ctx, store.Login{Protocol: "imap", Remote: s.remote, Username: username, Password: password})
	switch {
	case errors.Is(err, store.ErrThrottled):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Too many failed logins from your network, try again later"}
	case errors.Is(err, store.ErrAuthUnavailable):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Authentication temporarily unavailable, try again later"}
	case errors.Is(err, store.ErrAuthFailed):
		return imapserver.ErrAuthFailed
	case err != nil:
		return s.fail("login", err)
	}
	if !s.srv.claimUser(u.ID) {
		s.srv.log.Warn("imap login refused: too many connections for user", "user", u.Address, "remote", s.remote)
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Too many connections for this user"}
	}
	s.user = u
	s.watch = s.srv.reg.acquire(u.ID)
	if g := guardOf(s.conn.NetConn()); g != nil {
		g.setLoggedIn()
	}
	s.srv.log.Info("imap login", "user", u.Address, "remote", s.remote)
	return nil
}

// Namespace implements imapserver.SessionNamespace: one personal namespace
// with no prefix (RFC 2342); no other users' or shared folders exist.
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: store.Delimiter}}}, nil
}

// AppendLimit implements imapserver.SessionAppendLimit (RFC 7889).
func (s *session) AppendLimit() uint32 { return uint32(s.srv.opts.MaxMessageBytes) }

// Poll implements imapserver.Session.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	return s.sel.poll(w, allowExpunge, s)
}

// Idle implements imapserver.Session (RFC 2177).
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	defer s.srv.opts.Metrics.idling()() // metrics.go
	s.selMu.Lock()
	v := s.sel
	s.selMu.Unlock()
	if v == nil {
		<-stop
		return nil
	}
	return v.idle(w, stop, s)
}

// Errors sent to clients. Their text is fixed: internal error text never
// reaches the wire.
var (
	errNonExistent = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}
	errTryCreate   = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}
	errExists      = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists, Text: "Mailbox already exists"}
	errBadName     = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Invalid mailbox name"}
	errOverQuota   = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"}
	errTooBig      = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Message too large"}
	errReadOnly    = &imap.Error{Type: imap.StatusResponseTypeNo, Code: "READ-ONLY", Text: "Mailbox is read-only (EXAMINE)"}
	errInternal    = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeServerBug, Text: "Internal error, try again later"}
	errSystemFull  = &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Mail system full: the server is out of disk space, nothing was stored; try again later"}
	// RFC 2180 §4.1.2, RFC 5530: some of the messages a FETCH named were
	// expunged by another session before their records could be read
	// (Dovecot answers the same); the others were served.
	errExpungeIssued = &imap.Error{Type: imap.StatusResponseTypeNo, Code: "EXPUNGEISSUED", Text: "Some of the requested messages no longer exist"}
	errClosing       = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Server shutting down"}
	// A literal shorter than its announced size (the connection ended
	// inside it): a client mistake, never [SERVERBUG].
	errLiteralShort = &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug, Text: "Literal ended early"}
)

// fail turns an error from the store into the reply for op: the one place
// where store errors become IMAP responses. missing is the reply for
// ErrNoSuchMailbox (NONEXISTENT, or TRYCREATE for a COPY/APPEND target).
func (s *session) failMailbox(op string, err error, missing *imap.Error) error {
	var ie *imap.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return err
	case errors.Is(err, store.ErrNoSuchMailbox):
		return missing
	case errors.Is(err, store.ErrInvalidName):
		return missing
	case errors.Is(err, store.ErrMailboxExists):
		return errExists
	case errors.Is(err, store.ErrOverQuota):
		return errOverQuota
	case errors.Is(err, store.ErrNoSpace):
		// Not the user's quota, and not a bug: plain NO, retry later.
		return errSystemFull
	case errors.Is(err, store.ErrTooLarge):
		return errTooBig
	case errors.Is(err, store.ErrCannotDelete):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "This mailbox cannot be deleted"}
	case errors.Is(err, store.ErrTooManyKeywords):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit, Text: "Too many keywords in this mailbox"}
	case errors.Is(err, store.ErrUIDSpaceExhaust):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit, Text: "Mailbox is full"}
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.Canceled):
		return errClosing
	case isDisconnect(err):
		// The client went away in the middle of the command (a literal it
		// did not finish): its doing, so info, and nobody reads the reply.
		s.srv.log.Info("imap client disconnected", "op", op, "remote", s.remote, "err", err)
		return errLiteralShort
	}
	attrs := []any{"op", op, "remote", s.remote, "err", err}
	if s.user != nil {
		attrs = append(attrs, "user", s.user.Address)
	}
	s.srv.log.Error("imap command failed", attrs...)
	return errInternal
}

func (s *session) fail(op string, err error) error { return s.failMailbox(op, err, errNonExistent) }
