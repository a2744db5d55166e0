#!/usr/bin/env bash
# The tree store reports what the flat store reports, on every bundled model:
#  - `ci` (every [[expect]]: its features, cheapest-shortest order) with the
#    flat store on one thread, the tree store on one and on two threads;
#  - `check --shortest-only` of every model file under its own features and
#    under -proxy_waking (the seed's bug: most models break), each store on
#    one and on two threads, against the flat store on as many threads (the
#    parallel search expands the whole level of the violation, so the
#    model's event counts are those of its thread count).
# Compared: verdict, states, transitions, depth, terminal states, the model's
# event counts and the counterexample, step by step. --max-states bounds the
# big models (an incomplete one-thread search stops at the same state with
# either store; on two threads only the verdict is compared then).
#   tests/stores.sh PROXYCHECK [MAX_STATES]
set -u
pc="$1"
max="${2:-200000}"
cd "$(dirname "$0")/.."
exec python3 - "$pc" "$max" <<'EOF'
import glob, json, os, subprocess, sys, tempfile

pc, limit = sys.argv[1], sys.argv[2]
runs = [("flat", "1"), ("tree", "1"), ("tree", "2")]
volatile = {"seconds", "states_per_second", "bytes_per_state", "peak_memory_bytes", "threads", "store"}
failed = 0

def same(what, ref, got, threads, incomplete):
    global failed
    if incomplete and threads != "1":
        ref, got = ref.get("verdict", ref.get("got")), got.get("verdict", got.get("got"))
    if ref == got:
        return
    failed += 1
    print("FAIL: %s: the tree store on %s thread(s) differs from the flat store:" % (what, threads))
    for k in sorted(set(ref) | set(got)):
        if isinstance(ref, dict) and ref.get(k) != got.get(k):
            print("  differs: %s" % k)
    print("  flat: %s\n  tree: %s" % (json.dumps(ref, sort_keys=True)[:600], json.dumps(got, sort_keys=True)[:600]))

def clean(d):
    d = dict(d)
    if "statistics" in d:
        d["statistics"] = {k: v for k, v in d["statistics"].items() if k not in volatile}
    return d

# ci: one JSON report per run, line by line.
reports = []
for store, threads in runs:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([pc, "ci", "models", "--store", store, "--threads", threads, "--max-states", limit,
                        "--json", f.name], capture_output=True, text=True)
        reports.append([clean(l) for l in json.load(open(f.name))["expectations"]])
for (store, threads), report in zip(runs[1:], reports[1:]):
    if len(report) != len(reports[0]):
        failed += 1
        print("FAIL: ci --store %s --threads %s: %d lines, flat: %d" % (store, threads, len(report), len(reports[0])))
        continue
    for ref, got in zip(reports[0], report):
        what = "ci %s [%s] %s" % (ref["model"], ref["features"], ref["property"])
        same(what, ref, got, threads, ref["got"] == "incomplete")
print("ok: ci: %d expectations compared, flat (1 thread) against tree (1 and 2 threads)" % len(reports[0]))

# check --shortest-only: plain BFS order.
models = sorted(glob.glob("models/*.toml") + glob.glob("models/ww/*.toml"))
checks = 0
for model in models:
    for features in ([], ["--features=-proxy_waking"]):
        for threads in ("1", "2"):
            out = []
            for store in ("flat", "tree"):
                p = subprocess.run([pc, "check", model, "--shortest-only", "--format", "json", "--no-progress",
                                    "--store", store, "--threads", threads, "--max-states", limit] + features,
                                   capture_output=True, text=True)
                out.append(clean(json.loads(p.stdout)) if p.returncode != 2 else {"verdict": "error", "error": p.stderr})
            same("check --shortest-only %s %s" % (model, " ".join(features)), out[0], out[1], threads,
                 out[0]["verdict"] == "incomplete")
            checks += 1
print("ok: check --shortest-only: %d runs compared, flat against tree (1 and 2 threads)" % checks)
if failed:
    print("FAIL: %d differences" % failed)
sys.exit(1 if failed else 0)
EOF
