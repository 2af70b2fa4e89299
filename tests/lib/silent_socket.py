#!/usr/bin/env python3
"""tests/lib/silent_socket.py - a Docker socket that hangs.

What it is for: the tests of what upkeep does when the Docker engine's
socket accepts connections and then never answers (a wedged dockerd).  It
listens on a unix socket, accepts every connection and reads what comes,
and answers nothing; with --answer-version it plays a healthy engine for
GET /_ping and GET /version (so upkeep gets as far as a real request) and
stays silent on every other request.  What it is not for: a Docker API
fixture (that is Podman's service, tests/lib/servers.sh podman_start).

    silent_socket.py PATH [--answer-version] [--log FILE]

The socket appears at PATH only once it listens (bound under a temporary
name, then renamed), so a test may wait for `test -S PATH`.  Every request
line is appended to --log as it arrives.  Runs until killed.
"""
import json
import os
import socket
import sys
import threading

VERSION = {
    "Version": "24.0.7",
    "ApiVersion": "1.43",
    "MinAPIVersion": "1.12",
    "Os": "linux",
    "Arch": "amd64",
}


def log_line(path, line):
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def answer(conn, status, body, ctype):
    data = body.encode()
    conn.sendall(("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                  "\r\n" % (status, ctype, len(data))).encode() + data)


def serve(conn, answer_version, log):
    buf = b""
    held = False
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            if held:
                continue            # silent: read and drop
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                log_line(log, line)
                parts = line.split()
                path = parts[1] if len(parts) > 1 else ""
                if answer_version and path == "/_ping":
                    answer(conn, "200 OK", "OK", "text/plain")
                elif answer_version and path == "/version":
                    answer(conn, "200 OK", json.dumps(VERSION),
                           "application/json")
                else:
                    held = True     # never answered
                    break
    except OSError:
        pass
    finally:
        if not held:
            conn.close()


def main():
    args = sys.argv[1:]
    answer_version = "--answer-version" in args
    log = None
    if "--log" in args:
        log = args[args.index("--log") + 1]
    paths = [a for i, a in enumerate(args)
             if not a.startswith("--") and (i == 0 or args[i - 1] != "--log")]
    if len(paths) != 1:
        sys.exit(__doc__)
    path = paths[0]
    tmp = path + ".tmp"
    for p in (path, tmp):
        if os.path.exists(p):
            os.unlink(p)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(tmp)
    s.listen(64)
    os.rename(tmp, path)
    held = []                       # keep silent connections open
    while True:
        conn, _ = s.accept()
        held.append(conn)
        threading.Thread(target=serve, args=(conn, answer_version, log),
                         daemon=True).start()


if __name__ == "__main__":
    main()
