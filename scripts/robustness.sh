#!/usr/bin/env bash
# Attacks on the archive's guarantees, with the real binaries against the simulator (layout-spec §8.3, §9):
#   scripts/robustness.sh lease-race [PROCESSES] [TRIALS]   contenders over a stale lease: do two runs ever overlap?
#   scripts/robustness.sh frozen [TRIALS]                    SIGSTOP a holder past its lease: fenced on SIGCONT? how fast?
#   scripts/robustness.sh full-disk [SIZES…]                 first sync on a small tmpfs (root only), then recover
#   scripts/robustness.sh purge-kill [TRIALS]                SIGKILL purges at random moments: does the rerun end as an uninterrupted run?
#   scripts/robustness.sh purge-vs-sync [TRIALS]             purges started beside running syncs: does the lease serialise them?
#   scripts/robustness.sh hostile-governance                 truncated/garbage policy, holds and exclusion files: refused, nothing removed?
#   scripts/robustness.sh numbers                            one number in many written forms: one rule, and every form matched?
# Each prints one RESULT line. Debug binaries from `swift build`; a simulator on loopback per command.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build >/dev/null
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/ringlog-robustness.XXXXXX)
sim_pid=
cleanup() { if [[ -n $sim_pid ]]; then kill -9 "$sim_pid" 2>/dev/null; fi; for m in "$work"/mnt.*; do umount "$m" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_simulator() {  # TIME_SCALE
    "$bin/ringlog-simulator" --port 0 --seed 7 --days 14 --calls-per-day 40 --time-scale "$1" >"$work/sim.json" 2>/dev/null &
    sim_pid=$!
    for _ in $(seq 100); do [[ -s $work/sim.json ]] && break; sleep 0.1; done
    field() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$work/sim.json" "$1"; }
    export RC_SERVER_URL=$(field 'd["url"]') RC_APP_CLIENT_ID=$(field 'd["accounts"][0]["clientId"]')
    export RC_APP_CLIENT_SECRET=$(field 'd["accounts"][0]["clientSecret"]') RC_USER_JWT=$(field 'd["accounts"][0]["jwt"]')
    export RINGLOG_SECRETS_DIR=/nonexistent
    # python cannot resolve platform.sim.localhost (curl and ringlog can): it uses the loopback URL.
    sim_loopback_url=$(field 'd["loopbackUrl"]')
}
new_archive() { "$bin/ringlog" init "$1" >/dev/null; "$bin/ringlog" tenant add T --root "$1"; }

# Every .jsonl line parses; every manifest media file is there with its sha256; every truth item is archived.
check_tree() {  # TENANT_DIR
    python3 - "$1" "$sim_loopback_url" <<'PY'
import glob, hashlib, json, os, sys, urllib.request
t, url = sys.argv[1], sys.argv[2]
torn = 0
for f in glob.glob(t + "/**/*.jsonl", recursive=True) + glob.glob(t + "/../*.jsonl"):
    for line in open(f, "rb").read().split(b"\n"):
        if line:
            try: json.loads(line)
            except Exception: torn += 1
lines = [json.loads(l) for f in glob.glob(t + "/manifest/*.jsonl") for l in open(f, "rb") if l.strip()]
bad = sum(1 for l in lines if "sha256" in l and (not os.path.exists(t + "/" + l["path"]) or
          hashlib.sha256(open(t + "/" + l["path"], "rb").read()).hexdigest() != l["sha256"]))
truth = json.load(urllib.request.urlopen(url + "/__sim/truth"))["items"]
key = {"call": "callId", "recording": "recordingId", "voicemail": "attachmentId", "transcription": "attachmentId"}
have = {(l["kind"], l.get(key.get(l["kind"], ""), "")) for l in lines}
lost = sum(1 for i in truth if i["kind"] in key and (i["kind"], i[key[i["kind"]]]) not in have)
print(f"torn={torn} corrupt={bad} lost={lost}")
PY
}

lease_race() {
    local processes=${1:-6} trials=${2:-30}
    start_simulator 600
    local root=$work/archive tenant
    tenant=$(new_archive "$root")
    "$bin/ringlog" sync --root "$root" >/dev/null 2>&1 || true
    # Every response now takes a second: the winner holds the lease while the others try.
    curl -s -X POST "$RC_SERVER_URL/__sim/faults" -d '{"slowShare": 1.0, "slowSeconds": 1}' >/dev/null
    local leases=$root/$tenant/.ringlog admitted_wrong=0
    for trial in $(seq "$trials"); do
        local top next
        top=$(ls "$leases" | grep '^lease\.' | sort | tail -1); next=$((10#${top#lease.} + 1))
        printf '{"format":"ringlog-lease","layoutVersion":1,"generation":%d,"token":"00000000000000ee","holder":"otherhost:1","renewedAt":"2020-01-01T00:00:00.000Z","expiresAt":"2020-01-01T00:10:00.000Z"}\n' \
            "$next" >"$(printf '%s/lease.%020d' "$leases" "$next")"
        local pids=()
        for i in $(seq "$processes"); do
            ( status=0; "$bin/ringlog" sync --root "$root" >/dev/null 2>&1 || status=$?; echo $status >"$work/rc.$i" ) &
            pids+=($!)
        done
        wait "${pids[@]}"
        local non5=0
        for i in $(seq "$processes"); do if [[ $(cat "$work/rc.$i") != 5 ]]; then non5=$((non5 + 1)); fi; done
        if (( non5 != 1 )); then admitted_wrong=$((admitted_wrong + 1)); fi
    done
    local overlaps
    overlaps=$(python3 -c '
import json,sys
runs = sorted((r["startedAt"], r["endedAt"]) for r in map(json.loads, open(sys.argv[1])))
print(sum(1 for a, b in zip(runs, runs[1:]) if b[0] < a[1]))' "$root/$tenant/logs/runs.jsonl")
    echo "RESULT lease-race: $processes processes x $trials trials over an expired lease; overlapping runs (double holders) $overlaps; trials not admitting exactly one $admitted_wrong; $(check_tree "$root/$tenant")"
}

frozen() {
    local trials=${1:-5} fenced=0 wrote=0 times=()
    start_simulator 20
    for trial in $(seq "$trials"); do
        local root=$work/frozen.$trial tenant
        tenant=$(new_archive "$root")
        RINGLOG_LEASE_SECONDS=3 "$bin/ringlog" sync --root "$root" >/dev/null 2>"$work/first.err" & local first=$!
        sleep $((1 + trial % 3)); kill -STOP "$first"; sleep 4
        RINGLOG_LEASE_SECONDS=3 "$bin/ringlog" sync --root "$root" >/dev/null 2>&1 || true
        local before after start status=0
        before=$(cd "$root/$tenant" && find . -type f ! -name runs.jsonl ! -name 'lease.*' -printf '%p %s %T@\n' | sort | sha256sum)
        start=$(date +%s.%N); kill -CONT "$first"; wait "$first" || status=$?
        times+=("$(python3 -c "print(f'{$(date +%s.%N) - $start:.3f}')")")
        after=$(cd "$root/$tenant" && find . -type f ! -name runs.jsonl ! -name 'lease.*' -printf '%p %s %T@\n' | sort | sha256sum)
        if [[ $status == 5 ]] && grep -q "lost its lease" "$work/first.err"; then fenced=$((fenced + 1)); fi
        if [[ $before != "$after" ]]; then wrote=$((wrote + 1)); fi
    done
    echo "RESULT frozen: $trials trials, fenced with exit 5 $fenced, wrote to the tree after resuming $wrote, seconds from SIGCONT to exit: ${times[*]}"
}

full_disk() {
    [[ $(id -u) == 0 ]] || { echo "full-disk needs root (tmpfs mounts)"; exit 2; }
    local sizes=("$@"); (( ${#sizes[@]} )) || sizes=(150k 300k 450k 600k 800k 1m 1300k 1600k 2m 2500k 3m 4m 6m)
    start_simulator 600
    local failed=0 diskfull=0 torn=0 lost=0 corrupt=0 counted=0
    for size in "${sizes[@]}"; do
        local mount=$work/mnt.$size tenant status=0
        mkdir -p "$mount"; mount -t tmpfs -o "size=$size" tmpfs "$mount"
        tenant=$(new_archive "$mount/root") || { umount "$mount"; continue; }
        "$bin/ringlog" sync --root "$mount/root" >/dev/null 2>"$work/err" || status=$?
        if (( status == 1 )); then
            failed=$((failed + 1))
            if grep -q "disk full" "$work/err"; then diskfull=$((diskfull + 1)); fi
        fi
        # Attempts counted against items because of the disk (there should be none).
        counted=$((counted + $(python3 -c '
import json,sys
try: d = json.load(open(sys.argv[1]))
except Exception: print(0); sys.exit()
print(sum(1 for e in d["pending"] + d["quarantined"] if "space" in e["lastError"] or "write" in e["lastError"]))' "$mount/root/$tenant/.ringlog/pending.json")))
        mount -o remount,size=256m "$mount"
        "$bin/ringlog" sync --root "$mount/root" >/dev/null 2>&1 || true
        "$bin/ringlog" sync --root "$mount/root" --retry-pending >/dev/null 2>&1 || true
        local result; result=$(check_tree "$mount/root/$tenant")
        local t=${result#torn=}; t=${t%% *}; local c=${result#*corrupt=}; c=${c%% *}; local l=${result#*lost=}
        torn=$((torn + t)); corrupt=$((corrupt + c)); lost=$((lost + l))
        umount "$mount"
    done
    echo "RESULT full-disk: ${#sizes[@]} sizes (${sizes[*]}); runs stopped by the full disk $failed (message says disk full: $diskfull); attempts counted for disk errors $counted; after recovery: torn lines $torn, corrupt media $corrupt, items lost $lost"
}

# The item files (trash included) and tombstones of a tenant, with run ids and clock readings
# normalised: what two purge runs must agree on.
purge_state() {  # TENANT_DIR
    python3 - "$1" <<'PY'
import glob, hashlib, json, os, re, sys
t = sys.argv[1]
runs = set(os.listdir(t + "/.trash")) if os.path.isdir(t + "/.trash") else set()
lines = []
for f in sorted(glob.glob(t + "/tombstones/*.jsonl")):
    for l in open(f, "rb"):
        d = json.loads(l); runs.add(d.get("runId", "")); lines.append(l.decode())
def norm(x):
    for r in runs:
        if r: x = x.replace(r, "RUN")
    return re.sub(r'"removedAt":\s*"[^"]*"', '"removedAt":"T"', x)
files = []
for root, _, names in os.walk(t):
    rel = os.path.relpath(root, t)
    if rel.split("/")[0] in (".ringlog", "logs", "manifest", "tombstones") or rel == ".": continue
    for n in names:
        p = os.path.join(root, n)
        body = "present" if n == "trash.json" else hashlib.sha256(norm(open(p, "rb").read().decode("utf-8", "replace")).encode()).hexdigest()
        files.append(norm(os.path.join(rel, n)) + " " + body)
print(hashlib.sha256(("\n".join(sorted(files)) + "|" + "".join(sorted(map(norm, lines)))).encode()).hexdigest(), len(files), len(lines))
PY
}

governed_archive() {  # ROOT → tenant id; a synced archive whose policy expires everything, a hold on 101
    local tenant; tenant=$(new_archive "$1")
    "$bin/ringlog" sync --root "$1" >/dev/null 2>&1 || true
    "$bin/ringlog" policy set --root "$1" --tenant "$tenant" --calls 1d --recordings 1d --voicemails 1d --max-delete 1000000 --reason robustness >/dev/null
    "$bin/ringlog" hold add --root "$1" --tenant "$tenant" --extension 101 --reason robustness >/dev/null
    echo "$tenant"
}

purge_kill() {
    local trials=${1:-20} same=0 killed=0 finished=0
    start_simulator 600
    local base=$work/base tenant; tenant=$(governed_archive "$base")
    cp -a "$base" "$work/reference"
    "$bin/ringlog" purge --root "$work/reference" --tenant "$tenant" >/dev/null
    local expected; expected=$(purge_state "$work/reference/$tenant")
    for trial in $(seq "$trials"); do
        local root=$work/kill.$trial; rm -rf "$root"; cp -a "$base" "$root"
        RINGLOG_TEST_STEP_DELAY_MS=1 "$bin/ringlog" purge --root "$root" --tenant "$tenant" >/dev/null 2>&1 & local pid=$!
        sleep "$(python3 -c 'import random; print(random.uniform(0.01, 1.5))')"
        if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
        wait "$pid" 2>/dev/null || true
        "$bin/ringlog" purge --root "$root" --tenant "$tenant" >/dev/null 2>&1 && finished=$((finished + 1))
        if [[ $(purge_state "$root/$tenant") == "$expected" ]]; then same=$((same + 1)); fi
        rm -rf "$root"
    done
    echo "RESULT purge-kill: $trials trials ($killed killed mid-run by SIGKILL), reruns finished $finished, ended exactly as the uninterrupted purge $same/$trials (state $expected)"
}

purge_vs_sync() {
    local trials=${1:-5} refused=0 overlaps=0 ok=0
    start_simulator 600
    for trial in $(seq "$trials"); do
        local root=$work/race.$trial tenant; tenant=$(governed_archive "$root")
        rm "$root/$tenant/.ringlog/state.json"
        curl -s -X POST "$RC_SERVER_URL/__sim/faults" -d '{"slowShare": 0.5, "slowSeconds": 1}' >/dev/null
        "$bin/ringlog" sync --root "$root" >/dev/null 2>&1 & local sync=$!
        sleep 1
        local status=0; "$bin/ringlog" purge --root "$root" --tenant "$tenant" >/dev/null 2>&1 || status=$?
        if (( status == 5 )); then refused=$((refused + 1)); fi
        wait "$sync" || true
        curl -s -X POST "$RC_SERVER_URL/__sim/faults" -d '{}' >/dev/null
        "$bin/ringlog" purge --root "$root" --tenant "$tenant" >/dev/null 2>&1 && ok=$((ok + 1))
        # A purge's audit instant never falls inside a sync run's [startedAt, endedAt].
        overlaps=$((overlaps + $(python3 - "$root/$tenant" <<'PY'
import json, sys
t = sys.argv[1]
runs = [json.loads(l) for l in open(t + "/logs/runs.jsonl")]
audits = [json.loads(l) for l in open(t + "/logs/audit.jsonl") if '"purge"' in l]
print(sum(1 for a in audits for r in runs if r["startedAt"] < a["at"] < (r["endedAt"] or "9")))
PY
)))
    done
    echo "RESULT purge-vs-sync: $trials trials; purges refused (exit 5) while a sync held the lease $refused; purges inside a sync run $overlaps; purges after the sync that succeeded $ok"
}

hostile_governance() {
    start_simulator 600
    local root=$work/hostile tenant; tenant=$(governed_archive "$root")
    local t=$root/$tenant refused=0 unchanged=0 cases=0
    snapshot() { (cd "$t" && find . -path ./logs -prune -o -path ./.ringlog -prune -o -type f ! -name policy.json ! -name holds.jsonl ! -name exclusions.jsonl -printf '%p %s %T@\n' | sort | sha256sum); }
    cp "$t/policy.json" "$work/policy.good"; cp "$t/holds.jsonl" "$work/holds.good"
    try() {  # FILE CONTENT(printf format) COMMAND...
        local file=$1 content=$2; shift 2
        cases=$((cases + 1))
        local before; before=$(snapshot)
        if [[ $file == holds.jsonl ]]; then cp "$work/holds.good" "$t/$file"; printf "$content" >>"$t/$file"; else printf "$content" >"$t/$file"; fi
        local status=0; "$@" >/dev/null 2>"$work/err" || status=$?
        if (( status == 2 )) && grep -q "$file" "$work/err"; then refused=$((refused + 1)); else echo "  not refused ($status): $file $(head -c 200 "$work/err")"; fi
        if [[ $(snapshot) == "$before" ]]; then unchanged=$((unchanged + 1)); fi
        cp "$work/policy.good" "$t/policy.json"; cp "$work/holds.good" "$t/holds.jsonl"; rm -f "$t/exclusions.jsonl"
    }
    local purge=("$bin/ringlog" purge --root "$root" --tenant "$tenant")
    local valid='"trashDays":7,"reason":"r","setAt":"2026-01-01T00:00:00Z","setBy":"x"}\n'
    try policy.json '{"format":"ringlog-policy","layoutVersion":1,"calls":"1d"' "${purge[@]}"
    try policy.json 'garbage' "${purge[@]}"
    try policy.json '{"format":"ringlog-policy","layoutVersion":1,"calls":"0d","recordings":"1d","voicemails":"1d",'"$valid" "${purge[@]}"
    try policy.json '{"format":"ringlog-policy","layoutVersion":1,"calls":"1d","recordings":"5y","voicemails":"1d",'"$valid" "${purge[@]}"
    try policy.json '{"format":"ringlog-policy","layoutVersion":2,"calls":"1d","recordings":"1d","voicemails":"1d",'"$valid" "${purge[@]}"
    try holds.jsonl '{"event":"added","holdId"\n{"x":1}\n' "${purge[@]}"
    try holds.jsonl '\001\002garbage\n' "${purge[@]}"
    try holds.jsonl '{"event":"released","holdId":"hold-000000000000","at":"2026-01-01T00:00:00Z"}\n' "${purge[@]}"
    try holds.jsonl '{"event":"added","holdId":"hold-aaaaaaaaaaaa","at":"2026-01-01T00:00:00Z","scope":{"room":"5"}}\n' "${purge[@]}"
    try exclusions.jsonl 'not json\n' "$bin/ringlog" sync --root "$root"
    try exclusions.jsonl '{"event":"added","ruleId":"excl-aaaaaaaaaaaa","at":"2026-01-01T00:00:00Z","type":"number","hmac":"00","lastDigits":"1","keyCheck":"x"}\n' "$bin/ringlog" sync --root "$root"
    # A torn last line of holds.jsonl is an append that never completed: skipped, and the purge runs.
    cp "$work/holds.good" "$t/holds.jsonl"; printf '{"event":"added","holdId":"hold-0' >>"$t/holds.jsonl"
    local torn=0; "${purge[@]}" >/dev/null 2>&1 || torn=$?
    echo "RESULT hostile-governance: $cases damaged files; refused with exit 2 naming the file $refused; tree unchanged $unchanged; a torn final hold line skipped (purge exit $torn, held extension 101 kept: $(ls "$t/101" 2>/dev/null | wc -l) day folders)"
}

numbers() {
    start_simulator 600
    local root=$work/numbers tenant; tenant=$(new_archive "$root")
    export RINGLOG_SECRETS_DIR=$work/secrets
    local forms=("+18661234567" "18661234567" "8661234567" "(866)123-4567" "(866) 123-4567" "866.123.4567" "866-123-4567" "+1 866 123 4567"
                 "1-866-123-4567" "+1 (866) 123-4567 x123" "866-123-4567 ext. 42" "tel:+1-866-123-4567" "011 1 866 123 4567" "001 866 123 4567"
                 "+1.866.123.4567" "866 123 4567#9")
    local first; first=$("$bin/ringlog" exclude add --root "$root" --tenant "$tenant" --number "${forms[0]}" --reason test | head -n 1)
    local same=0
    for form in "${forms[@]}"; do
        if "$bin/ringlog" exclude add --root "$root" --tenant "$tenant" --number "$form" --reason test | grep -q "$first already excludes"; then same=$((same + 1)); fi
    done
    local masked=0; "$bin/ringlog" exclude add --root "$root" --tenant "$tenant" --number "+1866123XXXX" --reason t >/dev/null 2>&1 || masked=$?
    local clear; clear=$( (grep -rl "1234567" "$root" || true) | wc -l)
    echo "RESULT numbers: ${#forms[@]} forms of one number; recognised as the same rule $same/${#forms[@]}; masked number refused (exit $masked); files under the root with the number in clear $clear"
}

case ${1:-} in
    lease-race) shift; lease_race "$@" ;;
    frozen) shift; frozen "$@" ;;
    full-disk) shift; full_disk "$@" ;;
    purge-kill) shift; purge_kill "$@" ;;
    purge-vs-sync) shift; purge_vs_sync "$@" ;;
    hostile-governance) hostile_governance ;;
    numbers) numbers ;;
    *) sed -n '2,10p' "$0"; exit 64 ;;
esac
