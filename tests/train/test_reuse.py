"""A worker process reused for many trials (Tune's `reuse_actors`) gives each trial the result a
fresh process gives: nothing of the earlier trials' Keras state (seeds, layer names, graphs,
dtype policy) carries over, and a trial of an architecture the worker has traced before runs on
that trace (`train.engines`) with its own weights, hyperparameters, dropout streams and optimizer
state, ending bit for bit where it ends in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, sys, tempfile
    from pathlib import Path
    import numpy as np
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec
    from tests.train.helpers import FakeReporter

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)).astype(np.float32)
    y = ((x[:, 0] + x[:, 1] + rng.normal(size=200)) > 0).astype(np.int32)
    data = TrialData(x[:150], y[:150], x[150:], y[150:])
    setup = TrialSetup(n_classes=2, mean=x[:150].mean(0), variance=x[:150].var(0), precision="mixed_float16")
    base = dict(variant="v", kind="baseline", learning_rate=0.01, hidden=[16], l2=0.0, dropout=0.0,
                patience=0, batch_size=16, epochs=3, seed=3)
    earlier = [dict(kind="dropout", dropout=0.5, hidden=[32, 16], seed=11), dict(kind="l2", l2=0.01, seed=12),
               dict(kind="early_stopping", patience=1, epochs=6, seed=13), dict(learning_rate=0.1, batch_size=8, seed=14),
               # the target's architecture with other hyperparameters: the target reuses its trace
               dict(kind="l2_dropout", hidden=[24, 12], l2=0.05, dropout=[0.1, 0.6], learning_rate=0.05, epochs=7, seed=15)]
    target = dict(kind="dropout_early_stopping", dropout=0.3, patience=2, hidden=[24, 12], epochs=5, seed=5)
    runs = (earlier if sys.argv[1] == "reused" else []) + [target]
    for changes in runs:
        reporter = FakeReporter(Path(tempfile.mkdtemp()))
        run_trial(TrialSpec.from_config({**base, **changes}), setup, data, reporter)
    last = reporter.reports[-1][0]
    model = __import__("keras").models.load_model(reporter.checkpoints()[-1][1] / "model.keras", safe_mode=True)
    weights = float(sum(np.abs(w).sum() for w in model.get_weights()))
    from orchestrator.train import engines
    traces = next(iter(reversed(engines._ENGINES.values()))).runner._train.experimental_get_tracing_count()
    print(json.dumps({"traces": traces, **{k: last[k] for k in ("loss", "val_loss", "accuracy", "val_accuracy", "epoch", "pid", "reused_trace")},
                      "weights": weights}))
""")


def _last_report(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_sixth_trial_in_a_worker_matches_the_same_trial_in_a_fresh_process():
    reused, fresh = _last_report("reused"), _last_report("fresh")
    assert reused.pop("pid") != fresh.pop("pid")
    assert (reused.pop("reused_trace"), fresh.pop("reused_trace")) == (True, False)  # the warm one did not trace
    assert reused == fresh  # bit for bit: same seeds, same batches, same masks, same checkpointed weights
