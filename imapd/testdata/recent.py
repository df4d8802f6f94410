"""\\Recent in two IMAP4rev1 sessions, with Python's imaplib.

Usage: recent.py HOST PORT USER PASSWORD
INBOX holds two messages nobody has selected yet.
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


def recent(m):
    """The last untagged RECENT count, then forget it."""
    return m.untagged_responses.pop("RECENT", [b"none"])[-1].decode()


a = imaplib.IMAP4(host, port)
a.login(user, password)
b = imaplib.IMAP4(host, port)
b.login(user, password)

a.select("INBOX")
check(recent(a) == "2", "first SELECT: 2 RECENT")
typ, data = a.search(None, "RECENT")
check(data[0] == b"1 2", "SEARCH RECENT: %r" % data[0])
typ, data = a.fetch("1", "(FLAGS)")
check(b"\\Recent" in data[0], "FETCH FLAGS: %r" % data[0])

b.select("INBOX")
check(recent(b) == "0", "second SELECT: 0 RECENT")
typ, data = b.search(None, "OLD")
check(data[0] == b"1 2", "SEARCH OLD in the second session: %r" % data[0])

# b appends into the mailbox it has selected: b is told of it first.
msg = b"From: x@example.org\r\nSubject: new\r\n\r\nbody\r\n"
typ, _ = b.append("INBOX", None, None, msg)
b.noop()
check(recent(b) == "1", "appending session: 1 RECENT")
typ, data = b.search(None, "NEW")
check(data[0] == b"3", "SEARCH NEW in the appending session: %r" % data[0])

a.noop()
check(recent(a) == "2", "first session: still 2 RECENT")
typ, data = a.fetch("3", "(FLAGS)")
check(b"\\Recent" not in data[0], "message 3 not recent in the first session: %r" % data[0])
typ, data = a.status("INBOX", "(RECENT)")
check(b"RECENT 0" in data[0], "STATUS: %r" % data[0])
a.logout()
b.logout()
print("done")
