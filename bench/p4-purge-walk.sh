#!/usr/bin/env bash
# Benchmark P4: `ringlog purge --dry-run` over the large archive (P3's, ~50,000 files), with a policy
# that expires about half of it, versus `find -type f` over the same tree. The dry run lists each
# directory once and reads no file (names carry the start instant and the ids), so it should cost
# about what find costs: goal ≤ 1.5. Median of 9 warm runs each, interleaved; prints one JSON line.
#   bench/p4-purge-walk.sh   (or bench/run P4)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build
archive=$(large_archive)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -a "$archive" "$work/archive"   # policy set writes policy.json and an audit line: not into the cache
root=$work/archive
tenant=$(ls "$root" | grep -E '^[0-9a-f]{16}$' | head -n 1)
# The simulator's calls end on 2026-11-20 and go back 180 days: expire what started before 2026-08-22.
days=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) - d.datetime(2026, 8, 22, tzinfo=d.timezone.utc)).days)')
"$bin/ringlog" policy set --root "$root" --tenant "$tenant" --calls "${days}d" --recordings "${days}d" --voicemails "${days}d" \
    --reason "bench P4" >/dev/null
files=$(find "$root" -type f | wc -l)
planned=$("$bin/ringlog" purge --dry-run --root "$root" --tenant "$tenant" --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["planned"]["files"])')
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ringlog_runs=(); find_runs=(); rss=0
for _ in 1 2 3 4 5 6 7 8 9; do
    run_measured f find "$root" -type f
    find_runs+=("$f_seconds")
    run_measured r "$bin/ringlog" purge --dry-run --root "$root" --tenant "$tenant"
    ringlog_runs+=("$r_seconds"); rss=$r_rss_kb
done
r=$(median "${ringlog_runs[@]}"); f=$(median "${find_runs[@]}")
python3 - "$r" "$f" "$files" "$planned" "$rss" <<'PY'
import json, sys
r, f, n, p, rss = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"{n} files, {p} planned for removal; purge --dry-run {r:.3f} s, find -type f {f:.3f} s; peak RSS {rss} KiB", file=sys.stderr)
print(json.dumps({"ratio": round(r / f, 3), "purgeDryRunSeconds": round(r, 4), "findSeconds": round(f, 4), "files": n, "planned": p, "peakRssKb": rss}))
PY
