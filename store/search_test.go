package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSearchMessages(t *testing.T) {
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")
	crlf := func(m string) string { return strings.ReplaceAll(m, "\n", "\r\n") }
	msgs := []string{
		// 1: plain, encoded-word subject and name
		"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>\nTo: alice@example.test\nCc: carol@example.net\nSubject: =?utf-8?b?w5xiZXIgZGVuIEJlcmljaHQ=?=\n\nThe quarterly numbers.\n",
		// 2: quoted-printable latin-1 body
		"From: dave@example.org\nTo: alice@example.test\nSubject: lunch\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nLe caf=E9 =E0 midi\n",
		// 3: base64 text in a multipart, a base64 attachment that is not text
		"From: erin@example.org\nTo: bob@example.test\nSubject: files\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGlkZGVuIHdvcmQ=\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nc2VjcmV0YmluYXJ5\n--b--\n",
	}
	for _, m := range msgs {
		deliver(t, s, crlf(m), alice)
	}
	deliver(t, s, crlf("From: jm@example.org\nSubject: bob's quarterly\n\nquarterly\n"), bob)
	box := inbox(t, s, alice)
	if _, err := s.StoreFlags(ctx, alice.ID, box.ID, []uint32{2}, FlagsAdd, []string{`\Flagged`, `\Seen`}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    SearchCriteria
		want []uint32
	}{
		{"all", SearchCriteria{}, []uint32{1, 2, 3}},
		{"from decoded name", SearchCriteria{From: "müller"}, []uint32{1}},
		{"from address", SearchCriteria{From: "DAVE@"}, []uint32{2}},
		{"to", SearchCriteria{To: "alice"}, []uint32{1, 2}},
		{"cc counts as to", SearchCriteria{To: "carol"}, []uint32{1}},
		{"subject decoded", SearchCriteria{Subject: "über"}, []uint32{1}},
		{"body qp latin-1", SearchCriteria{Body: "café à"}, []uint32{2}},
		{"body base64 part", SearchCriteria{Body: "hidden word"}, []uint32{3}},
		{"not in binary parts", SearchCriteria{Body: "secretbinary"}, nil},
		{"text in header", SearchCriteria{Text: "erin"}, []uint32{3}},
		{"text in body", SearchCriteria{Text: "quarterly"}, []uint32{1}},
		{"flag", SearchCriteria{Flags: []string{`\Flagged`}}, []uint32{2}},
		{"not flag", SearchCriteria{NotFlags: []string{`\Seen`}}, []uint32{1, 3}},
		{"and", SearchCriteria{Text: "quarterly", From: "dave"}, nil},
		{"since future", SearchCriteria{Since: time.Now().Add(time.Hour)}, nil},
		{"before future", SearchCriteria{Before: time.Now().Add(time.Hour)}, []uint32{1, 2, 3}},
	} {
		got, err := s.SearchMessages(ctx, alice.ID, box.ID, &tc.c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Mailbox IDs are per user: the same ID under bob is bob's INBOX.
	got, err := s.SearchMessages(ctx, bob.ID, inbox(t, s, bob).ID, &SearchCriteria{Text: "quarterly"})
	if err != nil || !slices.Equal(got, []uint32{1}) {
		t.Errorf("bob's search: %v %v", got, err)
	}
	if _, err := s.SearchMessages(ctx, alice.ID, 999, &SearchCriteria{}); !errors.Is(err, ErrNoSuchMailbox) {
		t.Errorf("missing mailbox: %v", err)
	}
}

func FuzzSearchMatch(f *testing.F) {
	f.Add([]byte("From: a@b\r\nSubject: x\r\n\r\nbody\r\n"), "body")
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"), "x")
	f.Add([]byte("Subject: =?utf-8?q?=E2=82=AC?=\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"), "€")
	f.Fuzz(func(t *testing.T, msg []byte, needle string) {
		c := &SearchCriteria{From: needle, To: needle, Subject: needle}
		c.matchesMessage(msg)
		c = &SearchCriteria{Text: needle, Body: needle}
		c.matchesMessage(msg)
	})
}
