#!/usr/bin/env python3
"""PyTorch side of `--quick r18convs`: every distinct ResNet-18 convolution at 224x224, forward and backward, per layer.

Same shapes, batch and FLOP count as bench/DeepMetric.Benchmarks/Training/ResNetConvQuick.cs (the stem's backward is
its weight gradient only; every other backward computes the input and the weight gradient). Stride-2 layers are padded
symmetrically here (the CNTK export pads top/left only); the output sizes are the same. Interleaved repeats after one
warm-up; prints a table (ms min / median, GFLOP/s) and one JSON record per figure.

Usage: /usr/bin/python3 bench/reference/resnet18_convs_torch.py [--repeats 5] [--batch 32] [--threads N]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

SHAPES = [
    # name, C, O, k, stride, pad, side, input grad
    ("stem7x7s2", 3, 64, 7, 2, 3, 224, False),
    ("c3x3_64_56", 64, 64, 3, 1, 1, 56, True),
    ("c3x3s2_128_56", 64, 128, 3, 2, 1, 56, True),
    ("c1x1s2_128_56", 64, 128, 1, 2, 0, 56, True),
    ("c3x3_128_28", 128, 128, 3, 1, 1, 28, True),
    ("c3x3s2_256_28", 128, 256, 3, 2, 1, 28, True),
    ("c1x1s2_256_28", 128, 256, 1, 2, 0, 28, True),
    ("c3x3_256_14", 256, 256, 3, 1, 1, 14, True),
    ("c3x3s2_512_14", 256, 512, 3, 2, 1, 14, True),
    ("c1x1s2_512_14", 256, 512, 1, 2, 0, 14, True),
    ("c3x3_512_7", 512, 512, 3, 1, 1, 7, True),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(21)
    n = args.batch
    data = []
    for name, c, o, k, s, p, side, ig in SHAPES:
        x = torch.rand(n, c, side, side) * 2 - 1
        w = ((torch.rand(o, c, k, k) * 2 - 1) * 0.1).requires_grad_(True)
        x.requires_grad_(ig)
        data.append((name, x, w, s, p))
    times = {}
    for rep in range(-1, args.repeats):
        for name, x, w, s, p in data:
            x.grad = None
            w.grad = None
            t0 = time.perf_counter()
            y = F.conv2d(x, w, stride=s, padding=p)
            t1 = time.perf_counter()
            g = torch.rand_like(y)
            t2 = time.perf_counter()
            y.backward(g)
            t3 = time.perf_counter()
            if rep >= 0:
                times.setdefault(name + "_fwd", []).append(t1 - t0)
                times.setdefault(name + "_bwd", []).append(t3 - t2)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, batch {n}; ResNet-18 convolutions")
    print(f"{'layer':<16} {'pass':<4} {'GFLOP':>6} {'ms min':>8} {'ms med':>8} {'GF/s':>6}")
    tot = {"fwd": 0.0, "bwd": 0.0}
    records = []
    for name, c, o, k, s, p, side, ig in SHAPES:
        ho = (side + 2 * p - k) // s + 1
        flops = 2.0 * n * o * c * k * k * ho * ho
        for pas, f in (("fwd", flops), ("bwd", 2 * flops if ig else flops)):
            l = times[f"{name}_{pas}"]
            tot[pas] += min(l)
            print(f"{name:<16} {pas:<4} {f / 1e9:6.2f} {min(l) * 1e3:8.1f} {statistics.median(l) * 1e3:8.1f} {f / min(l) / 1e9:6.0f}")
            records.append({"name": f"torch_r18conv_{name}_{pas}_ms", "value": min(l) * 1e3, "unit": "ms"})
    print(f"total fwd {tot['fwd'] * 1e3:.0f} ms, bwd {tot['bwd'] * 1e3:.0f} ms (each distinct layer once)")
    for r in records:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
