#!/usr/bin/env bash
# The acceptance runs of "the answer must be right" (issue 12), one after another, from the repo root:
#   bash scripts/acceptance/run.sh
# Each prints its table and diagnosis; against_logistic.py puts the winner's minority-class F1 beside
# scikit-learn's LogisticRegression(class_weight="balanced") on the very same split.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p runs/acceptance && (cd runs/acceptance && python "$here/tables.py")
for c in imb_syn noisy curve_small curve_noisy; do
  gg-train launch --config "$here/$c.yaml" --gpus 0 --name "$c" --overwrite
done
t=runs/acceptance
gg-train launch --data $t/digits8.csv --label is_eight --gpus 0 --samples 1 --epochs 30 --runs-dir $t --name digits8 --overwrite
gg-train launch --data $t/cancer.csv --label diagnosis --gpus 0 --samples 1 --epochs 20 --runs-dir $t --name cancer --overwrite
gg-train launch --data $t/cancer_planted.csv --label diagnosis --gpus 0 --samples 1 --epochs 20 --runs-dir $t --name planted --overwrite
for n in imb_syn digits8; do python "$here/against_logistic.py" "$t/$n"; done
