package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/mailserver/mailserver/store"
)

// Where imported messages go: an importSink. storeSink batches them into
// store.Import on an open store (offline, and the server's side of an
// online import); streamSink streams them to a running server's admin
// socket, whose handler feeds a storeSink. import and migrate read their
// sources into either, so both have the same batching and idempotency.

// importItem is one message for a sink. Either raw (valid only during
// the add call; line ends are normalised by the store) or body is set.
type importItem struct {
	folder, specialUse string
	flags              []string
	date               time.Time
	raw                []byte
	body               *store.Body
}

// importCounts is what an import did.
type importCounts struct {
	Added      int   `json:"added"`
	Duplicates int   `json:"duplicates"`
	Bytes      int64 `json:"bytes"` // of the messages added
}

type importSink interface {
	// add queues a message; it may block while earlier batches commit.
	add(ctx context.Context, it importItem) error
	// state records a migration resume point with the messages added
	// before it.
	state(st store.ImportState) error
	// folder makes sure a folder exists (a source's empty folders too).
	folder(name, specialUse string) error
	// finish commits what is queued and reports the counts.
	finish(ctx context.Context) (importCounts, error)
}

// Batch bounds: store.Import commits a batch in one transaction; two
// batches are in memory at a time (one filling, one committing).
const (
	importBatchMessages = 1000
	importBatchBytes    = 8 << 20
)

// storeSink batches messages into store.Import. Safe for concurrent use
// (migrate's folder workers share one).
type storeSink struct {
	st     *store.Store
	userID uint64
	// committed, if set, is called after each batch commits.
	committed func(res *store.ImportResult)

	mu      sync.Mutex
	cur     *store.ImportBatch
	curSize int64
	batches chan *store.ImportBatch
	done    chan struct{}
	err     error
	counts  importCounts
	ctx     context.Context
}

func newStoreSink(ctx context.Context, st *store.Store, userID uint64, committed func(*store.ImportResult)) *storeSink {
	s := &storeSink{st: st, userID: userID, committed: committed, cur: &store.ImportBatch{},
		batches: make(chan *store.ImportBatch, 1), done: make(chan struct{}), ctx: ctx}
	go s.commitLoop()
	return s
}

func (s *storeSink) commitLoop() {
	defer close(s.done)
	for b := range s.batches {
		if s.failed() != nil {
			continue // drain
		}
		res, err := s.st.Import(s.ctx, s.userID, b)
		s.mu.Lock()
		if err != nil {
			s.err = err
		} else {
			s.counts.Added += res.Added
			s.counts.Duplicates += res.Duplicates
			s.counts.Bytes += res.Bytes
		}
		s.mu.Unlock()
		if err == nil && s.committed != nil {
			s.committed(res)
		}
	}
}

func (s *storeSink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *storeSink) add(ctx context.Context, it importItem) error {
	body := it.body
	if body == nil {
		body = store.ImportBody(it.raw)
	}
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	if len(s.cur.Messages) > 0 && (len(s.cur.Messages) >= importBatchMessages || s.curSize+body.Size() > importBatchBytes) {
		s.sendLocked(ctx)
	}
	s.cur.Messages = append(s.cur.Messages, store.ImportMessage{Mailbox: it.folder, SpecialUse: it.specialUse,
		Body: body, Flags: it.flags, InternalDate: it.date})
	s.curSize += body.Size()
	s.mu.Unlock()
	return ctx.Err()
}

// sendLocked hands the current batch to the committer (blocking while
// it is busy with the previous one: that is the memory bound).
func (s *storeSink) sendLocked(ctx context.Context) {
	b := s.cur
	s.cur, s.curSize = &store.ImportBatch{}, 0
	s.mu.Unlock()
	select {
	case s.batches <- b:
	case <-ctx.Done():
	}
	s.mu.Lock()
}

func (s *storeSink) state(st store.ImportState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.States = append(s.cur.States, st)
	return s.err
}

func (s *storeSink) folder(name, specialUse string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.Mailboxes = append(s.cur.Mailboxes, store.ImportMailbox{Name: name, SpecialUse: specialUse})
	return s.err
}

func (s *storeSink) finish(ctx context.Context) (importCounts, error) {
	s.mu.Lock()
	if len(s.cur.Messages) > 0 || len(s.cur.States) > 0 || len(s.cur.Mailboxes) > 0 {
		s.sendLocked(ctx)
	}
	s.mu.Unlock()
	close(s.batches)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts, s.err
}

// streamSink streams messages to the server's import endpoint, which
// commits them with a storeSink and answers with the counts.
type streamSink struct {
	mu     sync.Mutex
	pw     *io.PipeWriter
	bw     *bufio.Writer
	result chan streamResult
	closed bool
}

type streamResult struct {
	counts importCounts
	err    error
}

const (
	pathImportStream = "/v1/import/stream"
	pathImportStates = "/v1/import/states"
	pathExportStream = "/v1/export/stream"
)

func newStreamSink(ctx context.Context, c *adminClient, address string) *streamSink {
	pr, pw := io.Pipe()
	s := &streamSink{pw: pw, bw: bufio.NewWriterSize(pw, 256<<10), result: make(chan streamResult, 1)}
	go func() {
		counts, err := c.importStream(ctx, address, pr)
		pr.CloseWithError(errors.Join(errStreamEnded, err))
		s.result <- streamResult{counts, err}
	}()
	return s
}

var errStreamEnded = errors.New("the server ended the import")

func (s *streamSink) write(f *frame, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := writeFrame(s.bw, f, body)
	if err != nil {
		return s.serverError(err)
	}
	return nil
}

// serverError replaces a write error by the server's reason.
func (s *streamSink) serverError(err error) error {
	// The transport closes the body when the server answers early.
	if (errors.Is(err, errStreamEnded) || errors.Is(err, io.ErrClosedPipe)) && !s.closed {
		s.closed = true
		r := <-s.result
		s.result <- r
		if r.err != nil {
			return r.err
		}
	}
	return err
}

func (s *streamSink) add(ctx context.Context, it importItem) error {
	raw := it.raw
	if raw == nil {
		raw = it.body.Bytes()
	}
	f := &frame{Kind: frameMessage, Folder: it.folder, SpecialUse: it.specialUse, Flags: it.flags, Size: int64(len(raw))}
	if !it.date.IsZero() {
		f.Date = it.date.UnixNano()
	}
	if err := s.write(f, raw); err != nil {
		return err
	}
	return ctx.Err()
}

func (s *streamSink) state(st store.ImportState) error {
	return s.write(&frame{Kind: frameState, State: st}, nil)
}

func (s *streamSink) folder(name, specialUse string) error {
	return s.write(&frame{Kind: frameFolder, Folder: name, SpecialUse: specialUse}, nil)
}

func (s *streamSink) finish(ctx context.Context) (importCounts, error) {
	s.mu.Lock()
	err := s.bw.Flush()
	s.pw.Close()
	s.mu.Unlock()
	r := <-s.result
	if r.err != nil {
		return r.counts, r.err
	}
	return r.counts, err
}

// importStream posts an import stream and returns the server's counts.
func (c *adminClient) importStream(ctx context.Context, address string, body io.Reader) (importCounts, error) {
	var counts importCounts
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://mailserver"+pathImportStream+"?address="+url.QueryEscape(address), body)
	if err != nil {
		return counts, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return counts, fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	if err := adminResponse(resp, pathImportStream, &counts); err != nil {
		return counts, err
	}
	return counts, nil
}

// adminResponse decodes a raw endpoint's JSON answer or error, as
// adminCall does for the others.
func adminResponse(resp *http.Response, path string, out any) error {
	if resp.StatusCode != http.StatusOK {
		var eb adminErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			return fmt.Errorf("admin socket: %s: %s", path, resp.Status)
		}
		return &remoteError{msg: eb.Error, code: eb.Code}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin socket: decode %s response: %w", path, err)
	}
	return nil
}

// headerParses tells whether a message's header parses (RFC 5322 §2.2
// fields up to the empty line); one that does not is still imported as it
// is, and counted.
func headerParses(raw []byte) bool {
	_, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	return err == nil
}
