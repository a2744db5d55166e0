#!/usr/bin/env bash
# Property files from the command line, end to end: a user's own file with
# --properties on check, ci and list; its verdicts and exit statuses; a
# malformed or clashing file stopped with file:line:column and exit status 2
# before anything is explored; ci reports (JUnit, JSON) for a wrong expectation.
set -u
pc="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"
mine=tests/data/my.prop

# Verdicts of the user's properties (tests/data/my.prop says why).
expect 1 "verdict: violated \(always_in_mask\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --properties "$mine" --property always_in_mask
expect 1 "violated: always_in_mask: t = A: not t.cpu in t.cpus_mask \(t.cpu = CPU0, t.cpus_mask = \{1\}\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --properties "$mine" --property always_in_mask
expect 0 "verdict: holds" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_migration,-proxy_waking --properties "$mine" \
    --property always_in_mask
expect 0 "verdict: holds" -- "$pc" check models/chain3.toml --properties "$mine" --property runs_on_its_cpu
expect 1 "verdict: violated \(all_done\)" -- "$pc" check models/abba.toml --properties "$mine" --property all_done
expect 0 "verdict: holds" -- "$pc" check models/chain3.toml --properties "$mine" --property all_done \
    --property no_affinity_violating_run
expect 1 "\"property\": \"always_in_mask\"" -- \
    "$pc" check models/chain3.toml --properties "$mine" --property always_in_mask --format json

# Bad property files: exit 2 with file:line:column, nothing explored.
expect 2 "^proxycheck: error: tests/data/malformed.prop:4:49: cannot compare 'c.curr' \(task or idle\) with 'c' \(cpu\)$" -- \
    "$pc" check models/chain3.toml --properties tests/data/malformed.prop
printf '# typo\ninvariant typo:\n    forall t in tasks: t.blocked_onn == none\n' > "$tmp/typo.prop"
expect 2 "typo.prop:3:26: unknown field 'blocked_onn' of a task" -- "$pc" check models/chain3.toml --properties "$tmp/typo.prop"
printf 'invariant syntax: forall t in tasks t.done\n' > "$tmp/syntax.prop"
expect 2 "syntax.prop:1:37: expected ':' after the quantifier's domain, found 't'" -- \
    "$pc" ci models/chain3.toml --properties "$tmp/syntax.prop"
printf '\ninvariant mutual_exclusion: true\n' > "$tmp/clash.prop"
expect 2 "clash.prop:2:11: property name 'mutual_exclusion' is already taken: properties/mutual-exclusion.prop:11" -- \
    "$pc" check models/chain3.toml --properties "$tmp/clash.prop"
expect 2 "clash.prop:2:11: property name 'mutual_exclusion' is already taken" -- \
    "$pc" list properties --properties "$tmp/clash.prop"
expect 2 "property name 'always_in_mask' is already taken: tests/data/my.prop:6" -- \
    "$pc" check models/chain3.toml --properties "$mine" --properties "$mine"
expect 2 "missing.prop: cannot read the property file" -- "$pc" check models/chain3.toml --properties "$tmp/missing.prop"
expect 2 "unknown property 'always_in_mask'" -- "$pc" check models/chain3.toml --property always_in_mask

# Nesting past the limit of 256 levels, refused where it goes past: a flat
# chain of 10,000 `and`s (a tree as deep as it is long), 20,000 parentheses.
{ printf 'invariant deep:\n    true'; printf ' and true%.0s' $(seq 9999); echo; } > "$tmp/and.prop"
expect 2 "and.prop:2:2305: expression nested too deeply \(more than 256 levels\)$" -- \
    "$pc" check models/chain3.toml --properties "$tmp/and.prop" --property deep
{ printf 'invariant deep: '; printf '(%.0s' $(seq 20000); printf true; printf ')%.0s' $(seq 20000); echo; } > "$tmp/paren.prop"
expect 2 "paren.prop:1:273: expression nested too deeply" -- "$pc" list properties --properties "$tmp/paren.prop"
# At the limit a property is checked like any other: on the search threads, its violation explained.
{ printf 'invariant deep: forall t in tasks: not t.done'; printf ' and t.cpu in t.cpus_mask%.0s' $(seq 252); echo; } \
    > "$tmp/limit.prop"
expect 1 "violated: deep: t = [A-Z]+: t.done" -- \
    "$pc" check models/chain3.toml --properties "$tmp/limit.prop" --property deep --threads 2
# A byte-order mark is skipped; a character outside the language is named whole.
printf '\xef\xbb\xbf# mine\ninvariant marked: true\n' > "$tmp/bom.prop"
expect 0 "marked +invariant +mine" -- "$pc" list properties --properties "$tmp/bom.prop"
printf 'invariant \xce\xa9: true\n' > "$tmp/omega.prop"
expect 2 "omega.prop:1:11: unexpected character 'Ω' \(U\+03A9\)$" -- "$pc" list properties --properties "$tmp/omega.prop"

# list: the library with its files, the C++ ones, the user's with theirs.
expect 0 "no_affinity_violating_run +invariant .*" -- "$pc" list properties
expect 0 "properties/affinity.prop:[0-9]+" -- "$pc" list properties
expect 0 "properties/progress.prop:[0-9]+ \(built-in C\+\+\)" -- "$pc" list properties
expect 0 "all_done +deadlock +When nothing can happen any more, every task has finished its program." -- \
    "$pc" list properties --properties "$mine"
expect 0 "tests/data/my.prop:14" -- "$pc" list properties --properties "$mine"

# ci with the user's properties: expectations met, then a wrong one.
cat > "$tmp/mine.toml" <<'T'
cpus = 2
[[lock]]
name = "M1"
[[task]]
name = "A"
affinity = [1]
cpu = 1
program = ["lock M1", "unlock M1"]
[[task]]
name = "B"
affinity = [0]
cpu = 0
program = ["lock M1", "unlock M1"]
[[expect]]
holds = ["runs_on_its_cpu", "all_done", "mutual_exclusion"]
violated = ["always_in_mask"]
T
expect 0 "ok   .*mine.toml \[\(file's own\)\] always_in_mask: expected violated, got violated" -- \
    "$pc" ci "$tmp/mine.toml" --properties "$mine"
expect 2 "mine.toml:15:10: unknown property 'runs_on_its_cpu' .*--properties FILE" -- "$pc" ci "$tmp/mine.toml"
sed 's/^violated = .*/violated = []/; s/^holds = .*/holds = ["always_in_mask"]/' "$tmp/mine.toml" > "$tmp/wrong.toml"
expect 1 "^FAIL .*wrong.toml \[\(file's own\)\] always_in_mask: expected holds, got violated  \([0-9]+ states" -- \
    "$pc" ci "$tmp/wrong.toml" --properties "$mine"
expect 1 "^ +always_in_mask violated after [0-9]+ steps \(last: CPU.*\): t = A: not t.cpu in t.cpus_mask" -- \
    "$pc" ci "$tmp/wrong.toml" --properties "$mine" --junit "$tmp/report.xml" --json "$tmp/report.json"
expect 3 "^expectations: 0 met, 0 failed, 1 incomplete" -- "$pc" ci "$tmp/wrong.toml" --properties "$mine" --max-states 10
expect 0 "<failure message=\"expected holds, got violated: always_in_mask violated after" -- cat "$tmp/report.xml"
expect 0 "^1 always_in_mask False always_in_mask$" -- python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["expectations"]; print(len(e), e[0]["property"], e[0]["ok"], e[0]["counterexample"]["property"])' "$tmp/report.json"

exit $fail
