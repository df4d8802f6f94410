package managesieved

import (
	"context"
	"strings"
	"testing"
)

const vacationScript = "require [\"vacation\"];\r\nvacation \"I am away\";\r\n"

func TestScriptCommands(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	c := dial(t, e.addr)
	c.login(alice, password)
	c.cmd("LISTSCRIPTS", `OK "Listscripts completed"`)

	// PUTSCRIPT with a non-synchronizing literal, a synchronizing one
	// (read the same way) and a quoted string.
	c.cmd(putLiteral("vacation", vacationScript), `OK "Putscript completed"`)
	c.send("PUTSCRIPT \"lists\" {6}\r\nkeep;\n\r\n")
	c.expect("OK")
	c.cmd(`PUTSCRIPT "quoted \"name\"" "discard;"`, "OK")

	c.send("LISTSCRIPTS\r\n")
	for _, want := range []string{`"lists"`, `"quoted \"name\""`, `"vacation"`} {
		c.expect(want)
	}
	c.expect("OK")

	// GETSCRIPT returns the octets stored, as a literal.
	head := c.cmd(`GETSCRIPT "vacation"`, "{")
	if got := c.literal(head); got != vacationScript {
		t.Fatalf("GETSCRIPT = %q, want %q", got, vacationScript)
	}
	c.expect(`OK "Getscript completed"`)
	c.cmd(`GETSCRIPT "nope"`, `NO (NONEXISTENT)`)

	// SETACTIVE: the one active script.
	c.cmd(`SETACTIVE "vacation"`, `OK "Setactive completed"`)
	c.send("LISTSCRIPTS\r\n")
	c.expect(`"lists"`)
	c.expect(`"quoted \"name\""`)
	c.expect(`"vacation" ACTIVE`)
	c.expect("OK")
	name, content, _, err := e.st.ActiveSieveScript(ctx, e.users[alice].ID)
	if err != nil || name != "vacation" || string(content) != vacationScript {
		t.Fatalf("store's active script: %q %q %v", name, content, err)
	}
	c.cmd(`SETACTIVE "nope"`, `NO (NONEXISTENT)`)

	// DELETESCRIPT refuses the active one.
	c.cmd(`DELETESCRIPT "vacation"`, `NO (ACTIVE)`)
	c.cmd(`DELETESCRIPT "nope"`, `NO (NONEXISTENT)`)
	c.cmd(`DELETESCRIPT "lists"`, `OK "Deletescript completed"`)

	// RENAMESCRIPT keeps the active script active.
	c.cmd(`RENAMESCRIPT "vacation" "away"`, `OK "Renamescript completed"`)
	c.cmd(`RENAMESCRIPT "away" "quoted \"name\""`, `NO (ALREADYEXISTS)`)
	c.cmd(`RENAMESCRIPT "nope" "x"`, `NO (NONEXISTENT)`)
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.users[alice].ID); name != "away" {
		t.Fatalf("active after rename: %q", name)
	}

	// SETACTIVE "" deactivates; then the script can go.
	c.cmd(`SETACTIVE ""`, "OK")
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.users[alice].ID); name != "" {
		t.Fatalf("active after deactivating: %q", name)
	}
	c.cmd(`DELETESCRIPT "away"`, "OK")

	// Invalid names (RFC 5804 §1.6).
	c.cmd(`PUTSCRIPT "" "keep;"`, `NO "invalid script name`)
	c.cmd("PUTSCRIPT {3+}\r\na\nb \"keep;\"", `NO "invalid script name`)
	c.cmd(`GETSCRIPT ""`, `NO "invalid script name`)

	// Argument errors.
	c.cmd(`PUTSCRIPT "x"`, `NO "syntax: PUTSCRIPT name script"`)
	c.cmd(`GETSCRIPT 5`, `NO "syntax: GETSCRIPT name"`)
	c.cmd(`RENAMESCRIPT "x"`, `NO "syntax: RENAMESCRIPT`)
	c.cmd(`LISTSCRIPTS "x"`, `NO "LISTSCRIPTS takes no arguments"`)

	// Bob sees none of it.
	c2 := dial(t, e.addr)
	c2.login(bob, password)
	c2.cmd(`GETSCRIPT "quoted \"name\""`, `NO (NONEXISTENT)`)
	c2.cmd("LISTSCRIPTS", "OK")
}

// TestScriptErrors: a script the checker refuses is not stored; the NO
// carries the checker's "line L, column C: ..." text.
func TestScriptErrors(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice, password)
	bad := "require \"fileinto\";\r\nfrobnicate;\r\n"
	c.cmd(putLiteral("bad", bad), `NO "line 2, column 1: unknown command \"frobnicate\""`)
	c.cmd(`GETSCRIPT "bad"`, `NO (NONEXISTENT)`)
	c.send("CHECKSCRIPT {" + itoa(len(bad)) + "+}\r\n" + bad + "\r\n")
	c.expect(`NO "line 2, column 1:`)
	c.cmd(`CHECKSCRIPT "keep;"`, `OK "Checkscript completed"`)
	// A good script replaced by a bad one keeps the good content.
	c.cmd(putLiteral("s", "keep;\r\n"), "OK")
	c.cmd(`SETACTIVE "s"`, "OK")
	c.cmd(putLiteral("s", bad), `NO "line 2`)
	if _, content, _, _ := e.st.ActiveSieveScript(context.Background(), e.users[alice].ID); string(content) != "keep;\r\n" {
		t.Fatalf("active script after a refused replacement: %q", content)
	}
	// A stored script the checker no longer accepts cannot be activated
	// (it reached the store past this server, e.g. an older version).
	if err := e.st.PutSieveScript(context.Background(), e.users[alice].ID, "old", []byte(bad)); err != nil {
		t.Fatal(err)
	}
	c.cmd(`SETACTIVE "old"`, `NO "line 2, column 1:`)
	// A message with a line break goes out as a literal (fakeCheck).
	head := c.cmd(`CHECKSCRIPT "two lines"`, "NO {")
	if got := c.literal(strings.TrimPrefix(head, "NO ")); got != "line 1, column 1: two\nlines" {
		t.Fatalf("literal message %q", got)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxScripts = 2; o.MaxScriptSize = 100 })
	c := dial(t, e.addr)
	c.login(alice, password)
	c.cmd(putLiteral("a", "keep;"), "OK")
	c.cmd(putLiteral("b", "keep;"), "OK")
	c.cmd(putLiteral("c", "keep;"), `NO (QUOTA/MAXSCRIPTS)`)
	c.cmd(putLiteral("b", "discard;"), "OK") // a replacement fits
	c.cmd(`HAVESPACE "c" 10`, `NO (QUOTA/MAXSCRIPTS)`)
	c.cmd(`HAVESPACE "b" 100`, `OK`)
	c.cmd(`HAVESPACE "b" 101`, `NO (QUOTA/MAXSIZE)`)
	c.cmd(`HAVESPACE "b" 99999999999`, `NO "number larger than`)
	c.cmd(`HAVESPACE "b" "10"`, `NO "syntax: HAVESPACE name size"`)
	// A script over the size limit is read and refused; the session goes on.
	big := strings.Repeat("#", 101)
	c.cmd(putLiteral("b", big), `NO (QUOTA/MAXSIZE)`)
	c.cmd("CHECKSCRIPT {101+}\r\n"+big, `NO (QUOTA/MAXSIZE)`)
	c.cmd("NOOP", "OK")
	// A literal past every bound ends the session.
	c.cmd("PUTSCRIPT \"b\" {4000000000+}", `BYE "literal of 4000000000 octets is too large"`)
	c.closed()

	// Before login, literals are bounded by the SASL limit.
	c = dial(t, e.addr)
	c.cmd("AUTHENTICATE \"PLAIN\" {100000+}", `BYE "literal of 100000 octets`)
	c.closed()

	// A line past MaxLineLength ends the session.
	c = dial(t, e.addr)
	c.cmd("NOOP "+strings.Repeat("x", DefaultMaxLineLength), `BYE "line too long"`)
	c.closed()
}

// TestSyntaxErrors: malformed commands get NO and the session reads the
// next command; too many end it.
func TestSyntaxErrors(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice, password)
	for _, tc := range []struct{ line, want string }{
		{`PUTSCRIPT "unterminated`, `NO "NUL, CR or LF in a quoted string`},
		{`GETSCRIPT "bad \escape"`, `NO "only \\\" and \\\\ may be escaped`},
		{`GETSCRIPT "a"junk`, `NO "space or end of line expected`},
		{`GETSCRIPT {x+}`, `NO "number expected"`},
		{`GETSCRIPT {3+`, `NO "literal: } expected"`},
		{`GETSCRIPT (x)`, `NO "string or number expected"`},
		{`GET-SCRIPT "a"`, `NO "invalid character in command name"`},
		{`GETSCRIPT "` + strings.Repeat("a", 1025) + `"`, `NO "quoted string longer than 1024 octets`},
		{"GETSCRIPT \"\xff\"", `NO "quoted string is not UTF-8"`},
	} {
		c.cmd(tc.line, tc.want)
		c.cmd("NOOP", "OK") // in step again
	}
	// An empty line is ignored; the tenth bad command ends the session.
	c.send("\r\n")
	c.cmd("NOOP", "OK")
	c.cmd("CAPABILITY \"x\"", `NO "CAPABILITY takes no arguments"`) // not a bad command
	c.cmd("FROB", `BYE "unknown command; too many bad commands, closing"`)
	c.closed()
}

// TestPipelining: several commands in one write are answered in order.
func TestPipelining(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice, password)
	c.send(putLiteral("a", "keep;\r\n") + "\r\n" + `SETACTIVE "a"` + "\r\nLISTSCRIPTS\r\nNOOP \"t\"\r\n")
	c.expect(`OK "Putscript completed"`)
	c.expect(`OK "Setactive completed"`)
	c.expect(`"a" ACTIVE`)
	c.expect("OK")
	c.expect(`OK (TAG "t")`)
}

// TestCutLiteral: a literal cut short by the end of the connection
// stores nothing.
func TestCutLiteral(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice, password)
	c.send("PUTSCRIPT \"a\" {50+}\r\nkeep;")
	c.conn.(interface{ CloseWrite() error }).CloseWrite()
	c.closed()
	if list, _ := e.st.SieveScripts(context.Background(), e.users[alice].ID); len(list) != 0 {
		t.Fatalf("a cut-off PUTSCRIPT stored %v", list)
	}
}
