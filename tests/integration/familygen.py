#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds the sockets of the other families for the netns tests, in the namespace it runs in,
prints `ready` and holds them until its standard input closes.

  familygen.py unix DIR     every unix shape (below), path sockets under DIR
  familygen.py rawpacket    raw IP and packet sockets
  familygen.py mptcp        an MPTCP listener and two connections
  familygen.py kill         TCP pairs to :7001 and :7002, a UDP and a raw socket; on stdin's `check`
                            line prints which of this process's sockets saw a reset

Unix shapes: a path stream listener (backlog 5) with 2 connections waiting in its queue and one
accepted (100 unread bytes at the client), held by two processes; an abstract listener whose
name has a NUL inside, with a connection whose client shut down its sending side; a socketpair
of each type; a path datagram socket with 3 datagrams waiting from a connected client; an
unbound datagram socket; an autobound one; a seqpacket listener with one connection.
"""
import os
import socket
import sys

IPPROTO_MPTCP = 262
keep = []


def unix_shapes(d):
    def path(n):
        return os.path.join(d, n)

    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path("srv.sock"))
    lst.listen(5)
    keep.append(lst)
    for _ in range(3):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path("srv.sock"))
        keep.append(c)
    a, _ = lst.accept()
    keep.append(a)
    a.send(b"x" * 100)
    ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ab.bind(b"\0tcpscope-abs\0x")
    ab.listen(16)
    keep.append(ab)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(b"\0tcpscope-abs\0x")
    keep.append(c)
    b, _ = ab.accept()
    keep.append(b)
    c.shutdown(socket.SHUT_WR)
    for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
        keep.extend(socket.socketpair(socket.AF_UNIX, t))
    dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dg.bind(path("dgram.sock"))
    keep.append(dg)
    cl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    cl.connect(path("dgram.sock"))
    keep.append(cl)
    for _ in range(3):
        cl.send(b"y" * 50)
    keep.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
    auto = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    auto.bind("")
    keep.append(auto)
    sq = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sq.bind(path("Seq.sock"))
    sq.listen(4)
    keep.append(sq)
    sc = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sc.connect(path("Seq.sock"))
    keep.append(sc)
    keep.append(sq.accept()[0])


def raw_packet():
    keep.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    keep.append(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
    r.bind(("127.0.0.1", 0))
    r.connect(("127.0.0.2", 0))
    keep.append(r)
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    p.bind(("lo", 0))
    keep.append(p)
    keep.append(socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3)))
    keep.append(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))


def mptcp():
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    lst.bind(("127.0.0.1", 7300))
    lst.listen(8)
    keep.append(lst)
    for _ in range(2):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        c.connect(("127.0.0.1", 7300))
        keep.append(c)
        a, _ = lst.accept()
        keep.append(a)
        c.send(b"hello" * 10)


def kill_table():
    clients = {}
    for port in (7001, 7002):
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", port))
        lst.listen(8)
        keep.append(lst)
        for i in range(2):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.connect(("127.0.0.1", port))
            a, _ = lst.accept()
            keep.extend([c, a])
            clients[f"{port}-{i}"] = (c, a)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 7101))
    keep.append(u)
    keep.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    return clients


def probe(clients):
    """For each pair: whether each end is still usable ('ok'), was reset or aborted."""
    out = []
    for name, (c, a) in sorted(clients.items()):
        for end, s in (("client", c), ("server", a)):
            s.setblocking(False)
            try:
                data = s.recv(1)
                state = "eof" if data == b"" else "data"
            except BlockingIOError:
                state = "ok"
            except ConnectionResetError:
                state = "reset"
            except ConnectionAbortedError:
                state = "aborted"
            except OSError as e:
                state = f"errno{e.errno}"
            out.append(f"{name}-{end}={state}")
    return " ".join(out)


def main():
    what = sys.argv[1]
    clients = None
    if what == "unix":
        unix_shapes(sys.argv[2])
        # A second process holding every descriptor (-p lists both).
        pid = os.fork()
        if pid == 0:
            sys.stdin.read()
            os._exit(0)
    elif what == "rawpacket":
        raw_packet()
    elif what == "mptcp":
        mptcp()
    elif what == "kill":
        clients = kill_table()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "check" and clients is not None:
            print(probe(clients), flush=True)
    if what == "unix":
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
