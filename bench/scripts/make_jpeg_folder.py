#!/usr/bin/env python3
"""Makes a class-folder tree of colour JPEGs of mixed sizes from Fashion-MNIST, for DeepMetric's image benchmarks.

usage: make_jpeg_folder.py IDX_DIR OUT_DIR COUNT [--min 72 --max 160 --seed 0 --progressive 0.2]

Each 28x28 grey item is tinted by class and at random, put on a random colour gradient with noise, resized to a
random width and height in [min, max] and saved as OUT_DIR/<class>/<index>.jpg (quality 80-95; a share baseline,
the rest progressive). Classes take items in turn from the training split, so COUNT/10 land in each class.
Keep the output out of git (e.g. under /tmp).
"""
import argparse, gzip, os
import numpy as np
from PIL import Image

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("idx_dir"); p.add_argument("out"); p.add_argument("count", type=int)
    p.add_argument("--min", type=int, default=72); p.add_argument("--max", type=int, default=160)
    p.add_argument("--seed", type=int, default=0); p.add_argument("--progressive", type=float, default=0.2)
    a = p.parse_args()
    images = read_idx(os.path.join(a.idx_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(a.idx_dir, "train-labels-idx1-ubyte.gz"))
    rng = np.random.default_rng(a.seed)
    for c in CLASSES:
        os.makedirs(os.path.join(a.out, c), exist_ok=True)
    hues = rng.uniform(0, 1, size=(10, 3))
    for i in range(a.count):
        k = i % len(images)
        grey = images[k].astype(np.float32) / 255.0
        tint = np.clip(hues[labels[k]] + rng.normal(0, 0.15, 3), 0, 1)
        c0, c1 = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
        t = np.linspace(0, 1, 28)[None, :, None]
        background = c0 * (1 - t) + c1 * t + rng.normal(0, 0.04, (28, 28, 3))
        rgb = background * (1 - grey[..., None]) + tint * grey[..., None]
        im = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8), "RGB")
        w, h = int(rng.integers(a.min, a.max + 1)), int(rng.integers(a.min, a.max + 1))
        im = im.resize((w, h), Image.BILINEAR)
        path = os.path.join(a.out, CLASSES[labels[k]], f"{i:06d}.jpg")
        im.save(path, "JPEG", quality=int(rng.integers(80, 96)), progressive=bool(rng.uniform() < a.progressive))

if __name__ == "__main__":
    main()
