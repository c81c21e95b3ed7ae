#!/usr/bin/env bash
# Regenerates the Fashion-MNIST subset shipped in this folder from a full copy of the data set
# (Debian package dataset-fashion-mnist by default). See README.md.
#
#   data/fashion-mnist-subset/make-subset.sh [SOURCE_DIR]
#
# Takes, in file order, the first 600 training images of each class and the first 200 test images of
# each class, and writes them (in their original relative order) as gzipped IDX files. The gzip header
# carries no name and no time stamp, so the output depends only on the input and zlib.
set -euo pipefail
src=${1:-/usr/share/datasets/fashion-mnist}
out=$(cd "$(dirname "$0")" && pwd)
# /usr/bin/python3: the system interpreter, so no pyenv or virtualenv is needed; only the standard library is used.
exec /usr/bin/python3 - "$src" "$out" <<'PY'
import gzip, os, struct, sys

src, out = sys.argv[1], sys.argv[2]

def read_idx(stem, magic):
    for name in (stem + ".gz", stem):
        path = os.path.join(src, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            got = struct.unpack(">I", data[:4])[0]
            if got != magic:
                sys.exit(f"{path}: magic 0x{got:08x}, expected 0x{magic:08x}")
            ndim = magic & 0xFF
            dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            body = data[4 + 4 * ndim:]
            item = 1
            for d in dims[1:]:
                item *= d
            if len(body) != dims[0] * item:
                sys.exit(f"{path}: {len(body)} data bytes, header says {dims[0] * item}")
            return dims, body, item
    sys.exit(f"{stem}(.gz) not found in {src}")

def write_idx(name, magic, dims, body):
    header = struct.pack(">I" + "I" * len(dims), magic, *dims)
    with open(os.path.join(out, name), "wb") as f:
        # filename="" and mtime=0: reproducible bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as g:
            g.write(header + body)

def subset(split, per_class):
    idims, images, item = read_idx(f"{split}-images-idx3-ubyte", 0x803)
    ldims, labels, _ = read_idx(f"{split}-labels-idx1-ubyte", 0x801)
    if idims[0] != ldims[0]:
        sys.exit(f"{split}: {idims[0]} images but {ldims[0]} labels")
    taken = [0] * 10
    keep = []
    for i, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
    if any(t != per_class for t in taken):
        sys.exit(f"{split}: not enough images per class: {taken}")
    write_idx(f"{split}-images-idx3-ubyte.gz", 0x803, (len(keep),) + tuple(idims[1:]),
              b"".join(images[i * item:(i + 1) * item] for i in keep))
    write_idx(f"{split}-labels-idx1-ubyte.gz", 0x801, (len(keep),), bytes(labels[i] for i in keep))
    print(f"{split}: kept {len(keep)} of {idims[0]} ({per_class} per class)")

subset("train", 600)
subset("t10k", 200)
PY
