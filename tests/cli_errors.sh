#!/usr/bin/env bash
# Bad input gets a clear error naming file and line, exit status 2, and no
# result; good input gets the documented exit statuses.
set -u
pc="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"

cat > "$tmp/unknown-key.toml" <<'T'
cpus = 2
colour = "blue"
[[task]]
name = "A"
program = ["yield"]
T
expect 2 "unknown-key.toml:2.*unknown key 'colour'" -- "$pc" check "$tmp/unknown-key.toml"

cat > "$tmp/unknown-lock.toml" <<'T'
cpus = 1
[[task]]
name = "A"
program = ["lock M9", "unlock M9"]
T
expect 2 "unknown-lock.toml:4.*unknown lock 'M9'" -- "$pc" check "$tmp/unknown-lock.toml"

cat > "$tmp/cpu-range.toml" <<'T'
cpus = 2
[[task]]
name = "A"
affinity = [0, 5]
program = ["yield"]
T
expect 2 "cpu-range.toml:4" -- "$pc" check "$tmp/cpu-range.toml"

cat > "$tmp/ww.toml" <<'T'
cpus = 1
[[lock]]
name = "W"
type = "ww_mutex"
ww_class = "wait_die"
[[lock]]
name = "X"
type = "ww_mutex"
ww_class = "wound_wait"
[[task]]
name = "A"
program = ["ww_acquire_init", "lock W", "lock X", "unlock X", "unlock W", "ww_acquire_fini"]
T
expect 2 "ww.toml:12.*class wait_die" -- "$pc" check "$tmp/ww.toml"

cat > "$tmp/ww-fini.toml" <<'T'
cpus = 1
[[lock]]
name = "W"
type = "ww_mutex"
ww_class = "wait_die"
[[task]]
name = "A"
program = ["ww_acquire_init", "lock W", "ww_acquire_fini", "unlock W"]
T
expect 2 "ww-fini.toml:8.*ww_acquire_fini while still holding W" -- "$pc" check "$tmp/ww-fini.toml"
expect 0 "verdict: holds" -- "$pc" check models/ww/test-aa.toml --property all_tasks_done
expect 2 "is_blocked replaces proxy_waking" -- "$pc" check models/chain3.toml --features=+is_blocked
expect 0 "verdict: holds" -- "$pc" check models/blocked-donor-race-b.toml --property no_lost_handoff

expect 2 "cannot be built: proxy_migration without proxy_exec" -- \
    "$pc" check models/chain3.toml --features=-proxy_exec
expect 2 "unknown feature 'bogus'" -- "$pc" check models/chain3.toml --features=+bogus
expect 2 "unknown property 'bogus'" -- "$pc" check models/chain3.toml --property bogus
expect 2 "missing.toml: cannot read the scenario: No such file or directory" -- "$pc" check "$tmp/missing.toml"
expect 0 "verdict: holds" -- "$pc" check models/proxy-waking-affinity.toml
expect 0 "verdict: holds" -- "$pc" check models/proxy-waking-affinity.toml --features= --no-progress
expect 1 "verdict: violated \(no_affinity_violating_run\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking
expect 3 "verdict: incomplete" -- "$pc" check models/chain3.toml --max-states 100
# Threads, memory, lossy modes (issue 7).
expect 0 "verdict: holds" -- "$pc" check models/chain3.toml --threads 2
expect 0 "threads: 3" -- "$pc" check models/chain3.toml --threads 3
expect 3 "verdict: incomplete \(stopped by --memory 1 MiB; no violation among the states covered\)" -- \
    "$pc" check models/chain3.toml --memory 1M
expect 3 "verdict: incomplete \(stopped by --memory 1 MiB" -- "$pc" check models/chain3.toml --memory 1M --threads 2
expect 3 "verdict: no violation found \(compact, not exhaustive\)" -- "$pc" check models/chain3.toml --mode compact
expect 3 "probability that a state was missed <= " -- "$pc" check models/chain3.toml --mode bitstate --memory 64M
expect 1 "verdict: violated \(no_affinity_violating_run\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking --mode compact
expect 1 "verdict: violated \(no_affinity_violating_run\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking --mode bitstate --memory 64M
expect 3 '"verdict": "no violation found \(bitstate, not exhaustive\)"' -- \
    "$pc" check models/chain3.toml --mode bitstate --memory 64M --format json
expect 2 "--memory: cannot read size" -- "$pc" check models/chain3.toml --memory lots
expect 2 "--mode" -- "$pc" check models/chain3.toml --mode fast
expect 0 "proxy_waking" -- "$pc" list features
expect 0 "v7.1" -- "$pc" list baselines
expect 0 "no_lost_wakeup" -- "$pc" list properties

# Replay: a trace file that is not one, or not for this model, is refused
# with the file named; nothing is replayed.
seed=counterexamples/proxy-waking-affinity--no_affinity_violating_run.json
head -c 700 "$seed" > "$tmp/truncated.json"
expect 2 "truncated.json: not a usable proxycheck trace: the JSON ends early \(truncated file\?\)" -- \
    "$pc" replay "$tmp/truncated.json"
expect 2 "chain3.toml: not a usable proxycheck trace: invalid JSON at byte 1" -- "$pc" replay models/chain3.toml
expect 2 "$seed: the trace was recorded on a model with 2 CPUs, tasks \[A, B\] and locks \[M1\]; models/chain3.toml has 3 CPUs.*wrong model file" -- \
    "$pc" replay "$seed" --model models/chain3.toml
sed '0,/"task": "A"/s//"task": "Z"/' "$seed" > "$tmp/unknown-task.json"
expect 2 "unknown-task.json: step 4: task 'Z' is not in models/proxy-waking-affinity.toml" -- \
    "$pc" replay "$tmp/unknown-task.json"
sed '0,/"label": [0-9]*/s//"label": 99/' "$seed" > "$tmp/unknown-step.json"
expect 2 "unknown-step.json: step 1: unknown step label 99" -- "$pc" replay "$tmp/unknown-step.json"
sed 's#"model": "models/proxy-waking-affinity.toml"#"model": "models/gone.toml"#' "$seed" > "$tmp/gone.json"
expect 2 "gone.json: the model it names, models/gone.toml, cannot be read" -- "$pc" replay "$tmp/gone.json"
sed 's#"property": "no_affinity_violating_run"#"property": "no_such_property"#' "$seed" > "$tmp/property.json"
expect 2 "property.json: property 'no_such_property' is not one proxycheck knows" -- "$pc" replay "$tmp/property.json"
expect 2 "missing.json: cannot read the trace: No such file or directory" -- "$pc" replay "$tmp/missing.json"
expect 2 "/dev/zero: cannot read the trace: larger than 64 MiB" -- "$pc" replay /dev/zero
expect 2 "unknown feature 'bogus'" -- "$pc" replay "$seed" --features=+bogus

# Pictures: DOT files, and SVG through graphviz's dot (refused up front without it).
expect 1 "verdict: violated" -- "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking \
    --dot "$tmp/w.dot" --sequence-dot "$tmp/s.dot"
expect 0 "^digraph G \{" -- head -1 "$tmp/w.dot"
expect 0 "^digraph sequence \{" -- head -1 "$tmp/s.dot"
expect 0 "blocked at step 11" -- "$pc" replay "$seed" --features=+proxy_waking --dot "$tmp/r.dot"
expect 0 "PROXY_WAKING" -- cat "$tmp/r.dot"
expect 2 "x.svg: --svg needs graphviz's .dot., which is not installed" -- \
    env PATH=/nonexistent "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking --svg "$tmp/x.svg"
if command -v dot >/dev/null; then
    expect 1 "verdict: violated" -- "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking \
        --svg "$tmp/w.svg"
    expect 0 "<svg" -- cat "$tmp/w.svg"
else
    echo "ok: (graphviz not installed: --svg rendering not exercised)"
fi

# Inputs that are not files: a folder, a device that never ends.
expect 2 "models: cannot read the scenario: it is a folder, not a file" -- "$pc" check models
expect 2 "models: cannot read the property file: it is a folder" -- \
    "$pc" check models/chain3.toml --properties models
expect 2 "/dev/zero: cannot read the scenario: larger than 64 MiB" -- "$pc" check /dev/zero
expect 2 "/dev/zero: cannot read the property file: larger than 64 MiB" -- \
    "$pc" check models/chain3.toml --properties /dev/zero

# Numbers are read as text first: no sign, no empty value, no nan.
for bad in "--max-states -1" "--max-states 18446744073709551616" "--threads 1025" "--time -5" "--time nan" \
           "--time inf" "--memory 1X"; do
    expect 2 "proxycheck: error: ${bad%% *}: " -- "$pc" check models/chain3.toml $bad
done
expect 2 "--threads: '' is not a whole number" -- "$pc" check models/chain3.toml --threads ""
expect 2 "--memory: cannot read size ''.*K, M, G or T" -- "$pc" check models/chain3.toml --memory ""
expect 3 "stopped by --time 1e-06 s" -- "$pc" check bench/models/four-waiters.toml --time 0.000001 --no-progress
expect 2 "unknown command 'chekc'" -- "$pc" chekc models/chain3.toml
expect 2 "--features: needs a list: --features=\+flag,-flag" -- "$pc" check models/chain3.toml --features --no-por
expect 2 "feature edit '\+' names no flag" -- "$pc" check models/chain3.toml --features=+

sed 's/^program = .*/program = ["ww_acquire_init", "lock W", "ww_acquire_done", "ww_acquire_done", "unlock W", "ww_acquire_fini"]/' \
    "$tmp/ww-fini.toml" > "$tmp/done-twice.toml"
expect 2 "done-twice.toml:8.*ww_acquire_done twice in one acquire context" -- "$pc" check "$tmp/done-twice.toml"

printf 'cpus = 1\n[[task]]\nname = "%s"\nprogram = ["yield"]\n' "$(printf 'T%.0s' $(seq 33))" > "$tmp/long.toml"
expect 2 "long.toml:3:8: name 'T{32}\.\.\.' is longer than 32 characters" -- "$pc" check "$tmp/long.toml"
printf 'cpus = 1\n[[task]]\nname = "A\\u001b[31m"\nprogram = ["yield"]\n' > "$tmp/esc.toml"
expect 2 "esc.toml:3:8: name 'A.x1B\[31m' must be an identifier" -- "$pc" check "$tmp/esc.toml"
expect 2 "--memory: must be more than 0" -- "$pc" check models/chain3.toml --memory 0
expect 2 "--memory: needs a value after '='" -- "$pc" check models/chain3.toml --memory= --no-por
expect 2 "--max-states: given more than once" -- "$pc" check models/chain3.toml --max-states 5 --max-states 6
expect 2 "\(proxycheck replay --help\)" -- "$pc" replay "$seed" --max-states 5
expect 0 "no counterexample, so .*none.json was not written" -- \
    "$pc" check models/proxy-waking-affinity.toml --trace-out "$tmp/none.json" --no-progress

# Names the traces print with their own meaning are not task or lock names.
for name in NULL idle none PROXY_WAKING CPU1; do
    printf 'cpus = 2\n[[task]]\nname = "%s"\nprogram = ["yield"]\n' "$name" > "$tmp/reserved.toml"
    expect 2 "reserved.toml:3:8: name '$name' is reserved" -- "$pc" check "$tmp/reserved.toml"
done

# ci checks every model and expectation before it runs a search: nothing is printed for a bad folder.
mkdir -p "$tmp/ci" "$tmp/empty"
cp models/chain3.toml "$tmp/ci/a.toml"
printf 'cpus = 1\n[[lock]]\nname = "M"\ntype = "spinlock"\n' > "$tmp/ci/b.toml"
out=$("$pc" ci "$tmp/ci" 2>/dev/null)
expect 2 "b.toml:4:8: lock type" -- "$pc" ci "$tmp/ci"
expect 0 "" -- test -z "$out"
expect 2 "empty: no scenario files \(\*.toml\) found" -- "$pc" ci "$tmp/empty"
mkdir -p "$tmp/noexp" && printf 'cpus = 1\n[[task]]\nname = "A"\nprogram = ["yield"]\n' > "$tmp/noexp/a.toml"
expect 2 "noexp: no \[\[expect\]\] in any of its models: nothing to check" -- "$pc" ci "$tmp/noexp"
ln -s "$tmp/gone.toml" "$tmp/noexp/b.toml"
expect 2 "b.toml: cannot read the scenario: not a file" -- "$pc" ci "$tmp/noexp"
expect 2 "cannot write the JUnit report" -- "$pc" ci models/chain3.toml --junit "$tmp"
out=$("$pc" ci models/chain3.toml --json /proc/none/x 2>/dev/null)
expect 0 "" -- test -z "$out"
base='cpus = 1
[[lock]]
name = "M"
[[task]]
name = "A"
program = ["lock M", "unlock M"]
[[expect]]'
printf '%s\nholds = ["mutual_exclusion"]\ncounterexample = "x.json"\n' "$base" > "$tmp/cex-holds.toml"
expect 2 "cex-holds.toml:9:18: counterexample needs a property in violated" -- "$pc" ci "$tmp/cex-holds.toml"
printf '%s\nholds = ["mutual_exclusion"]\nviolated = ["mutual_exclusion"]\n' "$base" > "$tmp/both.toml"
expect 2 "both.toml:9:13: property 'mutual_exclusion' named twice in this \[\[expect\]\] \(also at line 8\)" -- \
    "$pc" ci "$tmp/both.toml"
printf '%s\nholds = ["no_deadlock", "no_such_thing"]\n' "$base" > "$tmp/unknown-prop.toml"
expect 2 "unknown-prop.toml:8:25: unknown property 'no_such_thing'" -- "$pc" ci "$tmp/unknown-prop.toml"
printf '%s\nholds = ["no_deadlock"]\n[[expect]]\nfeatures = []\nviolated = ["no_deadlock"]\n' "$base" > "$tmp/two-ways.toml"
expect 2 "two-ways.toml:11:13: property 'no_deadlock' expected the other way under the same features .* at line 8" -- \
    "$pc" ci "$tmp/two-ways.toml"
printf '%s\nviolated = ["mutual_exclusion"]\ncounterexample = "%s"\n' "$base" "$tmp" > "$tmp/cex-folder.toml"
expect 2 "cex-folder.toml:9:18: counterexample '.*' is a folder" -- "$pc" ci "$tmp/cex-folder.toml"
head -c 300 "$seed" > "$tmp/cut.json"
sed 's#^counterexample = .*#counterexample = "'"$tmp"'/cut.json"#' models/proxy-waking-affinity.toml > "$tmp/cut.toml"
expect 2 "cut.json: not a usable proxycheck trace" -- "$pc" ci "$tmp/cut.toml"
sed 's#^counterexample = .*#counterexample = "'"$tmp"'/none.json"#' models/proxy-waking-affinity.toml > "$tmp/none.toml"
expect 1 "FAIL .*expected violated, got violated, not the committed counterexample" -- "$pc" ci "$tmp/none.toml"

# An output that is an input would be overwritten: refused before the run.
cp models/proxy-waking-affinity.toml "$tmp/own.toml"
expect 2 "own.toml: is an input of this run" -- "$pc" check "$tmp/own.toml" --trace-out "$tmp/own.toml"
expect 0 "^\[\[lock\]\]" -- grep -m1 "^\[\[lock\]\]" "$tmp/own.toml"
cp "$seed" "$tmp/own.json"
expect 2 "own.json: is an input of this run" -- "$pc" replay "$tmp/own.json" --dot "$tmp/own.json"

cp models/chain3.toml "$tmp/ci-own.toml"
expect 2 "ci-own.toml: is an input of this run" -- "$pc" ci "$tmp/ci-own.toml" --junit "$tmp/ci-own.toml"
expect 0 "^description" -- grep -m1 "^description" "$tmp/ci-own.toml"
expect 2 "r.xml: is named for two outputs" -- "$pc" ci "$tmp/ci-own.toml" --junit "$tmp/r.xml" --json "$tmp/r.xml"
expect 2 "x.out: is named for two outputs" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking --trace-out "$tmp/x.out" --dot "$tmp/x.out"
expect 2 "/dev/full: cannot write the trace file" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking --trace-out /dev/full
# A model named twice, also through its folder, is checked once.
mkdir -p "$tmp/twice" && cp models/chain3.toml "$tmp/twice/"
expect 0 "expectations: $("$pc" ci "$tmp/twice" | sed -n 's/^expectations: \([0-9]*\) met.*/\1/p') met" -- \
    "$pc" ci "$tmp/twice" "$tmp/twice/chain3.toml" "$tmp/twice/../twice/chain3.toml"

# A trace that its own model and flags cannot replay says so (not "these flags").
python3 - "$seed" "$tmp/swapped.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
s = t["steps"]
s[3], s[4] = s[4], s[3]
for i, step in enumerate(s):
    step["index"] = i + 1
json.dump(t, open(sys.argv[2], "w"), indent=2)
PY
expect 0 "blocked at step 4 of 11: the trace is not possible on its own model and flags" -- \
    "$pc" replay "$tmp/swapped.json"

# replay refuses an unwritable picture before printing its result.
out=$("$pc" replay "$seed" --dot /proc/none/x.dot 2>/dev/null)
expect 0 "" -- test -z "$out"

# A deliberately wrong expectation makes ci exit 1 with a readable line.
sed 's/^holds = \["mutual_exclusion", "no_kernel_warning", "no_lost_wakeup", "no_deadlock"\]/holds = ["no_kernel_warning"]/' \
    models/proxy-waking-affinity.toml > "$tmp/wrong.toml"
sed -i 's/^violated = \["no_affinity_violating_run"\]/violated = ["mutual_exclusion"]/; /^counterexample/d' "$tmp/wrong.toml"
expect 1 "FAIL .*mutual_exclusion: expected violated, got holds" -- "$pc" ci "$tmp/wrong.toml"

exit $fail
