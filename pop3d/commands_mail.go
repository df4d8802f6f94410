package pop3d

import (
	"strconv"
	"strings"
)

// cmdStat: "+OK count octets" for the messages not marked as deleted
// (RFC 1939 §5).
func (s *session) cmdStat(args string) error {
	if args != "" {
		return errorf("", "STAT takes no arguments")
	}
	n, octets, err := s.drop.totals()
	if err != nil {
		return err
	}
	s.writeLine("+OK " + strconv.Itoa(n) + " " + strconv.FormatInt(octets, 10))
	return nil
}

// cmdList gives the size of one message, or of each message not marked as
// deleted (RFC 1939 §5).
func (s *session) cmdList(args string) error {
	return s.listing(args, "LIST", func(m *message) (string, error) {
		sz, err := s.drop.size(m)
		return strconv.FormatInt(sz, 10), err
	})
}

// cmdUidl gives the unique-id of one message or of each message not marked
// as deleted (RFC 1939 §7).
func (s *session) cmdUidl(args string) error {
	return s.listing(args, "UIDL", func(m *message) (string, error) {
		return s.drop.uidl(m), nil
	})
}

// listing is LIST and UIDL: "+OK n value" for one message, or a
// multi-line list of "n value".
func (s *session) listing(args, verb string, value func(*message) (string, error)) error {
	fields := strings.Fields(args)
	switch len(fields) {
	case 0:
	case 1:
		n, m, err := s.drop.lookup(fields[0])
		if err != nil {
			return err
		}
		v, err := value(m)
		if err != nil {
			return err
		}
		s.writeLine("+OK " + strconv.Itoa(n) + " " + v)
		return nil
	default:
		return errorf("", "syntax: %s [message]", verb)
	}
	// Values first, so that an error can still be a -ERR reply.
	lines := make([]string, 0, len(s.drop.msgs))
	for i := range s.drop.msgs {
		m := &s.drop.msgs[i]
		if m.deleted {
			continue
		}
		v, err := value(m)
		if err != nil {
			return err
		}
		lines = append(lines, strconv.Itoa(i+1)+" "+v)
	}
	s.writeLine("+OK " + strconv.Itoa(len(lines)) + " messages")
	for _, l := range lines {
		s.writeLine(l)
	}
	s.writeLine(".")
	return nil
}

// cmdDele marks a message as deleted; QUIT removes it (RFC 1939 §5).
func (s *session) cmdDele(args string) error {
	n, m, err := s.drop.lookup(strings.TrimSpace(args))
	if err != nil {
		return err
	}
	m.deleted = true
	s.writeLine("+OK message " + strconv.Itoa(n) + " deleted")
	return nil
}

// cmdRset unmarks every message marked as deleted (RFC 1939 §5).
func (s *session) cmdRset(args string) error {
	if args != "" {
		return errorf("", "RSET takes no arguments")
	}
	for i := range s.drop.msgs {
		s.drop.msgs[i].deleted = false
	}
	s.writeLine("+OK maildrop has " + strconv.Itoa(len(s.drop.msgs)) + " messages")
	return nil
}

func (s *session) cmdNoop(args string) error {
	if args != "" {
		return errorf("", "NOOP takes no arguments")
	}
	s.writeLine("+OK")
	return nil
}
