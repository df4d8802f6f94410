#!/usr/bin/env python3
"""mailbox.py: IMAP and POP3 benchmark clients, Python standard library only.

  mailbox.py append HOST:PORT USER PASS -n N --size BYTES [--repeat R] [--tls implicit]
      APPEND N messages of BYTES octets to INBOX over one connection, R times
      (R*N messages in the end); rate = N / time of the APPENDs.
  mailbox.py pop3 HOST:PORT USER PASS [--expect N] [--repeat R] [--tls implicit]
      Log in, STAT, RETR every message, QUIT without deleting; rate = messages /
      time of the RETRs.
  mailbox.py fetch HOST:PORT USER PASS --batch B [--expect N] [--repeat R] [--tls implicit]
      Log in, EXAMINE INBOX, FETCH BODY.PEEK[] of every message, B messages per
      command; rate = messages / time of the FETCHes.

--tls implicit speaks TLS from the first byte (ports 993 and 995; the server's
certificate is not verified); the default is plaintext, which mailserver allows
from loopback ([auth] allow_plaintext_on_loopback). Every figure is printed
per run and as the median of the runs. HOST must be a loopback address.
"""
import argparse
import imaplib
import poplib
import time

import benchlib


def imap_connect(args):
    host, port = benchlib.target(args.target)
    if args.tls == "implicit":
        c = imaplib.IMAP4_SSL(host, port, ssl_context=benchlib.tls_context())
    else:
        c = imaplib.IMAP4(host, port)
    c.login(args.user, args.password)
    return c


def pop3_connect(args):
    host, port = benchlib.target(args.target)
    if args.tls == "implicit":
        c = poplib.POP3_SSL(host, port, context=benchlib.tls_context())
    else:
        c = poplib.POP3(host, port)
    c.user(args.user)
    c.pass_(args.password)
    return c


def check_ok(typ, data, what):
    if typ != "OK":
        raise SystemExit(f"{what}: {typ} {data!r}")


def run_append(args):
    rates = []
    for r in range(args.repeat):
        c = imap_connect(args)
        msgs = [benchlib.message(args.size, r * args.n + i) for i in range(args.n)]
        start = time.perf_counter()
        for m in msgs:
            typ, data = c.append("INBOX", None, None, m)
            check_ok(typ, data, "APPEND")
        rates.append(args.n / (time.perf_counter() - start))
        c.logout()
    benchlib.report("imap-append", f"{args.n} x {args.size} B, one connection, tls={args.tls}", rates, "msg/s")


def run_pop3(args):
    rates = []
    for _ in range(args.repeat):
        c = pop3_connect(args)
        n, _size = c.stat()
        if args.expect is not None and n != args.expect:
            raise SystemExit(f"pop3: the mailbox has {n} messages, expected {args.expect}")
        octets = 0
        start = time.perf_counter()
        for i in range(1, n + 1):
            _resp, lines, o = c.retr(i)
            octets += o
        secs = time.perf_counter() - start
        c.quit()
        rates.append(n / secs)
    benchlib.report("pop3-retr", f"{n} messages, {octets / n / 1024:.0f} KiB average, tls={args.tls}", rates, "msg/s")


def run_fetch(args):
    rates = []
    for _ in range(args.repeat):
        c = imap_connect(args)
        typ, data = c.select("INBOX", readonly=True)
        check_ok(typ, data, "EXAMINE")
        n = int(data[0])
        if args.expect is not None and n != args.expect:
            raise SystemExit(f"fetch: INBOX has {n} messages, expected {args.expect}")
        got = 0
        start = time.perf_counter()
        for lo in range(1, n + 1, args.batch):
            hi = min(lo + args.batch - 1, n)
            typ, data = c.fetch(f"{lo}:{hi}", "(BODY.PEEK[])")
            check_ok(typ, data, "FETCH")
            got += sum(1 for d in data if isinstance(d, tuple))
        secs = time.perf_counter() - start
        c.logout()
        if got != n:
            raise SystemExit(f"fetch: got {got} bodies of {n}")
        rates.append(n / secs)
    benchlib.report("imap-fetch", f"{n} messages, batch {args.batch}, tls={args.tls}", rates, "msg/s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, fn in (("append", run_append), ("pop3", run_pop3), ("fetch", run_fetch)):
        s = sub.add_parser(name)
        s.set_defaults(fn=fn)
        s.add_argument("target", metavar="HOST:PORT")
        s.add_argument("user")
        s.add_argument("password")
        s.add_argument("--tls", choices=("none", "implicit"), default="none")
        s.add_argument("--repeat", type=int, default=1)
        if name == "append":
            s.add_argument("-n", type=int, required=True)
            s.add_argument("--size", type=int, default=10240)
        else:
            s.add_argument("--expect", type=int)
        if name == "fetch":
            s.add_argument("--batch", type=int, default=1)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
