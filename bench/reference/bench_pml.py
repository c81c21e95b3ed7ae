#!/usr/bin/env python3
"""Fashion-MNIST (or glyph set) open-set metric-learning benchmark with pytorch-metric-learning (PML).

This is ../shared/reference/bench_pml.py with one addition: --data glyphs --glyphs-dir DIR reads a glyph set written
by `deepmetric data glyphs` (train-/test-images.npy[.gz], uint8, and -labels.npy[.gz], int32) and trains on its
training characters, evaluating on its test characters; pixels are fed in [0, 1] as `deepmetric train` does (no
Fashion-MNIST standardisation). It also reports the raw-pixel baseline (flattened pixels, same AccuracyCalculator).

Protocol: train on classes 0-4 of the *train* split (30000 images), evaluate
retrieval on classes 5-9 of the *test* split (5000 images), query == reference
(leave-one-out: the query itself is excluded from its neighbour list).

    PYTHONPATH=$PML_DIR/src /usr/bin/python3 bench_pml.py --model mlp --loss triplet_semihard --epochs 2

Models
  mlp : 784-256-256-64 (ReLU), output L2-normalised
  cnn : conv(1->32,3x3)-ReLU-maxpool2 - conv(32->64,3x3)-ReLU-maxpool2 - fc(1600->128)-ReLU - fc(128->64),
        output L2-normalised (disable with --no-normalize)
Losses
  triplet_semihard  : TripletMarginLoss(margin=0.1) + TripletMarginMiner(margin=0.1, type_of_triplets="semihard")
  triplet_batchhard : TripletMarginLoss(margin=0.1) + BatchHardMiner()
  ms                : MultiSimilarityLoss() + MultiSimilarityMiner()   (PML defaults: alpha=2, beta=50, base=0.5, eps=0.1)
Optimiser: Adam(lr=1e-3). Batches: random permutation each epoch (seeded), drop_last;
or --sampler m_per_class (PML MPerClassSampler; with 5 classes and batch 128, m must be >= 26, e.g. 32).

Process settings: torch.set_num_threads(--threads, default 2); OPENBLAS_NUM_THREADS=--blas-threads
(default 1) and glibc malloc tunables (unless --no-malloc-tuning), applied by re-executing the script
once with them in the environment (see _configure_process; both changed the timings a lot on this VM).

Reported: training samples/s counting only forward+miner+loss+backward+optimizer step
(batch gathering from the in-memory tensor excluded), per-epoch wall time, time breakdown,
final precision_at_1 / r_precision / mean_average_precision_at_r on the unseen classes,
and the evaluation timings (embedding the 5000 test images; knn over the 5000 embeddings;
metric computation).
"""

import argparse
import gzip
import io
import json
import os
import platform
import struct
import sys
import time


def _configure_process():
    """Process-level settings that must exist before numpy/torch (and glibc malloc) start, so the
    script re-executes itself once with them in the environment.
    * OPENBLAS_NUM_THREADS (--blas-threads, default 1): torch's OpenMP pool (torch.set_num_threads)
      plus OpenBLAS's own pthread pool oversubscribe the 2 vCPUs; with OpenBLAS at its default
      (2 threads) training was 2-3x slower and noisy here. 'env' leaves the variable as it is.
    * glibc malloc tunables (disable with --no-malloc-tuning): by default every tensor > 128 KiB is
      mmap'ed and unmapped again, and the page faults dominated conv/eval time on this VM
      (e.g. CNN eval embedding 2.4 s -> 0.4 s). MALLOC_MMAP_THRESHOLD_=32 MiB (glibc maximum),
      MALLOC_TRIM_THRESHOLD_=4 GiB, MALLOC_TOP_PAD_=512 MiB keep freed memory in the heap."""
    if __name__ != "__main__" or os.environ.get("_BENCH_PML_CONFIGURED") == "1":
        return
    blas = "1"
    for i, a in enumerate(sys.argv):
        if a == "--blas-threads" and i + 1 < len(sys.argv):
            blas = sys.argv[i + 1]
        elif a.startswith("--blas-threads="):
            blas = a.split("=", 1)[1]
    want = {}
    if blas != "env":
        want["OPENBLAS_NUM_THREADS"] = blas
    if "--no-malloc-tuning" not in sys.argv:
        want.update({"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "4294967295",
                     "MALLOC_TOP_PAD_": "536870912"})
    env = dict(os.environ)
    env.update(want)
    env["_BENCH_PML_CONFIGURED"] = "1"
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


_configure_process()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import pytorch_metric_learning  # noqa: E402
from pytorch_metric_learning import distances, losses, miners, samplers  # noqa: E402
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator  # noqa: E402
from pytorch_metric_learning.utils.inference import CustomKNN  # noqa: E402

DATA_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530  # of the full Fashion-MNIST train split


# ----------------------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_npy(path):
    if os.path.exists(path):
        return np.load(path)
    with gzip.open(path + ".gz", "rb") as f:
        return np.load(io.BytesIO(f.read()))


def load_glyphs(glyphs_dir, split):
    x = load_npy(os.path.join(glyphs_dir, "%s-images.npy" % split))
    y = load_npy(os.path.join(glyphs_dir, "%s-labels.npy" % split))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)  # N,1,S,S in [0, 1]
    return x, torch.from_numpy(y.astype(np.int64))


def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % prefix))
    y = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % prefix))
    x = torch.from_numpy(x.astype(np.float32) / 255.0)
    x = ((x - FMNIST_MEAN) / FMNIST_STD).unsqueeze(1)  # N,1,28,28
    y = torch.from_numpy(y.astype(np.int64))
    return x, y


# ----------------------------------------------------------------------------- models
class MLP(nn.Module):
    def __init__(self, normalize=True):
        super().__init__()
        self.normalize = normalize
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 64))

    def forward(self, x):
        e = self.net(x)
        return F.normalize(e, p=2, dim=1) if self.normalize else e


class CNN(nn.Module):
    def __init__(self, normalize=True):
        super().__init__()
        self.normalize = normalize
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),      # 32x13x13
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),     # 64x5x5
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 64))

    def forward(self, x):
        e = self.net(x)
        return F.normalize(e, p=2, dim=1) if self.normalize else e


def make_loss(name):
    if name == "triplet_semihard":
        return (losses.TripletMarginLoss(margin=0.1),
                miners.TripletMarginMiner(margin=0.1, type_of_triplets="semihard"))
    if name == "triplet_batchhard":
        return losses.TripletMarginLoss(margin=0.1), miners.BatchHardMiner()
    if name == "ms":
        return losses.MultiSimilarityLoss(), miners.MultiSimilarityMiner()
    raise ValueError(name)


def n_mined(t):
    if t is None:
        return 0
    return int(len(t[0])) if len(t) == 3 else int(len(t[0]) + len(t[2]))


# ----------------------------------------------------------------------------- eval
class TimedKNN:
    def __init__(self, fn):
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *a, **k):
        t = time.perf_counter()
        out = self.fn(*a, **k)
        self.seconds += time.perf_counter() - t
        return out


def make_knn(kind):
    if kind == "torch":
        # PML's torch knn: exact brute force on the (already normalised) embeddings
        return CustomKNN(distances.LpDistance(normalize_embeddings=False))
    if kind == "faiss":
        from pytorch_metric_learning.utils.inference import FaissKNN
        return FaissKNN()  # PML default: faiss.IndexFlatL2
    raise ValueError(kind)


@torch.no_grad()
def embed(model, x, batch_size=256):
    model.eval()
    out = [model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    model.train()
    return torch.cat(out)


def evaluate(model, x_test, y_test, knn_kind, k, batch_size=256):
    t0 = time.perf_counter()
    emb = embed(model, x_test, batch_size)
    t_embed = time.perf_counter() - t0
    knn = TimedKNN(make_knn(knn_kind))
    calc = AccuracyCalculator(include=("precision_at_1", "r_precision", "mean_average_precision_at_r"),
                              k=k, device=torch.device("cpu"), knn_func=knn)
    t1 = time.perf_counter()
    acc = calc.get_accuracy(emb, y_test)
    t_acc = time.perf_counter() - t1
    return {
        "precision_at_1": float(acc["precision_at_1"]),
        "r_precision": float(acc["r_precision"]),
        "mean_average_precision_at_r": float(acc["mean_average_precision_at_r"]),
        "time_embed_s": t_embed,
        "time_knn_s": knn.seconds,
        "time_metrics_s": t_acc - knn.seconds,
        "time_accuracy_calculator_total_s": t_acc,
        "time_eval_total_s": t_embed + t_acc,
    }


# ----------------------------------------------------------------------------- main
def env_info(threads):
    try:
        blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except Exception:
        blas = "unknown"
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except Exception:
        pass
    return {
        "python": sys.version.split()[0], "torch": torch.__version__,
        "pml": pytorch_metric_learning.__version__, "numpy": np.__version__,
        "threads": torch.get_num_threads(), "requested_threads": threads,
        "cpu": cpu, "nproc": os.cpu_count(), "blas": blas, "platform": platform.platform(),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_"),
        "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "MALLOC_TOP_PAD_": os.environ.get("MALLOC_TOP_PAD_"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--loss", choices=["triplet_semihard", "triplet_batchhard", "ms"], default="triplet_semihard")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", default="1",
                    help="OPENBLAS_NUM_THREADS for the run (default 1); 'env' = leave the environment as is")
    ap.add_argument("--no-malloc-tuning", action="store_true",
                    help="do not set the glibc MALLOC_* tunables (see _configure_process)")
    ap.add_argument("--eval-batch-size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sampler", choices=["random", "m_per_class"], default="random")
    ap.add_argument("--m", type=int, default=32, help="m for MPerClassSampler")
    ap.add_argument("--knn", choices=["torch", "faiss"], default="torch")
    ap.add_argument("--k", default="max_bin_count", help="AccuracyCalculator k: 'max_bin_count' (default), 'none' or an int")
    ap.add_argument("--no-normalize", action="store_true")
    ap.add_argument("--eval-every-epoch", action="store_true")
    ap.add_argument("--also-eval-seen", action="store_true",
                    help="sanity check: also evaluate on the *seen* classes 0-4 of the test split (5000 images)")
    ap.add_argument("--max-steps", type=int, default=0, help="(debug) stop each epoch after this many steps")
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--data", choices=["fashion-mnist", "glyphs"], default="fashion-mnist")
    ap.add_argument("--protocol", choices=["open-set", "closed-set"], default="open-set",
                    help="fashion-mnist: open-set (train classes 0-4, test 5-9) or closed-set (train split -> test split, all classes)")
    ap.add_argument("--glyphs-dir", default="data/glyphs", help="--data glyphs: the glyph set directory")
    ap.add_argument("--json-out", default="")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    k = None if args.k.lower() == "none" else (args.k if args.k == "max_bin_count" else int(args.k))

    t = time.perf_counter()
    if args.data == "glyphs":
        x_tr, y_tr = load_glyphs(args.glyphs_dir, "train")
        x_te, y_te = load_glyphs(args.glyphs_dir, "test")
        x_seen, y_seen = x_te, y_te  # --also-eval-seen has no meaning here
    else:
        x_tr, y_tr = load_split(args.data_dir, "train")
        x_te, y_te = load_split(args.data_dir, "test")
        if args.protocol == "closed-set":
            m_tr, m_te = y_tr >= 0, y_te >= 0  # every class on both sides; --also-eval-seen is then empty
        else:
            m_tr, m_te = y_tr < 5, y_te >= 5
        x_seen, y_seen = x_te[~m_te].contiguous(), y_te[~m_te].contiguous()
        x_tr, y_tr = x_tr[m_tr].contiguous(), y_tr[m_tr].contiguous()
        x_te, y_te = x_te[m_te].contiguous(), y_te[m_te].contiguous()
    t_load = time.perf_counter() - t

    info = env_info(args.threads)
    print("env:", json.dumps(info))
    print("config:", json.dumps(vars(args)))
    print("data: train %s (%d classes) test %s (%d classes), load %.2fs" % (
        tuple(x_tr.shape), len(set(y_tr.tolist())), tuple(x_te.shape), len(set(y_te.tolist())), t_load))

    raw_eval = evaluate(nn.Flatten(), x_te, y_te, args.knn, k, args.eval_batch_size)
    print("raw pixels: P@1 %.4f  R-P %.4f  MAP@R %.4f" % (
        raw_eval["precision_at_1"], raw_eval["r_precision"], raw_eval["mean_average_precision_at_r"]))

    model = MLP(not args.no_normalize) if args.model == "mlp" else CNN(not args.no_normalize)
    loss_fn, miner = make_loss(args.loss)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print("model: %s (%d parameters), loss: %s" % (args.model, n_params, args.loss))

    gen = torch.Generator()
    gen.manual_seed(args.seed)
    bs = args.batch_size
    results = {"env": info, "config": {**vars(args), "json_out": os.path.basename(args.json_out) if args.json_out else None}, "n_params": n_params, "epochs": []}

    base_eval = evaluate(model, x_te, y_te, args.knn, k, args.eval_batch_size)
    print("epoch 0 (untrained): P@1 %.4f  R-P %.4f  MAP@R %.4f" % (
        base_eval["precision_at_1"], base_eval["r_precision"], base_eval["mean_average_precision_at_r"]))
    results["untrained_eval"] = base_eval
    results["raw_pixels_eval"] = raw_eval
    if args.also_eval_seen:
        ev = evaluate(model, x_seen, y_seen, args.knn, k, args.eval_batch_size)
        results["untrained_eval_seen"] = ev
        print("  seen classes 0-4 (untrained): P@1 %.4f  R-P %.4f  MAP@R %.4f" % (
            ev["precision_at_1"], ev["r_precision"], ev["mean_average_precision_at_r"]))

    for epoch in range(1, args.epochs + 1):
        if args.sampler == "random":
            perm = torch.randperm(len(x_tr), generator=gen)
            batches = [perm[i:i + bs] for i in range(0, len(perm) - bs + 1, bs)]
        else:
            smp = samplers.MPerClassSampler(y_tr, m=args.m, batch_size=bs, length_before_new_iter=len(y_tr))
            idx = torch.tensor(list(iter(smp)))
            batches = [idx[i:i + bs] for i in range(0, len(idx) - bs + 1, bs)]
        if args.max_steps:
            batches = batches[:args.max_steps]
        tm = {"gather": 0.0, "forward": 0.0, "miner": 0.0, "loss": 0.0, "backward": 0.0, "step": 0.0}
        loss_sum, mined_sum, n_samples = 0.0, 0, 0
        t_epoch = time.perf_counter()
        for b in batches:
            t0 = time.perf_counter()
            xb, yb = x_tr[b], y_tr[b]
            t1 = time.perf_counter()
            emb = model(xb)
            t2 = time.perf_counter()
            idx_tuple = miner(emb, yb)
            t3 = time.perf_counter()
            loss = loss_fn(emb, yb, idx_tuple)
            t4 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            if loss.requires_grad:
                loss.backward()
            t5 = time.perf_counter()
            opt.step()
            t6 = time.perf_counter()
            tm["gather"] += t1 - t0
            tm["forward"] += t2 - t1
            tm["miner"] += t3 - t2
            tm["loss"] += t4 - t3
            tm["backward"] += t5 - t4
            tm["step"] += t6 - t5
            loss_sum += float(loss)
            mined_sum += n_mined(idx_tuple)
            n_samples += len(b)
        t_epoch = time.perf_counter() - t_epoch
        compute = sum(v for kk, v in tm.items() if kk != "gather")
        ep = {
            "epoch": epoch, "steps": len(batches), "samples": n_samples,
            "epoch_wall_s": t_epoch, "train_compute_s": compute,
            "samples_per_s": n_samples / compute, "steps_per_s": len(batches) / compute,
            "ms_per_step": 1000 * compute / len(batches),
            "breakdown_s": tm, "mean_loss": loss_sum / len(batches),
            "mean_mined_per_batch": mined_sum / len(batches),
        }
        msg = ("epoch %d: %d steps, wall %.2fs, compute %.2fs -> %.0f samples/s (%.2f ms/step); "
               "fwd %.2fs miner %.2fs loss %.2fs bwd %.2fs step %.2fs gather %.2fs; mean loss %.4f, mined/batch %.1f" % (
                   epoch, len(batches), t_epoch, compute, ep["samples_per_s"], ep["ms_per_step"], tm["forward"],
                   tm["miner"], tm["loss"], tm["backward"], tm["step"], tm["gather"], ep["mean_loss"],
                   ep["mean_mined_per_batch"]))
        print(msg)
        if args.eval_every_epoch or epoch == args.epochs:
            ev = evaluate(model, x_te, y_te, args.knn, k, args.eval_batch_size)
            ep["eval"] = ev
            print("  eval (unseen test classes, %d images, knn=%s, k=%s): P@1 %.4f  R-P %.4f  MAP@R %.4f | "
                  "embed %.3fs knn %.3fs metrics %.3fs total %.3fs" % (
                      len(y_te), args.knn, k, ev["precision_at_1"], ev["r_precision"], ev["mean_average_precision_at_r"],
                      ev["time_embed_s"], ev["time_knn_s"], ev["time_metrics_s"], ev["time_eval_total_s"]))
            if args.also_eval_seen:
                ev = evaluate(model, x_seen, y_seen, args.knn, k, args.eval_batch_size)
                ep["eval_seen"] = ev
                print("  seen classes 0-4 (sanity check): P@1 %.4f  R-P %.4f  MAP@R %.4f" % (
                    ev["precision_at_1"], ev["r_precision"], ev["mean_average_precision_at_r"]))
        results["epochs"].append(ep)
        sys.stdout.flush()

    tot_samples = sum(e["samples"] for e in results["epochs"])
    tot_compute = sum(e["train_compute_s"] for e in results["epochs"])
    final = results["epochs"][-1]["eval"]
    results["summary"] = {
        "model": args.model, "loss": args.loss, "epochs": args.epochs,
        "train_samples_per_s": tot_samples / tot_compute,
        "mean_epoch_wall_s": sum(e["epoch_wall_s"] for e in results["epochs"]) / len(results["epochs"]),
        "final_precision_at_1": final["precision_at_1"], "final_r_precision": final["r_precision"],
        "final_map_at_r": final["mean_average_precision_at_r"],
        "untrained_map_at_r": base_eval["mean_average_precision_at_r"], "untrained_precision_at_1": base_eval["precision_at_1"],
        "raw_pixels_map_at_r": raw_eval["mean_average_precision_at_r"], "raw_pixels_precision_at_1": raw_eval["precision_at_1"],
        "eval_embed_s": final["time_embed_s"], "eval_knn_s": final["time_knn_s"],
        "eval_metrics_s": final["time_metrics_s"], "eval_total_s": final["time_eval_total_s"],
    }
    print("SUMMARY " + json.dumps(results["summary"]))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
