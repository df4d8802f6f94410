"""Helpers shared by the benchmark clients in docs/bench (standard library only)."""
import ipaddress
import socket
import ssl
import statistics
import sys


def target(hostport):
    """Splits HOST:PORT and refuses anything but a loopback address: the
    benchmarks load the machine they run on and nothing else."""
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        sys.exit(f"{hostport!r} is not HOST:PORT")
    host = host.strip("[]")
    addrs = {ai[4][0] for ai in socket.getaddrinfo(host, int(port), proto=socket.IPPROTO_TCP)}
    if not addrs or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs):
        sys.exit(f"{host} is not a loopback address ({', '.join(sorted(addrs))})")
    return host, int(port)


def tls_context():
    """A client context that accepts the server's self-signed certificate:
    the benchmark measures the TLS work, not the trust decision."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def report(name, params, rates, unit):
    """Prints every run and the median, one line, for the README's table."""
    runs = " ".join(f"{r:.0f}" for r in rates)
    print(f"{name} {params}: median {statistics.median(rates):,.0f} {unit} (runs: {runs})", flush=True)


def message(size, n=0):
    """An RFC 5322 message of exactly size octets (at least the header's), CRLF line ends."""
    head = (
        f"From: bench <bench@bench.test>\r\n"
        f"To: fetch@bench.test\r\n"
        f"Subject: bench message {n}\r\n"
        f"Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n"
        f"Message-ID: <bench-{n}@bench.test>\r\n"
        f"\r\n"
    ).encode()
    line = b"x" * 74 + b"\r\n"
    body = bytearray()
    while len(head) + len(body) + len(line) <= size:
        body += line
    rest = size - len(head) - len(body)
    if rest >= 2:
        body += b"y" * (rest - 2) + b"\r\n"
    return head + bytes(body)
