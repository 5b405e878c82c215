#!/usr/bin/env bash
# Benchmark P5: `ringlog export --format tar.gz` of the large archive's whole year versus GNU
# `tar czf` of the same tenant's item folders (gzip level 6 for both: tar's default and ringlog's
# fixed level). ringlog does more: it parses every sidecar, hashes every media file on the way in and
# compares it with its sidecar, spools the metadata and fsyncs the result. Goal: ratio ≤ 1.2.
#   bench/p5-export-vs-tar.sh   (or bench/run P5)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build
root=$(large_archive)
tenant=$(ls "$root" | grep -E '^[0-9a-f]{16}$' | head -n 1)
tenant_dir="$root/$tenant"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
folders=$(cd "$tenant_dir" && ls -d [0-9]* _account id-* 2>/dev/null | tr '\n' ' ')
# Warm the page cache once so both read from memory, as on a second run.
tar cf - -C "$tenant_dir" $folders >/dev/null

run_measured ringlog "$bin/ringlog" export --root "$root" --tenant "$tenant" --period 2026 -o "$work/export.tar.gz"
run_measured tarczf tar czf "$work/plain.tar.gz" -C "$tenant_dir" $folders
[[ $ringlog_status == 0 && $tarczf_status == 0 ]] || { echo "P5: a run failed (ringlog $ringlog_status, tar $tarczf_status)" >&2; exit 1; }
files=$(tar tzf "$work/export.tar.gz" | grep -vc '/$')
python3 - "$ringlog_seconds" "$tarczf_seconds" "$ringlog_rss_kb" "$(stat -c %s "$work/export.tar.gz")" "$(stat -c %s "$work/plain.tar.gz")" \
    "$(du -sb --apparent-size "$tenant_dir" | cut -f1)" "$files" <<'PY'
import json, sys
r, t, rss, out, plain, tree, files = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
print(f"P5: {files} files; ringlog export {r:.2f} s ({out/1e6:.1f} MB, peak RSS {rss/1024:.0f} MB); tar czf {t:.2f} s ({plain/1e6:.1f} MB)", file=sys.stderr)
print(json.dumps({"ratio": round(r / t, 3), "ringlogSeconds": round(r, 3), "tarSeconds": round(t, 3), "ringlogPeakRSSKB": rss,
                  "exportBytes": out, "tarBytes": plain, "files": files}))
PY
