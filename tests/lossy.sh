#!/usr/bin/env bash
# The lossy modes never say "holds": every bundled model, with its own
# features and without PROXY_WAKING, in compact and in bitstate mode. A run
# that ends without a violation says "no violation found (MODE, not
# exhaustive)" and exits 3; one that finds a violation prints it (the trace is
# replayed from the recorded steps) and exits 1; one stopped by the state
# limit (the big models) says "incomplete" and exits 3.
#   tests/lossy.sh PROXYCHECK
set -u
pc="$1"
cd "$(dirname "$0")/.."
fail=0
runs=0
for m in models/*.toml models/ww/*.toml; do
    for f in "" "-proxy_waking"; do
        for mode in compact bitstate; do
            out=$("$pc" check "$m" ${f:+--features=$f} --mode "$mode" --max-states 300000 --memory 512M \
                  --no-progress 2>&1)
            rc=$?
            runs=$((runs + 1))
            what="$m [${f:-own features}] --mode $mode"
            if [ $rc -eq 2 ]; then
                continue   # a feature edit the model refuses (checked elsewhere)
            fi
            verdict=$(printf '%s\n' "$out" | grep '^verdict: ')
            if printf '%s\n' "$out" | grep -qE '^(verdict|ok|result).*holds'; then
                echo "FAIL: $what: printed 'holds'"; fail=1
            elif [ $rc -eq 1 ] && [[ "$verdict" == "verdict: violated ("* ]] &&
                 printf '%s\n' "$out" | grep -q "^trace: "; then
                echo "ok: $what: $verdict"
            elif [ $rc -eq 3 ] && [ "$verdict" = "verdict: no violation found ($mode, not exhaustive)" ] &&
                 printf '%s\n' "$out" | grep -q "^$mode: .*probability that a state was missed <= "; then
                echo "ok: $what: $verdict"
            elif [ $rc -eq 3 ] && [[ "$verdict" == "verdict: incomplete (stopped by --max-states 300000;"* ]]; then
                echo "ok: $what: incomplete at the state limit"
            else
                echo "FAIL: $what: exit $rc, $verdict"; fail=1
            fi
        done
    done
done
[ $runs -gt 0 ] || { echo "FAIL: no models"; fail=1; }
exit $fail
