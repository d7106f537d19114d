"""TensorBoard logs read back with TensorBoard's own reader, not our writer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import (
    TENSORS,
    EventAccumulator,
)
from tensorboard.plugins.hparams import plugin_data_pb2

from orchestrator.config import ExperimentConfig
from orchestrator.report.tensorboard import write_hparams_config
from orchestrator.train.loop import run_trial
from tests.train.helpers import FakeReporter, spec

SESSION_TAG = "_hparams_/session_start_info"


def read(path):
    acc = EventAccumulator(str(path), size_guidance={TENSORS: 0})
    acc.Reload()
    return acc


def scalar_steps(acc, tag):
    return [e.step for e in acc.Tensors(tag)]


def sessions(acc):
    """One entry per HParams session written to this run (the session info lives in the metadata)."""
    if SESSION_TAG not in acc.Tags()["tensors"]:
        return []
    info = plugin_data_pb2.HParamsPluginData.FromString(acc.SummaryMetadata(SESSION_TAG).plugin_data.content)
    return [info for _ in acc.Tensors(SESSION_TAG)]


def test_a_trial_logs_every_epoch_and_one_hparams_session(data, tmp_path):
    trial_data, setup = data
    setup = dataclasses.replace(setup, board_root=str(tmp_path / "tb"))
    run_trial(spec(epochs=3, variant="l2", kind="l2", l2=0.01), setup, trial_data, FakeReporter(tmp_path / "ck"))
    run = tmp_path / "tb" / "l2_t0001"
    for sub in ("train", "validation"):
        acc = read(run / sub)
        assert scalar_steps(acc, "loss") == [1, 2, 3] and scalar_steps(acc, "accuracy") == [1, 2, 3]
    root = read(run)
    assert scalar_steps(root, "gap/accuracy") == [1, 2, 3]
    (session,) = sessions(root)
    values = session.session_start_info.hparams
    assert values["variant"].string_value == "l2" and values["l2"].number_value == 0.01


def test_hparams_config_lists_variants_and_domains(tmp_path):
    write_hparams_config(tmp_path, ExperimentConfig())
    acc = read(tmp_path)
    content = acc.SummaryMetadata("_hparams_/experiment").plugin_data.content
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    names = {h.name for h in experiment.hparam_infos}
    assert {"variant", "learning_rate", "l2", "dropout", "hidden"} <= names
    variant = next(h for h in experiment.hparam_infos if h.name == "variant")
    assert {v.string_value for v in variant.domain_discrete.values} == {
        "baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout"}
    tags = {(m.name.group, m.name.tag) for m in experiment.metric_infos}
    assert ("validation", "loss") in tags and ("", "test/accuracy") in tags and ("", "stopped_by_asha") in tags
    assert np.isfinite(next(h for h in experiment.hparam_infos if h.name == "l2").domain_interval.max_value)


class DiesBeforeItsCheckpoint(FakeReporter):
    """The trial's process dies during epoch `die_at`'s report, before that checkpoint exists."""

    def __init__(self, store, die_at: int):
        super().__init__(store)
        self.die_at = die_at

    def report(self, metrics, checkpoint_dir):
        if len(self.reports) + 1 == self.die_at:
            raise RuntimeError("killed")
        super().report(metrics, checkpoint_dir)


def test_a_retried_trial_keeps_one_hparams_session_and_one_point_per_epoch(data, tmp_path):
    trial_data, setup = data
    setup = dataclasses.replace(setup, board_root=str(tmp_path / "tb"))
    recipe = spec(epochs=4, variant="l2", kind="l2", l2=0.01)
    first = DiesBeforeItsCheckpoint(tmp_path / "a", die_at=3)
    with pytest.raises(RuntimeError, match="killed"):
        run_trial(recipe, setup, trial_data, first)
    run_trial(recipe, setup, trial_data, FakeReporter(tmp_path / "b", restore=first.reports[-1][1]))
    run = tmp_path / "tb" / "l2_t0001"
    assert len(sessions(read(run))) == 1
    for sub in ("train", "validation"):
        assert scalar_steps(read(run / sub), "loss") == [1, 2, 3, 4]
    assert scalar_steps(read(run), "gap/accuracy") == [1, 2, 3, 4]
