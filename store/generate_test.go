package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fill delivers n messages of about size bytes to the user's INBOX,
// perTx to a transaction through the same submitTx that Submit runs: a
// fast store-level generator for tests and benchmarks that need a large
// database. Every third message is \Seen, every fifth has a keyword.
func fill(tb testing.TB, s *Store, u *User, n, size, perTx int) {
	tb.Helper()
	pad := make([]byte, size)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
		if i%78 == 77 {
			pad[i-1], pad[i] = '\r', '\n'
		}
	}
	date := time.Unix(1700000000, 0)
	for done := 0; done < n; {
		batch := min(perTx, n-done)
		err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
			for i := range batch {
				k := done + i
				var flags []string
				if k%3 == 0 {
					flags = append(flags, FlagSeen)
				}
				if k%5 == 0 {
					flags = append(flags, "$Label1")
				}
				body := NewBody(append([]byte(fmt.Sprintf("Subject: message %d\r\n\r\n", k)), pad...))
				sub := &Submission{Body: body, Local: []LocalDelivery{{UserID: u.ID, Flags: flags}}}
				res, err := s.submitTx(tx, sub, date.Add(time.Duration(k)*time.Second), ch)
				if err != nil {
					return err
				}
				if res.Local[0].Err != nil {
					return res.Local[0].Err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		done += batch
	}
}
