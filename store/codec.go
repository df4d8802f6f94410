package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

func u32(v uint32) []byte  { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte  { return binary.BigEndian.AppendUint64(nil, v) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// System flags (RFC 9051 §2.3.2) are kept as bits; keywords as strings.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

var systemFlags = []string{FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft}

const (
	bitSeen uint8 = 1 << iota
	bitAnswered
	bitFlagged
	bitDeleted
	bitDraft
)

// flagSet is the decoded flags of a message.
type flagSet struct {
	sys      uint8
	keywords []string // in insertion order, no case-insensitive duplicates
}

func systemBit(f string) uint8 {
	for i, s := range systemFlags {
		if strings.EqualFold(f, s) {
			return 1 << i
		}
	}
	return 0
}

func (fs *flagSet) has(f string) bool {
	if b := systemBit(f); b != 0 {
		return fs.sys&b != 0
	}
	for _, k := range fs.keywords {
		if strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

func (fs *flagSet) add(f string) {
	if b := systemBit(f); b != 0 {
		fs.sys |= b
		return
	}
	if strings.HasPrefix(f, `\`) || f == "" || fs.has(f) {
		return // unknown system flags (\Recent, \Foo) cannot be stored
	}
	fs.keywords = append(fs.keywords, f)
}

func (fs *flagSet) remove(f string) {
	if b := systemBit(f); b != 0 {
		fs.sys &^= b
		return
	}
	for i, k := range fs.keywords {
		if strings.EqualFold(k, f) {
			fs.keywords = append(fs.keywords[:i:i], fs.keywords[i+1:]...)
			return
		}
	}
}

func (fs *flagSet) list() []string {
	out := make([]string, 0, 2+len(fs.keywords))
	for i, s := range systemFlags {
		if fs.sys&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return append(out, fs.keywords...)
}

func (fs *flagSet) equal(o *flagSet) bool {
	if fs.sys != o.sys || len(fs.keywords) != len(o.keywords) {
		return false
	}
	for _, k := range fs.keywords {
		if !o.has(k) {
			return false
		}
	}
	return true
}

func newFlagSet(flags []string) flagSet {
	var fs flagSet
	for _, f := range flags {
		fs.add(f)
	}
	return fs
}

// messageRecord is the value under a message's UID key.
//
//	modseq u64 ‖ internal date unix nanos i64 ‖ size u64 ‖ body ID u64 ‖
//	system flags u8 ‖ keyword count u8 ‖ (length u8 ‖ keyword)*
type messageRecord struct {
	modSeq       uint64
	internalDate int64
	size         int64
	bodyID       uint64
	flags        flagSet
}

const messageRecordFixed = 8 + 8 + 8 + 8 + 1 + 1

func (m *messageRecord) encode() []byte {
	n := messageRecordFixed
	for _, k := range m.flags.keywords {
		n += 1 + len(k)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint64(b, m.modSeq)
	b = binary.BigEndian.AppendUint64(b, uint64(m.internalDate))
	b = binary.BigEndian.AppendUint64(b, uint64(m.size))
	b = binary.BigEndian.AppendUint64(b, m.bodyID)
	b = append(b, m.flags.sys, byte(len(m.flags.keywords)))
	for _, k := range m.flags.keywords {
		b = append(b, byte(len(k)))
		b = append(b, k...)
	}
	return b
}

var errCorrupt = errors.New("store: corrupt record")

func decodeMessage(b []byte) (messageRecord, error) {
	var m messageRecord
	if len(b) < messageRecordFixed {
		return m, errCorrupt
	}
	m.modSeq = be64(b[0:])
	m.internalDate = int64(be64(b[8:]))
	m.size = int64(be64(b[16:]))
	m.bodyID = be64(b[24:])
	m.flags.sys = b[32]
	n := int(b[33])
	b = b[messageRecordFixed:]
	if n > 0 {
		m.flags.keywords = make([]string, 0, n)
	}
	for range n {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return m, errCorrupt
		}
		m.flags.keywords = append(m.flags.keywords, string(b[1:1+int(b[0])]))
		b = b[1+int(b[0]):]
	}
	return m, nil
}

// Message is a message in a mailbox, as returned to protocol sessions.
type Message struct {
	UID          uint32
	ModSeq       uint64
	Flags        []string // system flags first (`\Seen`...), then keywords
	InternalDate time.Time
	Size         int64
	// BodyID names the (possibly shared) body: for OpenBody and BodyCache.
	BodyID uint64
}

func (m *messageRecord) message(uid uint32) Message {
	return Message{
		UID:          uid,
		ModSeq:       m.modSeq,
		Flags:        m.flags.list(),
		InternalDate: time.Unix(0, m.internalDate),
		Size:         m.size,
		BodyID:       m.bodyID,
	}
}

// HasFlag reports whether m carries flag f (case-insensitive).
func (m *Message) HasFlag(f string) bool {
	for _, g := range m.Flags {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}
