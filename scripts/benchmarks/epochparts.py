"""Where a trial's epoch goes beyond the bare loop, inside one Tune worker (same process, same
threads, rounds interleaved so the machine's load hits every mode alike): the bare compiled loop,
the bare loop with a `tune.report` per epoch (Tune's round trip alone), the trial reporting every
epoch (as before issue 27's report cadence) and the trial as it runs (`cadence.ReportCadence`: one
report for the epochs of REPORT_SECONDS). Each figure is a round's wall time per epoch (the first,
traced epoch left out; checkpoints included, as a launch pays them), the median over the rounds
(GG_BENCH_REPEAT, 4); the note gives the median of the single epochs' times (a report that stands
for n epochs counts n epochs of 1/n its gap), which leaves the checkpointed epochs out."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from scripts.benchmarks.common import ROOT, classification, figure, load_note
from scripts.benchmarks.epoch import bare_epoch

EPOCHS, ROUNDS = 60, int(os.environ.get("GG_BENCH_REPEAT", "4"))
MODES = ("bare", "bare_report", "trial_every", "trial")


def _trainable(config: dict) -> None:
    """Every mode, ROUNDS times, in this one Tune worker; per-epoch gaps written to config['out']."""
    from ray import tune

    from orchestrator.train import distribute, loop, tune_adapter
    from orchestrator.train.cadence import EPOCH_ROWS, REPORT_SECONDS
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec

    distribute.configure_process(1, 0, 1)
    rows, batch = config["rows"], config["batch"]
    x, y = classification(2 * rows, seed=1)
    data = TrialData(x[:rows], y[:rows], x[rows:rows * 3 // 2], y[rows:rows * 3 // 2])
    bare = bare_epoch(data.x_train, data.y_train, data.x_val, data.y_val, batch)

    class Timed(tune_adapter.TuneReporter):
        """Each report's time; never restores (every run of the trial starts fresh in this one Tune trial)."""

        def restore_dir(self):
            return contextlib.nullcontext(None)

        def report(self, metrics, checkpoint_dir):
            super().report(metrics, checkpoint_dir)
            stamps.append((time.perf_counter(), len(metrics[EPOCH_ROWS])))

    gaps, tmp = {m: [] for m in MODES}, tempfile.mkdtemp(prefix="gg-bench-parts-")
    for rnd in range(ROUNDS):
        for mode in MODES:
            stamps: list[tuple[float, int]] = []  # (when a report went, how many epochs it stood for)
            if mode.startswith("bare"):
                for e in range(EPOCHS):
                    loss = bare(rnd, e)
                    if mode == "bare_report":
                        tune.report({"epoch": e, "val_loss": loss})
                    stamps.append((time.perf_counter(), 1))
            else:
                setup = TrialSetup(n_classes=2, mean=data.x_train.mean(0), variance=data.x_train.var(0),
                                   board_root=str(Path(tmp) / f"{mode}{rnd}"),
                                   report_seconds=REPORT_SECONDS if mode == "trial" else 0.0)
                spec = TrialSpec.from_config(dict(variant="v", kind="baseline", learning_rate=0.001, hidden=[128, 64], l2=0.0,
                                                  dropout=0.0, patience=0, batch_size=batch, epochs=EPOCHS, seed=1))
                reporter = Timed()
                loop.run_trial(spec, setup, data, reporter)
            gaps[mode].append([gap for (a, _), (b, epochs) in zip(stamps, stamps[1:])  # the first, traced epoch left out
                               for gap in [(b - a) / epochs] * epochs])
    Path(config["out"]).write_text(json.dumps(gaps), encoding="utf-8")


def _measure(train_rows: int, batch: int) -> dict[str, tuple[float, float]]:
    """Per mode: (the median over rounds of a round's seconds per epoch, the median single epoch)."""
    from ray import tune

    with tempfile.TemporaryDirectory(prefix="gg-bench-parts-") as tmp:
        out = Path(tmp) / "gaps.json"
        tuner = tune.Tuner(tune.with_resources(_trainable, {"cpu": 1}),
                           param_space={"rows": train_rows, "batch": batch, "out": str(out)},
                           run_config=tune.RunConfig(storage_path=tmp, name="parts", verbose=0))
        tuner.fit()
        return {mode: (statistics.median(statistics.mean(r) for r in rounds), statistics.median(g for r in rounds for g in r))
                for mode, rounds in json.loads(out.read_text()).items()}


def run() -> list[dict]:
    import ray

    from orchestrator.tuning import cluster

    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # workers import scripts.*
    cluster.connect(None)
    out = []
    try:
        for train_rows, batch in ((300, 32), (3600, 64)):
            ms = _measure(train_rows, batch)
            label = f"{train_rows} rows, batch {batch}"
            for mode, name, goal in (("bare_report", "bare loop + tune.report", "for reference"),
                                     ("trial_every", "trial reporting every epoch", "for reference"), ("trial", "trial", "≤ 2.0")):
                medians = f"median epoch {ms[mode][1] * 1e3:.2f} ms, bare {ms['bare'][1] * 1e3:.2f} ms; {load_note()}"
                out.append(figure(f"{name} s/epoch ({label})", ms[mode][0], "bare loop", ms["bare"][0], goal, note=medians))
    finally:
        ray.shutdown()
    return out
