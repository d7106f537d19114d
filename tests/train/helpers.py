"""A fake Tune reporter, a tiny data set and a trial spec factory, shared by trial and board tests."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec


class FakeReporter:
    """Records every report and keeps a copy of every checkpoint, like Tune's storage would."""

    def __init__(self, store: Path, restore: Path | None = None):
        self.store, self.restore, self.reports = store, restore, []

    @contextlib.contextmanager
    def restore_dir(self):
        yield self.restore

    def trial_id(self):
        return "t0001"

    def report(self, metrics, checkpoint_dir):
        kept = None
        if checkpoint_dir is not None:
            kept = self.store / f"checkpoint_{len(self.reports):03d}"
            shutil.copytree(checkpoint_dir, kept)
        self.reports.append((dict(metrics), kept))

    def checkpoints(self):
        """The reports that carried a checkpoint."""
        return [(m, path) for m, path in self.reports if path is not None]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 6)).astype(np.float32) * 5 + 3
    y = ((x[:, 0] + x[:, 1] + rng.normal(scale=3, size=160)) > 6).astype(np.int32)
    # A checkpoint with every report, so tests can open any epoch's model (the cadence has its own tests).
    setup = TrialSetup(n_classes=2, mean=x[:120].mean(0), variance=x[:120].var(0), checkpoint_every=1)
    return TrialData(x[:120], y[:120], x[120:], y[120:]), setup


def spec(**changes) -> TrialSpec:
    base = dict(variant="v", kind="baseline", learning_rate=0.01, hidden=[32, 16], l2=0.0, dropout=0.0,
                patience=0, batch_size=16, epochs=4, seed=3)
    return TrialSpec.from_config({**base, **changes})
