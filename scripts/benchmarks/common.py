"""What every benchmark shares: data, memory readings, Ray, and one way to print a figure."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def classification(n: int, features: int = 10, informative: int = 4, noise: float = 0.2, seed: int = 0):
    """scikit-learn's make_classification rows as float32, labels as int32."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n, n_features=features, n_informative=informative, n_redundant=0,
                               flip_y=noise, random_state=seed)
    return x.astype(np.float32), y.astype(np.int32)


def write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    import pandas as pd

    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    frame["label"] = y
    frame.to_csv(path, index=False)
    return path


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Resident memory of a process from /proc (VmHWM: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


@contextmanager
def timed():
    """`with timed() as t: ...` then `t()` is the seconds the block took."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def figure(name: str, value: float, reference_name: str, reference: float, goal: str = "", unit: str = "", *,
           key: str | None = None, note: str = "") -> dict:
    """Print one figure beside its reference and the ratio; return it as a dict for --json.

    `key` names the figure's row in issue 27's table (`goals.GOALS`, which owns the bound); a
    figure without one prints `goal` as given (a side figure, or "for reference")."""
    from scripts.benchmarks.goals import GOALS

    ratio = value / reference if reference else float("nan")
    row = {"figure": name, "value": value, "reference": reference_name, "reference_value": reference, "ratio": ratio,
           "goal": GOALS[key].text() if key else goal, "key": key, "note": note}
    verdict = f"goal {row['goal']} on the {GOALS[key].on}: {'met' if GOALS[key].met(row) else 'NOT met'}" if key else f"goal {goal}"
    print(f"{name}: {value:.4g}{unit}  |  {reference_name}: {reference:.4g}{unit}  |  ratio {ratio:.3g}  ({verdict})"
          + (f"  [{note}]" if note else ""), flush=True)
    return row


def repeats() -> int:
    """How many times a benchmark repeats its measurement and its reference, interleaved, to take
    the median (GG_BENCH_REPEAT, default 1): the machine may be shared, so one run can mislead."""
    return max(1, int(os.environ.get("GG_BENCH_REPEAT", "1")))


def load_note() -> str:
    """The 1-minute load average, printed beside a figure: > ~0.5 on 2 cores means others ran too."""
    return f"load {os.getloadavg()[0]:.2f}"


def trial_results(tune_dir: Path) -> list[list[dict]]:
    """Every trial's reports (result.json lines) under a Tune experiment folder."""
    out = []
    for path in sorted(Path(tune_dir).glob("*/result.json")):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if lines:
            out.append(lines)
    return out


def quiet_env() -> dict:
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
