"""What the RingCentral stand-ins (rc_replay.py, rc_replay_devtest.py) share: a throw-away CA and one
certificate for the given host names, a request log, and a handler base that answers and records."""
import datetime, http.server, json, os, ssl, subprocess, tempfile

def make_certificate(prefix, hosts):
    """A CA and a server certificate for `hosts` (first one the CN), in a fresh directory: (work, ca, cert, key)."""
    work = tempfile.mkdtemp(prefix=prefix)
    ca_key, ca_cert = os.path.join(work, "ca.key"), os.path.join(work, "ca.pem")
    key, csr, cert, ext = [os.path.join(work, n) for n in ("srv.key", "srv.csr", "srv.pem", "ext.cnf")]
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=replay test CA",
                    "-keyout", ca_key, "-out", ca_cert], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + hosts[0], "-keyout", key, "-out", csr], **quiet)
    open(ext, "w").write("subjectAltName=" + ",".join("DNS:" + h for h in hosts) + "\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
                    "-extfile", ext, "-out", cert], **quiet)
    return work, ca_cert, cert, key

def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """`log` (an open file) receives one JSON line per request: method, Host, path, whether a bearer came."""
    protocol_version = "HTTP/1.1"
    log = None
    def log_message(self, *args): pass

    def reply(self, status, body, content_type="application/json"):
        if isinstance(body, (dict, list)): body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self):
        self.log.write(json.dumps({"method": self.command, "host": self.headers.get("Host"), "path": self.path,
                                   "authorized": (self.headers.get("Authorization") or "").startswith("Bearer ")}) + "\n")
        self.log.flush()

def serve(handler, work, ca_cert, cert, key):
    """Listens on 127.0.0.1 over TLS, prints the startup line {"port", "ca", "served"}, serves forever."""
    log_path = os.path.join(work, "requests.jsonl")
    handler.log = open(log_path, "a")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(json.dumps({"port": server.server_address[1], "ca": ca_cert, "served": log_path}), flush=True)
    server.serve_forever()
