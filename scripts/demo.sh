#!/usr/bin/env bash
# The demo: build, start the RingCentral simulator on loopback (rate limits time-scaled 60-fold so the
# demo takes seconds, not hours), point ringlog at it through RingCentral's usual environment
# variables, and run it for real: libcurl, OAuth, paging, the rate-limit governor.
set -euo pipefail
cd "$(dirname "$0")/.."

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

echo "== simulator listening at $RC_SERVER_URL (seed 7, 14 days of calls, rate limits 60x faster)"
echo "== ringlog probe"
"$bin/ringlog" probe
echo
echo "== simulator request statistics"
curl -s "$RC_SERVER_URL/__sim/stats" | python3 -m json.tool
echo
echo "ringlog logged in, read the account and its extensions, and logged out."
echo "The archive sync (ringlog sync into ./demo-archive) arrives with the sync-core issue."
