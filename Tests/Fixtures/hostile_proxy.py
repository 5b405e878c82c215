#!/usr/bin/env python3
"""A hostile RingCentral stand-in: forwards every request to the simulator and damages responses as
its rules say, the way a real server (or a network) can surprise an archiver.

    hostile_proxy.py --upstream http://127.0.0.1:PORT [--platform-url URL --media-url URL] --rules rules.json

--upstream is where the proxy connects (the simulator's loopbackUrl: python cannot resolve *.localhost).
--platform-url and --media-url are the simulator's `url` and `mediaUrl`, the hosts its bodies name.
With a separate media host the proxy keeps the two hosts apart, as its own platform.proxy.localhost
and media.proxy.localhost on its one port (libcurl resolves *.localhost to loopback), so the client
downloads cross-host through the proxy as it would from RingCentral. Prints
{"url": …, "mediaUrl": …, "loopbackUrl": "http://127.0.0.1:PORT"} once listening.
The rules file is re-read on every request:
  {"malform": {"<record id>": {"field": value-or-null-to-delete, ...}},   call-log and message records
   "trickle": {"match": "/1662270012", "bytesPerSecond": 2}}             media bodies, throttled
Upstream URLs in JSON bodies and in Location headers are rewritten to the proxy's; redirects are
passed to the client (not followed here), so it follows them through the proxy.
"""
import argparse, http.server, json, signal, socketserver, sys, time, urllib.error, urllib.request

signal.pthread_sigmask(signal.SIG_SETMASK, set())
parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--platform-url")
parser.add_argument("--media-url")
parser.add_argument("--rules", required=True)
args = parser.parse_args()
upstream = args.upstream.rstrip("/")
upstream_platform = (args.platform_url or upstream).rstrip("/")
upstream_media = (args.media_url or upstream_platform).rstrip("/")
cross_host = upstream_media != upstream_platform

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a): return None  # the 3xx reaches the client as it is
opener = urllib.request.build_opener(NoRedirect)

def own_urls(port):
    loopback = "http://127.0.0.1:%d" % port
    if cross_host: return "http://platform.proxy.localhost:%d" % port, "http://media.proxy.localhost:%d" % port, loopback
    return loopback, loopback, loopback

def rewrite(text, port):
    platform, media, _ = own_urls(port)
    # Media first: with one host the two are the same string and the platform mapping is a no-op.
    for old, new in ((upstream_media, media), (upstream_platform, platform), (upstream, platform)):
        text = text.replace(old.encode(), new.encode())
    return text

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
        try: response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error: response = error
        body = response.read()
        rule_set = rules()
        port = self.server.server_address[1]
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type:
            body = damage(rewrite(body, port), rule_set)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() == "location": value = rewrite(value.encode(), port).decode()
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
platform, media, loopback = own_urls(server.server_address[1])
print(json.dumps({"url": platform, "mediaUrl": media, "loopbackUrl": loopback}), flush=True)
server.serve_forever()
