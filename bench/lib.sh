# Shared pieces of the benchmarks (sourced by bench/run and bench/p*.sh).
# Everything runs the release binaries against the simulator with rate limits lifted.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)

bench_build() {
    (cd "$repo_dir" && swift build -c release --product ringlog >/dev/null && swift build -c release --product ringlog-simulator >/dev/null)
    bin=$(cd "$repo_dir" && swift build -c release --show-bin-path)
    export bin
}

# now_seconds: a monotonic-enough wall clock with nanoseconds.
now_seconds() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2])-float(sys.argv[1]))" "$1" "$(now_seconds)"; }

# peak_rss_kb CMD...: runs CMD, prints its peak RSS in KiB on fd 3 (GNU time if present, else python).
run_measured() {
    # usage: run_measured OUTVAR_PREFIX cmd... ; sets ${prefix}_seconds and ${prefix}_rss_kb
    local prefix=$1; shift
    local stats; stats=$(mktemp)
    python3 - "$stats" "$@" <<'PY'
import os, resource, subprocess, sys, time
out = sys.argv[1]
start = time.monotonic()
status = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL)
seconds = time.monotonic() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(out, "w").write(f"{seconds} {rss} {status}\n")
PY
    read -r "${prefix}_seconds" "${prefix}_rss_kb" "${prefix}_status" <"$stats"
    rm -f "$stats"
}

# start_simulator WORKDIR ARGS...: starts ringlog-simulator, waits for its JSON line, exports RC_* for account 0.
start_simulator() {
    local work=$1; shift
    "$bin/ringlog-simulator" --port 0 --time-scale 1000000 --clock-speed 0 --start-time 2026-11-20T23:00:00Z "$@" >"$work/sim.json" &
    sim_pid=$!
    disown "$sim_pid"
    for _ in $(seq 300); do [[ -s $work/sim.json ]] && break; sleep 0.1; done
    local line; line=$(head -n 1 "$work/sim.json")
    field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$line" "$1"; }
    RC_SERVER_URL=$(field 'd["url"]'); RC_APP_CLIENT_ID=$(field 'd["accounts"][0]["clientId"]')
    RC_APP_CLIENT_SECRET=$(field 'd["accounts"][0]["clientSecret"]'); RC_USER_JWT=$(field 'd["accounts"][0]["jwt"]')
    export RC_SERVER_URL RC_APP_CLIENT_ID RC_APP_CLIENT_SECRET RC_USER_JWT sim_pid
}
stop_simulator() { kill -9 "${sim_pid:-0}" 2>/dev/null || true; }

# bench_archive NAME DAYS CALLS_PER_DAY USERS: a synced archive, built once and cached under
# ${RINGLOG_BENCH_CACHE:-/tmp/ringlog-bench}/<layout revision>-NAME (delete it to rebuild). Prints its root.
# The revision is in the key: a cache built by an older ringlog lacks what a newer one archives (the
# message kinds of revision 4), and a "no-op" sync over it would archive them.
bench_layout_revision=r4
bench_archive() {
    local name=$1 days=$2 per_day=$3 users=$4
    local cache=${RINGLOG_BENCH_CACHE:-/tmp/ringlog-bench}/$bench_layout_revision-$name
    if [[ ! -f $cache/.complete ]]; then
        rm -rf "$cache"; mkdir -p "$cache"
        start_simulator "$cache" --seed 11 --days "$days" --calls-per-day "$per_day" --users "$users"
        "$bin/ringlog" init "$cache/archive" >/dev/null
        "$bin/ringlog" tenant add bench --root "$cache/archive" --since 2020-01-01 >/dev/null
        "$bin/ringlog" sync --root "$cache/archive" >/dev/null 2>&1 || true
        stop_simulator
        touch "$cache/.complete"
    fi
    echo "$cache/archive"
}

# The two archives the walking benchmarks share: ~500 and ~50,000 files. Both are the same account
# (20 users, 120 calls a day, the same mailboxes and message traffic): they differ in the length of
# their history alone, so comparing them measures what grows with the archive, not with the account.
small_archive() { bench_archive small-1d 1 120 20; }
large_archive() { bench_archive large 180 120 20; }

ratio() { python3 -c "import sys; print(round(float(sys.argv[1])/float(sys.argv[2]), 3))" "$1" "$2"; }
