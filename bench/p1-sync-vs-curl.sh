#!/usr/bin/env bash
# Benchmark: a full first `ringlog sync` against the simulator (rate limits lifted) versus the
# floor any archiver has to pay for the same media: one `curl` process fetching every recording
# (connection reused, redirects followed) plus `sha256sum` over the files. Prints both and the ratio.
# ringlog does more (call-log paging, voicemail, sidecars, manifest, an fsync per file), so the
# ratio is the price of that durability and bookkeeping, not of HTTP.
#   bench/p1-sync-vs-curl.sh [days] [calls-per-day]   (or bench/run P1)
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-30}; per_day=${2:-100}
swift build -c release --product ringlog >/dev/null
swift build -c release --product ringlog-simulator >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d); trap 'kill -9 ${sim:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/ringlog-simulator" --port 0 --seed 11 --days "$days" --calls-per-day "$per_day" --time-scale 1000000 \
    --start-time 2026-11-20T23:00:00Z --clock-speed 0 --no-media-redirect >"$work/sim.json" &
sim=$!
disown "$sim"
for _ in $(seq 100); do [[ -s $work/sim.json ]] && break; sleep 0.1; done
get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/sim.json" "$1"; }
export RC_SERVER_URL=$(get 'd["url"]') RC_APP_CLIENT_ID=$(get 'd["accounts"][0]["clientId"]')
export RC_APP_CLIENT_SECRET=$(get 'd["accounts"][0]["clientSecret"]') RC_USER_JWT=$(get 'd["accounts"][0]["jwt"]')
media_url=$(get 'd["mediaUrl"]')  # recordings are served on the media host, as RingCentral's contentUri says

"$bin/ringlog" init "$work/archive" >/dev/null
"$bin/ringlog" tenant add bench --root "$work/archive" --since 2026-01-01 >/dev/null
start=$(date +%s.%N)
"$bin/ringlog" sync --root "$work/archive" >/dev/null || true
ringlog_seconds=$(python3 -c "import sys; print(float(sys.argv[2])-float(sys.argv[1]))" "$start" "$(date +%s.%N)")

# The same recordings with curl: one process, one connection per host, then sha256sum.
token=$(curl -s -u "$RC_APP_CLIENT_ID:$RC_APP_CLIENT_SECRET" \
    --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer" --data-urlencode "assertion=$RC_USER_JWT" \
    "$RC_SERVER_URL/restapi/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
mkdir "$work/curl"
curl -s "$RC_SERVER_URL/__sim/truth" | python3 -c '
import json, sys
base, out = sys.argv[1], sys.argv[2]
for item in json.load(sys.stdin)["items"]:
    if item["kind"] == "recording":
        account, rid = item["accountId"], item["recordingId"]
        print("url = \"%s/restapi/v1.0/account/%s/recording/%s/content\"" % (base, account, rid))
        print("output = \"%s/%s\"" % (out, rid))
' "$media_url" "$work/curl" >"$work/curl.conf"
count=$(grep -c '^url' "$work/curl.conf")
start=$(date +%s.%N)
curl -s -L -H "Authorization: Bearer $token" -K "$work/curl.conf"
(cd "$work/curl" && sha256sum -- * >/dev/null)
curl_seconds=$(python3 -c "import sys; print(float(sys.argv[2])-float(sys.argv[1]))" "$start" "$(date +%s.%N)")

bytes=$(du -sb "$work/curl" | cut -f1)
python3 - "$ringlog_seconds" "$curl_seconds" "$count" "$bytes" <<'PY'
import json, sys
r, c, n, b = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"recordings: {n} ({b/1e6:.1f} MB); ringlog {r:.2f} s; curl + sha256sum {c:.2f} s", file=sys.stderr)
print(json.dumps({"ratio": round(r / c, 3), "ringlogSeconds": r, "curlSha256sumSeconds": c, "recordings": n, "bytes": b}))
PY
