#!/usr/bin/env python3
"""A stand-in for RingCentral that serves the verbatim payloads of ../shared/reference/examples over
https, under RingCentral's own host names: a throw-away CA signs one certificate for
platform.ringcentral.com and media.ringcentral.com, and the client reaches it through curl's
--connect-to (HOST:443 -> 127.0.0.1:PORT), so every URL, Host header and TLS name is production's,
including contentUri values such as https://media.ringcentral.com:443/restapi/..snip../content.

Only the envelopes the guide does not print are built here (account info, the message-sync wrapper
around the verbatim voicemail record, media bytes); every record is served byte-for-byte as published.
Prints one JSON line: {"port": P, "ca": PATH, "served": PATH-of-request-log}.
"""
import json, os, sys, urllib.parse
from tls_standin import RecordingHandler, make_certificate, now_iso, serve

examples = sys.argv[1]
work, ca_cert, cert, key = make_certificate("rc-replay-", ["platform.ringcentral.com", "media.ringcentral.com"])

def load(name):
    return json.load(open(os.path.join(examples, name)))

raw_text = lambda name: open(os.path.join(examples, name), "rb").read()
voicemail = load("message-store-voicemail-record.json")
# Detailed list: the detailed record with legs (it replaces its Simple twin of the same id), the
# other Simple records, and the single Simple record with a recording.
simple_list = load("call-log-list-response-simple.json")
detailed = load("call-log-record-detailed-with-legs.json")
listed = [detailed] + [r for r in simple_list["records"] if r["id"] != detailed["id"]] + [load("call-log-record-simple-with-recording.json")]

class Handler(RecordingHandler):
    def do_POST(self):
        self.record()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/restapi/oauth/token":
            return self.reply(200, raw_text("oauth-token-response-jwt.json"))
        if self.path == "/restapi/oauth/revoke":
            return self.reply(200, b"")
        self.reply(404, {"errors": [{"errorCode": "CMN-102", "message": "Resource for parameter [uri] is not found"}]})

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        host = (self.headers.get("Host") or "").split(":")[0]
        if "/content" in path:
            # Media: a recording (mp3) or the voicemail's audio (its contentType), bytes derived from the path.
            body = b"ID3" + path.encode() * 40
            kind = "audio/x-wav" if "message-store" in path else "audio/mpeg"
            if kind == "audio/x-wav": body = b"RIFF" + path.encode() * 40
            return self.reply(200, body, kind)
        if host != "platform.ringcentral.com":
            return self.reply(404, {"errors": [{"errorCode": "CMN-120", "message": "not the API host"}]})
        if path == "/restapi/v1.0/account/~":
            return self.reply(200, {"uri": "https://platform.ringcentral.com/restapi/v1.0/account/159048008", "id": 159048008,
                                    "mainNumber": "+16505550100", "status": "Confirmed"})
        if path == "/restapi/v1.0/account/~/extension":
            return self.reply(200, raw_text("extension-list-response.json"))
        if path == "/restapi/v1.0/account/~/call-log-sync":
            name = "call-log-sync-fsync-response.json" if query.get("syncType", ["FSync"])[0] == "FSync" else "call-log-sync-isync-response.json"
            # The samples come from different years (the sync guide's are from 2013, the list's from 2023):
            # the envelope's syncTime is set to now so that the timeline is one; the records stay verbatim.
            body = load(name)
            body["syncInfo"]["syncTime"] = now_iso()
            return self.reply(200, body)
        if path == "/restapi/v1.0/account/~/call-log":
            low, high = query.get("dateFrom", [""])[0], query.get("dateTo", ["9999"])[0]
            records = [r for r in listed if low <= r["startTime"] < high]
            page = dict(simple_list)
            page["records"] = records
            page["paging"] = {"page": 1, "perPage": 1000, "pageStart": 0, "pageEnd": max(len(records) - 1, 0)}
            page["navigation"] = {"firstPage": simple_list["navigation"]["firstPage"]}
            return self.reply(200, page)
        if path.endswith("/message-sync"):
            full = query.get("syncType", ["FSync"])[0] == "FSync"
            records = [voicemail] if full and "/extension/159048008/" in path else []
            return self.reply(200, {"uri": "https://platform.ringcentral.com" + self.path, "records": records,
                                    "syncInfo": {"syncType": "FSync" if full else "ISync", "syncToken": "replay-message-token",
                                                 "syncTime": now_iso()}})
        if path.endswith("/message-store"):
            return self.reply(200, raw_text("message-store-list-response-sms.json"))
        self.reply(404, {"errors": [{"errorCode": "CMN-102", "message": "Resource for parameter [uri] is not found"}]})

serve(Handler, work, ca_cert, cert, key)
