package maildir

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseName(t *testing.T) {
	kw := Keywords{"$Label1", "Work"}
	for _, tc := range []struct {
		name, base string
		time       int64
		flags      []string
	}{
		{"1700000000.M1P2.host,S=10,W=12:2,FRS", "1700000000.M1P2.host,S=10,W=12", 1700000000, []string{`\Flagged`, `\Answered`, `\Seen`}},
		{"1700000000.M1P2.host:2,Sba", "1700000000.M1P2.host", 1700000000, []string{`\Seen`, "Work", "$Label1"}},
		{"1700000000.M1P2.host;2,TDP", "1700000000.M1P2.host", 1700000000, []string{`\Deleted`, `\Draft`, "$Forwarded"}},
		{"1700000000.M1P2.host:2,z", "1700000000.M1P2.host", 1700000000, nil},
		{"nodigits.host", "nodigits.host", 0, nil},
		{"1700000000", "1700000000", 1700000000, nil},
	} {
		n, err := ParseName(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var want time.Time
		if tc.time > 0 {
			want = time.Unix(tc.time, 0)
		}
		if n.Base != tc.base || !n.Time.Equal(want) || !slices.Equal(n.Flags(kw), tc.flags) {
			t.Errorf("%s: %+v flags %v", tc.name, n, n.Flags(kw))
		}
	}
	for _, bad := range []string{"", ".hidden", "a/b"} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFolderNames(t *testing.T) {
	for dir, name := range map[string]string{".Sent": "Sent", ".Archive.2024": "Archive/2024", ".Entw&APw-rfe": "Entwürfe", ".a&AC4-b": "a.b", ".x&-y": "x&y"} {
		got, ok := FolderName(dir)
		if !ok || got != name {
			t.Errorf("FolderName(%q) = %q %v, want %q", dir, got, ok, name)
		}
	}
	for _, name := range []string{"Sent", "Archive/2024", "Entwürfe", "a.b", "x&y", "日本語/メール"} {
		if got, ok := FolderName(DirName(name)); !ok || got != name {
			t.Errorf("round trip of %q: %q via %q", name, got, DirName(name))
		}
	}
	for _, bad := range []string{"cur", ".", "..", ".a..b", ".&Jjo", ".&AC8-"} {
		if got, ok := FolderName(bad); ok {
			t.Errorf("FolderName(%q) = %q, want not a folder", bad, got)
		}
	}
}

func TestWriteThenRead(t *testing.T) {
	root := t.TempDir()
	date := time.Date(2021, 5, 6, 7, 8, 9, 123456789, time.UTC)
	want := map[string][]string{}
	for _, folder := range []string{"INBOX", "Archive/2024", "Sent"} {
		w, err := CreateFolder(root, folder)
		if err != nil {
			t.Fatal(err)
		}
		for i, flags := range [][]string{{`\Seen`, "Work"}, nil, {`\Draft`, "$Forwarded", "Later"}} {
			body := []byte(folder + strings.Repeat("x", i) + "\r\n")
			if err := w.Write(bytes.NewReader(body), int64(len(body)), flags, date.Add(time.Duration(-i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
			want[folder] = append(want[folder], strings.Join(flags, " "))
		}
		if err := w.Close(42); err != nil {
			t.Fatal(err)
		}
	}
	folders, err := Folders(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(folders) != 3 || folders[0].Name != "INBOX" || folders[1].Name != "Archive/2024" || folders[2].Name != "Sent" {
		t.Fatalf("folders %+v", folders)
	}
	for _, f := range folders {
		ents, err := Entries(f.Dir)
		if err != nil {
			t.Fatal(err)
		}
		kw, err := ReadKeywords(f.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range ents {
			got := e.Name.Flags(kw)
			slices.Sort(got)
			w := strings.Fields(want[f.Name][i])
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("%s %d: flags %v, want %v", f.Name, i, got, w)
			}
			b, _ := os.ReadFile(e.Path)
			if string(b) != f.Name+strings.Repeat("x", i)+"\r\n" {
				t.Errorf("%s %d: body %q (order by dovecot-uidlist)", f.Name, i, b)
			}
			fi, _ := os.Stat(e.Path)
			if !fi.ModTime().Equal(date.Add(time.Duration(-i) * time.Hour)) {
				t.Errorf("%s %d: mtime %v", f.Name, i, fi.ModTime())
			}
		}
	}
	// A user's home with a Maildir directory is read from there.
	home := t.TempDir()
	if err := os.Rename(root, filepath.Join(home, "Maildir")); err != nil {
		t.Fatal(err)
	}
	if f, err := Folders(home); err != nil || len(f) != 3 {
		t.Fatalf("home: %v %v", f, err)
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"1700000000.M1P2.host,S=10,W=12:2,FRS", "x:2,", "1:2,abcz", "99999999999999:2,", "a;2,S!2,T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s, n.Base) || len(n.Letters) > len(s) {
			t.Fatalf("%q: %+v", s, n)
		}
		n.Flags(Keywords{"a", "b"})
	})
}

func FuzzFolderName(f *testing.F) {
	for _, s := range []string{".Sent", ".Archive.2024", ".Entw&APw-rfe", ".&-", ".&AC4-", ".&2D3cAA-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, ok := FolderName(s)
		if !ok {
			return
		}
		if back, ok := FolderName(DirName(name)); !ok || back != name {
			t.Fatalf("%q -> %q -> %q -> %q", s, name, DirName(name), back)
		}
	})
}

func FuzzParseKeywords(f *testing.F) {
	f.Add("0 $Label1\n1 Work\n")
	f.Add("25 z\n26 no\n-1 x\n")
	f.Fuzz(func(t *testing.T, s string) {
		ParseKeywords(strings.NewReader(s))
	})
}

// TestPostfixDelivery: Postfix's local(8) and Dovecot's LDA put new mail
// in new/ without ":2," info; tmp/ holds deliveries in progress.
func TestPostfixDelivery(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"new/1700000001.V801I2c4M512345.mail.example": "Subject: new\n\n",
		"cur/1700000000.V801I2c3M1.mail.example:2,S":  "Subject: read\n\n",
		"tmp/1700000002.V801I2c5M1.mail.example":      "partial",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := Entries(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 || !strings.HasSuffix(ents[0].Path, ":2,S") || !strings.Contains(ents[1].Path, "/new/") || len(ents[1].Name.Flags(Keywords{})) != 0 {
		t.Fatalf("entries %+v", ents)
	}
}

// TestNestedLayout: mbsync's "SubFolders Verbatim" and Dovecot's
// LAYOUT=fs keep folders as plain subdirectories.
func TestNestedLayout(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cur", "new", "tmp", "Sent/cur", "Archive/2024/new", "Archive/notes", "INBOX/cur"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	folders, err := Folders(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range folders {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"INBOX", "INBOX", "Archive/2024", "Sent"}) {
		t.Fatalf("folders %v", names)
	}
}
