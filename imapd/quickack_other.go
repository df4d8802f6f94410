//go:build !linux

package imapd

import "syscall"

const quickAckSupported = false

func quickAck(syscall.RawConn) {}
