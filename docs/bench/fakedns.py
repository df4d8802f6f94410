#!/usr/bin/env python3
"""fakedns.py ADDR:PORT NAME=IP [NAME=IP ...]

A DNS server for the relay benchmark, standard library only. For every
NAME=IP it answers

    NAME.     MX 10 mx.NAME.
    mx.NAME.  A  IP

(AAAA and other types of those names: an empty answer, NOERROR), and
NXDOMAIN for everything else. Negative answers (NXDOMAIN and empty ones)
carry an SOA of the name's top-level zone in the authority section, as a
real server's do (RFC 2308 §3), so resolvers cache them for its minimum
(TTL seconds). It serves UDP and TCP on ADDR:PORT, the
address mailserver's [delivery] resolver points at, until SIGTERM or
SIGINT. Loopback addresses only: it is a test fixture, not a resolver.

The wire format is RFC 1035 §4.1: a 12-octet header, the question, then
resource records. Queries carry one question; an EDNS OPT record in the
additional section (RFC 6891) is ignored and none is sent back, which
resolvers accept.
"""
import ipaddress
import signal
import socket
import socketserver
import struct
import sys
import threading

TYPE_A, TYPE_SOA, TYPE_MX = 1, 6, 15
CLASS_IN = 1
TTL = 60


def encode_name(name):
    """RFC 1035 §3.1: a sequence of length-prefixed labels, ending in 0."""
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def parse_question(msg):
    """Returns (id, flags, qname in lower case, qtype, qclass, end offset)."""
    if len(msg) < 12:
        raise ValueError("short header")
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount != 1:
        raise ValueError(f"{qdcount} questions")
    labels, i = [], 12
    while True:
        if i >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n >= 64:  # compression pointers never appear in a question we accept
            raise ValueError("compressed or bad label")
        labels.append(msg[i:i + n].decode("ascii", "replace").lower())
        i += n
    if i + 4 > len(msg):
        raise ValueError("short question")
    qtype, qclass = struct.unpack("!HH", msg[i:i + 4])
    return qid, flags, ".".join(labels), qtype, qclass, i + 4


class Zone:
    def __init__(self, pairs):
        self.mx = {}  # domain -> exchange name
        self.a = {}  # exchange name -> IPv4 address
        for name, ip in pairs:
            name = name.lower().rstrip(".")
            self.mx[name] = "mx." + name
            self.a["mx." + name] = ipaddress.IPv4Address(ip)

    def exists(self, name):
        return name in self.mx or name in self.a

    def answer(self, msg):
        """The reply to one query message (bytes), or None to drop it."""
        try:
            qid, flags, qname, qtype, qclass, end = parse_question(msg)
        except ValueError:
            return None
        question = msg[12:end]
        records = []
        if qclass == CLASS_IN and qtype == TYPE_MX and qname in self.mx:
            rdata = struct.pack("!H", 10) + encode_name(self.mx[qname])
            records.append((TYPE_MX, rdata))
        if qclass == CLASS_IN and qtype == TYPE_A and qname in self.a:
            records.append((TYPE_A, self.a[qname].packed))
        rcode = 0 if self.exists(qname) else 3  # 3: NXDOMAIN
        # QR, AA, RD copied from the query, RA; opcode 0.
        rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
        soa = b""
        if not records:
            # RFC 2308 §3: the zone's SOA, its TTL the negative caching time.
            apex = encode_name(qname.rsplit(".", 1)[-1]) if qname else b"\x00"
            rdata = encode_name("ns.invalid") + encode_name("hostmaster.invalid") + struct.pack("!IIIII", 1, 3600, 600, 86400, TTL)
            soa = apex + struct.pack("!HHIH", TYPE_SOA, CLASS_IN, TTL, len(rdata)) + rdata
        out = struct.pack("!HHHHHH", qid, rflags, 1, len(records), 1 if soa else 0, 0) + question
        for rtype, rdata in records:
            # 0xC00C: a pointer to the question's name at offset 12.
            out += struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, TTL, len(rdata)) + rdata
        return out + soa


def serve(addr, zone):
    host, port = addr.rsplit(":", 1)
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"fakedns: {host} is not a loopback address")

    class UDP(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            reply = zone.answer(data)
            if reply is not None:
                sock.sendto(reply, self.client_address)

    class TCP(socketserver.StreamRequestHandler):
        def handle(self):
            # RFC 1035 §4.2.2: each message is preceded by a two-octet length.
            while True:
                head = self.rfile.read(2)
                if len(head) < 2:
                    return
                (n,) = struct.unpack("!H", head)
                reply = zone.answer(self.rfile.read(n))
                if reply is None:
                    return
                self.wfile.write(struct.pack("!H", len(reply)) + reply)
                self.wfile.flush()

    socketserver.ThreadingUDPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    udp = socketserver.ThreadingUDPServer((host, int(port)), UDP)
    tcp = socketserver.ThreadingTCPServer((host, int(port)), TCP)
    udp.daemon_threads = tcp.daemon_threads = True
    for srv in (udp, tcp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"fakedns: serving {', '.join(sorted(zone.mx))} on {addr} (udp, tcp)", flush=True)
    stop.wait()
    udp.shutdown()
    tcp.shutdown()


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        sys.exit(__doc__)
    serve(argv[0], Zone(a.split("=", 1) for a in argv[1:]))


if __name__ == "__main__":
    main(sys.argv[1:])
