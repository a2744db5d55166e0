#!/usr/bin/env python3
"""Regenerates the pinned rows of tests/models_test.cpp: runs proxycheck on
every (model, features) row already in the tables with the pinned property
list, and rewrites the numbers. The rows of `pinned` are the full search
(--no-symmetry), those of `pinned_symmetric` the search reduced over
interchangeable tasks. Review the diff before committing.
    tests/pin.py build/src/proxycheck"""
import re, subprocess, sys, json

pc = sys.argv[1]
path = "tests/models_test.cpp"
src = open(path).read()
props = re.search(r"pinned_properties = \{(.*?)\};", src, re.S).group(1)
props = re.findall(r'"(\w+)"', props)
row = re.compile(r'\{"(models/[^"]+)", "([^"]*)", "(\w+)", (\d+), (\d+)\}')

def measure(symmetry):
    def run(m):
        model, feats = m.group(1), m.group(2)
        args = [pc, "check", model, "--no-progress", "--format", "json", "--shortest-only"]   # as the test: Order::shortest
        if not symmetry:
            args.append("--no-symmetry")
        if feats:
            args.append("--features=" + feats)
        for p in props:
            args += ["--property", p]
        d = json.loads(subprocess.run(args, capture_output=True, text=True).stdout)
        st = d["statistics"]
        if symmetry and not st["symmetry"]["on"]:
            sys.exit("%s [%s]: symmetry is off (%s)" % (model, feats, st["symmetry"]["reason"]))
        return '{"%s", "%s", "%s", %d, %d}' % (model, feats, d["verdict"], st["states"], st["transitions"])
    return run

full, reduced = src.split("pinned_symmetric[]", 1)
open(path, "w").write(row.sub(measure(False), full) + "pinned_symmetric[]" + row.sub(measure(True), reduced))
