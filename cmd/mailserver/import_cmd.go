package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/mailserver/mailserver/store"
	"github.com/mailserver/mailserver/store/maildir"
	"github.com/mailserver/mailserver/store/mbox"
)

// "mailserver import ADDRESS PATH [--folder NAME]": a Maildir++ tree (a
// Dovecot, Courier or Postfix user's Maildir, or a home directory holding
// one), an mbox file, or a directory of mbox files, into an account.
// Through the admin socket of a running server (the CLI reads the files
// and streams the messages; the server commits them in batches), or
// straight into the database when none runs. Idempotent (store/import.go).

// maxImportMessage bounds one message read from an mbox (a file without
// "From " lines would otherwise be read whole into memory).
const maxImportMessage = 512 << 20

// importMemoryLimit is the Go heap's soft limit in the import and migrate
// commands (runtime/debug.SetMemoryLimit) unless GOMEMLIMIT says
// otherwise: the batches in flight are bounded already; the limit has the
// collector return their garbage before the heap doubles (GOGC).
const importMemoryLimit = 160 << 20

func limitImportMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importMemoryLimit)
	}
}

// importer is what the import endpoints need of the admin value: the
// server's store. Only directAdmin has one.
type importer interface {
	importStore() *store.Store
}

func (d *directAdmin) importStore() *store.Store { return d.st }

var _ importer = (*directAdmin)(nil)

// importHandlers are the streaming endpoints of import, migrate and
// export, registered by adminHandler beside adminEndpoints (their bodies
// are streams, not 1 MiB JSON requests).
func importHandlers(a admin, log *slog.Logger) map[string]http.HandlerFunc {
	imp, ok := a.(importer)
	if !ok {
		return nil
	}
	user := func(w http.ResponseWriter, r *http.Request, address string) *store.User {
		u, err := imp.importStore().UserByAddress(r.Context(), address)
		if err != nil {
			writeAdminError(w, err) // names the user
			return nil
		}
		return u
	}
	return map[string]http.HandlerFunc{
		pathImportStream: func(w http.ResponseWriter, r *http.Request) {
			u := user(w, r, r.URL.Query().Get("address"))
			if u == nil {
				return
			}
			counts, err := serveImportStream(r.Context(), imp.importStore(), u.ID, r.Body)
			if err != nil {
				log.Warn("admin import failed", "user", u.Address, "added", counts.Added, "err", err)
				writeAdminError(w, err)
				return
			}
			log.Info("admin import", "user", u.Address, "added", counts.Added, "duplicates", counts.Duplicates)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(counts)
		},
		pathImportStates: func(w http.ResponseWriter, r *http.Request) {
			var req addrArgs
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
				writeAdminError(w, &badRequestError{err})
				return
			}
			u := user(w, r, req.Address)
			if u == nil {
				return
			}
			states, err := imp.importStore().ImportStates(r.Context(), u.ID)
			if err != nil {
				writeAdminError(w, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(states)
		},
		pathExportStream: func(w http.ResponseWriter, r *http.Request) {
			var req addrArgs
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
				writeAdminError(w, &badRequestError{err})
				return
			}
			u := user(w, r, req.Address)
			if u == nil {
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			bw := bufio.NewWriterSize(w, 256<<10)
			err := exportAccount(r.Context(), imp.importStore(), u.ID, func(f *frame, body []byte) error {
				return writeFrame(bw, f, body)
			})
			if err != nil {
				log.Warn("admin export failed", "user", u.Address, "err", err)
				writeFrame(bw, &frame{Kind: frameError, Error: err.Error()}, nil)
			} else {
				writeFrame(bw, &frame{Kind: frameEnd}, nil)
			}
			bw.Flush()
		},
	}
}

// serveImportStream commits the frames of an import stream.
func serveImportStream(ctx context.Context, st *store.Store, userID uint64, body io.Reader) (importCounts, error) {
	sink := newStoreSink(ctx, st, userID, nil)
	fr := newFrameReader(body)
	var err error
	var buf []byte
	for {
		var f *frame
		if f, err = fr.next(); err != nil {
			break
		}
		switch f.Kind {
		case frameMessage:
			if f.Size > maxImportMessage {
				err = &badRequestError{fmt.Errorf("message of %d bytes, more than %d", f.Size, maxImportMessage)}
				break
			}
			if int64(cap(buf)) < f.Size {
				buf = make([]byte, f.Size)
			}
			buf = buf[:f.Size]
			if _, err = io.ReadFull(fr.body(), buf); err == nil {
				err = sink.add(ctx, importItem{folder: f.Folder, specialUse: f.SpecialUse, flags: f.Flags, date: unixNanoTime(f.Date), raw: buf})
			}
		case frameState:
			err = sink.state(f.State)
		case frameFolder:
			err = sink.folder(f.Folder, f.SpecialUse)
		default:
			err = &badRequestError{fmt.Errorf("unknown frame kind %q", f.Kind)}
		}
		if err != nil {
			break
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	counts, ferr := sink.finish(ctx)
	if err == nil {
		err = ferr
	}
	return counts, err
}

// sinkFor returns the sink of an import into address: a stream to the
// server, or a storeSink on the database.
func sinkFor(ctx context.Context, a admin, address string) (importSink, error) {
	switch a := a.(type) {
	case *adminClient:
		if _, err := a.importStates(ctx, address); err != nil { // the user exists
			return nil, err
		}
		return newStreamSink(ctx, a, address), nil
	case *directAdmin:
		u, err := a.st.UserByAddress(ctx, address)
		if err != nil {
			return nil, err // names the user
		}
		return newStoreSink(ctx, a.st, u.ID, nil), nil
	}
	return nil, errors.New("import: no store")
}

func (c *adminClient) importStates(ctx context.Context, address string) (map[string]store.ImportState, error) {
	return rawAdminCall[map[string]store.ImportState](ctx, c, pathImportStates, addrArgs{address})
}

// rawAdminCall posts a JSON request to a raw endpoint.
func rawAdminCall[Resp any](ctx context.Context, c *adminClient, path string, req any) (Resp, error) {
	var out Resp
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mailserver"+path, strings.NewReader(string(body)))
	if err != nil {
		return out, err
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return out, fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	return out, adminResponse(resp, path, &out)
}

// specialUseByName recognises the usual names of special-use folders
// (RFC 6154 §2) at the top level, case-insensitively, as clients and
// servers have named them.
func specialUseByName(folder string) string {
	if strings.Contains(folder, "/") {
		return ""
	}
	switch strings.ToLower(folder) {
	case "sent", "sent items", "sent messages", "sent mail":
		return `\Sent`
	case "drafts", "draft":
		return `\Drafts`
	case "trash", "deleted items", "deleted messages", "bin":
		return `\Trash`
	case "junk", "spam", "junk e-mail", "junk email", "bulk mail":
		return `\Junk`
	case "archive", "archives":
		return `\Archive`
	}
	return ""
}

// targetFolder maps a source folder to the store's: under prefix (from
// --folder) when set (INBOX is prefix itself), else by name, with the
// special use its name suggests.
func targetFolder(prefix, folder string) (name, specialUse string) {
	if prefix != "" {
		if strings.EqualFold(folder, "INBOX") {
			return prefix, ""
		}
		return prefix + "/" + folder, ""
	}
	if strings.EqualFold(folder, "INBOX") {
		return "INBOX", ""
	}
	return folder, specialUseByName(folder)
}

// progress counts what a source has read, and shows it on a terminal.
type progress struct {
	out         io.Writer
	tty         bool
	start       time.Time
	totalMsgs   atomic.Int64 // 0: unknown
	totalBytes  atomic.Int64
	msgs        atomic.Int64
	bytes       atomic.Int64
	unparseable atomic.Int64
	stop        chan struct{}
	stopped     chan struct{}
}

func (c *cli) newProgress() *progress {
	p := &progress{out: c.stderr, start: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		go p.loop()
	} else {
		close(p.stopped)
	}
	return p
}

func (p *progress) count(raw []byte) {
	p.msgs.Add(1)
	p.bytes.Add(int64(len(raw)))
	if !headerParses(raw) {
		p.unparseable.Add(1)
	}
}

func (p *progress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.out, "\r\033[K")
			return
		case <-t.C:
			fmt.Fprintf(p.out, "\r\033[K%s", p.line())
		}
	}
}

// line is "N messages, X MB, R msg/s, ETA T".
func (p *progress) line() string {
	el := time.Since(p.start).Seconds()
	n, b := p.msgs.Load(), p.bytes.Load()
	rate := float64(n) / max(el, 1e-3)
	s := fmt.Sprintf("%d messages, %.1f MB, %.0f msg/s", n, float64(b)/1e6, rate)
	var left float64 = -1
	if tm := p.totalMsgs.Load(); tm > 0 && n > 0 {
		left = float64(tm-n) / rate
	} else if tb := p.totalBytes.Load(); tb > 0 && b > 0 {
		left = float64(tb-b) / (float64(b) / max(el, 1e-3))
	}
	if left >= 0 {
		s += fmt.Sprintf(", ETA %s", (time.Duration(left) * time.Second).Round(time.Second))
	}
	return s
}

func (p *progress) done() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.stopped
}

// summary is the one line printed at the end.
func (p *progress) summary(verb, address string, counts importCounts) string {
	el := time.Since(p.start)
	return fmt.Sprintf("%s %d messages (%.1f MB) into %s: %d added, %d already there, %d with an unparseable header (imported as they are), in %s (%.0f msg/s)",
		verb, p.msgs.Load(), float64(p.bytes.Load())/1e6, address, counts.Added, counts.Duplicates, p.unparseable.Load(),
		el.Round(time.Millisecond), float64(p.msgs.Load())/max(el.Seconds(), 1e-3))
}

func (c *cli) importCmd(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS PATH [--folder NAME]"
	fs := c.flags("import", synopsis)
	folder := fs.String("folder", "", "import into this folder (the source's folders become its children) instead of by name")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("import: want ADDRESS and PATH; usage: mailserver import %s", synopsis)
	}
	address, path := pos[0], pos[1]
	limitImportMemory()
	if *folder != "" {
		canon, err := store.CanonicalMailboxName(*folder)
		if err != nil {
			return usagef("import: --folder: %v", err)
		}
		*folder = canon
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return c.withAdmin(ctx, func(a admin) error {
		p := c.newProgress()
		defer p.done()
		sink, err := sinkFor(ctx, a, address)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		readErr := importPath(ctx, path, *folder, sink, p)
		counts, err := sink.finish(ctx)
		p.done()
		if err == nil { // the sink's error is the cause; the reader's is then its echo
			err = readErr
		}
		if err != nil {
			return fmt.Errorf("import (what was committed before the error stays; running it again continues): %w", err)
		}
		fmt.Fprintln(c.stdout, p.summary("imported", address, counts))
		return nil
	})
}

// importPath reads a Maildir tree or an mbox file or tree into sink.
func importPath(ctx context.Context, path, prefix string, sink importSink, p *progress) error {
	if folders, err := maildir.Folders(path); err == nil {
		return importMaildir(ctx, folders, prefix, sink, p)
	}
	files, err := mbox.Files(path)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s is neither a Maildir nor an mbox file or directory", path)
	}
	for _, f := range files {
		if fi, err := os.Stat(f.Path); err == nil {
			p.totalBytes.Add(fi.Size())
		}
	}
	for _, f := range files {
		f.Folder = decodeFolderLevels(f.Folder)
		if err := importMbox(ctx, f, prefix, sink, p); err != nil {
			return err
		}
	}
	return nil
}

func importMaildir(ctx context.Context, folders []maildir.Folder, prefix string, sink importSink, p *progress) error {
	type listed struct {
		f    maildir.Folder
		ents []maildir.Entry
		kw   maildir.Keywords
	}
	var all []listed
	for _, f := range folders {
		ents, err := maildir.Entries(f.Dir)
		if err != nil {
			return fmt.Errorf("folder %s: %w", f.Name, err)
		}
		kw, err := maildir.ReadKeywords(f.Dir)
		if err != nil {
			return fmt.Errorf("folder %s: %w", f.Name, err)
		}
		all = append(all, listed{f, ents, kw})
		p.totalMsgs.Add(int64(len(ents)))
	}
	var buf []byte
	for _, l := range all {
		name, use := targetFolder(prefix, l.f.Name)
		if err := sink.folder(name, use); err != nil {
			return err
		}
		for _, e := range l.ents {
			raw, date, err := readMaildirFile(e, buf)
			if errors.Is(err, os.ErrNotExist) {
				continue // moved or expunged meanwhile by the old server
			}
			if err != nil {
				return err
			}
			buf = raw[:0]
			p.count(raw)
			if err := sink.add(ctx, importItem{folder: name, specialUse: use, flags: e.Name.Flags(l.kw), date: date, raw: raw}); err != nil {
				return err
			}
		}
	}
	return nil
}

// readMaildirFile reads a message file into buf. Its internal date is the
// file's mtime, as Dovecot and Courier keep it (APPEND sets it), or the
// delivery time of its name when the mtime is unset.
func readMaildirFile(e maildir.Entry, buf []byte) ([]byte, time.Time, error) {
	f, err := os.Open(e.Path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if fi.Size() > maxImportMessage {
		return nil, time.Time{}, fmt.Errorf("%s: larger than %d bytes", e.Path, maxImportMessage)
	}
	if int64(cap(buf)) < fi.Size()+1 {
		buf = make([]byte, 0, fi.Size()+512)
	}
	buf = buf[:0]
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("read %s: %w", e.Path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	date := fi.ModTime()
	if date.Unix() <= 0 {
		date = e.Name.Time
	}
	return buf, date, nil
}

func importMbox(ctx context.Context, f mbox.File, prefix string, sink importSink, p *progress) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var mtime time.Time
	if fi, err := fh.Stat(); err == nil {
		mtime = fi.ModTime()
	}
	name, use := targetFolder(prefix, f.Folder)
	if err := sink.folder(name, use); err != nil {
		return err
	}
	r := mbox.NewReader(fh)
	r.MaxSize = maxImportMessage
	for {
		m, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		date := m.Date
		if date.IsZero() {
			date = mtime
		}
		p.count(m.Raw)
		if err := sink.add(ctx, importItem{folder: name, specialUse: use, flags: m.Flags, date: date, raw: m.Raw}); err != nil {
			return err
		}
	}
}

// decodeFolderLevels decodes the levels of a folder name that Dovecot
// stored in modified UTF-7 (RFC 3501 §5.1.3), as its mbox file names
// are; a level that is not valid modified UTF-7 stays as it is (a UTF-8
// name such as mutt's or Thunderbird's).
func decodeFolderLevels(folder string) string {
	levels := strings.Split(folder, "/")
	for i, l := range levels {
		if !strings.Contains(l, "&") {
			continue
		}
		if d, err := maildir.DecodeModifiedUTF7(l); err == nil && d != "" && !strings.ContainsRune(d, '/') {
			levels[i] = d
		}
	}
	return strings.Join(levels, "/")
}
