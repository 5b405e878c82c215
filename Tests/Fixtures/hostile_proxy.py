#!/usr/bin/env python3
"""A hostile RingCentral stand-in: forwards every request to the simulator and damages responses as
its rules say, the way a real server (or a network) can surprise an archiver.

    hostile_proxy.py --upstream http://127.0.0.1:PORT --rules rules.json

Prints {"url": "http://127.0.0.1:PORT"} once listening. The rules file is re-read on every request:
  {"malform": {"<record id>": {"field": value-or-null-to-delete, ...}},   call-log and message records
   "trickle": {"match": "/recording/", "bytesPerSecond": 2}}             media bodies, throttled
Upstream URLs in bodies are rewritten to the proxy's, so the client sees one server.
"""
import argparse, http.server, json, signal, socketserver, sys, time, urllib.error, urllib.request

signal.pthread_sigmask(signal.SIG_SETMASK, set())
parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--rules", required=True)
args = parser.parse_args()
upstream = args.upstream.rstrip("/")

def rules():
    try:
        with open(args.rules) as f: return json.load(f)
    except Exception: return {}

def damage(body, rule_set):
    malform = rule_set.get("malform") or {}
    if not malform: return body
    try: document = json.loads(body)
    except Exception: return body
    for record in document.get("records", []) if isinstance(document, dict) else []:
        change = malform.get(str(record.get("id")))
        for field, value in (change or {}).items():
            if value is None: record.pop(field, None)
            else: record[field] = value
    return json.dumps(document).encode()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def forward(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else None
        request = urllib.request.Request(upstream + self.path, data=data, method=method)
        for name, value in self.headers.items():
            if name.lower() not in ("host", "content-length", "accept-encoding", "connection"): request.add_header(name, value)
        try: response = urllib.request.urlopen(request, timeout=60)
        except urllib.error.HTTPError as error: response = error
        body = response.read()
        rule_set = rules()
        own = "http://%s:%d" % self.server.server_address[:2]
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type:
            body = damage(body.replace(upstream.encode(), own.encode()), rule_set)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"): self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        trickle = rule_set.get("trickle") or {}
        if trickle and trickle.get("match", "\0") in self.path and "json" not in content_type:
            rate = max(1, int(trickle.get("bytesPerSecond", 2)))
            try:
                for offset in range(0, len(body), rate):
                    self.wfile.write(body[offset:offset + rate]); self.wfile.flush(); time.sleep(1)
            except (BrokenPipeError, ConnectionResetError): pass
            return
        self.wfile.write(body)
    def do_GET(self): self.forward("GET")
    def do_POST(self): self.forward("POST")

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"url": "http://127.0.0.1:%d" % server.server_address[1]}), flush=True)
server.serve_forever()
