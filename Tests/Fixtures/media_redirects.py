#!/usr/bin/env python3
"""A RingCentral-like pair of sibling hosts on one loopback socket (curl resolves *.localhost to
127.0.0.1): the API on platform.redir.localhost:P, media on media.redir.localhost:P, and a foreign
host evil.localhost:P. Media redirects, as a media host may:

  GET /to-sibling/<id>   302 -> http://platform.redir.localhost:P/bytes/<id>   (a sibling: the bearer must follow)
  GET /to-foreign/<id>   302 -> http://evil.localhost:P/bytes/<id>            (foreign: the bearer must not)
  GET /to-relative/<id>  302 -> /bytes/<id>                                   (same host)
  GET /bytes/<id>        200 audio/mpeg with the bearer, else 401 AGW-401
  POST /restapi/oauth/token  a token; every login is counted
  GET /log               every request so far: host, path, whether it carried the bearer
  GET /always-401        401 OAU-213 "Token not found" whatever the token (a token a fresh login does not cure)
Prints one JSON line: {"port": P}.
"""
import http.server, json, threading

requests, lock = [], threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass

    def reply(self, status, body=b"", content_type="application/json", headers=()):
        if isinstance(body, (dict, list)): body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers: self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def note(self):
        with lock:
            requests.append({"method": self.command, "host": self.headers.get("Host"), "path": self.path,
                             "bearer": (self.headers.get("Authorization") or "").startswith("Bearer ")})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.note()
        if self.path == "/restapi/oauth/token":
            logins = sum(1 for r in requests if r["path"] == "/restapi/oauth/token")
            return self.reply(200, {"access_token": "redir-token-%d" % logins, "token_type": "bearer", "expires_in": 3600})
        self.reply(200)

    def do_GET(self):
        if self.path == "/log":
            with lock: return self.reply(200, list(requests))
        self.note()
        port = self.server.server_address[1]
        parts = self.path.split("/")
        if self.path.startswith("/to-sibling/"):
            return self.reply(302, headers=[("Location", "http://platform.redir.localhost:%d/bytes/%s" % (port, parts[2]))])
        if self.path.startswith("/to-foreign/"):
            return self.reply(302, headers=[("Location", "http://evil.localhost:%d/bytes/%s" % (port, parts[2]))])
        if self.path.startswith("/to-relative/"):
            return self.reply(302, headers=[("Location", "/bytes/%s" % parts[2])])
        if self.path == "/always-401":
            return self.reply(401, {"errorCode": "OAU-213", "message": "Token not found",
                                    "errors": [{"errorCode": "OAU-213", "message": "Token not found"}]})
        if self.path.startswith("/bytes/"):
            if not (self.headers.get("Authorization") or "").startswith("Bearer redir-token-"):
                return self.reply(401, {"errorCode": "AGW-401", "message": "Authorization header is not specified",
                                        "errors": [{"errorCode": "AGW-401", "message": "Authorization header is not specified"}]})
            return self.reply(200, b"ID3" + self.path.encode() * 10, "audio/mpeg")
        self.reply(404, {"errors": [{"errorCode": "CMN-102", "message": "Resource for parameter [uri] is not found"}]})

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
