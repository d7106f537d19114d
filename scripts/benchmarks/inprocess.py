"""Trials one after another in one fresh process, without Ray: what a reused Tune worker does
between Tune's calls, timed and weighed from the inside. `memory`, `reuse` and `epoch` read it.

Each trial's clock starts when `run_trial` is called and stops at its reports (so its first
epoch, its trace and its Keras reset are in it; Tune's hand-over between trials is not: `bench
reuse` measures that through Tune). TensorFlow and Keras are imported before the first trial.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

from scripts.benchmarks.common import ROOT, quiet_env

# Six architectures for "whatever the architectures": the MLP's hidden layers.
HIDDEN_CYCLE = ([128, 64], [64, 32], [256, 128], [32], [128, 64, 32], [16])

CHILD = textwrap.dedent("""
    import contextlib, json, os, sys, tempfile, time
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import keras, numpy as np
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec
    from scripts.benchmarks.common import classification, rss_mb

    plan = json.loads(sys.argv[1])
    rows = plan["rows"]
    x, y = classification(2 * rows, seed=3)
    data = TrialData(x[:rows], y[:rows], x[rows:rows * 3 // 2], y[rows:rows * 3 // 2])

    class Reporter:  # each trial its own TensorBoard run, as in a Tune worker
        def __init__(self, number): self.times, self.number = [], number
        def restore_dir(self): return contextlib.nullcontext(None)
        def report(self, metrics, checkpoint_dir): self.times.append(time.perf_counter())
        def trial_id(self): return f"t{self.number:05d}"

    out = []
    with tempfile.TemporaryDirectory(prefix="gg-bench-inprocess-") as tmp:
        board = os.path.join(tmp, "tb") if plan["board"] else None
        setup = TrialSetup(n_classes=2, mean=x[:rows].mean(0), variance=x[:rows].var(0), board_root=board)
        for i, trial in enumerate(plan["trials"], 1):
            reporter, start = Reporter(i), time.perf_counter()
            run_trial(TrialSpec.from_config(dict(variant="v", patience=0, **trial)), setup, data, reporter)
            t = reporter.times
            out.append({"first_report_s": t[0] - start, "epoch_s": (t[-1] - t[0]) / max(1, len(t) - 1),
                        "total_s": time.perf_counter() - start, "rss_mb": rss_mb(), "hidden": trial["hidden"]})
            if i % 25 == 0 or i in (1, 5):
                print(f"  trial {i}: RSS {out[-1]['rss_mb']:.0f} MB, first report after {out[-1]['first_report_s']:.2f} s",
                      flush=True)
    print(json.dumps(out))
""")


def trial_plan(n: int, hidden: list[list[int]], *, epochs: int, batch: int = 32, seed: int = 0) -> list[dict]:
    """n trials of the `l2_dropout` variant, hidden sizes taken in turn from `hidden`, each with its
    own learning rate, L2 strength, dropout rate and seed: what a search varies within an architecture."""
    rng = np.random.default_rng(seed)
    return [dict(kind="l2_dropout", hidden=hidden[i % len(hidden)], learning_rate=float(10 ** rng.uniform(-3.3, -2.3)),
                 l2=float(10 ** rng.uniform(-4, -1.5)), dropout=float(rng.uniform(0.2, 0.6)), batch_size=batch,
                 epochs=epochs, seed=int(rng.integers(1, 2**31 - 1))) for i in range(n)]


def run_trials(trials: list[dict], *, rows: int = 300, board: bool = True) -> list[dict]:
    """Run `trials` in one fresh process; per trial: seconds to its first report, seconds per
    epoch after it, its whole time, and the process's RSS after it."""
    plan = json.dumps({"trials": trials, "rows": rows, "board": board})
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: TensorFlow's warnings could fill a pipe
        proc = subprocess.Popen([sys.executable, "-c", CHILD, plan], cwd=ROOT, env=quiet_env(), stdout=subprocess.PIPE,
                                stderr=errors, text=True)
        last = ""
        for line in proc.stdout:  # progress lines live, the figures' JSON last
            if line.startswith("  "):
                print(line, end="", flush=True)
            elif line.strip():
                last = line
        if proc.wait() != 0:
            errors.seek(0)
            raise RuntimeError(f"in-process trials failed: {errors.read()[-2000:]}")
    return json.loads(last)
