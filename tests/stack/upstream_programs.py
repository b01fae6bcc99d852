"""Tiny stdlib programs for the upstream tests: a dependency and an agent that calls it.

Each is run as `python -c PROGRAM ARGS...` (a real process, a real socket on loopback).
"""

UPSTREAM = r"""
import http.server, sys
NAME = sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        body = b"ok" if self.path == "/healthz" else f"{NAME} says hi from {self.path}".encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

# GET /env: its HARNESS_UPSTREAM_* variables; GET /via/<name>/<path>: GET <path> from the
# upstream <name> at the URL its variable names, answering 200 with the body or 502 with the
# error (how the agent's own client saw the fault).
AGENT = r"""
import http.server, json, os, sys, urllib.request
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, b"ok")
        if self.path == "/env":
            env = {k: v for k, v in os.environ.items() if k.startswith("HARNESS_UPSTREAM_")}
            return self.reply(200, json.dumps(env).encode())
        _, via, name, rest = self.path.split("/", 3)
        url = os.environ["HARNESS_UPSTREAM_" + name.upper().replace("-", "_") + "_URL"]
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/" + rest, timeout=10) as answer:
                return self.reply(200, answer.read())
        except Exception as exc:
            return self.reply(502, type(exc).__name__.encode())
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""
