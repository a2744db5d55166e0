# expect STATUS PATTERN -- command...: runs the command and prints "ok: ..."
# when it exits with STATUS and its output matches PATTERN (grep -E), else
# "FAIL: ..." and the start of its output. Sourced by the CLI tests; run-tests
# counts the ok:/FAIL: lines. `fail` is 1 once any check failed.
fail=0
expect() {
    local want=$1 pattern=$2; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL: $* -> exit $rc (want $want), output:"; echo "$out" | head -5 | sed 's/^/    | /'; fail=1
    else
        echo "ok: $* -> $rc"
    fi
}
