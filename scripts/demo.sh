#!/usr/bin/env bash
# The demo: build, start the RingCentral simulator on loopback (two weeks of calls; rate limits
# time-scaled 60-fold so the demo takes seconds, not hours), and run a real ringlog sync into
# ./demo-archive through RingCentral's usual environment variables: libcurl, OAuth, paging, sync
# tokens, the rate-limit governor, atomic writes. Then a second, incremental run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building (release)"
swift build -c release --product ringlog >/dev/null
swift build -c release --product ringlog-simulator >/dev/null
bin=$(swift build -c release --show-bin-path)

simulator_output=$(mktemp)
"$bin/ringlog-simulator" --port 0 --seed 7 --days 14 --calls-per-day 40 --time-scale 60 >"$simulator_output" &
simulator_pid=$!
disown "$simulator_pid"
trap 'kill -9 $simulator_pid 2>/dev/null || true; rm -f "$simulator_output"' EXIT

for _ in $(seq 100); do [[ -s $simulator_output ]] && break; sleep 0.1; done
line=$(head -n 1 "$simulator_output")
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$line" "$1"; }

export RC_SERVER_URL=$(field 'd["url"]')
export RC_APP_CLIENT_ID=$(field 'd["accounts"][0]["clientId"]')
export RC_APP_CLIENT_SECRET=$(field 'd["accounts"][0]["clientSecret"]')
export RC_USER_JWT=$(field 'd["accounts"][0]["jwt"]')
# The API is on platform.sim.localhost and media on media.sim.localhost (curl and ringlog resolve
# *.localhost to loopback); python cannot, so the checks below talk to the same server by its loopback URL.
loopback_url=$(field 'd["loopbackUrl"]')
echo "== simulator listening at $RC_SERVER_URL (seed 7, 14 days of calls, rate limits 60x faster)"

root=./demo-archive
if [[ -d $root ]]; then echo "== removing the previous demo archive $root"; rm -rf "$root"; fi
"$bin/ringlog" init "$root"
tenant=$("$bin/ringlog" tenant add "Demo Company" --root "$root")
echo "== tenant $tenant"

echo "== ringlog sync (first run: full sync + backfill)"
start=$(date +%s.%N)
"$bin/ringlog" sync --root "$root" || status=$?
echo "   exit status ${status:-0} (4 = partial: recordings RingCentral is still processing wait in the pending queue)"
first=$(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")

echo "== ringlog sync (second run: incremental, nothing new)"
start=$(date +%s.%N)
status=0; "$bin/ringlog" sync --root "$root" || status=$?
second=$(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")

echo
echo "== the archive (excerpt)"
(cd "$root" && find . -path ./.ringlog -prune -o -path ./"$tenant"/.ringlog -prune -o -print | sort | sed -n '1,14p')
echo "   …"
echo
echo "== checked against the simulator's ground truth"
python3 - "$root/$tenant" "$loopback_url" <<'PY'
import glob, hashlib, json, sys, urllib.request
tenant, url = sys.argv[1], sys.argv[2]
truth = json.load(urllib.request.urlopen(url + "/__sim/truth"))["items"]
lines = [json.loads(l) for f in glob.glob(tenant + "/manifest/*.jsonl") for l in open(f)]
def ids(kind, key, source): return {x[key] for x in source if x["kind"] == kind}
for kind, key in [("call", "callId"), ("recording", "recordingId"), ("voicemail", "attachmentId"), ("transcription", "attachmentId")]:
    want, have = ids(kind, key, truth), ids(kind, key, lines)
    print(f"   {kind:14} truth {len(want):4}  archived {len(have & want):4}  missing {len(want - have)}")
# Messages (revision 4): every message of the truth by its type, and every attachment RingCentral serves.
# A message purged at RingCentral before the first run is no longer served (not even its record): left out.
messages = [x for x in truth if x["kind"] == "message" and x["availability"] != "Purged"]
purged = {x["messageId"] for x in truth if x["kind"] == "message" and x["availability"] == "Purged"}
archived_messages = ids("message", "messageId", lines)
for kind in sorted({m["messageType"] for m in messages}):
    want = {m["messageId"] for m in messages if m["messageType"] == kind}
    print(f"   {kind + ' msgs':14} truth {len(want):4}  archived {len(want & archived_messages):4}  missing {len(want - archived_messages)}")
want = {a["attachmentId"] for m in messages for a in m["attachments"] if a["served"]}
have = {l["attachmentId"] for l in lines if "attachmentId" in l and "sha256" in l}
print(f"   {'attachments':14} truth {len(want):4}  archived {len(have & want):4}  missing {len(want - have)}")
print(f"   ({len(purged)} more messages are purged at RingCentral, no longer served; archived before their purge: {len(purged & archived_messages)})")
want = {x["recordingId"] for x in truth if x["kind"] == "insight"}
have = ids("insights", "recordingId", lines)
print(f"   {'insights':14} truth {len(want):4}  archived {len(have & want):4}  missing {len(want - have)}")
bad = [l["path"] for l in lines if "sha256" in l and hashlib.sha256(open(tenant + "/" + l["path"], "rb").read()).hexdigest() != l["sha256"]]
print(f"   sha256 of every archived media file checked on disk: {'all match' if not bad else bad}")
stats = json.load(urllib.request.urlopen(url + "/__sim/stats"))
groups = ", ".join(f"{g} {v['requests']}" for g, v in stats["groups"].items())
print(f"   simulator saw: {groups}; 429s {stats['429s']}; requests inside a penalty {stats['requestsInPenalty']}")
PY
echo "   first run ${first} s, second (no-op) run ${second} s"
echo
echo "Open $root to browse it; $root/$tenant/logs/runs.jsonl has one line per run."
