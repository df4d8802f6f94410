package compose

import (
	"crypto/rand"
	"net/mail"
	"strings"
	"testing"
)

// BenchmarkBuild builds a message with a 10 MiB attachment (the base64
// encoding dominates); b.SetBytes makes the result MB/s of attachment.
func BenchmarkBuild(b *testing.B) {
	data := make([]byte, 10<<20)
	rand.Read(data)
	m := &Message{From: &mail.Address{Address: "a@example.org"}, To: []*mail.Address{{Address: "b@example.org"}},
		Subject: "Bericht", Text: strings.Repeat("Grüße aus Köln. ", 200), Attachments: []Attachment{{Filename: "data.bin", Data: data}}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Build(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReply parses a stored message and prefills the reply.
func BenchmarkReply(b *testing.B) {
	raw := []byte(original)
	own := func(string) bool { return false }
	for b.Loop() {
		o, err := ParseOriginal(raw)
		if err != nil {
			b.Fatal(err)
		}
		Reply(o, own, true)
	}
}
