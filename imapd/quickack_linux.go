package imapd

import "syscall"

const quickAckSupported = true

// quickAck sets TCP_QUICKACK (tcp(7)): a pending delayed ACK is sent now.
// An error only means the ACK stays delayed.
func quickAck(raw syscall.RawConn) {
	_ = raw.Control(setQuickAck)
}

func setQuickAck(fd uintptr) {
	_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
