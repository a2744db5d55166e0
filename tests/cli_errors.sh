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
[[task]]
name = "A"
program = ["lock W", "unlock W"]
T
expect 2 "ww.toml:2.*not modelled yet" -- "$pc" check "$tmp/ww.toml"

expect 2 "cannot be built: proxy_migration without proxy_exec" -- \
    "$pc" check models/chain3.toml --features=-proxy_exec
expect 2 "unknown feature 'bogus'" -- "$pc" check models/chain3.toml --features=+bogus
expect 2 "unknown property 'bogus'" -- "$pc" check models/chain3.toml --property bogus
expect 2 "cannot read file" -- "$pc" check "$tmp/missing.toml"
expect 0 "verdict: holds" -- "$pc" check models/proxy-waking-affinity.toml
expect 1 "verdict: violated \(no_affinity_violating_run\)" -- \
    "$pc" check models/proxy-waking-affinity.toml --features=-proxy_waking
expect 3 "verdict: incomplete" -- "$pc" check models/chain3.toml --max-states 100
expect 0 "proxy_waking" -- "$pc" list features
expect 0 "v7.1" -- "$pc" list baselines
expect 0 "no_lost_wakeup" -- "$pc" list properties

# A deliberately wrong expectation makes ci exit 1 with a readable line.
sed 's/^holds = \["no_affinity_violating_run", "mutual_exclusion", "no_kernel_warning", "no_lost_wakeup", "no_deadlock"\]/holds = ["no_affinity_violating_run"]/' \
    models/proxy-waking-affinity.toml > "$tmp/wrong.toml"
sed -i 's/^violated = \["no_affinity_violating_run"\]/violated = ["mutual_exclusion"]/; /^counterexample/d' "$tmp/wrong.toml"
expect 1 "FAIL .*mutual_exclusion: expected violated, got holds" -- "$pc" ci "$tmp/wrong.toml"

exit $fail
