# One IMAP session of imapd's consistency test (consistency_test.go),
# driven over stdin/stdout with one JSON object per line. imaplib parses
# the server's responses; every untagged response is reported in the order
# it arrived, so that the Go side can build the session's model from
# exactly what the server said.
#
#   {"op": "login", "host": h, "port": p, "user": u, "pass": pw}
#   {"op": "cmd", "name": "STORE", "args": ["1:3", "+FLAGS", "(\\Seen)"]}
#   {"op": "append", "mailbox": m, "flags": "(\\Seen)", "date": "\"01-Jan-2026 10:00:00 +0000\"", "msg": text}
#   {"op": "idle"}   then later   {"op": "done"}
#   {"op": "logout"}
#
# Each answer: {"typ": tagged status or "EXC", "dat": [text], "log": [[type, data]...]}.
import imaplib
import json
import sys


class Logged(imaplib.IMAP4):
    def __init__(self, host, port):
        self.log = []
        super().__init__(host, port)

    def _append_untagged(self, typ, dat):
        if isinstance(dat, tuple):
            dat = b"".join(dat)
        self.log.append([typ, (dat or b"").decode("utf-8", "replace")])
        super()._append_untagged(typ, dat)


def text(dat):
    out = []
    for d in dat or []:
        if isinstance(d, tuple):
            d = b"".join(d)
        if isinstance(d, bytes):
            d = d.decode("utf-8", "replace")
        out.append(str(d))
    return out


def main():
    imap = None
    idle_tag = None
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if imap is not None:
            imap.log = []
            imap.untagged_responses = {}
        try:
            if op == "login":
                imap = Logged(req["host"], int(req["port"]))
                typ, dat = imap.login(req["user"], req["pass"])
            elif op == "cmd":
                name = req["name"]
                if name == "SELECT":  # through imaplib's own, for its state
                    imap.untagged_responses = {}
                    typ, dat = imap.select(*req["args"])
                    sys.stdout.write(json.dumps({"typ": typ, "dat": text(dat), "log": imap.log}) + "\n")
                    sys.stdout.flush()
                    continue
                if name not in imaplib.Commands:
                    imaplib.Commands[name] = ("SELECTED",)
                typ, dat = imap._simple_command(name, *req["args"])
            elif op == "append":
                typ, dat = imap.append(req["mailbox"], req["flags"], req["date"], req["msg"].encode())
            elif op == "idle":
                idle_tag = imap._new_tag()
                imap.send(idle_tag + b" IDLE\r\n")
                imap.tagged_commands[idle_tag] = None
                imap.continuation_response = None
                while imap.continuation_response is None and imap.tagged_commands[idle_tag] is None:
                    imap._get_response()
                typ, dat = ("IDLING", []) if imap.tagged_commands[idle_tag] is None else imap.tagged_commands.pop(idle_tag)
            elif op == "done":
                imap.send(b"DONE\r\n")
                typ, dat = imap._get_tagged_response(idle_tag)
                idle_tag = None
            elif op == "logout":
                typ, dat = imap.logout()
            else:
                typ, dat = "EXC", ["unknown op " + op]
        except Exception as e:  # the Go side fails the test with it
            typ, dat = "EXC", [repr(e)]
        log = imap.log if imap is not None else []
        sys.stdout.write(json.dumps({"typ": typ, "dat": text(dat), "log": log}) + "\n")
        sys.stdout.flush()
        if op == "logout":
            return


main()
