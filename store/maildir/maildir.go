// Package maildir reads and writes Maildir trees (D. J. Bernstein's
// Maildir, https://cr.yp.to/proto/maildir.html) with the Maildir++
// folder layout of Courier and Dovecot: INBOX is the root's cur/new/tmp,
// folder "A/B" is the directory ".A.B", names in modified UTF-7. Flags are
// the letters after ":2," in a file name; Dovecot's dovecot-keywords file
// maps the letters a-z to keywords, and its dovecot-uidlist gives the
// order of the messages. It knows nothing of the store: package cmd
// feeds what it reads to store.Import.
package maildir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// System flags as IMAP names them (RFC 9051 §2.3.2).
const (
	flagSeen     = `\Seen`
	flagAnswered = `\Answered`
	flagFlagged  = `\Flagged`
	flagDeleted  = `\Deleted`
	flagDraft    = `\Draft`
	// KeywordForwarded is what the Maildir flag P ("passed") becomes, as
	// in mbsync and Thunderbird ($Forwarded, RFC 5788 registry).
	KeywordForwarded = "$Forwarded"
)

// infoLetters are the Maildir info flags, in the ASCII order they must be
// written in.
var infoLetters = []struct {
	letter byte
	flag   string
}{
	{'D', flagDraft}, {'F', flagFlagged}, {'P', KeywordForwarded},
	{'R', flagAnswered}, {'S', flagSeen}, {'T', flagDeleted},
}

// Name is a parsed message file name: "time.unique[,S=size,...]:2,FLAGS".
type Name struct {
	Base string // the name without ":2,FLAGS" (what dovecot-uidlist lists)
	// Time is the leading Unix time (the delivery time); zero if the name
	// does not start with one.
	Time time.Time
	// Letters are the flag letters after ":2," (upper case system flags,
	// lower case Dovecot keyword indexes), as they appear.
	Letters string
}

// ParseName parses a message file name. It accepts ':' and, as on
// file systems without it, ';' or '!' before "2,". It is linear in
// len(name) and never fails on a name that is not a dot file: a name
// without info has no flags.
func ParseName(name string) (Name, error) {
	if name == "" || name[0] == '.' || strings.ContainsAny(name, "/\x00") {
		return Name{}, fmt.Errorf("maildir: not a message file name: %q", name)
	}
	n := Name{Base: name}
	if i := strings.LastIndexAny(name, ":;!"); i >= 0 && strings.HasPrefix(name[i+1:], "2,") {
		n.Base, n.Letters = name[:i], name[i+3:]
	}
	digits := 0
	for digits < len(n.Base) && digits < 12 && n.Base[digits] >= '0' && n.Base[digits] <= '9' {
		digits++
	}
	if digits > 0 && (digits == len(n.Base) || n.Base[digits] == '.' || n.Base[digits] == '_') {
		if sec, err := strconv.ParseInt(n.Base[:digits], 10, 64); err == nil && sec > 0 {
			n.Time = time.Unix(sec, 0)
		}
	}
	return n, nil
}

// Flags turns the name's letters into IMAP flags, keywords from kw (the
// folder's dovecot-keywords; a letter it does not define is dropped).
func (n Name) Flags(kw Keywords) []string {
	var out []string
	for i := 0; i < len(n.Letters); i++ {
		c := n.Letters[i]
		if c >= 'a' && c <= 'z' {
			if k := kw[c-'a']; k != "" && !slices.Contains(out, k) {
				out = append(out, k)
			}
			continue
		}
		for _, l := range infoLetters {
			if l.letter == c && !slices.Contains(out, l.flag) {
				out = append(out, l.flag)
			}
		}
	}
	return out
}

// Keywords is a folder's dovecot-keywords: index 0 is letter 'a'.
type Keywords [26]string

// ReadKeywords reads dir's dovecot-keywords ("N keyword" lines); a
// folder without the file has none.
func ReadKeywords(dir string) (Keywords, error) {
	var kw Keywords
	f, err := os.Open(filepath.Join(dir, "dovecot-keywords"))
	if errors.Is(err, os.ErrNotExist) {
		return kw, nil
	}
	if err != nil {
		return kw, err
	}
	defer f.Close()
	return ParseKeywords(f)
}

// ParseKeywords parses a dovecot-keywords file; bad lines are skipped,
// as Dovecot does.
func ParseKeywords(r io.Reader) (Keywords, error) {
	var kw Keywords
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		num, word, ok := strings.Cut(sc.Text(), " ")
		i, err := strconv.Atoi(num)
		word = strings.TrimSpace(word)
		if !ok || err != nil || i < 0 || i >= len(kw) || word == "" || strings.ContainsAny(word, " \\(){%*\"]") {
			continue
		}
		kw[i] = word
	}
	return kw, sc.Err()
}

// FolderName maps a Maildir++ directory name (".Sent", ".Archive.2024")
// to a folder name with '/' between levels ("Archive/2024"). ok is false
// for names that are not folders (no leading dot, ".", "..", empty
// levels, bad modified UTF-7).
func FolderName(dir string) (name string, ok bool) {
	if len(dir) < 2 || dir[0] != '.' || dir == ".." {
		return "", false
	}
	levels := strings.Split(dir[1:], ".")
	for i, l := range levels {
		d, err := decodeUTF7(l)
		if err != nil || d == "" || strings.ContainsRune(d, '/') {
			return "", false
		}
		levels[i] = d
	}
	return strings.Join(levels, "/"), true
}

// DirName is FolderName's inverse: the Maildir++ directory of a folder
// whose levels are separated by '/'. A '.' inside a level is encoded, so
// the name comes back unchanged.
func DirName(folder string) string {
	levels := strings.Split(folder, "/")
	for i, l := range levels {
		levels[i] = encodeUTF7(l, ".")
	}
	return "." + strings.Join(levels, ".")
}

// Folder is one folder of a tree.
type Folder struct {
	Name string // "INBOX" for the root
	Dir  string
}

// IsMaildir tells whether dir holds a cur or new directory.
func IsMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// Folders lists the folders of the Maildir++ tree at root: root itself
// (INBOX) and every ".Name" directory that is a maildir, and maildirs in
// plain subdirectories (Name/Sub), sorted by name.
// A root without cur/new but with a "Maildir" directory (a user's home,
// as Postfix and Dovecot lay it out) is read from there.
func Folders(root string) ([]Folder, error) {
	if !IsMaildir(root) && IsMaildir(filepath.Join(root, "Maildir")) {
		root = filepath.Join(root, "Maildir")
	}
	var out []Folder
	switch {
	case IsMaildir(root):
		out = append(out, Folder{Name: "INBOX", Dir: root})
	case !IsMaildir(filepath.Join(root, "INBOX")): // LAYOUT=fs keeps INBOX there
		return nil, fmt.Errorf("maildir: %s has no cur or new directory", root)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name, ok := FolderName(e.Name())
		if !ok || !e.IsDir() || !IsMaildir(filepath.Join(root, e.Name())) {
			continue
		}
		if strings.EqualFold(name, "INBOX") {
			continue // Maildir++ has no ".INBOX"; the root is INBOX
		}
		out = append(out, Folder{Name: name, Dir: filepath.Join(root, e.Name())})
	}
	// Folders as plain subdirectories (Dovecot's LAYOUT=fs, mbsync's
	// "SubFolders Verbatim"): Maildir/Sent, Maildir/Archive/2024.
	if err := nestedFolders(root, "", 1, &out); err != nil {
		return nil, err
	}
	// INBOX first, then by name; a name may come twice (".Sent" and
	// "Sent/"): both are read into that folder.
	slices.SortStableFunc(out, func(a, b Folder) int {
		if ai, bi := a.Name == "INBOX", b.Name == "INBOX"; ai != bi {
			if ai {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// maxNesting bounds the depth of nested folders read (the store allows 16
// levels).
const maxNesting = 16

// nestedFolders adds the maildirs below dir that are not Maildir++ dot
// directories, named by their path.
func nestedFolders(dir, prefix string, depth int, out *[]Folder) error {
	if depth > maxNesting {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || strings.HasPrefix(n, ".") || n == "cur" || n == "new" || n == "tmp" || n == "courierimapkeywords" {
			continue
		}
		sub := filepath.Join(dir, n)
		name := prefix + n
		if IsMaildir(sub) {
			if prefix == "" && strings.EqualFold(n, "INBOX") {
				name = "INBOX"
			}
			*out = append(*out, Folder{Name: name, Dir: sub})
		}
		if err := nestedFolders(sub, name+"/", depth+1, out); err != nil {
			return err
		}
	}
	return nil
}

// Entry is one message file of a folder.
type Entry struct {
	Path string
	Name Name
}

// Entries lists the message files of a folder (cur and new; tmp holds
// deliveries in progress), in Dovecot's UID order when dovecot-uidlist
// lists them, then by delivery time and name.
func Entries(dir string) ([]Entry, error) {
	var out []Entry
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			n, err := ParseName(e.Name())
			if err != nil {
				continue
			}
			out = append(out, Entry{Path: filepath.Join(dir, sub, e.Name()), Name: n})
		}
	}
	uids, err := readUIDList(dir)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Entry) int {
		ua, oka := uids[a.Name.Base]
		ub, okb := uids[b.Name.Base]
		switch {
		case oka && okb:
			return int(ua) - int(ub)
		case oka:
			return -1
		case okb:
			return 1
		}
		if c := a.Name.Time.Compare(b.Name.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name.Base, b.Name.Base)
	})
	return out, nil
}

// readUIDList reads Dovecot's dovecot-uidlist (version 3: a header line,
// then "UID [extensions] :basename"), base name → UID. Missing or
// unreadable: no order.
func readUIDList(dir string) (map[string]int64, error) {
	f, err := os.Open(filepath.Join(dir, "dovecot-uidlist"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		line := sc.Text()
		num, rest, _ := strings.Cut(line, " ")
		uid, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			continue
		}
		if i := strings.Index(rest, ":"); i >= 0 {
			out[rest[i+1:]] = uid
		}
	}
	return out, nil
}
