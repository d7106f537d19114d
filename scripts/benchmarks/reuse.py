"""A trial's first epoch once its worker has trained a trial already, two views.

Through Tune (`reuse_actors`): the time from the trial's start to its first report (its
`time_total_s`: Tune's clock runs from the trial's first step, so the actor's reset between trials
is not in it), against the same for the first trial in a fresh worker, which pays the TensorFlow
import and Ray's actor start. Two CPUs per trial on two cores, so one trial runs at a time and
every trial after the first reuses the one worker; the trials are taken in Tune's creation order.
One launch keeps the architecture fixed (Dense 128-64; learning rate, L2 and dropout drawn per
trial), one draws the hidden layers from six sizes; each reused trial counts as "same" or
"different" by the previous trial in its process.

In one process without Ray (`inprocess`): `run_trial` one trial after another, timed from the call
to the first report: 7 trials of one architecture, then 12 each of a different one than the last.

GG_BENCH_REUSE_TRIALS (default 8) sets the trials per launch.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from scripts.benchmarks.common import classification, figure, load_note, trial_results, write_csv
from scripts.benchmarks.inprocess import HIDDEN_CYCLE, run_trials, trial_plan
from scripts.benchmarks.launching import launch, one_variant_config

TRIALS = int(os.environ.get("GG_BENCH_REUSE_TRIALS", "8"))


def _config(csv: Path, fixed_hidden: bool) -> dict:
    config = one_variant_config(csv, kind="l2_dropout", epochs=3, resources={"cpus_per_trial": 2})
    config["search"] = {"enabled": True, "samples": TRIALS}
    if not fixed_hidden:
        del config["variants"][0]["params"]["hidden"]
        config["search"]["hidden_ladder"] = [list(h) for h in HIDDEN_CYCLE]
    return config


def _tune_view(csv: Path, runs: Path, fixed_hidden: bool) -> dict[str, list[float]]:
    """First-report seconds of each trial, as 'fresh', 'same' or 'different' (architecture of the
    previous trial in the same worker process)."""
    name = "reuse_same" if fixed_hidden else "reuse_mixed"
    _, exp_dir, _ = launch(_config(csv, fixed_hidden), runs, name)
    trials = sorted(trial_results(exp_dir / "tune"), key=lambda r: r[0]["trial_id"].rsplit("_", 1)[-1])
    last_hidden: dict[int, list[int]] = {}
    out: dict[str, list[float]] = {"fresh": [], "same": [], "different": []}
    for reports in trials:
        first = reports[0]
        hidden, pid = first["config"]["hidden"], first["pid"]
        kind = "fresh" if pid not in last_hidden else "same" if last_hidden[pid] == hidden else "different"
        out[kind].append(first["time_total_s"])
        last_hidden[pid] = hidden
    print(f"  {name}: {len(trials)} trials in {len(last_hidden)} worker process(es); first report after (s): "
          + ", ".join(f"{r[0]['time_total_s']:.2f}{'' if fixed_hidden else ' ' + str(r[0]['config']['hidden'])}" for r in trials),
          flush=True)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _in_process() -> list[dict]:
    same = trial_plan(7, [list(HIDDEN_CYCLE[0])], epochs=3, seed=1)
    different = trial_plan(12, [list(h) for h in HIDDEN_CYCLE[1:] + HIDDEN_CYCLE[:1]], epochs=3, seed=2)
    first = [t["first_report_s"] for t in run_trials(same + different)]
    print("  in one process, first report after (s): " + ", ".join(f"{s:.2f}" for s in first), flush=True)
    cold = "the process's first trial (s)"
    return [figure("in one process: first epoch, same architecture as the last trial (median s)", _median(first[1:7]),
                   cold, first[0], "for reference", note=load_note()),
            figure("in one process: first epoch, another architecture than the last trial (median s)", _median(first[7:]),
                   cold, first[0], "for reference", note=load_note())]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-reuse-") as tmp:
        x, y = classification(600, seed=2)
        csv = write_csv(Path(tmp) / "rows.csv", x, y)
        seen: dict[str, list[float]] = {"fresh": [], "same": [], "different": []}
        for fixed_hidden in (True, False):
            for kind, values in _tune_view(csv, Path(tmp) / "runs", fixed_hidden).items():
                seen[kind] += values
    fresh = _median(seen["fresh"])
    out = [figure(f"first epoch of a trial in a reused worker, same architecture (median of {len(seen['same'])} s)",
                  _median(seen["same"]), "first epoch in a fresh worker (s)", fresh, key="reuse", note=load_note()),
           figure(f"the same, another architecture than the worker's last trial (median of {len(seen['different'])} s)",
                  _median(seen["different"]), "first epoch in a fresh worker (s)", fresh, "for reference", note=load_note())]
    return out + _in_process()
