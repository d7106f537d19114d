#!/usr/bin/env bash
# GPU check (issues 3, 13): short experiments on real GPUs. Fails unless every trial finished and
# reported GPU devices, with the replica count its --gpus-per-trial implies. Needs the project
# installed (pip install -e '.[gpu]'); about 3 minutes on one GPU. The last run packs four trials
# on one GPU (--gpus-per-trial 0.25) and checks each stayed within its share of the memory.
set -euo pipefail
cd "$(dirname "$0")/.."
n=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [ "${n:-0}" -lt 1 ]; then echo "gpu_smoke: no GPU found by nvidia-smi -L" >&2; exit 2; fi
echo "gpu_smoke: $n GPU(s)"; nvidia-smi -L
runs=$(mktemp -d)
common=(--config configs/quickstart.yaml --runs-dir "$runs" --epochs 4 --samples 1 --set scheduler.type=none)

check() {  # report.json, expected replicas, expected precision
  python - "$@" <<'PY'
import json, sys
report, replicas, precision = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
trials = report["trials"]
assert trials["errored"] == 0 and trials["finished"] == trials["total"], f"trials did not all finish: {trials}"
for v in report["variants"]:
    assert v["replicas"] == replicas, f"{v['variant']}: {v['replicas']} replicas, expected {replicas}"
    assert v["devices"] and all("GPU" in d for d in v["devices"]), f"{v['variant']} ran on {v['devices']}"
    assert v["precision"] == precision, f"{v['variant']}: precision {v['precision']}, expected {precision}"
    print(f"  {v['variant']:24s} {v['strategy']:18s} replicas={v['replicas']} devices={v['devices']} "
          f"precision={v['precision']} test_acc={v['test']['accuracy']:.3f}")
print(f"gpu_smoke: ok ({trials['total']} trials)")
PY
}

time gg-train launch "${common[@]}" --gpus 1 --name gpu1 --set training.precision=mixed_float16
check "$runs/gpu1/report.json" 1 mixed_float16
if [ "$n" -ge 2 ]; then
  time gg-train launch "${common[@]}" --gpus 2 --gpus-per-trial 2 --name gpu2
  check "$runs/gpu2/report.json" 2 float32
fi

# Packing: four trials on one GPU at a quarter each, capped to a quarter of its memory.
total=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0 | head -1)
out=$(gg-train launch "${common[@]}" --gpus 1 --gpus-per-trial 0.25 --name packed \
      --set "variants=[{kind: baseline}, {kind: l2}, {kind: dropout}, {kind: early_stopping}]")
echo "$out" | head -1
echo "$out" | head -1 | grep -q "4 at a time" || { echo "gpu_smoke: packing did not plan 4 trials at once" >&2; exit 1; }
check "$runs/packed/report.json" 1 float32
python - "$runs/packed/report.json" "$total" <<'PY'
import json, sys
report, total = json.load(open(sys.argv[1])), float(sys.argv[2])
share = 0.25 * total - 600
for v in report["variants"]:
    peak = v["gpu_peak_mb"]
    assert peak is not None and peak <= share, f"{v['variant']}: peak {peak} MiB over its share {share:.0f} MiB"
    print(f"  {v['variant']:24s} devices={v['devices']} peak={peak:.0f} MiB of its {share:.0f} MiB share")
print("gpu_smoke: packing ok")
PY
