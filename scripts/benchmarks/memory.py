"""Worker memory across trials: 50 trials one after another in one process (as a reused Tune
worker runs them, TensorBoard logs and checkpoints included); resident memory after 50 against
after 5."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from scripts.benchmarks.common import classification, figure, rss_mb

TRIALS = 50


class _Reporter:
    """Writes nothing beyond what the trial itself writes (its checkpoints go to a temporary folder)."""

    def restore_dir(self):
        return contextlib.nullcontext(None)

    def report(self, metrics, checkpoint_dir):
        pass

    def trial_id(self):
        return "bench"


def run() -> list[dict]:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec

    x, y = classification(600, seed=3)
    data = TrialData(x[:300], y[:300], x[300:450], y[300:450])
    rss = {}
    with tempfile.TemporaryDirectory(prefix="gg-bench-memory-") as tmp:
        setup = TrialSetup(n_classes=2, mean=x[:300].mean(0), variance=x[:300].var(0), board_root=str(Path(tmp) / "tb"))
        for i in range(1, TRIALS + 1):
            spec = TrialSpec.from_config(dict(variant="v", kind="dropout", learning_rate=0.001, hidden=[128, 64], l2=0.001,
                                              dropout=0.3, patience=0, batch_size=32, epochs=10, seed=i))
            run_trial(spec, setup, data, _Reporter())
            rss[i] = rss_mb()
            if i in (1, 5, 10, 25, 50):
                print(f"  after trial {i}: {rss[i]:.0f} MB", flush=True)
    return [figure(f"worker RSS after {TRIALS} trials (MB)", rss[TRIALS], "after 5 trials (MB)", rss[5], "≤ 1.10")]
