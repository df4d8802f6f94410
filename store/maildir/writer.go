package maildir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FolderWriter writes messages into one folder of a Maildir++ tree, as
// Dovecot would find them: files in cur/ named "time.Mn.host,S=size:2,FLAGS"
// with the internal date as their mtime, a dovecot-keywords file for the
// keywords, and a dovecot-uidlist giving the order. Files are not fsynced
// one by one; the caller syncs the file system once at the end (Sync).
type FolderWriter struct {
	dir      string
	host     string
	keywords []string // index = letter - 'a'
	uidlist  []string
	n        int
	// Dropped counts keywords that did not fit the 26 letters.
	Dropped int
}

// CreateFolder makes the folder's directories under root ("INBOX" is the
// root itself).
func CreateFolder(root, folder string) (*FolderWriter, error) {
	dir := root
	if !strings.EqualFold(folder, "INBOX") {
		dir = filepath.Join(root, DirName(folder))
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", `\057`, ":", `\072`, ".", "_").Replace(host)
	if host == "" {
		host = "localhost"
	}
	return &FolderWriter{dir: dir, host: host}, nil
}

// letters is the info of flags; keywords get letters as they come.
func (w *FolderWriter) letters(flags []string) string {
	var b []byte
	for _, f := range flags {
		found := false
		for _, l := range infoLetters {
			if strings.EqualFold(l.flag, f) {
				b, found = append(b, l.letter), true
			}
		}
		if found || strings.HasPrefix(f, `\`) {
			continue
		}
		i := slices.IndexFunc(w.keywords, func(k string) bool { return strings.EqualFold(k, f) })
		if i < 0 {
			if len(w.keywords) == 26 {
				w.Dropped++
				continue
			}
			w.keywords = append(w.keywords, f)
			i = len(w.keywords) - 1
		}
		b = append(b, byte('a'+i))
	}
	slices.Sort(b)
	return string(slices.Compact(b))
}

// Write stores one message read from r (size octets) with its flags and
// internal date.
func (w *FolderWriter) Write(r io.Reader, size int64, flags []string, date time.Time) error {
	w.n++
	base := fmt.Sprintf("%d.M%dP%d.%s,S=%d", date.Unix(), w.n, os.Getpid(), w.host, size)
	name := base + ":2," + w.letters(flags)
	tmp := filepath.Join(w.dir, "tmp", base)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("maildir: write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("maildir: write %s: %w", tmp, err)
	}
	if err := os.Chtimes(tmp, date, date); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, "cur", name)); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	w.uidlist = append(w.uidlist, base)
	return nil
}

// Close writes dovecot-keywords and dovecot-uidlist (uidValidity as the
// V field).
func (w *FolderWriter) Close(uidValidity uint32) error {
	if len(w.keywords) > 0 {
		var b strings.Builder
		for i, k := range w.keywords {
			fmt.Fprintf(&b, "%d %s\n", i, k)
		}
		if err := os.WriteFile(filepath.Join(w.dir, "dovecot-keywords"), []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("maildir: %w", err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "3 V%d N%d\n", uidValidity, len(w.uidlist)+1)
	for i, base := range w.uidlist {
		fmt.Fprintf(&b, "%d :%s\n", i+1, base)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "dovecot-uidlist"), []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	return nil
}
