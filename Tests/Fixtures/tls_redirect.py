#!/usr/bin/env python3
"""An https server (self-signed certificate made with openssl) that redirects, beside a plain http one.

  GET https://127.0.0.1:T/to-http   302 -> http://127.0.0.1:P/plain   (a step down: must be refused)
  GET https://127.0.0.1:T/to-https  302 -> https://127.0.0.1:T/ok     (stays secure: followed)
  GET https://127.0.0.1:T/ok        200 "secure"
  GET http://127.0.0.1:P/plain      200 "plain"   (it also counts the requests that reach it)
Prints one JSON line: {"https": "https://127.0.0.1:T", "http": "http://127.0.0.1:P", "ca": PATH}.
"""
import http.server, json, os, ssl, subprocess, sys, tempfile, threading

work = tempfile.mkdtemp(prefix="tls-redirect-")
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
plain_hits = {"count": 0}

class Secure(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        if self.path == "/to-http":
            self.send_response(302); self.send_header("Location", plain_url + "/plain"); self.send_header("Content-Length", "0"); self.end_headers()
        elif self.path == "/to-https":
            self.send_response(302); self.send_header("Location", secure_url + "/ok"); self.send_header("Content-Length", "0"); self.end_headers()
        else:
            body = b"secure"
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)

class Plain(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        plain_hits["count"] += 1
        body = json.dumps({"hits": plain_hits["count"], "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)

secure = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Secure)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
secure.socket = context.wrap_socket(secure.socket, server_side=True)
plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
secure_url = "https://127.0.0.1:%d" % secure.server_address[1]
plain_url = "http://127.0.0.1:%d" % plain.server_address[1]
threading.Thread(target=plain.serve_forever, daemon=True).start()
print(json.dumps({"https": secure_url, "http": plain_url, "ca": cert}), flush=True)
secure.serve_forever()
