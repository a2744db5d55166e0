#!/usr/bin/env bash
# Benchmark: every bundled model (models/*.toml, models/ww/*.toml) under its
# file's own features, all built-in properties: exact mode with each store
# (tree, flat), compact and bitstate, each on 1 and on 2 threads, with the
# reductions on by default (symmetry where valid, partial-order reduction)
# and without them (--no-symmetry --no-por).
# Each run is repeated and the median kept. Prints a Markdown table (the
# README's figures): states, seconds (wall), user CPU seconds, states/s
# (wall), bytes/state (the search's own structures at their largest), peak
# memory (the process's VmHWM).
#
#   bench/run.sh [PROXYCHECK] [--repeat N] [--time S] [--threads "1 2"] [--stores "tree flat"]
#                [--lossy yes|no] [--reductions "on off"] [--models "GLOB..."]
#
# --time S stops the big models after S seconds (default 120): their rows
# then say "incomplete" and count what was covered. bitstate gets --memory
# 1G (a 512 MiB bit array).
set -eu
cd "$(dirname "$0")/.."
pc=./build/src/proxycheck
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then pc=$1; shift; fi
repeat=3 limit=120 threads="1 2" stores="tree flat" lossy=yes reductions="on off" models="models/*.toml models/ww/*.toml"
while [ $# -gt 0 ]; do
    case $1 in
    --repeat) repeat=$2; shift 2 ;;
    --time) limit=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --stores) stores=$2; shift 2 ;;
    --lossy) lossy=$2; shift 2 ;;
    --reductions) reductions=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
# shellcheck disable=SC2086
exec python3 - "$pc" "$repeat" "$limit" "$threads" "$stores" "$lossy" "$reductions" $models <<'EOF'
import json, os, resource, statistics, subprocess, sys, time

pc, repeat, limit, threads, stores, lossy, reductions = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                                         sys.argv[4].split(), sys.argv[5].split(),
                                                         sys.argv[6] == "yes", sys.argv[7].split())
models = sys.argv[8:]
configs = [("exact", ["--threads", t, "--store", st]) for st in stores for t in threads]
if lossy:
    configs += [("compact", ["--mode", "compact", "--threads", t]) for t in threads]
    configs += [("bitstate", ["--mode", "bitstate", "--memory", "1G", "--threads", t]) for t in threads]
configs = [(mode, args + ([] if r == "on" else ["--no-symmetry", "--no-por"]), r) for r in reductions
           for mode, args in configs]

def one(model, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    p = subprocess.run([pc, "check", model, "--format", "json", "--no-progress", "--time", limit] + args,
                       capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1, 3):
        raise SystemExit("%s %s: exit %d\n%s" % (model, args, p.returncode, p.stderr))
    d = json.loads(p.stdout)
    return d, wall, after.ru_utime - before.ru_utime

print("| model | mode | store | reductions | threads | verdict | states | seconds | user s | states/s | bytes/state | peak MiB |")
print("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
for model in models:
    name = os.path.splitext(os.path.relpath(model, "models"))[0]
    for mode, args, red in configs:
        runs = [one(model, args) for _ in range(repeat)]
        d = runs[0][0]
        s = d["statistics"]
        secs = statistics.median(r[0]["statistics"]["seconds"] for r in runs)
        user = statistics.median(r[2] for r in runs)
        verdict = d["verdict"].replace(" (%s, not exhaustive)" % mode, "")
        on = [k for k in ("symmetry", "por") if s.get(k, {}).get("on")]
        print("| %s | %s | %s | %s | %d | %s | %s | %.2f | %.2f | %s | %.1f | %.0f |" % (
            name, mode, s.get("store", "-"), "+".join(on) if on else "none", s["threads"], verdict, format(s["states"], ","), secs, user,
            format(round(s["states"] / secs) if secs > 0 else 0, ","), s["bytes_per_state"],
            statistics.median(r[0]["statistics"]["peak_memory_bytes"] for r in runs) / 2**20))
        sys.stdout.flush()
EOF
