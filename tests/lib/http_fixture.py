#!/usr/bin/env python3
"""tests/lib/http_fixture.py - a scriptable HTTP server for integration tests.

What it is for: standing in for the health endpoints upkeep checks and the
webhook receivers it notifies.  It answers every path (by default 200
"ok\\n"), lets a test script the response for a path (status, body, headers,
delay), and records every request it serves so a test can read back what
upkeep sent.  What it is not for: anything but loopback tests - no TLS, no
auth, no limits worth the name.  Python 3 standard library only.

Started by servers.sh `http_start`; by hand:

    http_fixture.py --port-file F [--bind 127.0.0.1] [--port 0] [--log FILE]

It binds (port 0 = any free port), then writes the port number to F
(atomically), then serves until SIGTERM/SIGINT.

Control API (these requests are never recorded):

    POST /_fixture/route     {"path": "/health", "status": 503, "body": "down",
                              "delay": 1.5, "headers": {"X-A": "b"}}
                             sets the response for that exact path (query
                             string ignored), whatever the method; "status"
                             defaults to 200, "body" to "", "delay" (seconds,
                             before anything is sent) to 0. With
                             "if_header": {"name": "Authorization", "value":
                             "Bearer t", "status": 200, "body": "",
                             "headers": {}} a request carrying exactly that
                             header gets that answer instead (a registry
                             behind a token, say).
    GET  /_fixture/requests  JSON array of the recorded requests, oldest
                             first: {"method", "path" (with query), "headers"
                             (object; repeated names joined with ", "), "body"
                             (text, undecodable bytes replaced), "time" (Unix
                             seconds when the request arrived)}
    POST /_fixture/reset     forget all routes and recorded requests
    GET  /_fixture/ping      200 "pong" (readiness probe)
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL_PREFIX = "/_fixture/"
DEFAULT_ROUTE = {"status": 200, "body": "ok\n", "delay": 0, "headers": {}}


class State:
    """Routes and recorded requests, shared by the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.requests = []

    def set_route(self, spec):
        path = spec.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("'path' must be a string starting with '/'")
        status = int(spec.get("status", 200))
        if not 100 <= status <= 599:
            raise ValueError("'status' must be between 100 and 599")
        delay = float(spec.get("delay", 0))
        if delay < 0:
            raise ValueError("'delay' must not be negative")
        headers = spec.get("headers", {}) or {}
        if not isinstance(headers, dict):
            raise ValueError("'headers' must be an object")
        route = {
            "status": status,
            "body": str(spec.get("body", "")),
            "delay": delay,
            "headers": {str(k): str(v) for k, v in headers.items()},
        }
        cond = spec.get("if_header")
        if cond is not None:
            if not isinstance(cond, dict) or not isinstance(cond.get("name"), str) \
                    or not isinstance(cond.get("value"), str):
                raise ValueError("'if_header' must be an object with 'name' and 'value'")
            route["if_header"] = {
                "name": cond["name"], "value": cond["value"],
                "status": int(cond.get("status", 200)),
                "body": str(cond.get("body", "")),
                "headers": {str(k): str(v) for k, v in (cond.get("headers") or {}).items()},
            }
        with self.lock:
            self.routes[path] = route

    def route_for(self, path):
        with self.lock:
            return self.routes.get(path, DEFAULT_ROUTE)

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def reset(self):
        with self.lock:
            self.routes.clear()
            self.requests.clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, like real servers
    server_version = "upkeep-http-fixture/1"

    # Every method goes through one handler.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def log_message(self, fmt, *args):
        log = self.server.log
        if log is not None:
            log.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
            log.flush()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers, up to the blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status, body, headers=None, content_type="text/plain; charset=utf-8"):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        names = {k.lower() for k in (headers or {})}
        if "content-type" not in names:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        arrived = time.time()
        body = self.read_body()
        path_only = self.path.split("?", 1)[0]
        if path_only.startswith(CONTROL_PREFIX):
            self.control(path_only[len(CONTROL_PREFIX):], body)
            return
        headers = {}
        for k, v in self.headers.items():
            headers[k] = headers[k] + ", " + v if k in headers else v
        self.server.state.record({
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "time": arrived,
        })
        route = self.server.state.route_for(path_only)
        if route["delay"]:
            time.sleep(route["delay"])
        cond = route.get("if_header")
        if cond and self.headers.get(cond["name"]) == cond["value"]:
            route = cond
        self.send(route["status"], route["body"], route["headers"])

    def control(self, what, body):
        state = self.server.state
        try:
            if what == "route" and self.command == "POST":
                state.set_route(json.loads(body.decode("utf-8") or "{}"))
                self.send(200, '{"ok": true}\n', content_type="application/json")
            elif what == "requests" and self.command == "GET":
                self.send(200, json.dumps(state.snapshot(), indent=1) + "\n",
                          content_type="application/json")
            elif what == "reset" and self.command == "POST":
                state.reset()
                self.send(200, '{"ok": true}\n', content_type="application/json")
            elif what == "ping":
                self.send(200, "pong\n")
            else:
                self.send(404, json.dumps({"error": "no control endpoint %s %s%s"
                                           % (self.command, CONTROL_PREFIX, what)}) + "\n",
                          content_type="application/json")
        except (ValueError, TypeError, AttributeError) as e:
            self.send(400, json.dumps({"error": str(e)}) + "\n",
                      content_type="application/json")


class Server(ThreadingHTTPServer):
    daemon_threads = True        # a slow (delayed) request must not block exit
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", help="access log file (default: none)")
    args = ap.parse_args()

    server = Server((args.bind, args.port), Handler)
    server.state = State()
    server.log = open(args.log, "a") if args.log else None

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)

    def stop(signum, frame):
        # shutdown() waits for serve_forever(), so it must not run on the
        # thread that is serving: exit the process instead.
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
