package queue

import (
	"sync"
	"time"
)

// connPool keeps sessions that finished a transaction cleanly, per
// destination, for the next message to the same place (as Postfix's
// connection cache does): a burst to one domain then costs one TCP, TLS
// and EHLO set-up per parallel session, not per message. A session idle
// for longer than idle is closed.
type connPool struct {
	idle time.Duration

	mu     sync.Mutex
	conns  map[string][]*pooledConn
	closed bool
}

type pooledConn struct {
	cn    *conn
	timer *time.Timer
}

func newConnPool(idle time.Duration) *connPool {
	return &connPool{idle: idle, conns: map[string][]*pooledConn{}}
}

// get takes an idle session for dest, or returns nil.
func (p *connPool) get(dest string) *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.conns[dest]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list = list[:len(list)-1]
		if pc.timer.Stop() { // false: being expired right now
			p.setList(dest, list)
			pc.cn.reused = true
			return pc.cn
		}
	}
	p.setList(dest, list)
	return nil
}

// put keeps a session for later, or closes it when the pool is closed.
func (p *connPool) put(cn *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go cn.close()
		return
	}
	pc := &pooledConn{cn: cn}
	pc.timer = time.AfterFunc(p.idle, func() { p.expire(pc) })
	p.conns[cn.dest] = append(p.conns[cn.dest], pc)
}

// expire closes a session that stayed idle.
func (p *connPool) expire(pc *pooledConn) {
	p.mu.Lock()
	list := p.conns[pc.cn.dest]
	for i, x := range list {
		if x == pc {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	p.setList(pc.cn.dest, list)
	p.mu.Unlock()
	pc.cn.close()
}

func (p *connPool) setList(dest string, list []*pooledConn) {
	if len(list) == 0 {
		delete(p.conns, dest)
	} else {
		p.conns[dest] = list
	}
}

// closeAll closes every idle session; later puts close theirs.
func (p *connPool) closeAll() {
	p.mu.Lock()
	var all []*pooledConn
	for _, list := range p.conns {
		all = append(all, list...)
	}
	p.conns = map[string][]*pooledConn{}
	p.closed = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pc := range all {
		if pc.timer.Stop() {
			wg.Go(pc.cn.close) // in parallel: each waits for its QUIT reply
		}
	}
	wg.Wait()
}
