package managesieved

import (
	"context"
	"strconv"

	"github.com/mailserver/mailserver/store"
)

// stringArgs checks that args are n strings and returns them.
func stringArgs(args []arg, n int, usage string) ([]arg, error) {
	if len(args) != n {
		return nil, no("", "syntax: %s", usage)
	}
	for _, a := range args {
		if a.isNumber {
			return nil, no("", "syntax: %s", usage)
		}
	}
	return args, nil
}

// scriptName returns a name argument, checked (RFC 5804 §1.6).
func scriptName(a arg) (string, error) {
	if a.tooLarge {
		return "", no("", "invalid script name (RFC 5804 section 1.6)")
	}
	return store.CheckScriptName(string(a.str))
}

// scriptContent returns a script argument within MaxScriptSize.
func (s *session) scriptContent(a arg) ([]byte, error) {
	if a.tooLarge || len(a.str) > s.srv.opts.MaxScriptSize {
		return nil, no(codeQuotaSize, "the script is larger than the limit of %d octets", s.srv.opts.MaxScriptSize)
	}
	return a.str, nil
}

// check runs the checker; a refused script is a NO with its message
// ("line L, column C: ..." for a syntax error).
func (s *session) check(script []byte) error {
	if err := s.srv.opts.Check(script); err != nil {
		return no("", "%s", err.Error())
	}
	return nil
}

// roomFor reports NO (QUOTA/MAXSCRIPTS) when name is a new script and the
// user has MaxScripts already.
func (s *session) roomFor(ctx context.Context, name string) error {
	list, err := s.srv.st.SieveScripts(ctx, s.user.ID)
	if err != nil {
		return err
	}
	for _, sc := range list {
		if sc.Name == name {
			return nil // a replacement
		}
	}
	if len(list) >= s.srv.opts.MaxScripts {
		return no(codeQuotaScripts, "the limit of %d scripts is reached; delete one first", s.srv.opts.MaxScripts)
	}
	return nil
}

// cmdListScripts: RFC 5804 §2.7, one line per script, ACTIVE marking the
// active one.
func (s *session) cmdListScripts(ctx context.Context, args []arg) error {
	if len(args) != 0 {
		return no("", "LISTSCRIPTS takes no arguments")
	}
	list, err := s.srv.st.SieveScripts(ctx, s.user.ID)
	if err != nil {
		return err
	}
	for _, sc := range list {
		s.bw.WriteString(quoteString(sc.Name))
		if sc.Active {
			s.bw.WriteString(" ACTIVE")
		}
		s.bw.WriteString("\r\n")
	}
	s.ok("Listscripts completed")
	return nil
}

// cmdPutScript: RFC 5804 §2.6. The script is checked before it is
// stored; a replaced active script stays active.
func (s *session) cmdPutScript(ctx context.Context, args []arg) error {
	args, err := stringArgs(args, 2, "PUTSCRIPT name script")
	if err != nil {
		return err
	}
	name, err := scriptName(args[0])
	if err != nil {
		return err
	}
	script, err := s.scriptContent(args[1])
	if err != nil {
		return err
	}
	if err := s.roomFor(ctx, name); err != nil {
		return err
	}
	if err := s.check(script); err != nil {
		return err
	}
	if err := s.srv.st.PutSieveScript(ctx, s.user.ID, name, script); err != nil {
		return err
	}
	s.log.Info("managesieve script stored", "script", name, "bytes", len(script))
	s.ok("Putscript completed")
	return nil
}

// cmdCheckScript: RFC 5804 §2.12, PUTSCRIPT without storing.
func (s *session) cmdCheckScript(_ context.Context, args []arg) error {
	args, err := stringArgs(args, 1, "CHECKSCRIPT script")
	if err != nil {
		return err
	}
	script, err := s.scriptContent(args[0])
	if err != nil {
		return err
	}
	if err := s.check(script); err != nil {
		return err
	}
	s.ok("Checkscript completed")
	return nil
}

// cmdGetScript: RFC 5804 §2.9, the script as a literal, then OK.
func (s *session) cmdGetScript(ctx context.Context, args []arg) error {
	args, err := stringArgs(args, 1, "GETSCRIPT name")
	if err != nil {
		return err
	}
	name, err := scriptName(args[0])
	if err != nil {
		return err
	}
	script, err := s.srv.st.SieveScript(ctx, s.user.ID, name)
	if err != nil {
		return err
	}
	s.bw.WriteString("{" + strconv.Itoa(len(script)) + "}\r\n")
	s.bw.Write(script)
	s.bw.WriteString("\r\n")
	s.ok("Getscript completed")
	return nil
}

// cmdSetActive: RFC 5804 §2.8; the empty name deactivates. The script is
// checked again: one stored by an older version may use what this one
// no longer accepts, and it would then fail at every delivery.
func (s *session) cmdSetActive(ctx context.Context, args []arg) error {
	args, err := stringArgs(args, 1, "SETACTIVE name")
	if err != nil {
		return err
	}
	name := ""
	if len(args[0].str) > 0 || args[0].tooLarge {
		if name, err = scriptName(args[0]); err != nil {
			return err
		}
		script, err := s.srv.st.SieveScript(ctx, s.user.ID, name)
		if err != nil {
			return err
		}
		if err := s.check(script); err != nil {
			return err
		}
	}
	if err := s.srv.st.SetActiveSieveScript(ctx, s.user.ID, name); err != nil {
		return err
	}
	s.log.Info("managesieve active script set", "script", name)
	s.ok("Setactive completed")
	return nil
}

// cmdDeleteScript: RFC 5804 §2.10; the active script is refused with
// NO (ACTIVE).
func (s *session) cmdDeleteScript(ctx context.Context, args []arg) error {
	args, err := stringArgs(args, 1, "DELETESCRIPT name")
	if err != nil {
		return err
	}
	name, err := scriptName(args[0])
	if err != nil {
		return err
	}
	if err := s.srv.st.DeleteSieveScript(ctx, s.user.ID, name); err != nil {
		return err
	}
	s.log.Info("managesieve script deleted", "script", name)
	s.ok("Deletescript completed")
	return nil
}

// cmdRenameScript: RFC 5804 §2.11.1.
func (s *session) cmdRenameScript(ctx context.Context, args []arg) error {
	args, err := stringArgs(args, 2, "RENAMESCRIPT old-name new-name")
	if err != nil {
		return err
	}
	oldName, err := scriptName(args[0])
	if err != nil {
		return err
	}
	newName, err := scriptName(args[1])
	if err != nil {
		return err
	}
	if err := s.srv.st.RenameSieveScript(ctx, s.user.ID, oldName, newName); err != nil {
		return err
	}
	s.log.Info("managesieve script renamed", "script", oldName, "to", newName)
	s.ok("Renamescript completed")
	return nil
}

// cmdHaveSpace: RFC 5804 §2.5, whether PUTSCRIPT of that name and size
// would fit the limits.
func (s *session) cmdHaveSpace(ctx context.Context, args []arg) error {
	if len(args) != 2 || args[0].isNumber || !args[1].isNumber {
		return no("", "syntax: HAVESPACE name size")
	}
	name, err := scriptName(args[0])
	if err != nil {
		return err
	}
	if args[1].num > uint64(s.srv.opts.MaxScriptSize) {
		return no(codeQuotaSize, "the script is larger than the limit of %d octets", s.srv.opts.MaxScriptSize)
	}
	if err := s.roomFor(ctx, name); err != nil {
		return err
	}
	s.ok("Putscript would succeed")
	return nil
}
