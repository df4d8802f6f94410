package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Verify checks the database: bbolt's own consistency check (every page
// reachable once, keys in order) and the invariants of this package's
// layout (doc.go):
//
//   - every user has an account bucket in a local domain, every account a user;
//   - mailbox names and records agree, each mailbox has its message bucket,
//     UIDVALIDITY values are distinct and none is above the last one issued;
//   - UIDs are ascending, non-zero and below the mailbox's UIDNEXT; no modseq
//     is above HIGHESTMODSEQ; every keyword is in the mailbox's keyword set;
//   - a mailbox's counters (messages, unseen, deleted, size, recent) and an
//     account's usage equal what its messages add up to;
//   - each message's and queue entry's body exists and has the size they
//     record, and a body's reference count equals the messages and queue
//     entries using it (0 only while it is listed in bodygc);
//   - every body has all its chunks, of the lengths its record implies, and
//     no chunk, cache entry or bodygc entry belongs to no body;
//   - Sieve scripts have valid names and records, and the active one exists;
//   - every queue entry has a pending recipient and exactly its one entry in
//     the due index, and the due index has nothing else.
//
// It reports each problem found; an error is returned only when the
// check itself could not run. bbolt's own check reads the free list that
// every commit changes, with no lock of its own (a race, and a fatal
// concurrent map access in a running server), so it runs holding the
// writer lock: commits wait for it, about a second on a 2 GB file. The
// project's invariants are then read in one read transaction, while
// writers carry on.
func (s *Store) Verify(ctx context.Context) (*VerifyReport, error) {
	start := time.Now()
	var structure []error
	err := s.db.Update(func(tx *bolt.Tx) error {
		structure = checkStructure(tx)
		return errRollback // nothing to write
	})
	if !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("store: verify: %w", err)
	}
	var rep *VerifyReport
	err = s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		rep, err = verifyTx(ctx, tx, structure, start)
		return err
	})
	return rep, err
}

// errRollback ends a transaction that only reads under the writer lock.
var errRollback = errors.New("store: rolled back")

// checkStructure runs bbolt's page-level consistency check.
func checkStructure(tx *bolt.Tx) []error {
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	return errs
}

// VerifyFile verifies the database file at path, opened read-only (it
// fails with ErrLocked while a server has it open: verify through it).
func VerifyFile(ctx context.Context, path string) (*VerifyReport, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var rep *VerifyReport
	start := time.Now()
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		rep, err = verifyTx(ctx, tx, checkStructure(tx), start) // nobody writes
		return err
	})
	return rep, err
}

// maxReportedProblems bounds VerifyReport.Problems; ProblemCount counts all.
const maxReportedProblems = 1000

// VerifyReport is what Verify found.
type VerifyReport struct {
	Problems     []string      `json:"problems"` // the first maxReportedProblems
	ProblemCount int           `json:"problem_count"`
	FileSize     int64         `json:"file_size"` // of the checked transaction
	Users        int           `json:"users"`
	Mailboxes    int           `json:"mailboxes"`
	Messages     int           `json:"messages"`
	Bodies       int           `json:"bodies"`
	Chunks       int           `json:"chunks"`
	Queued       int           `json:"queued"`
	Duration     time.Duration `json:"duration"`
}

// OK reports whether no problem was found.
func (r *VerifyReport) OK() bool { return r.ProblemCount == 0 }

type verifier struct {
	ctx  context.Context
	tx   *bolt.Tx
	rep  *VerifyReport
	refs map[uint64]uint32 // body ID → messages and queue entries using it
	// uidValidity → the mailbox that has it, to find duplicates.
	uidValidity map[uint32]string
	lastUV      uint32
}

func (v *verifier) problem(format string, args ...any) {
	v.rep.ProblemCount++
	if len(v.rep.Problems) < maxReportedProblems {
		v.rep.Problems = append(v.rep.Problems, fmt.Sprintf(format, args...))
	}
}

// verifyTx checks the invariants in tx, after bbolt's check found
// structure (checkStructure), started at start.
func verifyTx(ctx context.Context, tx *bolt.Tx, structure []error, start time.Time) (rep *VerifyReport, err error) {
	v := &verifier{ctx: ctx, tx: tx, rep: &VerifyReport{FileSize: tx.Size()},
		refs: make(map[uint64]uint32), uidValidity: make(map[uint32]string)}
	defer func() { v.rep.Duration = time.Since(start) }()
	for _, err := range structure {
		v.problem("bbolt: %v", err)
	}
	if !v.rep.OK() {
		// The page structure itself is damaged: reading records through
		// it could go anywhere, so stop at what bbolt found.
		return v.rep, nil
	}
	// bbolt panics on some damage Check does not see (a value pointing
	// past its page); report it as a problem, not a crash of the check.
	defer func() {
		if r := recover(); r != nil {
			v.problem("database structure is damaged: %v", r)
			rep, err = v.rep, nil
		}
	}()
	missing := false
	for _, name := range topBuckets {
		if tx.Bucket(name) == nil {
			v.problem("bucket %q is missing", name)
			missing = true
		}
	}
	if missing {
		return v.rep, nil
	}
	meta := tx.Bucket(bucketMeta)
	if ver := meta.Get([]byte("version")); len(ver) != 4 || be32(ver) != schemaVersion {
		v.problem("meta: schema version %x, want %d", ver, schemaVersion)
	}
	if uv := meta.Get([]byte("uidvalidity")); len(uv) == 4 {
		v.lastUV = be32(uv)
	} else if uv != nil {
		v.problem("meta: uidvalidity has %d bytes", len(uv))
	}
	steps := []func() error{v.users, v.accounts, v.aliases, v.queue, v.bodies, v.bodySideBuckets}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return v.rep, nil
}

// users checks the users bucket against domains and accounts.
func (v *verifier) users() error {
	users := v.tx.Bucket(bucketUsers)
	domains := v.tx.Bucket(bucketDomains)
	accounts := v.tx.Bucket(bucketAccounts)
	seq := users.Sequence()
	ids := map[uint64]string{}
	return users.ForEach(func(k, val []byte) error {
		v.rep.Users++
		var r userRecord
		if err := json.Unmarshal(val, &r); err != nil {
			v.problem("user %q: undecodable record: %v", k, err)
			return nil
		}
		if r.Address != string(k) {
			v.problem("user %q: record says address %q", k, r.Address)
		}
		if r.ID == 0 || r.ID > seq {
			v.problem("user %q: ID %d outside 1..%d (the bucket's sequence)", k, r.ID, seq)
		}
		if other, dup := ids[r.ID]; dup {
			v.problem("users %q and %q share ID %d", other, k, r.ID)
		}
		ids[r.ID] = string(k)
		if at := strings.LastIndexByte(r.Address, '@'); at < 0 || domains.Get([]byte(r.Address[at+1:])) == nil {
			v.problem("user %q: domain is not a local domain", k)
		}
		if accounts.Bucket(u64(r.ID)) == nil {
			v.problem("user %q: account bucket %d is missing", k, r.ID)
		}
		return nil
	})
}

// accounts checks every account bucket: mailboxes, messages, usage.
func (v *verifier) accounts() error {
	userIDs := map[uint64]bool{}
	v.tx.Bucket(bucketUsers).ForEach(func(_, val []byte) error {
		var r userRecord
		if json.Unmarshal(val, &r) == nil {
			userIDs[r.ID] = true
		}
		return nil
	})
	accounts := v.tx.Bucket(bucketAccounts)
	c := accounts.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		if val != nil || len(k) != 8 {
			v.problem("accounts: stray key %x", k)
			continue
		}
		id := be64(k)
		if !userIDs[id] {
			v.problem("account %d: no user has this ID", id)
		}
		if err := v.account(id, accounts.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) account(userID uint64, acct *bolt.Bucket) error {
	where := fmt.Sprintf("account %d", userID)
	names, mboxes := acct.Bucket([]byte("mboxnames")), acct.Bucket([]byte("mboxes"))
	if names == nil || mboxes == nil {
		v.problem("%s: mboxnames or mboxes bucket is missing", where)
		return nil
	}
	var total Usage
	seq := mboxes.Sequence()
	recs := map[uint64]*mailboxRecord{}
	err := mboxes.ForEach(func(k, val []byte) error {
		var r mailboxRecord
		if len(k) != 8 || json.Unmarshal(val, &r) != nil {
			v.problem("%s: undecodable mailbox record %x", where, k)
			return nil
		}
		v.rep.Mailboxes++
		mw := fmt.Sprintf("%s mailbox %d %q", where, r.ID, r.Name)
		if r.ID != be64(k) {
			v.problem("%s: stored under ID %d", mw, be64(k))
		}
		if r.ID == 0 || r.ID > seq {
			v.problem("%s: ID outside 1..%d (the bucket's sequence)", mw, seq)
		}
		recs[r.ID] = &r
		if got := names.Get([]byte(r.Name)); len(got) != 8 || be64(got) != r.ID {
			v.problem("%s: mboxnames does not map its name to it", mw)
		}
		if r.UIDValidity == 0 || r.UIDValidity > v.lastUV {
			v.problem("%s: UIDVALIDITY %d is not one issued (last issued %d)", mw, r.UIDValidity, v.lastUV)
		}
		if other, dup := v.uidValidity[r.UIDValidity]; dup {
			v.problem("%s: UIDVALIDITY %d is also that of %s", mw, r.UIDValidity, other)
		}
		v.uidValidity[r.UIDValidity] = mw
		msgs := acct.Bucket(msgBucketKey(r.ID))
		if msgs == nil {
			v.problem("%s: message bucket is missing", mw)
			return nil
		}
		n, bytes := v.mailbox(mw, &r, msgs)
		total.Messages += n
		total.Bytes += bytes
		return v.ctx.Err()
	})
	if err != nil {
		return err
	}
	if err := names.ForEach(func(k, val []byte) error {
		if len(val) != 8 || recs[be64(val)] == nil {
			v.problem("%s: mboxnames %q names no mailbox", where, k)
		}
		return nil
	}); err != nil {
		return err
	}
	// Every other key: usage, quota, subs, and message buckets of mailboxes.
	c := acct.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		switch {
		case string(k) == "usage", string(k) == "quota", string(k) == "mboxnames", string(k) == "mboxes", string(k) == "subs":
		case bytes.Equal(k, bucketSieve) && val == nil:
			v.sieve(where, acct.Bucket(k)) // sieve.go
		case bytes.Equal(k, bucketImported), bytes.Equal(k, bucketImportState):
			// import.go: keys of what was imported (they may name messages
			// since expunged and folders since deleted, by design) and
			// migration resume points.
		case bytes.Equal(k, bucketVacation) && val == nil:
			// vacation.go: who got a vacation reply, until when.
		case len(k) == 9 && k[0] == 'm' && val == nil:
			if recs[be64(k[1:])] == nil {
				v.problem("%s: message bucket %d belongs to no mailbox", where, be64(k[1:]))
			}
		default:
			v.problem("%s: stray key %q", where, k)
		}
	}
	usage := acct.Get([]byte("usage"))
	if usage != nil && len(usage) != 16 {
		v.problem("%s: usage record has %d bytes", where, len(usage))
	} else if u := getUsage(acct); u != total {
		v.problem("%s: usage says %d bytes in %d messages, the mailboxes hold %d bytes in %d messages",
			where, u.Bytes, u.Messages, total.Bytes, total.Messages)
	}
	return nil
}

// sieve checks an account's Sieve scripts (sieve.go).
func (v *verifier) sieve(where string, sv *bolt.Bucket) {
	scripts := sv.Bucket(bucketSieveScripts)
	c := sv.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		switch {
		case bytes.Equal(k, bucketSieveScripts) && val == nil:
		case bytes.Equal(k, keySieveActive) && val != nil:
			if scripts == nil || scripts.Get(val) == nil {
				v.problem("%s: the active Sieve script %q does not exist", where, val)
			}
		default:
			v.problem("%s: sieve: stray key %q", where, k)
		}
	}
	if scripts == nil {
		return
	}
	scripts.ForEach(func(k, val []byte) error {
		if val == nil {
			v.problem("%s: sieve scripts: stray bucket %q", where, k)
		} else if n, err := CheckScriptName(string(k)); err != nil || n != string(k) {
			v.problem("%s: Sieve script name %q is not valid (RFC 5804 §1.6)", where, k)
		} else if _, _, ok := sieveRecord(val); !ok {
			v.problem("%s: Sieve script %q: record of %d bytes", where, k, len(val))
		}
		return nil
	})
}

// mailbox checks a mailbox's messages against its record and returns
// their number and total size.
func (v *verifier) mailbox(where string, r *mailboxRecord, msgs *bolt.Bucket) (int64, int64) {
	bodies := v.tx.Bucket(bucketBodies)
	var n, size int64
	var unseen, deleted, recent uint32
	var last uint32
	c := msgs.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		if len(k) != 4 || val == nil {
			v.problem("%s: stray key %x", where, k)
			continue
		}
		uid := be32(k)
		rec, err := decodeMessage(val)
		if err != nil {
			v.problem("%s UID %d: undecodable message record", where, uid)
			continue
		}
		v.rep.Messages++
		n++
		size += rec.size
		if uid == 0 || uid <= last {
			v.problem("%s: UID %d is not above the one before it (%d)", where, uid, last)
		}
		last = uid
		if uid >= r.UIDNext {
			v.problem("%s: UID %d is not below UIDNEXT %d", where, uid, r.UIDNext)
		}
		if rec.modSeq > r.HighestModSeq {
			v.problem("%s UID %d: modseq %d above HIGHESTMODSEQ %d", where, uid, rec.modSeq, r.HighestModSeq)
		}
		if rec.flags.sys&bitSeen == 0 {
			unseen++
		}
		if rec.flags.sys&bitDeleted != 0 {
			deleted++
		}
		if uid >= r.firstUnclaimed() {
			recent++
		}
		for _, kw := range rec.flags.keywords {
			if !hasKeyword(r.Keywords, kw) {
				v.problem("%s UID %d: keyword %q is not in the mailbox's keyword set", where, uid, kw)
			}
		}
		v.refs[rec.bodyID]++
		if b := bodies.Get(u64(rec.bodyID)); b == nil {
			v.problem("%s UID %d: body %d is missing", where, uid, rec.bodyID)
		} else if br, err := decodeBody(b); err == nil && br.size != rec.size {
			v.problem("%s UID %d: size %d, its body %d has %d bytes", where, uid, rec.size, rec.bodyID, br.size)
		}
	}
	if uint32(n) != r.Messages {
		v.problem("%s: record says %d messages, it holds %d", where, r.Messages, n)
	}
	if size != r.Size {
		v.problem("%s: record says %d bytes, its messages have %d", where, r.Size, size)
	}
	if unseen != r.Unseen {
		v.problem("%s: record says %d unseen, %d are", where, r.Unseen, unseen)
	}
	if deleted != r.Deleted {
		v.problem("%s: record says %d \\Deleted, %d are", where, r.Deleted, deleted)
	}
	if recent != r.Recent {
		v.problem("%s: record says %d \\Recent, %d are at or above the first unclaimed UID %d", where, r.Recent, recent, r.firstUnclaimed())
	}
	return n, size
}

func (v *verifier) aliases() error {
	return v.tx.Bucket(bucketAliases).ForEach(func(k, val []byte) error {
		var targets []string
		if err := json.Unmarshal(val, &targets); err != nil || len(targets) == 0 {
			v.problem("alias %q: undecodable or empty target list", k)
		}
		return nil
	})
}

// queue checks the queue against the due index.
func (v *verifier) queue() error {
	bodies := v.tx.Bucket(bucketBodies)
	q := v.tx.Bucket(bucketQueue)
	seq := q.Sequence()
	want := map[string]uint64{} // due key → queue ID
	err := q.ForEach(func(k, val []byte) error {
		v.rep.Queued++
		var m QueuedMessage
		if len(k) != 8 || json.Unmarshal(val, &m) != nil {
			v.problem("queue: undecodable entry %x", k)
			return nil
		}
		where := fmt.Sprintf("queue entry %d", be64(k))
		if m.ID != be64(k) || m.ID == 0 || m.ID > seq {
			v.problem("%s: record says ID %d (sequence %d)", where, m.ID, seq)
		}
		v.refs[m.BodyID]++
		if b := bodies.Get(u64(m.BodyID)); b == nil {
			v.problem("%s: body %d is missing", where, m.BodyID)
		} else if br, err := decodeBody(b); err == nil && br.size != m.Size {
			v.problem("%s: size %d, its body %d has %d bytes", where, m.Size, m.BodyID, br.size)
		}
		t, pending := m.NextAttempt()
		if !pending {
			v.problem("%s: no recipient is pending (it should have left the queue)", where)
			return nil
		}
		want[string(dueKey(t, m.ID))] = m.ID
		return nil
	})
	if err != nil {
		return err
	}
	err = v.tx.Bucket(bucketQueueDue).ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			v.problem("queuedue: stray key %x", k)
			return nil
		}
		if _, ok := want[string(k)]; !ok {
			v.problem("queuedue: entry for queue entry %d at %s matches no queued message's next attempt",
				be64(k[8:]), time.Unix(0, int64(be64(k))).UTC().Format(time.RFC3339Nano))
			return nil
		}
		delete(want, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range want {
		v.problem("queue entry %d: missing from the due index (it would never be tried)", id)
	}
	return nil
}

// bodies checks every body's reference count and chunks, walking the
// bodies and chunks buckets side by side (both are in body ID order).
func (v *verifier) bodies() error {
	bodies := v.tx.Bucket(bucketBodies)
	gc := v.tx.Bucket(bucketBodyGC)
	seq := bodies.Sequence()
	cc := v.tx.Bucket(bucketChunks).Cursor()
	ck, cv := cc.First()
	orphans := func(below uint64, all bool) {
		var last uint64
		reported := false
		for ck != nil && (all || len(ck) != 12 || be64(ck) < below) {
			if len(ck) != 12 {
				v.problem("chunks: stray key %x", ck)
			} else if id := be64(ck); !reported || id != last {
				v.problem("chunks: chunk %d of body %d, which does not exist", be32(ck[8:]), id)
				last, reported = id, true
			}
			v.rep.Chunks++
			ck, cv = cc.Next()
		}
	}
	bc := bodies.Cursor()
	for k, val := bc.First(); k != nil; k, val = bc.Next() {
		if v.rep.Bodies%4096 == 0 {
			if err := v.ctx.Err(); err != nil {
				return err
			}
		}
		v.rep.Bodies++
		if len(k) != 8 {
			v.problem("bodies: stray key %x", k)
			continue
		}
		id := be64(k)
		where := fmt.Sprintf("body %d", id)
		rec, err := decodeBody(val)
		if err != nil {
			v.problem("%s: undecodable record", where)
			continue
		}
		if id == 0 || id > seq {
			v.problem("%s: ID outside 1..%d (the bucket's sequence)", where, seq)
		}
		if got := v.refs[id]; got != rec.refs {
			v.problem("%s: reference count %d, but %d messages and queue entries use it", where, rec.refs, got)
		}
		if listed := gc.Get(k) != nil; listed != (rec.refs == 0) {
			if listed {
				v.problem("%s: listed in bodygc with %d references", where, rec.refs)
			} else {
				v.problem("%s: no references, but not listed in bodygc (it would never be deleted)", where)
			}
		}
		orphans(id, false)
		// Its chunks: 0..chunks-1, chunk 0 `first` bytes long, the
		// middle ones ChunkSize, the last at most ChunkSize.
		var next uint32
		var total int64
		for len(ck) == 12 && be64(ck) == id {
			v.rep.Chunks++
			n := be32(ck[8:])
			if n > next {
				v.problem("%s: chunks %d to %d are missing", where, next, n-1)
			}
			next = n + 1
			l := int64(len(cv))
			switch {
			case n >= rec.chunks:
				v.problem("%s: chunk %d beyond its %d chunks", where, n, rec.chunks)
			case n == 0 && l != int64(rec.first):
				v.problem("%s: chunk 0 has %d bytes, the record says %d", where, l, rec.first)
			case n > 0 && n < rec.chunks-1 && l != ChunkSize:
				v.problem("%s: chunk %d has %d bytes, not %d", where, n, l, ChunkSize)
			case l > ChunkSize || (n > 0 && l == 0):
				v.problem("%s: chunk %d has %d bytes", where, n, l)
			}
			total += l
			ck, cv = cc.Next()
		}
		if next < rec.chunks {
			v.problem("%s: chunks %d to %d are missing", where, next, rec.chunks-1)
		}
		if total != rec.size {
			v.problem("%s: its chunks hold %d bytes, the record says %d", where, total, rec.size)
		}
	}
	orphans(0, true)
	return nil
}

// bodySideBuckets checks that bodycache and bodygc name existing bodies.
func (v *verifier) bodySideBuckets() error {
	bodies := v.tx.Bucket(bucketBodies)
	for _, name := range [][]byte{bucketBodyCache, bucketBodyGC} {
		err := v.tx.Bucket(name).ForEach(func(k, _ []byte) error {
			if len(k) != 8 || bodies.Get(k) == nil {
				v.problem("%s: entry %x names no body", name, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
