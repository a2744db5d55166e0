#!/usr/bin/env bash
# Golden tests of the text counterexample layout: fresh output of a few
# models compared byte for byte with tests/golden/NAME.txt, and every line
# within 100 columns. The `time:` statistics line varies from run to run and
# is left out. After an intended change to the rendering, regenerate and
# review the diff:
#   tests/golden.sh build/src/proxycheck --update
set -u
pc="$1"
update="${2:-}"
cd "$(dirname "$0")/.."
fail=0

golden() {   # golden NAME -- proxycheck arguments...
    local name=$1 file=tests/golden/$1.txt out
    shift 2
    out=$("$pc" "$@" 2>&1 | grep -v '^time: ')
    if [ "$update" = "--update" ]; then
        printf '%s\n' "$out" > "$file"
        echo "ok: $name: written to $file"
    elif ! diff -u "$file" <(printf '%s\n' "$out") > /tmp/golden.$$ 2>&1; then
        echo "FAIL: $name: output differs from $file (tests/golden.sh PROXYCHECK --update regenerates):"
        head -30 /tmp/golden.$$
        fail=1
    else
        echo "ok: $name: matches $file"
    fi
    rm -f /tmp/golden.$$
    local long
    long=$(printf '%s\n' "$out" | awk 'length > 100 { print NR ": " length " columns" }' | head -3)
    if [ -n "$long" ]; then
        echo "FAIL: $name: lines wider than 100 columns: $long"
        fail=1
    else
        echo "ok: $name: every line fits in 100 columns"
    fi
}

# Two CPUs: the seed's bug, and replaying it against the fix.
golden proxy-waking-affinity -- check models/proxy-waking-affinity.toml --features=-proxy_waking
golden proxy-waking-affinity-replay-fixed -- \
    replay counterexamples/proxy-waking-affinity--no_affinity_violating_run.json --features=+proxy_waking
golden abba -- check models/abba.toml --property find_proxy_task_terminates
# Three CPUs: the narrowest columns, with the diff view and with --full.
golden chain3 -- check models/chain3.toml --features=-proxy_waking
golden chain3-full -- check models/chain3.toml --features=-proxy_waking --full
golden contention -- check models/contention.toml --features=-proxy_waking

exit $fail
