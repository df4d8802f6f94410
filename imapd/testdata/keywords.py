"""Keywords announced in FLAGS and PERMANENTFLAGS, with Python's imaplib.

Usage: keywords.py HOST PORT USER PASSWORD
INBOX holds one message with the keyword $Label1. Two sessions: one
selects and STOREs a new keyword, the other must be told of it in an
untagged FLAGS; an APPEND with another new keyword likewise.
Prints one line per step; exits non-zero on the first failure.
"""
import imaplib
import sys

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def flags(m):
    """The last untagged FLAGS list, and PERMANENTFLAGS, then forget both."""
    f = m.untagged_responses.pop("FLAGS", [b""])[-1].decode()
    p = m.untagged_responses.pop("PERMANENTFLAGS", [b""])[-1].decode()
    return f, p


a = imaplib.IMAP4(host, port)
a.login(user, password)
b = imaplib.IMAP4(host, port)
b.login(user, password)

typ, _ = a.select("INBOX")
f, p = flags(a)
check(typ == "OK" and "$Label1" in f and "\\Seen" in f, "SELECT FLAGS lists $Label1: " + f)
check("$Label1" in p and "\\*" in p, "PERMANENTFLAGS lists $Label1 and \\*: " + p)
typ, _ = b.select("INBOX")
flags(b)

# a's own STORE introduces a keyword: a is told in FLAGS, b at its next NOOP.
typ, _ = a.store("1", "+FLAGS.SILENT", "(Junk)")
f, _ = flags(a)
check(typ == "OK" and "Junk" in f and "$Label1" in f, "own STORE: untagged FLAGS with Junk: " + f)
typ, _ = b.noop()
f, _ = flags(b)
check("Junk" in f and "$Label1" in f, "other session: untagged FLAGS with Junk: " + f)

# An APPEND by b with a new keyword: both learn of it.
msg = b"From: x@example.org\r\nSubject: kw\r\n\r\nbody\r\n"
typ, _ = b.append("INBOX", "($Forwarded NonJunk)", None, msg)
check(typ == "OK", "APPEND with keywords")
typ, _ = b.noop()
f, _ = flags(b)
check("$Forwarded" in f and "NonJunk" in f and "Junk" in f, "APPEND: FLAGS in the appending session: " + f)
typ, _ = a.noop()
f, _ = flags(a)
check("$Forwarded" in f and "NonJunk" in f, "APPEND: FLAGS in the other session: " + f)

# A keyword already known is not announced again.
typ, _ = a.store("2", "+FLAGS", "(junk)")
f, _ = flags(a)
check(typ == "OK" and f == "", "known keyword (other case): no FLAGS: " + repr(f))

# A new SELECT lists the whole set.
typ, _ = b.select("INBOX")
f, p = flags(b)
check(all(k in f for k in ("$Label1", "Junk", "$Forwarded", "NonJunk")), "re-SELECT FLAGS: " + f)
check("\\*" in p, "re-SELECT PERMANENTFLAGS: " + p)
a.logout()
b.logout()
print("done")
