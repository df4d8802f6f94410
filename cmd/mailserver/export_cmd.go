package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mailserver/mailserver/store"
	"github.com/mailserver/mailserver/store/maildir"
	"github.com/mailserver/mailserver/store/mbox"
)

// "mailserver export ADDRESS DIR [--format maildir|mbox]": every folder
// of an account with flags and internal dates, as a Maildir++ tree (the
// stored octets exactly, mtime = internal date, dovecot-keywords and
// dovecot-uidlist as Dovecot writes them) or one mboxrd file per folder
// (DIR/Name.mbox, DIR/Parent/Child.mbox). Importing the export into an
// empty account gives the same messages, octet for octet, with the same
// flags and internal dates (to the second for mbox, whose From line has
// no finer time). Through the admin socket (the server streams the
// messages in the import stream format) or on the database.

// exportPageSize is how many message records one read transaction lists.
const exportPageSize = 1000

// exportAccount emits a folder frame per mailbox and a message frame per
// message, in UID order. body is valid during the call only.
func exportAccount(ctx context.Context, st *store.Store, userID uint64, emit func(f *frame, body []byte) error) error {
	mboxes, err := st.Mailboxes(ctx, userID)
	if err != nil {
		return err
	}
	var buf []byte
	for _, mb := range mboxes {
		if err := emit(&frame{Kind: frameFolder, Folder: mb.Name, SpecialUse: mb.SpecialUse, UIDValidity: mb.UIDValidity}, nil); err != nil {
			return err
		}
		for lo := uint32(1); ; {
			msgs, err := st.ListMessages(ctx, userID, mb.ID, lo, lo+exportPageSize-1)
			if errors.Is(err, store.ErrNoSuchMailbox) {
				break // deleted meanwhile
			}
			if err != nil {
				return err
			}
			for _, m := range msgs {
				buf, err = st.AppendBody(buf[:0], m.BodyID)
				if errors.Is(err, store.ErrNoSuchMessage) {
					continue // expunged meanwhile
				}
				if err != nil {
					return err
				}
				f := &frame{Kind: frameMessage, Folder: mb.Name, Flags: m.Flags, Date: m.InternalDate.UnixNano(), Size: int64(len(buf))}
				if err := emit(f, buf); err != nil {
					return err
				}
			}
			if lo+exportPageSize-1 >= mb.UIDNext || lo > ^uint32(0)-exportPageSize {
				break
			}
			lo += exportPageSize
		}
	}
	return nil
}

// exportWriter writes what exportAccount emits into a directory.
type exportWriter struct {
	dir    string
	format string
	// maildir
	fw          *maildir.FolderWriter
	uidValidity uint32
	// mbox
	file *os.File
	mw   *mbox.Writer

	folders, messages int
	bytes             int64
	droppedKeywords   int
}

func (w *exportWriter) handle(f *frame, body []byte) error {
	switch f.Kind {
	case frameFolder:
		if err := w.closeFolder(); err != nil {
			return err
		}
		w.folders++
		if w.format == "mbox" {
			path := filepath.Join(w.dir, filepath.FromSlash(f.Folder)+".mbox")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			w.file, w.mw = file, mbox.NewWriter(file)
			return nil
		}
		fw, err := maildir.CreateFolder(w.dir, f.Folder)
		if err != nil {
			return err
		}
		w.fw, w.uidValidity = fw, f.UIDValidity
		return nil
	case frameMessage:
		w.messages++
		w.bytes += int64(len(body))
		date := unixNanoTime(f.Date)
		if w.mw != nil {
			return w.mw.Write(returnPath(body), date, f.Flags, bytes.NewReader(body))
		}
		if w.fw == nil {
			return errors.New("export: message before its folder")
		}
		return w.fw.Write(bytes.NewReader(body), int64(len(body)), f.Flags, date)
	case frameError:
		return fmt.Errorf("export failed on the server: %s", f.Error)
	}
	return fmt.Errorf("export: unknown frame %q", f.Kind)
}

func (w *exportWriter) closeFolder() error {
	var err error
	if w.fw != nil {
		err = w.fw.Close(w.uidValidity)
		w.droppedKeywords += w.fw.Dropped
		w.fw = nil
	}
	if w.mw != nil {
		err = errors.Join(err, w.mw.Flush(), w.file.Close())
		w.mw, w.file = nil, nil
	}
	return err
}

// finish closes the last folder and makes everything durable with one
// syncfs(2) rather than an fsync per file.
func (w *exportWriter) finish() error {
	if err := w.closeFolder(); err != nil {
		return err
	}
	d, err := os.Open(w.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("export: sync: %w", err)
	}
	return nil
}

// returnPath is the address of a message's Return-Path header (RFC 5321
// §4.4), for the mbox From line; "" if it has none.
func returnPath(msg []byte) string {
	hdr := msg
	if i := bytes.Index(hdr, []byte("\n\n")); i >= 0 {
		hdr = hdr[:i]
	}
	if i := bytes.Index(hdr, []byte("\r\n\r\n")); i >= 0 {
		hdr = hdr[:i]
	}
	for line := range bytes.Lines(hdr) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(name), "Return-Path") {
			v := strings.Trim(strings.TrimSpace(string(value)), "<>")
			if v == "" {
				return "MAILER-DAEMON"
			}
			return v
		}
	}
	return ""
}

func (c *cli) exportCmd(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS DIR [--format maildir|mbox]"
	fs := c.flags("export", synopsis)
	format := fs.String("format", "maildir", "maildir (a Maildir++ tree) or mbox (one mboxrd file per folder)")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("export: want ADDRESS and DIR; usage: mailserver export %s", synopsis)
	}
	if *format != "maildir" && *format != "mbox" {
		return usagef("export: --format must be maildir or mbox, not %q", *format)
	}
	address, dir := pos[0], pos[1]
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("export: %s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	start := time.Now()
	w := &exportWriter{dir: dir, format: *format}
	err = c.withAdmin(ctx, func(a admin) error {
		switch a := a.(type) {
		case *adminClient:
			return a.exportStream(ctx, address, w.handle)
		case *directAdmin:
			u, err := a.st.UserByAddress(ctx, address)
			if err != nil {
				return err // names the user
			}
			return exportAccount(ctx, a.st, u.ID, w.handle)
		}
		return errors.New("export: no store")
	})
	if err = errors.Join(err, w.finish()); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	el := time.Since(start)
	fmt.Fprintf(c.stdout, "exported %d messages (%.1f MB) in %d folders of %s to %s (%s) in %s (%.0f msg/s)\n",
		w.messages, float64(w.bytes)/1e6, w.folders, address, dir, *format, el.Round(time.Millisecond),
		float64(w.messages)/max(el.Seconds(), 1e-3))
	if w.droppedKeywords > 0 {
		fmt.Fprintf(c.stderr, "mailserver: export: %d keywords left out: Maildir has 26 keyword letters per folder\n", w.droppedKeywords)
	}
	return nil
}

// exportStream asks the server for an export stream and hands its frames
// to handle.
func (c *adminClient) exportStream(ctx context.Context, address string, handle func(*frame, []byte) error) error {
	body, err := json.Marshal(addrArgs{address})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mailserver"+pathExportStream, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return adminResponse(resp, pathExportStream, nil)
	}
	fr := newFrameReader(resp.Body)
	var buf []byte
	for {
		f, err := fr.next()
		if err == io.EOF {
			return errors.New("export stream: cut short by the server")
		}
		if err == nil && f.Kind == frameEnd {
			return nil
		}
		if err != nil {
			return err
		}
		buf = buf[:0]
		if f.Kind == frameMessage {
			b := bytes.NewBuffer(buf)
			if _, err := b.ReadFrom(fr.body()); err != nil {
				return fmt.Errorf("export stream: %w", err)
			}
			buf = b.Bytes()
		}
		if err := handle(f, buf); err != nil {
			return err
		}
	}
}
