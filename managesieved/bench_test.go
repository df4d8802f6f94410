package managesieved

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// BenchmarkParsePutScript: the parser on a PUTSCRIPT with a 10 KiB
// literal.
func BenchmarkParsePutScript(b *testing.B) {
	script := strings.Repeat("if header :contains \"Subject\" \"x\" { keep; }\r\n", 10<<10/48)
	cmd := []byte(putLiteral("main", script) + "\r\n")
	b.SetBytes(int64(len(cmd)))
	r := bufio.NewReaderSize(nil, 16<<10)
	for b.Loop() {
		r.Reset(bytes.NewReader(cmd))
		p := parser{r: r, maxLine: DefaultMaxLineLength, maxLiteral: DefaultMaxScriptSize, maxDiscard: maxDiscardBytes}
		if _, args, err := p.command(); err != nil || len(args) != 2 {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutScriptParallel: PUTSCRIPTs of 8 sessions of 8 users over
// loopback, each answered after its durable commit; concurrent sessions
// share commits.
func BenchmarkPutScriptParallel(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.MaxScripts = 1 << 20 })
	const sessions = 8
	var clients []*client
	for i := range sessions {
		user := fmt.Sprintf("u%d@%s", i, testDomain)
		if _, err := e.st.AddUser(context.Background(), user, password); err != nil {
			b.Fatal(err)
		}
		c := dial(b, e.addr)
		c.login(user, password)
		clients = append(clients, c)
	}
	cmd := putLiteral("main", "require \"fileinto\";\r\nif header :contains \"List-Id\" \"x\" { fileinto \"Lists\"; }\r\n") + "\r\n"
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/sessions + 1
	for _, c := range clients {
		wg.Go(func() {
			for range per {
				if _, err := c.conn.Write([]byte(cmd)); err != nil {
					b.Error(err)
					return
				}
				if l, err := c.br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "OK") {
					b.Error(l, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
