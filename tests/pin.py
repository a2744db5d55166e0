#!/usr/bin/env python3
"""Regenerates the pinned rows of tests/models_test.cpp: runs proxycheck on
every (model, features) row already in the table with the pinned property
list, and rewrites the numbers. Review the diff before committing.
    tests/pin.py build/src/proxycheck"""
import re, subprocess, sys, json

pc = sys.argv[1]
path = "tests/models_test.cpp"
src = open(path).read()
props = re.search(r"pinned_properties = \{(.*?)\};", src, re.S).group(1)
props = re.findall(r'"(\w+)"', props)
row = re.compile(r'\{"(models/[^"]+)", "([^"]*)", "(\w+)", (\d+), (\d+)\}')

def measure(m):
    model, feats = m.group(1), m.group(2)
    args = [pc, "check", model, "--no-progress", "--format", "json", "--shortest-only"]   # as the test: Order::shortest
    if feats:
        args.append("--features=" + feats)
    for p in props:
        args += ["--property", p]
    d = json.loads(subprocess.run(args, capture_output=True, text=True).stdout)
    st = d["statistics"]
    return '{"%s", "%s", "%s", %d, %d}' % (model, feats, d["verdict"], st["states"], st["transitions"])

open(path, "w").write(row.sub(measure, src))
