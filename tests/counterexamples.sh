#!/usr/bin/env bash
# Every committed trace under counterexamples/ (whoever added it) replays:
# against the flags it was found with it reproduces its violation (exit 1);
# against the fixed flags its header records it is blocked (exit 0) at the
# step the header records. A trace whose header has no "fixed" key was not
# written by `proxycheck ci --update-counterexamples`, which fills it.
set -u
pc="$1"
cd "$(dirname "$0")/.."
fail=0
n=0
for f in counterexamples/*.json; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    out=$("$pc" replay "$f" 2>&1); rc=$?
    if [ $rc = 1 ] && grep -q '^result: reproduced: ' <<<"$out"; then
        echo "ok: $f reproduces under its own flags"
    else
        echo "FAIL: $f: replay under its own flags exits $rc (want 1):"; tail -5 <<<"$out"; fail=1
    fi
    if [ ! -f "${f%.json}.txt" ]; then
        echo "FAIL: $f has no text twin ${f%.json}.txt"; fail=1
    fi
    if ! grep -q '^  "fixed": ' "$f"; then
        echo "FAIL: $f: no \"fixed\" header (proxycheck ci --update-counterexamples writes it)"; fail=1
        continue
    fi
    grep -q '^  "fixed": null' "$f" && continue   # no flags fix it (a genuine deadlock)
    # The "fixed" object: {"blocked_at": N, "features": "EDITS"} (keys sorted).
    at=$(sed -n '/^  "fixed": {/,/^  }/s/^    "blocked_at": \([0-9]*\).*/\1/p' "$f")
    features=$(sed -n '/^  "fixed": {/,/^  }/s/^    "features": "\(.*\)".*/\1/p' "$f")
    out=$("$pc" replay "$f" --features="$features" 2>&1); rc=$?
    if [ $rc = 0 ] && grep -q "^result: blocked at step $at of " <<<"$out"; then
        echo "ok: $f is blocked at step $at under $features"
    else
        echo "FAIL: $f: replay --features=$features exits $rc (want 0, blocked at step $at):"
        tail -5 <<<"$out"; fail=1
    fi
done
if [ $n -lt 1 ]; then
    echo "FAIL: no counterexamples/*.json"; fail=1
fi
exit $fail
