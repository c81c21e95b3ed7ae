#!/usr/bin/env bash
# Measures recipes on the glyph sets and both Fashion-MNIST protocols (3 seeds), and the same recipes in
# PyTorch + PML (bench_pml.py --data glyphs), printing one labelled JSON line per run.
#   PML_SRC=~/pml bench/reference/measure-glyphs.sh OUT_DIR
# Needs a built CLI (dotnet build src/DeepMetric.Cli -c Release) and, for the full set, FreeType and Debian's fonts.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: measure-glyphs.sh OUT_DIR}
mkdir -p "$out"
D=src/DeepMetric.Cli/bin/Release/net10.0/DeepMetric.Cli
P="/usr/bin/python3 bench/reference/bench_pml.py"
export PYTHONPATH=${PML_SRC:-$HOME/pml}/src
[ -f "$out/full/glyphs.json" ] || $D data glyphs --output "$out/full"
ours() { local label=$1; shift; echo "$label $($D train "$@" --json)" >> "$out/ours.jsonl"; }
pml() { local label=$1; shift; echo "$label $($P "$@" 2>&1 | grep '^SUMMARY')" >> "$out/pml.jsonl"; }
for s in 0 1 2; do
  ours "full cnn-ms s$s" --data-dir "$out/full" --seed $s                      # the glyph defaults: cnn, ms, 32x4, 5 epochs
  ours "shipped cnn-ms s$s" --seed $s
  ours "shipped cnn-triplet-semihard s$s" --loss triplet --miner semihard --seed $s
  ours "shipped mlp-ms s$s" --model mlp --seed $s
  for r in triplet-semihard triplet-batchhard contrastive npair lifted center-ce fstat spce pce proxy-anchor arcface circle supcon ntxent normalized-softmax pixel-ms; do
    ours "shipped mlp-$r s$s" --recipe $r --epochs 5 --seed $s
  done
  for p in open-set closed-set; do
    ours "fmnist-$p mlp-triplet-semihard s$s" --data fashion-mnist --protocol $p --seed $s
    ours "fmnist-$p mlp-ms s$s" --data fashion-mnist --protocol $p --recipe ms --seed $s
    ours "fmnist-$p cnn-ms s$s" --data fashion-mnist --protocol $p --recipe cnn-ms --seed $s
  done
  # Same recipe in PML: 5 epochs of MPerClassSampler(m=4) batches of 128, pixels in [0, 1]; our iterations per epoch
  # are capped at 100, hence --max-steps 100 on the full set.
  pml "full cnn-ms s$s" --data glyphs --glyphs-dir "$out/full" --model cnn --loss ms --epochs 5 --sampler m_per_class --m 4 --max-steps 100 --seed $s
  pml "shipped cnn-ms s$s" --data glyphs --glyphs-dir data/glyphs --model cnn --loss ms --epochs 5 --sampler m_per_class --m 4 --seed $s
  pml "shipped mlp-ms s$s" --data glyphs --glyphs-dir data/glyphs --model mlp --loss ms --epochs 5 --sampler m_per_class --m 4 --seed $s
done
