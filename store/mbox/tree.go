package mbox

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one mbox file of a tree and the folder it holds.
type File struct {
	Folder string // levels separated by '/'; "INBOX" for an inbox file
	Path   string
}

// Files lists the mbox files under root, the folder of each named by its
// path: "Archive/2024" for root/Archive/2024 (Dovecot, mutt), with a
// ".mbox" suffix dropped and a Thunderbird "X.sbd" directory read as the
// level "X". A top-level "inbox" or "mbox" file is INBOX. Dot files and
// directories (Dovecot's .imap indexes, .subscriptions), Thunderbird's
// .msf indexes, and files that do not start with "From " (not an mbox)
// are left out. A root that is a file is one mbox, INBOX.
func Files(root string) ([]File, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []File{{Folder: "INBOX", Path: root}}, nil
	}
	var out []File
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".msf") || !looksLikeMbox(path) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		levels := strings.Split(filepath.ToSlash(rel), "/")
		for i, l := range levels {
			if i < len(levels)-1 {
				levels[i] = strings.TrimSuffix(l, ".sbd")
			} else {
				levels[i] = strings.TrimSuffix(l, ".mbox")
			}
		}
		folder := strings.Join(levels, "/")
		if len(levels) == 1 && (strings.EqualFold(folder, "inbox") || strings.EqualFold(folder, "mbox")) {
			folder = "INBOX"
		}
		out = append(out, File{Folder: folder, Path: path})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Folder, b.Folder) })
	return out, nil
}

// looksLikeMbox: the file is empty or starts with "From ".
func looksLikeMbox(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 5)
	n, err := io.ReadFull(f, head)
	return n == 0 && err == io.EOF || bytes.Equal(head[:n], []byte("From "))
}
