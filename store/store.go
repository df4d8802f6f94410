package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mailserver/mailserver/queue/srs"
	"github.com/mailserver/mailserver/store/authlimit"
)

// Errors returned by Store methods. Callers test them with errors.Is.
var (
	ErrLocked          = errors.New("store: database is locked by another process")
	ErrNotFound        = errors.New("store: not found")
	ErrExists          = errors.New("store: already exists")
	ErrNoSuchDomain    = errors.New("store: no such local domain")
	ErrDomainInUse     = errors.New("store: domain still has users or aliases")
	ErrInvalidAddress  = errors.New("store: invalid address")
	ErrInvalidName     = errors.New("store: invalid mailbox name")
	ErrAuthFailed      = errors.New("store: authentication failed")
	ErrThrottled       = errors.New("store: too many failed logins from this network, try again later")
	ErrAuthUnavailable = errors.New("store: authentication temporarily unavailable, try again later")
	ErrOverQuota       = errors.New("store: quota exceeded")
	ErrNoSuchMailbox   = errors.New("store: no such mailbox")
	ErrMailboxExists   = errors.New("store: mailbox already exists")
	ErrCannotDelete    = errors.New("store: mailbox cannot be deleted")
	ErrTooLarge        = errors.New("store: message too large")
	ErrClosed          = errors.New("store: closed")
	ErrNoSuchMessage   = errors.New("store: no such message")
	ErrUIDSpaceExhaust = errors.New("store: mailbox UID space exhausted")
	// ErrTooManyKeywords: the change would pass MaxMailboxKeywords.
	ErrTooManyKeywords = errors.New("store: too many keywords in the mailbox")
)

// Options configure Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for the file lock held by another
	// process before failing with ErrLocked. Default 1s.
	LockTimeout time.Duration
	Logger      *slog.Logger
	// DefaultQuota applies to users whose own quota is zero.
	DefaultQuota Quota
	// AuthDelays[n] is how long after a network's last failed login an
	// attempt from a network with n distinct recent failures waits before
	// it is checked; the last entry applies to every larger n. Default
	// authlimit.DefaultDelays(): 0, 2, 4, 8, 15 s (Dovecot's auth penalty).
	AuthDelays []time.Duration
	// AuthPenaltyTimeout: a network with no failure for this long starts
	// over. Default authlimit.DefaultPenaltyTimeout (1 h).
	AuthPenaltyTimeout time.Duration
	// AuthGuessLimit distinct failures from one network within
	// AuthGuessWindow (a score that drains at that rate) are a guessing
	// run: further attempts get ErrThrottled unchecked until the score has
	// drained below the limit. Defaults authlimit.DefaultGuessLimit (100)
	// and authlimit.DefaultGuessWindow (1 h).
	AuthGuessLimit  int
	AuthGuessWindow time.Duration
	// PasswordHashSlots bounds concurrent password hash computations
	// (argon2id: 19 MiB and ~55 ms of a core each). Default
	// runtime.NumCPU().
	PasswordHashSlots int
	// PasswordHashWait is how long a login waits for a slot before it
	// fails with ErrAuthUnavailable. Default DefaultPasswordHashWait (2 s).
	PasswordHashWait time.Duration
	// DefaultLoginDomain completes login names without "@domain" in
	// Authenticate ("alice" is alice@DefaultLoginDomain). Empty: none.
	DefaultLoginDomain string
	// AuthCacheTTL is how long a successful password check is remembered
	// (see verifiedCache). Default 1h; negative disables the cache.
	AuthCacheTTL time.Duration
	// Metrics, if set, records the group commit and failed logins
	// (metrics.go); nil records nothing.
	Metrics *Metrics
	// MaxBatch bounds the operations in one group commit. Default 512.
	MaxBatch int
	// Postmaster is the address that receives mail for postmaster@ and
	// abuse@ of every local domain (RFC 5321 §4.5.1, RFC 2142) and for the
	// bare "postmaster", unless a user or alias with that exact address
	// exists. It may be local or external. Empty: the first user created.
	Postmaster string
}

// Store is the mail store. It is safe for concurrent use.
type Store struct {
	db      *bolt.DB
	log     *slog.Logger
	opts    Options
	hub     *hub
	limiter *authlimit.Limiter
	// hashSlots bounds concurrent password hashing (one token per slot).
	hashSlots chan struct{}
	// sleep waits out a login delay (tests replace it).
	sleep    func(ctx context.Context, d time.Duration) error
	verified *verifiedCache
	ops      chan *op
	done     chan struct{}
	// bodies keeps unreferenced bodies while readers need them.
	bodies        *bodyKeeper
	collectorDone chan struct{}
	closing       chan struct{}
	closeMu       sync.RWMutex // held for reading while an op is handed over
	closed        bool
	dummyPwd      string         // hash verified for unknown users, so timing does not tell
	firstUser     firstUserCache // the default postmaster
	commits       atomic.Uint64  // write transactions committed (group commits)
	srs           *srs.Rewriter  // Sender Rewriting Scheme with the stored secret (srs.go)
	space         diskSpace      // commits refused for lack of space (nospace.go)
}

var (
	bucketMeta      = []byte("meta")
	bucketDomains   = []byte("domains")
	bucketUsers     = []byte("users")
	bucketAliases   = []byte("aliases")
	bucketAccounts  = []byte("accounts")
	bucketBodies    = []byte("bodies")
	bucketChunks    = []byte("chunks")
	bucketBodyCache = []byte("bodycache")
	bucketQueue     = []byte("queue")
	bucketQueueDue  = []byte("queuedue")
	bucketBodyGC    = []byte("bodygc")
	bucketDKIM      = []byte("dkim")

	topBuckets = [][]byte{bucketMeta, bucketDomains, bucketUsers, bucketAliases, bucketAccounts,
		bucketBodies, bucketChunks, bucketBodyCache, bucketQueue, bucketQueueDue, bucketBodyGC, bucketDKIM}
)

// schemaVersion 2 added the mailbox keyword set (keywords.go) and the
// \Recent bookkeeping (recent.go).
const schemaVersion = 2

// Open opens (creating if needed) the database at path.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PasswordHashSlots <= 0 {
		o.PasswordHashSlots = runtime.NumCPU()
	}
	if o.PasswordHashWait <= 0 {
		o.PasswordHashWait = DefaultPasswordHashWait
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.Postmaster != "" {
		l, d, err := CanonicalAddress(o.Postmaster)
		if err != nil {
			return nil, fmt.Errorf("store: postmaster: %w", err)
		}
		o.Postmaster = l + "@" + d
	}
	if o.AuthCacheTTL == 0 {
		o.AuthCacheTTL = time.Hour
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         o.LockTimeout,
		NoFreelistSync:  true, // rebuilt by a scan at open; saves a write per commit
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 64 << 20,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	collected := 0
	var rewriter *srs.Rewriter
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range topBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get([]byte("version")); v == nil {
			if err := meta.Put([]byte("version"), u32(schemaVersion)); err != nil {
				return err
			}
		} else if got := be32(v); got == 1 {
			if err := migrateToV2(tx); err != nil {
				return fmt.Errorf("migrate schema 1 to 2: %w", err)
			}
			if err := meta.Put([]byte("version"), u32(schemaVersion)); err != nil {
				return err
			}
		} else if got != schemaVersion {
			return fmt.Errorf("schema version %d, this program knows %d", got, schemaVersion)
		}
		// The SRS secret is made once, with the database (srs.go).
		var err error
		if rewriter, err = srsRewriterTx(meta); err != nil {
			return err
		}
		// Bodies left unreferenced by the last run (see bodyKeeper).
		collected, err = collectGarbageAtOpen(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	s := &Store{
		db:   db,
		srs:  rewriter,
		log:  o.Logger,
		opts: o,
		hub:  newHub(),
		limiter: authlimit.New(authlimit.Config{
			Delays:         o.AuthDelays,
			PenaltyTimeout: o.AuthPenaltyTimeout,
			GuessLimit:     o.AuthGuessLimit,
			GuessWindow:    o.AuthGuessWindow,
		}),
		hashSlots:     make(chan struct{}, o.PasswordHashSlots),
		sleep:         sleepCtx,
		verified:      newVerifiedCache(o.AuthCacheTTL, 10000),
		ops:           make(chan *op, 1024),
		done:          make(chan struct{}),
		bodies:        newBodyKeeper(),
		collectorDone: make(chan struct{}),
		closing:       make(chan struct{}),
	}
	s.dummyPwd, err = hashPassword("not a password of anyone")
	if err != nil {
		db.Close()
		return nil, err
	}
	if collected > 0 {
		s.log.Info("deleted bodies left unreferenced by the last run", "bodies", collected)
	}
	go s.commitLoop()
	go s.collectLoop()
	// Local domains without a DKIM key (added by an older version) get
	// a pair now, so everything that leaves can be signed (dkim.go).
	if err := s.ensureDKIM(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// Close waits for queued operations to commit and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.closing)
	<-s.done
	<-s.collectorDone
	return s.db.Close()
}

// Path is the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// view runs a read-only transaction. Callers copy what they keep.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}
