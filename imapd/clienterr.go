package imapd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
)

// isDisconnect reports whether err means the client's connection ended or
// broke (FIN, RST, a TLS close or alert, a timeout waiting for it): the
// client's doing, logged at info, never at ERROR.
func isDisconnect(err error) bool {
	var (
		ne   net.Error
		alrt tls.AlertError
		rhe  tls.RecordHeaderError
	)
	switch {
	case err == nil:
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case errors.As(err, &alrt), errors.As(err, &rhe):
		return true
	}
	return false
}

// logLibrary logs a line from go-imap's imapserver (its Logger gets only
// Printf). The library logs every connection that ends while it reads a
// command ("failed to read command: EOF", a reset, a TLS alert) and every
// write to a client that has gone: those are the client's doing and go
// out at info; anything else (a panic it caught, a failed session) at
// warning.
func logLibrary(log *slog.Logger, format string, args ...any) {
	level := slog.LevelWarn
	for _, a := range args {
		if err, ok := a.(error); ok && isDisconnect(err) {
			level = slog.LevelInfo
		}
	}
	log.Log(context.Background(), level, "imap library: "+fmt.Sprintf(format, args...))
}
