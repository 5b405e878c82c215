#!/usr/bin/env bash
# Benchmark P3: a no-op `ringlog sync` (nothing new at RingCentral) of the large benchmark archive
# (180 days of history) versus the same of the small one (1 day of the same account: 20 users, 120
# calls a day, so the same mailboxes to ask and the same recent calls to re-list: what differs is the
# archive's size alone), each against a simulator serving the account it was built from
# (same seed and size, clock stopped at the same instant, rate limits lifted). The run does what a
# cron run does: ISync, the trailing reconcile re-list (--reconcile-hours, default 4), the run-log
# line; the deep reconcile is off (--deep-reconcile-days 0), since whether it is due depends on the
# wall clock since the archive was built. Best of five interleaved runs each. Goal: ratio ≤ 1.5.
#   bench/p3-noop-sync.sh   (or bench/run P3)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build
work=$(mktemp -d); trap 'stop_simulator; rm -rf "$work"' EXIT
# On copies: the no-op runs append to the run log and renew the sync token, and the cached archives
# serve the other benchmarks unchanged.
# Hard links for the item files (never modified: media and sidecars are only ever replaced by
# rename), real copies of the append-only and control files.
copy_archive() {
    cp -al "$1" "$2"
    find "$2" \( -name '*.jsonl' -o -path '*/.ringlog/*' -o -name tenant.json \) -type f | while read -r f; do
        cp "$f" "$f.copy" && mv -f "$f.copy" "$f"
    done
}
copy_archive "$(small_archive)" "$work/small-archive"; copy_archive "$(large_archive)" "$work/large-archive"
small=$work/small-archive; large=$work/large-archive
# Point each copy's tenant at its new simulator (the one it was built with is gone).
point_at() { python3 - "$1" "$2" <<'PY'
import glob, json, sys
for path in glob.glob(sys.argv[1] + "/*/tenant.json"):
    marker = json.load(open(path)); marker["server"] = sys.argv[2]
    open(path, "w").write(json.dumps(marker, indent=2) + "\n")
PY
}
files() { find "$1" -type f | wc -l; }
# One simulator per archive, as bench_archive started it (lib.sh: small 1 120 20, large 180 120 20: one
# account, two lengths of history).
mkdir -p "$work/small" "$work/large"
start_simulator "$work/small" --seed 11 --days 1 --calls-per-day 120 --users 20; small_sim=$sim_pid; point_at "$small" "$RC_SERVER_URL"
small_env=("RC_SERVER_URL=$RC_SERVER_URL" "RC_APP_CLIENT_ID=$RC_APP_CLIENT_ID" "RC_APP_CLIENT_SECRET=$RC_APP_CLIENT_SECRET" "RC_USER_JWT=$RC_USER_JWT")
start_simulator "$work/large" --seed 11 --days 180 --calls-per-day 120 --users 20; large_sim=$sim_pid; point_at "$large" "$RC_SERVER_URL"
large_env=("RC_SERVER_URL=$RC_SERVER_URL" "RC_APP_CLIENT_ID=$RC_APP_CLIENT_ID" "RC_APP_CLIENT_SECRET=$RC_APP_CLIENT_SECRET" "RC_USER_JWT=$RC_USER_JWT")
trap 'kill -9 $small_sim $large_sim 2>/dev/null || true; rm -rf "$work"' EXIT
best_small=; best_large=
for _ in 1 2 3 4 5; do
    run_measured s env "${small_env[@]}" "$bin/ringlog" sync --root "$small" --deep-reconcile-days 0 --json ${P3_EXTRA:-}
    run_measured l env "${large_env[@]}" "$bin/ringlog" sync --root "$large" --deep-reconcile-days 0 --json ${P3_EXTRA:-}
    [[ $s_status == 0 && $l_status == 0 ]] || { echo "P3: a no-op sync failed (small $s_status, large $l_status)" >&2; exit 1; }
    best_small=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" $s_seconds $best_small)
    best_large=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" $l_seconds $best_large)
done
python3 - "$best_large" "$best_small" "$l_rss_kb" "$s_rss_kb" "$(files "$large")" "$(files "$small")" <<'PY'
import json, sys
l, s = float(sys.argv[1]), float(sys.argv[2])
lrss, srss, lf, sf = (int(x) for x in sys.argv[3:])
print(f"P3: no-op sync of {lf} files {l:.3f} s (peak RSS {lrss/1024:.0f} MB) vs {sf} files {s:.3f} s (peak RSS {srss/1024:.0f} MB)", file=sys.stderr)
print(json.dumps({"ratio": round(l / s, 3), "largeSeconds": round(l, 3), "smallSeconds": round(s, 3), "largePeakRSSKB": lrss,
                  "smallPeakRSSKB": srss, "largeFiles": lf, "smallFiles": sf}))
PY
