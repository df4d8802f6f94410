#!/usr/bin/env python3
"""smtp.py: SMTP benchmarks around Postfix's smtp-source and smtp-sink
(Debian package postfix; no Postfix daemon is needed or started).

  smtp.py accept HOST:PORT --rcpt ADDR -m N [--sessions 1,20,100] [--sizes 1024,65536] [--repeat R]
      For every size and session count: smtp-source sends N messages of that
      many payload octets to ADDR, over that many parallel sessions, one new
      connection per message (smtp-source's default); rate = N / wall time
      until smtp-source has every reply. Against mailserver and a local ADDR,
      a 250 means the message is fsynced into the mailbox, so this is the
      delivery rate.
  smtp.py relay HOST:PORT --rcpt ADDR --sink HOST:PORT -m N [--sessions 20] [--size 1024] [--repeat R]
      Starts smtp-sink on --sink, told to exit after N messages, then injects
      N messages for ADDR (a remote domain whose MX leads to the sink); rate =
      N / time from the first injection to the sink's last receipt.

smtp-source exits non-zero when a reply is not the expected one; so does this
script then. HOST must be a loopback address.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import time

import benchlib

SENDER = "bench@bench.test"


def tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        sys.exit(f"{name} not found: install the Debian package postfix "
                 "(DEBIAN_FRONTEND=noninteractive apt-get install -y postfix)")
    return path


def source(target, rcpt, n, sessions, size):
    """Runs smtp-source once and returns its wall time in seconds."""
    host, port = benchlib.target(target)
    cmd = [tool("smtp-source"), "-s", str(sessions), "-m", str(n), "-l", str(size),
           "-f", SENDER, "-t", rcpt, "-M", "bench.test", f"{host}:{port}"]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    secs = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"smtp-source failed (exit {done.returncode}): {done.stdout.strip()}")
    return secs


def run_accept(args):
    for size in args.sizes:
        for s in args.sessions:
            rates = [args.m / source(args.target, args.rcpt, args.m, s, size) for _ in range(args.repeat)]
            benchlib.report("smtp-accept", f"{args.m} x {size} B, {s} sessions", rates, "msg/s")


def wait_listening(host, port, proc, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"smtp-sink exited at start (status {proc.returncode})")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"smtp-sink is not listening on {host}:{port}")


def run_relay(args):
    shost, sport = benchlib.target(args.sink)
    rates = []
    for _ in range(args.repeat):
        cmd = [tool("smtp-sink"), "-M", str(args.m)]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]  # smtp-sink refuses to keep root privileges
        cmd += [f"{shost}:{sport}", "1024"]
        sink = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        try:
            wait_listening(shost, sport, sink)
            start = time.perf_counter()
            source(args.target, args.rcpt, args.m, args.sessions, args.size)
            try:
                sink.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                sys.exit(f"relay: the sink did not receive {args.m} messages within {args.timeout}s "
                         "(see the server's log and 'mailserver queue list')")
            rates.append(args.m / (time.perf_counter() - start))
        finally:
            if sink.poll() is None:
                sink.terminate()
                sink.wait()
    benchlib.report("smtp-relay", f"{args.m} x {args.size} B, {args.sessions} sessions, injection to last receipt",
                    rates, "msg/s")


def ints(text):
    return [int(x) for x in text.split(",")]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("accept")
    a.set_defaults(fn=run_accept)
    a.add_argument("--sessions", type=ints, default=[1, 20, 100])
    a.add_argument("--sizes", type=ints, default=[1024, 65536])
    r = sub.add_parser("relay")
    r.set_defaults(fn=run_relay)
    r.add_argument("--sink", required=True, metavar="HOST:PORT")
    r.add_argument("--sessions", type=int, default=20)
    r.add_argument("--size", type=int, default=1024)
    r.add_argument("--timeout", type=float, default=600)
    for s in (a, r):
        s.add_argument("target", metavar="HOST:PORT")
        s.add_argument("--rcpt", required=True)
        s.add_argument("-m", type=int, required=True)
        s.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
