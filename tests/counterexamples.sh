#!/usr/bin/env bash
# Every committed trace under counterexamples/ (whoever added it) replays:
# against the flags it was found with it reproduces its violation (exit 1);
# against the fixed flags its header records it is blocked (exit 0) at the
# step the header records. A trace whose header has no "fixed" key was not
# written by `proxycheck ci --update-counterexamples`, which fills it.
# Then corrupt copies of one of them (and a folder) are refused, exit 2.
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
# A corrupt copy of a committed trace is refused before any step replays:
# exit 2, nothing on stdout, and a message naming the file and what is wrong.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
good=counterexamples/proxy-waking-affinity--no_affinity_violating_run.json
refused() {   # NAME SED-SCRIPT EXPECTED-MESSAGE-PART
    local f="$tmp/$1.json" out err rc
    sed "$2" "$good" >"$f"
    if cmp -s "$f" "$good"; then echo "FAIL: $1: the edit '$2' changed nothing"; fail=1; return; fi
    out=$("$pc" replay "$f" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err")
    if [ $rc = 2 ] && [ -z "$out" ] && grep -qF "$f: " <<<"$err" && grep -qF "$3" <<<"$err"; then
        echo "ok: $1 is refused"
    else
        echo "FAIL: $1: replay exits $rc (want 2, nothing on stdout, '$f: ... $3'):"; echo "$err"
        tail -2 <<<"$out"; fail=1
    fi
}
refused cpus_0 's/^  "cpus": 2,/  "cpus": 0,/' "field 'cpus' is 0, but a model has 1 to 8 CPUs"
refused cpus_2p32p2 's/^  "cpus": 2,/  "cpus": 4294967298,/' "field 'cpus' is 4294967298"
refused cpus_2p63p2 's/^  "cpus": 2,/  "cpus": 9223372036854775810,/' "field 'cpus' is 9223372036854775810"
refused step_index 's/"index": 3,/"index": 999,/' "step 3: field 'index' is 999, expected 3"
refused step_function '0,/"function": "schedule_idle"/s//"function": "bogus"/' "step 1: field 'function' is 'bogus'"
refused step_title '0,/"step": "schedule_idle"/s//"step": "bogus"/' "step 1: field 'step' is 'bogus' but its step label is a step of 'schedule_idle'"
refused key_twice 's/^  "cpus": 2,/  "cpus": 2, "cpus": 2,/' "key 'cpus' appears twice in one object"
out=$("$pc" replay counterexamples 2>&1); rc=$?
if [ $rc = 2 ] && grep -qF "counterexamples: cannot read the trace: it is a folder, not a file" <<<"$out"; then
    echo "ok: a folder is refused as a folder"
else
    echo "FAIL: replay of a folder exits $rc (want 2, 'is a folder'):"; echo "$out"; fail=1
fi
if [ $n -lt 1 ]; then
    echo "FAIL: no counterexamples/*.json"; fail=1
fi
exit $fail
