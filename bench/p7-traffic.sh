#!/usr/bin/env bash
# Benchmark P7: `ringlog traffic` over the large benchmark archive (every call sidecar read and
# parsed once, hourly intervals over the whole period) versus the floor of reading the same files:
# `cat` of every call sidecar once. Both run warm (the files in the page cache), best of three.
# Goal: ratio ≤ 3.
#   bench/p7-traffic.sh   (or bench/run P7)
source "$(dirname "$0")/lib.sh"
bench_build
archive=$(large_archive)
tenant_dir=$(find "$archive" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | head -n 1)
tenant=$(basename "$tenant_dir")
list=$(mktemp); trap 'rm -f "$list"' EXIT
# Call sidecars only: <tenant>/<extension>/<YYYY-MM-DD>/<T>_call.<id>.json
find "$tenant_dir" -mindepth 3 -maxdepth 3 -path '*/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*' -name '*_call.*.json' >"$list"
files=$(wc -l <"$list")
bytes=$(xargs -d '\n' cat <"$list" | wc -c)
days=$(sed 's|.*/\([0-9-]\{10\}\)/[^/]*$|\1|' "$list" | sort -u)
first=${days%%$'\n'*}; last=${days##*$'\n'}

best() {  # best NAME cmd...: the fastest of three runs, in ${NAME}_seconds
    local name=$1; shift
    local best_seconds=""
    for _ in 1 2 3; do
        run_measured run "$@"
        [[ $run_status == 0 ]] || { echo "P7: $* exited $run_status" >&2; exit 1; }
        if [[ -z $best_seconds ]] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$run_seconds" "$best_seconds"; then
            best_seconds=$run_seconds; printf -v "${name}_rss_kb" %s "$run_rss_kb"
        fi
    done
    printf -v "${name}_seconds" %s "$best_seconds"
}

xargs -d '\n' cat <"$list" >/dev/null  # warm the page cache
best cat bash -c 'xargs -d "\n" cat <"$1" >/dev/null' _ "$list"
best traffic "$bin/ringlog" traffic --root "$archive" --tenant "$tenant" --from "$first" --to "$last" --interval 1h --json
calls=$("$bin/ringlog" traffic --root "$archive" --tenant "$tenant" --from "$first" --to "$last" --interval 1h --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["calls"])')
python3 - "$traffic_seconds" "$cat_seconds" "$files" "$bytes" "$calls" "$traffic_rss_kb" "$first" "$last" <<'PY'
import json, sys
t, c, files, size, calls, rss = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print(f"call sidecars: {files} ({size/1e6:.1f} MB), {sys.argv[7]} – {sys.argv[8]}; ringlog traffic {t:.3f} s "
      f"(peak RSS {rss/1024:.0f} MiB), cat {c:.3f} s", file=sys.stderr)
print(json.dumps({"ratio": round(t / c, 3), "ringlogTrafficSeconds": t, "catSeconds": c, "callSidecars": files, "bytes": size,
                  "calls": calls, "ringlogPeakRssKb": rss}))
PY
