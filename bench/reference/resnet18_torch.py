#!/usr/bin/env python3
"""PyTorch side of the ResNet-18 speed comparison (issue 12/16): torchvision resnet18 at 224x224 on this CPU.

Times, per repeat and interleaved, (a) forward images/s at batch 1 and 32 (eval mode, no grad) and (b) one fine-tuning
step at batch 32 (train mode, every layer trainable, cross-entropy on 1000 classes, SGD lr 1e-3 momentum 0.9):
forward + backward + optimizer step. Prints one JSON object per figure (min and median over the repeats), the same
shape as the DeepMetric bench's records. Weights are random: speed does not depend on them.

Usage: /usr/bin/python3 bench/reference/resnet18_torch.py [--repeats 5] [--threads N] [--batch 32]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torchvision


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    x1 = torch.randn(1, 3, 224, 224)
    xb = torch.randn(args.batch, 3, 224, 224)
    labels = torch.randint(0, 1000, (args.batch,))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def fwd(x):
        model.eval()
        with torch.no_grad():
            model(x)

    def step():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), labels)
        loss.backward()
        opt.step()

    times = {"fwd1": [], "fwdb": [], "step": []}
    for rep in range(-1, args.repeats):  # one warm-up round
        t = {"fwd1": timed(lambda: fwd(x1)), "fwdb": timed(lambda: fwd(xb)), "step": timed(step)}
        if rep >= 0:
            for k, v in t.items():
                times[k].append(v)

    def emit(name, value, unit):
        print(json.dumps({"name": f"torch_resnet18/{name}", "value": value, "unit": unit}))

    emit("threads", torch.get_num_threads(), "count")
    for key, label, n in (("fwd1", "forward_b1", 1), ("fwdb", f"forward_b{args.batch}", args.batch)):
        emit(f"{label}_images_per_s_best", n / min(times[key]), "images/s")
        emit(f"{label}_images_per_s_median", n / statistics.median(times[key]), "images/s")
    emit(f"finetune_step_b{args.batch}_ms_min", 1e3 * min(times["step"]), "ms")
    emit(f"finetune_step_b{args.batch}_ms_median", 1e3 * statistics.median(times["step"]), "ms")


if __name__ == "__main__":
    main()
