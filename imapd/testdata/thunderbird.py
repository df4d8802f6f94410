"""Thunderbird's usual IMAP sequence with Python's imaplib.

Usage: thunderbird.py HOST PORT USER PASSWORD
Prints one line per step; exits non-zero on the first failure.
"""
import base64
import imaplib
import re
import sys
import time
T0 = time.time()

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
imaplib.Commands.setdefault("MOVE", ("SELECTED",))
imaplib.Commands.setdefault("NAMESPACE", ("AUTH", "SELECTED"))


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok: %.2f" % (time.time()-T0), what)


m = imaplib.IMAP4(host, port)
typ, caps = m.capability()
caps = caps[0].decode().split()
check(typ == "OK" and "IMAP4rev1" in caps and "AUTH=PLAIN" in caps, "CAPABILITY")
# Thunderbird sends ID only when it is advertised.
check("ID" not in caps, "ID is not advertised, so Thunderbird skips it")

typ, _ = m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode())
check(typ == "OK", "AUTHENTICATE PLAIN")

# A client that sends ID anyway gets BAD, and the session goes on.
try:
    m._simple_command("ID", '("name" "imaplib")')
    check(False, "ID answered BAD")
except imaplib.IMAP4.error as e:
    check("Unknown command" in str(e), "ID answered BAD: %s" % e)

typ, ns = m._simple_command("NAMESPACE")
typ, ns = m._untagged_response(typ, ns, "NAMESPACE")
check(typ == "OK" and ns[0] == b'(("" "/")) NIL NIL', "NAMESPACE %r" % ns)

typ, data = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
typ, data = m._untagged_response(typ, data, "LIST")
lines = [d.decode() for d in data]
check(typ == "OK" and any("\\Archive" in l and '"Archive"' in l for l in lines)
      and any("\\Sent" in l for l in lines) and any(l.endswith("INBOX") for l in lines),
      "LIST \"\" \"*\" RETURN (SPECIAL-USE): %d mailboxes" % len(lines))

typ, data = m.select("INBOX")
check(typ == "OK" and data[0] == b"3", "SELECT INBOX: %r" % data)

typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
check(typ == "OK" and len(data) == 3 and b"UID 1" in data[0], "UID FETCH 1:* (FLAGS)")

typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])")
headers = [d[1] for d in data if isinstance(d, tuple)]
check(typ == "OK" and len(headers) == 3 and b"Subject: message 2" in headers[1]
      and b"Body" not in headers[1] and b"RFC822.SIZE" in data[0][0], "UID FETCH headers")

typ, data = m.uid("FETCH", "2", "(UID BODY.PEEK[])")
check(typ == "OK" and data[0][1].endswith(b"Body of message 2.\r\n"), "UID FETCH BODY.PEEK[]")
typ, data = m.uid("FETCH", "2", "(FLAGS)")
check(b"\\Seen" not in data[0], "PEEK left \\Seen alone")

typ, data = m.uid("STORE", "2", "+FLAGS", "(\\Seen)")
check(typ == "OK" and b"\\Seen" in data[0], "UID STORE +FLAGS (\\Seen)")

m.untagged_responses.pop("OK", None)
typ, data = m.uid("MOVE", "2", "Archive")
oks = m.untagged_responses.pop("OK", [])
check(typ == "OK" and any(re.search(rb"COPYUID \d+ 2 1", o) for o in oks), "UID MOVE to Archive: %r" % oks)
expunged = m.untagged_responses.pop("EXPUNGE", [])
check(expunged == [b"2"], "MOVE sent one EXPUNGE: %r" % expunged)

msg = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: sent from imaplib\r\n\r\nHello Bob.\r\n"
typ, data = m.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()), msg)
check(typ == "OK" and b"APPENDUID" in data[0], "APPEND to Sent: %r" % data)

typ, data = m.uid("STORE", "1", "+FLAGS.SILENT", "(\\Deleted)")
typ, data = m.expunge()
check(typ == "OK" and data == [b"1"], "EXPUNGE: %r" % data)

typ, data = m.status("Archive", "(MESSAGES UIDNEXT)")
check(typ == "OK" and b"MESSAGES 1" in data[0], "STATUS Archive: %r" % data)
typ, data = m.status("Sent", "(MESSAGES)")
check(typ == "OK" and b"MESSAGES 1" in data[0], "STATUS Sent: %r" % data)

m.logout()
print("done %.2f" % (time.time()-T0))
