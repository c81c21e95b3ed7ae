#!/usr/bin/env python3
"""Markdown recipe table from measure-recipes.sh output: MAP@R (and P@1) mean ± sample std over the seeds measured.

    python3 bench/scripts/recipe-table.py OUT_DIR
"""
import json
import statistics
import sys
from collections import defaultdict

DATA = [("glyphs", "glyphs"), ("fmnist-open-set", "F-MNIST open set"), ("fmnist-closed-set", "F-MNIST closed set")]
ORDER = ["cnn-ms", "cnn-triplet-semihard", "cnn-triplet-batchhard", "mlp-ms", "mlp-triplet-semihard", "mlp-triplet-batchhard",
         "cnn-ntxent", "cnn-supcon", "cnn-contrastive", "cnn-circle"]


def load(path, keys):
    runs = defaultdict(dict)
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        return runs
    for line in lines:
        label, _, rest = line.partition(" {")
        if not rest:
            continue
        data, recipe, seed = label.split()
        d = json.loads("{" + rest)
        runs[(data, recipe)][seed] = tuple(d[k] for k in keys)
    return runs


def stat(values):
    if not values:
        return ""
    m = statistics.mean(values)
    if len(values) == 1:
        return "%.3f¹" % m
    return "%.3f ± %.3f" % (m, statistics.stdev(values)) + ("" if len(values) == 3 else "²")


out = sys.argv[1]
ours = load(out + "/ours.jsonl", ["map_at_r", "precision_at_1", "untrained_map_at_r", "raw_pixels_map_at_r"])
pml = load(out + "/pml.jsonl", ["final_map_at_r", "final_precision_at_1", "untrained_map_at_r", "raw_pixels_map_at_r"])
def cell(runs, key, recipe):
    return stat([v[0] for v in runs.get((key, recipe), {}).values()]) or "–"


print("| recipe | " + " | ".join("%s: DeepMetric | %s: PyTorch + PML" % (n, n) for _, n in DATA) + " |")
print("| --- |" + " ---: | ---: |" * len(DATA))
for r in ORDER:
    if not any((k, r) in ours or (k, r) in pml for k, _ in DATA):
        continue
    print("| `%s` | " % r + " | ".join("%s | %s" % (cell(ours, k, r), cell(pml, k, r)) for k, _ in DATA) + " |")
for net in ("cnn", "mlp"):
    cells = []
    for k, _ in DATA:
        base = next(iter(ours.get((k, net + "-ms"), {}).values()), None)
        cells += ["%.3f / %.3f" % (base[2], base[3]) if base else "–", ""]
    print("| untrained %s / raw pixels | %s |" % (net.upper(), " | ".join(cells)))
