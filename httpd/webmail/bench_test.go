package webmail

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// fillMailbox imports n messages of a few kilobytes into the user's INBOX.
func fillMailbox(b *testing.B, e *testEnv, u *store.User, n int) {
	b.Helper()
	body := strings.Repeat("Some text of the message, long enough to look like mail.\r\n", 40)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 1000 {
		batch := &store.ImportBatch{}
		for i := start; i < min(n, start+1000); i++ {
			msg := fmt.Sprintf("Return-Path: <sender%d@example.org>\r\nReceived: from mx.example.org by mail.example.test; Mon, 1 Dec 2025 10:00:00 +0000\r\n"+
				"From: Sender %d <sender%d@example.org>\r\nTo: alice@example.test\r\nSubject: Message number %d about things\r\n"+
				"Date: Mon, 1 Dec 2025 10:00:00 +0000\r\nMessage-ID: <%d@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
				i%97, i%97, i%97, i, i, body)
			batch.Messages = append(batch.Messages, store.ImportMessage{Mailbox: "INBOX", Body: store.NewBody([]byte(msg)),
				InternalDate: base.Add(time.Duration(i) * time.Minute)})
		}
		if _, err := e.st.Import(context.Background(), u.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessageList10000 measures the server time of the first page
// of the message list of a 10,000-message INBOX: the handler alone
// (ServeHTTP into a recorder), with the session, the store's records and
// the header sections read. "cold" empties the envelope cache before every
// request (each header section is read from the store); "warm" is the
// usual case of a page shown again.
func BenchmarkMessageList10000(b *testing.B) {
	e := newTestEnv(b)
	fillMailbox(b, e, e.alice, 10000)
	s := e.h.sessions.create(e.alice.ID, e.alice.Address)
	req := func() *http.Request {
		r := httptest.NewRequest("GET", "https://mail.example.test/webmail/", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.ID})
		return r
	}
	check := func(w *httptest.ResponseRecorder) {
		if w.Code != 200 || strings.Count(w.Body.String(), "<tr data-uid=") != DefaultPageSize {
			b.Fatalf("list: %d, %d rows", w.Code, strings.Count(w.Body.String(), "<tr data-uid="))
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			e.h.envelopes = newEnvelopeCache(envelopeCacheSize)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req())
			check(w)
		}
	})
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req())
			check(w)
		}
	})
}
