#!/usr/bin/env bash
# GPU check (issue 3): a short experiment on real GPUs. Fails unless every trial finished and
# reported GPU devices, with the replica count its --gpus-per-trial implies. Needs the project
# installed (pip install -e '.[gpu]'); about 2 minutes on one GPU.
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
