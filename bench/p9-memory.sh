#!/usr/bin/env bash
# Benchmark P9 (issue 9 point 5, flat memory): peak RSS of a first sync of a ~25,000-call account
# (180 days × 180 calls, 20 users) against that of a ~600-call one (16 days × 40 calls, 4 users),
# rate limits lifted, whole tenants (calls, recordings, every message kind, insights). Goals: the
# large run under 100 MB and within 1.3x of the small one. Ratio = large peak ÷ small peak.
#   bench/p9-memory.sh   (or bench/run P9)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build
work=$(mktemp -d); trap 'stop_simulator; rm -rf "$work"' EXIT
first_sync() {  # NAME DAYS CALLS_PER_DAY USERS: sets ${NAME}_rss_kb, ${NAME}_seconds, ${NAME}_calls
    local name=$1; mkdir -p "$work/$name"
    # Limits lifted for real (the time scale alone leaves ringlog's governor pacing each tiny window; see P2).
    start_simulator "$work/$name" --seed 13 --days "$2" --calls-per-day "$3" --users "$4" \
        --rate-limits heavy=1000000,medium=1000000,light=1000000,auth=1000000
    "$bin/ringlog" init "$work/$name/archive" >/dev/null
    # P9_TENANT_ARGS (e.g. "--messages none --insights off") narrows what is archived, to find what grows.
    "$bin/ringlog" tenant add bench --root "$work/$name/archive" --since 2020-01-01 ${P9_TENANT_ARGS:-} >/dev/null
    run_measured "$name" "$bin/ringlog" sync --root "$work/$name/archive"
    local status_var="${name}_status"; [[ ${!status_var} == 0 || ${!status_var} == 4 ]] || { echo "P9: $name sync exited ${!status_var}" >&2; exit 1; }
    printf -v "${name}_calls" '%s' "$(cat "$work/$name/archive"/*/manifest/*.jsonl | grep -c '"kind":"call"')"
    stop_simulator
    rm -rf "$work/$name/archive"
}
first_sync small 16 40 4
first_sync large 180 180 20
python3 - "$large_rss_kb" "$small_rss_kb" "$large_calls" "$small_calls" "$large_seconds" "$small_seconds" <<'PY'
import json, sys
lrss, srss, lcalls, scalls = (int(x) for x in sys.argv[1:5])
ls, ss = float(sys.argv[5]), float(sys.argv[6])
print(f"P9: first sync of {lcalls} calls peaks at {lrss/1024:.1f} MB ({ls:.1f} s), of {scalls} calls at {srss/1024:.1f} MB "
      f"({ss:.1f} s): {lrss/srss:.2f}x", file=sys.stderr)
print(json.dumps({"ratio": round(lrss / srss, 3), "largePeakRSSKB": lrss, "smallPeakRSSKB": srss, "largeCalls": lcalls,
                  "smallCalls": scalls, "largeSeconds": round(ls, 2), "smallSeconds": round(ss, 2)}))
PY
