#!/usr/bin/env python3
"""tests/lib/pg_silent.py - a fake PostgreSQL server that goes silent.

What it is for: testing that every PostgreSQL call of upkeep has a
deadline. It speaks just enough of the frontend/backend protocol (v3) to
complete a connection - 'N' to SSLRequest and GSSENCRequest, then for the
startup packet AuthenticationOk, ParameterStatus (server_version 15.4,
encodings, DateStyle...), BackendKeyData and ReadyForQuery 'I' - and then
reads whatever the client sends and never answers: a query, a cancel
request on another connection, a Terminate. With --mute it does not even
answer the startup packet (a server that accepts and stops at once).
What it is not for: anything that needs an answer to a query.

    pg_silent.py (--unix DIR [--port N] | --tcp) [--mute] --ready FILE

--unix DIR listens on DIR/.s.PGSQL.N (libpq's name for host=DIR port=N,
N 5432 by default); --tcp on 127.0.0.1 on a free port. When it listens it
writes the port to FILE (written whole, then renamed), and it logs each
message it reads on stderr. It runs until it is killed; its connections
stay open until then.
"""
import argparse
import os
import socket
import struct
import sys
import threading

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608

PARAMETERS = [
    ("server_version", "15.4 (pg_silent)"),
    ("server_encoding", "UTF8"),
    ("client_encoding", "UTF8"),
    ("DateStyle", "ISO, MDY"),
    ("integer_datetimes", "on"),
    ("standard_conforming_strings", "on"),
    ("TimeZone", "UTC"),
    ("is_superuser", "on"),
    ("session_authorization", "postgres"),
    ("application_name", ""),
]

# Sockets are kept here so that nothing closes them before exit.
held = []


def log(msg):
    sys.stderr.write("pg_silent: %s\n" % msg)
    sys.stderr.flush()


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def message(kind, body):
    return kind + struct.pack("!I", len(body) + 4) + body


def handshake(conn):
    """Answers up to ReadyForQuery; False when the client went away."""
    while True:
        head = recv_exact(conn, 8)
        if head is None:
            return False
        length, code = struct.unpack("!II", head)
        rest = recv_exact(conn, length - 8) if length > 8 else b""
        if rest is None:
            return False
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            log("%s: answered N" % ("SSLRequest" if code == SSL_REQUEST
                                    else "GSSENCRequest"))
            conn.sendall(b"N")
            continue
        if code == CANCEL_REQUEST:
            log("CancelRequest: not answered")
            return False
        if code != PROTOCOL_3:
            log("unknown startup code %d" % code)
            return False
        fields = rest.rstrip(b"\0").split(b"\0")
        params = dict(zip(fields[0::2], fields[1::2]))
        log("startup packet: %s" % {k.decode(): v.decode()
                                    for k, v in params.items()})
        out = message(b"R", struct.pack("!I", 0))
        for k, v in PARAMETERS:
            if k == "application_name":
                v = params.get(b"application_name", b"").decode()
            out += message(b"S", k.encode() + b"\0" + v.encode() + b"\0")
        out += message(b"K", struct.pack("!II", os.getpid(), 4711))
        out += message(b"Z", b"I")
        conn.sendall(out)
        return True


def serve(conn, mute):
    held.append(conn)
    try:
        if not mute and not handshake(conn):
            return
        while True:
            data = conn.recv(65536)
            if not data:
                log("client closed the connection")
                return
            log("read %d bytes, not answering: %r" % (len(data), data[:60]))
    except OSError as e:
        log("connection error: %s" % e)


def main():
    ap = argparse.ArgumentParser()
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--unix")
    where.add_argument("--tcp", action="store_true")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--mute", action="store_true")
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()

    if a.unix:
        path = os.path.join(a.unix, ".s.PGSQL.%d" % a.port)
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        port = a.port
    else:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        port = srv.getsockname()[1]
    srv.listen(64)
    with open(a.ready + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.ready + ".tmp", a.ready)
    log("listening (%s)" % (a.unix or "127.0.0.1:%d" % port))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, a.mute),
                         daemon=True).start()


if __name__ == "__main__":
    main()
