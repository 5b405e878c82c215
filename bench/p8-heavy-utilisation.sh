#!/usr/bin/env bash
# Benchmark: Heavy-group utilisation of a whole first sync with a recording backlog, against the
# simulator's *real* rate limits time-scaled (default 20x: a 60 s window lasts 3 s). Recordings and the
# call log share the Heavy group (10 requests per 60 s by default), so it bounds how fast a backlog
# drains: utilisation = Heavy requests sent ÷ what the budget allowed over the run's wall time.
# Also reports 429s and requests sent inside a penalty (both must be 0), per group.
#   bench/p8-heavy-utilisation.sh [days] [calls-per-day] [time-scale]   (or bench/run P8)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
days=${1:-7}; per_day=${2:-40}; scale=${3:-20}
bench_build
work=$(mktemp -d); trap 'stop_simulator; rm -rf "$work"' EXIT
"$bin/ringlog-simulator" --port 0 --seed 5 --days "$days" --calls-per-day "$per_day" --users 4 --time-scale "$scale" \
    --start-time 2026-11-20T23:00:00Z --clock-speed 0 >"$work/sim.json" &
sim_pid=$!; disown "$sim_pid"
for _ in $(seq 300); do [[ -s $work/sim.json ]] && break; sleep 0.1; done
line=$(head -n 1 "$work/sim.json")
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$line" "$1"; }
export RC_SERVER_URL=$(field 'd["url"]') RC_APP_CLIENT_ID=$(field 'd["accounts"][0]["clientId"]')
export RC_APP_CLIENT_SECRET=$(field 'd["accounts"][0]["clientSecret"]') RC_USER_JWT=$(field 'd["accounts"][0]["jwt"]')
loopback=$(field 'd.get("loopbackUrl", d["url"])')
"$bin/ringlog" init "$work/archive" >/dev/null
"$bin/ringlog" tenant add bench --root "$work/archive" --since 2026-01-01 >/dev/null
run_measured sync "$bin/ringlog" sync --root "$work/archive"
curl -s "$loopback/__sim/stats" >"$work/stats.json"
curl -s "$loopback/__sim/truth" >"$work/truth.json"
python3 - "$sync_seconds" "$sync_rss_kb" "$scale" "$work/stats.json" "$work/truth.json" "$sync_status" <<'PY'
import json, sys
seconds, rss, scale = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
stats, truth, status = json.load(open(sys.argv[4])), json.load(open(sys.argv[5])), int(sys.argv[6])
groups = {k.lower(): v for k, v in stats.get("groups", {}).items()}
heavy = groups.get("heavy", {}).get("requests", 0)
allowed = seconds * 10 / (60 / scale)  # RingCentral's default Heavy budget: 10 per 60 s
recordings = sum(1 for i in truth["items"] if i["kind"] == "recording")
result = {"ratio": round(heavy / allowed, 3), "heavyUtilisation": round(heavy / allowed, 3), "heavyRequests": heavy,
          "recordings": recordings, "seconds": round(seconds, 2), "timeScale": scale, "peakRssKb": rss, "exitStatus": status,
          "429s": stats.get("429s", 0), "inPenalty": sum(g.get("inPenalty", 0) for g in groups.values()),
          "requestsPerGroup": {k: v.get("requests", 0) for k, v in groups.items()}}
print(f"Heavy utilisation {result['ratio']}: {heavy} Heavy requests in {seconds:.1f} s at {scale:g}x (budget {allowed:.1f}); "
      f"{recordings} recordings; 429s {result['429s']}, inside a penalty {result['inPenalty']}", file=sys.stderr)
print(json.dumps(result))
PY
