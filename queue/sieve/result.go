package sieve

// Actions a script performs (RFC 5228 §4 and the extensions).

// Action is one performed action; the concrete types below are all there are.
type Action interface{ action() }

// Keep is an explicit keep: store in INBOX (RFC 5228 §4.3).
type Keep struct{ Flags []string }

// FileInto stores into Mailbox (RFC 5228 §4.1); Copy is RFC 3894 :copy,
// Create RFC 5490 §3.2 :create, Flags RFC 5232 §5.
type FileInto struct {
	Mailbox      string
	Flags        []string
	Copy, Create bool
}

// Redirect forwards to Address, an addr-spec (RFC 5228 §4.2, RFC 3894 :copy).
type Redirect struct {
	Address string
	Copy    bool
}

// Reject refuses the message with Reason (RFC 5429); Extended is ereject.
type Reject struct {
	Reason   string
	Extended bool
}

// Discard silently drops the message (RFC 5228 §4.4).
type Discard struct{}

// Vacation asks for an auto-reply (RFC 5230). The package returns it
// whenever the script calls vacation; whether to send (RFC 5230 §4.5,
// RFC 3834) is the deliverer's decision. Subject and From are the script's
// :subject and :from ("" when absent); Seconds is :days×86400 or :seconds
// (RFC 6131), default 7 days, at least one day (the minimum RFC 5230 §4.1
// lets sites set, as Pigeonhole's default). Handle is :handle or the
// Pigeonhole-compatible default (RFC 5230 §4.2 leaves it to the
// implementation).
type Vacation struct {
	Reason        string
	Subject, From string
	Addresses     []string
	Mime          bool
	Handle        string
	Seconds       int64
}

func (Keep) action()     {}
func (FileInto) action() {}
func (Redirect) action() {}
func (Reject) action()   {}
func (Discard) action()  {}
func (Vacation) action() {}

// Result is what a run decided.
type Result struct {
	Actions      []Action // in the order performed, after RFC 5228 §2.10 rules
	ImplicitKeep bool     // true unless cancelled (RFC 5228 §2.10.2)
	KeepFlags    []string // flags for the implicit keep (RFC 5232 §3, internal variable)

	envelopeFrom string // the vacation reply recipient, for Lines
	failed       bool   // a runtime error happened (Lines prints "error")
}
