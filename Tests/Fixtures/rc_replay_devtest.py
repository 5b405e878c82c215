#!/usr/bin/env python3
"""A stand-in for RingCentral's (2016) sandbox that serves a verbatim Detailed call-log list over https
under the sandbox's own host names, platform.devtest.ringcentral.com and media.devtest.ringcentral.com
(reached through curl's connect-to, one throw-away CA), so every contentUri is served as published:
https://media.devtest.ringcentral.com:443/restapi/v1.0/account/133128004/recording/<id>/content.

The payload (Tests/Fixtures/payloads/call-log-detailed-devtest-2016.json) is the second json block of
ringcentral/ringcentral-api-docs docs/voice/call-log/details.md at commit 8df5a384030e50d0091f36a7656dc1962bafd72a
(2019-05-29; the block dates from the repository's initial commit 72522d93, 2016-07-25), byte for byte:
three Detailed records of account 133128004 with no top-level `extension`, legs without `master`, and the
record's recording repeated on every leg. FSync and the list serve those records; ISync none; the
envelope's syncTime is now. Prints one JSON line: {"port": P, "ca": PATH, "served": PATH-of-request-log}.
"""
import json, sys, urllib.parse
from tls_standin import RecordingHandler, make_certificate, now_iso, serve

payload = json.load(open(sys.argv[1]))
work, ca_cert, cert, key = make_certificate("rc-replay-devtest-", ["platform.devtest.ringcentral.com", "media.devtest.ringcentral.com"])

class Handler(RecordingHandler):
    def do_POST(self):
        self.record()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/restapi/oauth/token":
            return self.reply(200, {"access_token": "replay-devtest-token", "token_type": "bearer", "expires_in": 3600})
        self.reply(200, b"")

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        host = (self.headers.get("Host") or "").split(":")[0]
        if "/content" in path:
            if host != "media.devtest.ringcentral.com":
                return self.reply(404, {"errors": [{"errorCode": "CMN-120", "message": "not the media host"}]})
            return self.reply(200, b"ID3" + path.encode() * 40, "audio/mpeg")
        if path == "/restapi/v1.0/account/~":
            return self.reply(200, {"uri": "https://platform.devtest.ringcentral.com/restapi/v1.0/account/133128004", "id": 133128004})
        if path == "/restapi/v1.0/account/~/extension":
            return self.reply(200, {"records": [{"uri": "https://platform.devtest.ringcentral.com/restapi/v1.0/account/133128004/extension/664573005",
                                                 "id": 664573005, "extensionNumber": "101", "type": "User", "status": "Enabled"}],
                                    "paging": {"page": 1}, "navigation": {}})
        if path == "/restapi/v1.0/account/~/call-log-sync":
            full = query.get("syncType", ["FSync"])[0] == "FSync"
            return self.reply(200, {"records": payload["records"] if full else [],
                                    "syncInfo": {"syncType": "FSync" if full else "ISync", "syncToken": "t", "syncTime": now_iso()}})
        if path == "/restapi/v1.0/account/~/call-log":
            low, high = query.get("dateFrom", [""])[0], query.get("dateTo", ["9999"])[0]
            page = dict(payload)
            page["records"] = [r for r in payload["records"] if low <= r["startTime"] < high]
            return self.reply(200, page)
        if path.endswith("/message-sync"):
            return self.reply(200, {"records": [], "syncInfo": {"syncType": "FSync", "syncToken": "m", "syncTime": now_iso()}})
        if path.endswith("/message-store"):
            return self.reply(200, {"records": [], "paging": {"page": 1}, "navigation": {}})
        self.reply(404, {"errors": [{"errorCode": "CMN-102", "message": "Resource for parameter [uri] is not found"}]})

serve(Handler, work, ca_cert, cert, key)
