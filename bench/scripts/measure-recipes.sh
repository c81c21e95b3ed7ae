#!/usr/bin/env bash
# The README's recipe table: built-in recipes on the shipped glyph set and both Fashion-MNIST protocols, seeds 0-2,
# and the recipes PyTorch + PML can run (triplet semi-hard, triplet batch-hard, multi-similarity; MLP and CNN) on the
# same data with the same batches and step counts. One labelled JSON line per run in OUT_DIR/ours.jsonl and
# OUT_DIR/pml.jsonl (a label already there is not run again, so the script resumes); bench/scripts/recipe-table.py
# turns them into the table.
#   DEEPMETRIC=path/to/DeepMetric.Cli PML_SRC=~/pml bench/scripts/measure-recipes.sh OUT_DIR [ours|pml|both|glyph-seeds]
# Order: seed 0 everywhere, then seeds 1-2 on glyphs, then seeds 1-2 on Fashion-MNIST. 'both' runs the two sides as
# two concurrent streams (accuracy does not depend on timing). Fashion-MNIST is read where `deepmetric info` finds it
# (Debian's full set when installed).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: measure-recipes.sh OUT_DIR [ours|pml|both]}
side=${2:-both}
mkdir -p "$out"
D=${DEEPMETRIC:-src/DeepMetric.Cli/bin/Release/net10.0/DeepMetric.Cli}
P="/usr/bin/python3 bench/reference/bench_pml.py"
export PYTHONPATH=${PML_SRC:-$HOME/pml}/src
shared="triplet-semihard triplet-batchhard ms"
others="ntxent supcon contrastive circle"
has() { [ -f "$2" ] && grep -q "^$1 {" "$2"; }
ours() { local label=$1; shift; has "$label" "$out/ours.jsonl" && return
  local r; r=$($D train "$@" --json 2>/dev/null | tail -1); echo "$label $r" >> "$out/ours.jsonl"; }
pml() { local label=$1; shift; has "$label" "$out/pml.jsonl" && return
  local r; r=$($P "$@" --threads 1 2>&1 | grep '^SUMMARY' | sed 's/^SUMMARY //'); echo "$label $r" >> "$out/pml.jsonl"; }
pmlloss() { case $1 in ms) echo ms;; triplet-semihard) echo triplet_semihard;; triplet-batchhard) echo triplet_batchhard;; esac; }
ours_glyphs() { local s=$1
  for net in cnn mlp; do for r in $shared; do
    # 5 epochs of 32 classes x 4 images (the glyph set's m-per-class): 32 steps an epoch on the shipped set.
    ours "glyphs $net-$r s$s" --recipe $net-$r --epochs 5 --seed $s; done; done
  for r in $others; do ours "glyphs cnn-$r s$s" --recipe cnn-$r --epochs 5 --seed $s; done; }
ours_fmnist() { local s=$1
  for p in open-set closed-set; do   # 3 epochs x 100 steps of 4 classes x 32 images
    for net in cnn mlp; do for r in $shared; do
      ours "fmnist-$p $net-$r s$s" --data fashion-mnist --protocol $p --recipe $net-$r --seed $s; done; done
    for r in $others; do ours "fmnist-$p cnn-$r s$s" --data fashion-mnist --protocol $p --recipe cnn-$r --seed $s; done
  done; }
pml_glyphs() { local s=$1
  for net in cnn mlp; do for r in $shared; do
    pml "glyphs $net-$r s$s" --data glyphs --glyphs-dir data/glyphs --model $net --loss $(pmlloss $r) --epochs 5 --sampler m_per_class --m 4 --seed $s
  done; done; }
pml_fmnist() { local s=$1
  for p in open-set closed-set; do for net in cnn mlp; do for r in $shared; do
    pml "fmnist-$p $net-$r s$s" --data fashion-mnist --protocol $p --model $net --loss $(pmlloss $r) --epochs 3 --sampler m_per_class --m 32 --max-steps 100 --seed $s
  done; done; done; }
stream() { local who=$1
  ${who}_glyphs 0; ${who}_fmnist 0; ${who}_glyphs 1; ${who}_glyphs 2; ${who}_fmnist 1; ${who}_fmnist 2
  echo "$who done" >> "$out/done"; }
case $side in
  ours) stream ours ;;
  pml) stream pml ;;
  glyph-seeds) { ours_glyphs 1; ours_glyphs 2; } & { pml_glyphs 1; pml_glyphs 2; } & wait ;;   # a second pair of streams
  *) stream ours & stream pml & wait ;;
esac
