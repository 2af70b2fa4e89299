#!/usr/bin/env python3
"""scripts/demo_app.py - the tiny "app" of `make demo`.

It serves GET /health from the config it loaded: 200 "ok" when app.yaml in
the config directory says `mode: stable`, 503 naming the problem otherwise.
POST /reload re-reads the config (what the job's `apply` calls after a
rollback, and what a deploy does after a change). Standard library only.

    demo_app.py --config-dir DIR --port-file FILE
"""
import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": None, "error": None}
lock = threading.Lock()


def load(config_dir):
    path = os.path.join(config_dir, "app.yaml")
    mode, error = None, None
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "mode":
                    mode = value.strip()
    except OSError as e:
        error = f"cannot read {path}: {e.strerror}"
    if not error and mode != "stable":
        error = f"app.yaml has mode '{mode}'; the app only runs in mode 'stable'"
    with lock:
        state["mode"], state["error"] = mode, error


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = (body + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/health":
            return self.answer(404, "not found")
        with lock:
            error = state["error"]
        self.answer(503 if error else 200, error or "ok")

    def do_POST(self):
        if self.path != "/reload":
            return self.answer(404, "not found")
        load(self.server.config_dir)
        with lock:
            error = state["error"]
        self.answer(200, "reloaded: " + (error or "ok"))

    def log_message(self, fmt, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config-dir", required=True)
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.config_dir = args.config_dir
    load(args.config_dir)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
