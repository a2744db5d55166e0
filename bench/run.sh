#!/usr/bin/env bash
# Benchmark: every bundled model under its file's baseline, all built-in
# properties, exact mode. Prints states, transitions, seconds, states/s,
# bytes/state and peak memory as a Markdown table (the README's figures).
#   bench/run.sh [proxycheck binary] [extra check options...]
set -eu
cd "$(dirname "$0")/.."
pc=${1:-./build/src/proxycheck}
shift || true
echo "| model | features | verdict | states | transitions | seconds | states/s | bytes/state | peak MiB |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for m in models/*.toml; do
    for f in "" "-proxy_migration,-proxy_waking"; do
        "$pc" check "$m" ${f:+--features=$f} --format json --no-progress "$@" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin); s = d["statistics"]
print("| %s | %s | %s | %d | %d | %.2f | %.0f | %.1f | %.0f |" % (sys.argv[1], d["features"], d["verdict"],
      s["states"], s["transitions"], s["seconds"], s["states_per_second"], s["bytes_per_state"],
      s["peak_memory_bytes"] / 2**20))' "$m" || true
    done
done
