package sieve

// Default limits, the single source of these defaults (config [sieve] uses them).
const (
	// DefaultMaxScriptBytes bounds the script source (Pigeonhole's default is 1 MiB).
	DefaultMaxScriptBytes = 1 << 20
	// DefaultMaxNesting bounds the depth of nested blocks, and separately of
	// nested tests: 31, what Pigeonhole accepts.
	DefaultMaxNesting = 31
	// DefaultMaxActions bounds the actions one run may perform (Pigeonhole: 32).
	DefaultMaxActions = 32
	// DefaultMaxRedirects bounds redirects per message (RFC 5228 §10; Pigeonhole: 4).
	DefaultMaxRedirects = 4
	// DefaultMaxRegexBytes bounds one :regex pattern, after variable expansion.
	DefaultMaxRegexBytes = 1024
	// DefaultMaxVariables bounds the number of distinct variable names (Pigeonhole: 255).
	DefaultMaxVariables = 255
	// DefaultMaxVariableBytes bounds a variable's value; longer values are
	// truncated (RFC 5229 §6 allows this; Pigeonhole: 4096).
	DefaultMaxVariableBytes = 4096

	// maxRegexCost bounds the sum over one run of pattern bytes × input bytes
	// for :regex matching. Go's regexp is linear (RE2), so this bounds the time.
	maxRegexCost = 64 << 20
	// maxRegexInput bounds the bytes of one value a :regex is run on.
	maxRegexInput = 64 << 10
	// maxMatchVariables is the number of match variables kept: ${0}..${31}
	// (RFC 5229 §3.2 requires ${0}..${9} and allows more; Pigeonhole keeps 32).
	maxMatchVariables = 32
)

// Limits bounds what a script may do. A zero field means the package default.
type Limits struct {
	MaxScriptBytes   int
	MaxNesting       int
	MaxActions       int
	MaxRedirects     int
	MaxRegexBytes    int
	MaxVariables     int
	MaxVariableBytes int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxScriptBytes, DefaultMaxScriptBytes)
	def(&l.MaxNesting, DefaultMaxNesting)
	def(&l.MaxActions, DefaultMaxActions)
	def(&l.MaxRedirects, DefaultMaxRedirects)
	def(&l.MaxRegexBytes, DefaultMaxRegexBytes)
	def(&l.MaxVariables, DefaultMaxVariables)
	def(&l.MaxVariableBytes, DefaultMaxVariableBytes)
	return l
}
