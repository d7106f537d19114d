"""The trial loop with TensorFlow but without Ray: a fake reporter stands in for Tune."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.models.outputs import predict_proba
from orchestrator.train import checkpoint
from orchestrator.train.loop import run_trial
from orchestrator.train.spec import TrialData, TrialSetup
from tests.train.helpers import FakeReporter, spec


def test_reports_every_epoch_and_the_last_checkpoint_is_the_trained_model(data, tmp_path):
    trial_data, setup = data
    reporter = FakeReporter(tmp_path)
    run_trial(spec(epochs=4), setup, trial_data, reporter)
    assert [m["epoch"] for m, _ in reporter.reports] == [1, 2, 3, 4]
    last, last_dir = reporter.reports[-1]
    assert last["final"] and not reporter.reports[0][0]["final"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "replicas", "strategy", "train_hash", "val_hash"):
        assert key in last
    assert last["n_train"] == 120 and last["n_val"] == 40
    # The checkpoint reloads (safe mode) to a model whose validation loss is the reported one.
    model = checkpoint.load_model(last_dir)
    proba = predict_proba(model, trial_data.x_val)[:, 1]
    y = trial_data.y_val
    xent = -np.mean(y * np.log(np.clip(proba, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - proba, 1e-7, 1)))
    assert xent == pytest.approx(last["val_loss"], rel=1e-3)


def test_early_stopping_reports_the_restored_best_epoch(data, tmp_path):
    trial_data, setup = data
    reporter = FakeReporter(tmp_path)
    # A high learning rate on a tiny noisy set: validation loss turns up quickly.
    run_trial(spec(kind="early_stopping", patience=2, epochs=40, learning_rate=0.05), setup, trial_data, reporter)
    history = [m for m, _ in reporter.reports]
    last, last_dir = reporter.reports[-1]
    assert last["early_stopped"] and last["restored_best"]
    assert last["epoch"] < 40
    best = min(history[:-1], key=lambda m: m["val_loss"])
    assert last["best_epoch"] == best["epoch"]
    assert last["val_loss"] == pytest.approx(best["val_loss"])
    # ...and the checkpoint holds those best weights, not the last epoch's.
    best_dir = reporter.reports[best["epoch"] - 1][1]
    x = trial_data.x_val
    np.testing.assert_allclose(predict_proba(checkpoint.load_model(last_dir), x),
                               predict_proba(checkpoint.load_model(best_dir), x), atol=1e-6)


def test_resume_continues_at_the_next_epoch(data, tmp_path):
    trial_data, setup = data
    recipe = spec(kind="early_stopping", patience=50, epochs=4)  # early stopping's best weights travel too
    first = DyingReporter(tmp_path / "a", die_after=2)  # the process dies after epoch 2's checkpoint
    with pytest.raises(Killed):
        run_trial(recipe, setup, trial_data, first)
    resumed = FakeReporter(tmp_path / "b", restore=first.reports[-1][1])
    run_trial(recipe, setup, trial_data, resumed)
    assert [m["epoch"] for m, _ in resumed.reports] == [3, 4]
    state = checkpoint.load_state(resumed.reports[-1][1])
    assert state.epoch == 4 and len(state.history) == 4
    whole = FakeReporter(tmp_path / "c")
    run_trial(recipe, setup, trial_data, whole)
    mine, theirs = (checkpoint.load_best_weights(r.reports[-1][1]) for r in (resumed, whole))
    assert mine is not None and theirs is not None and len(mine) == len(theirs) > 0
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_finished_checkpoint_trains_no_further(data, tmp_path):
    trial_data, setup = data
    first = FakeReporter(tmp_path / "a")
    run_trial(spec(epochs=2), setup, trial_data, first)
    again = FakeReporter(tmp_path / "b", restore=first.reports[-1][1])
    run_trial(spec(epochs=2), setup, trial_data, again)
    assert again.reports == []


def test_balanced_class_weight_weighs_the_minority_up():
    from orchestrator.train.fitting import class_weights

    y = np.array([0] * 95 + [1] * 5)
    weights = class_weights(y, 2, "balanced")
    assert weights[1] == pytest.approx(100 / (2 * 5)) and weights[0] == pytest.approx(100 / (2 * 95))
    assert class_weights(y, 2, "none") is None


def test_balanced_class_weight_raises_minority_recall(tmp_path):
    # 10% positives that a plain fit mostly ignores; weighting them must catch more of them.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    y = ((x[:, 0] + rng.normal(scale=1.0, size=400)) > 2.0).astype(np.int32)
    data_ = TrialData(x[:300], y[:300], x[300:], y[300:])
    setup = TrialSetup(n_classes=2, mean=x[:300].mean(0), variance=x[:300].var(0))
    recalls = {}
    for mode in ("none", "balanced"):
        reporter = FakeReporter(tmp_path / mode)
        run_trial(spec(epochs=5, class_weight=mode), setup, data_, reporter)
        model = checkpoint.load_model(reporter.reports[-1][1])
        pred = predict_proba(model, x[:300]).argmax(1)
        recalls[mode] = (pred[y[:300] == 1] == 1).mean()
    assert recalls["balanced"] > recalls["none"]


class Killed(Exception):
    """Stands in for the trial's process dying right after a checkpoint was written."""


class DyingReporter(FakeReporter):
    def __init__(self, store, die_after: int):
        super().__init__(store)
        self.die_after = die_after

    def report(self, metrics, checkpoint_dir):
        super().report(metrics, checkpoint_dir)
        if len(self.reports) == self.die_after:
            raise Killed


@pytest.mark.parametrize("dies", ["after its best epoch", "before its best epoch"])
def test_a_restarted_early_stopping_trial_stops_where_an_uninterrupted_one_does(data, tmp_path, dies):
    """Killed while early stopping waits (its best weights come from the checkpoint), or before its
    best epoch (the retried process must find that epoch and put its weights back itself)."""
    trial_data, setup = data
    recipe = spec(kind="early_stopping", patience=3, epochs=60, learning_rate=0.002)
    whole = FakeReporter(tmp_path / "whole")
    run_trial(recipe, setup, trial_data, whole)
    stop_epoch, best_epoch = whole.reports[-1][0]["epoch"], whole.reports[-1][0]["best_epoch"]
    assert whole.reports[-1][0]["early_stopped"] and best_epoch > 4
    died_at = stop_epoch - 2 if dies == "after its best epoch" else 2
    assert (died_at > best_epoch) == (dies == "after its best epoch")
    dying = DyingReporter(tmp_path / "dying", die_after=died_at)
    with pytest.raises(Killed):
        run_trial(recipe, setup, trial_data, dying)
    retried = FakeReporter(tmp_path / "retried", restore=dying.reports[-1][1])
    run_trial(recipe, setup, trial_data, retried)
    last, whole_last = retried.reports[-1][0], whole.reports[-1][0]
    assert retried.reports[0][0]["epoch"] == died_at + 1  # the retry began after the checkpoint it died with
    assert last["epoch"] == stop_epoch and last["best_epoch"] == best_epoch and last["restored_best"]
    assert last["val_loss"] == pytest.approx(whole_last["val_loss"], rel=1e-5)
    ended, uninterrupted = (checkpoint.load_model(r.reports[-1][1]).get_weights() for r in (retried, whole))
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(ended, uninterrupted))


def test_a_restarted_dropout_trial_ends_where_an_uninterrupted_one_does(data, tmp_path):
    """Dropout draws random masks; their stream position travels in the checkpoint too."""
    trial_data, setup = data
    recipe = spec(kind="dropout", dropout=0.5, epochs=5, learning_rate=0.01)
    whole = FakeReporter(tmp_path / "whole")
    run_trial(recipe, setup, trial_data, whole)
    dying = DyingReporter(tmp_path / "dying", die_after=2)
    with pytest.raises(Killed):
        run_trial(recipe, setup, trial_data, dying)
    retried = FakeReporter(tmp_path / "retried", restore=dying.reports[-1][1])
    run_trial(recipe, setup, trial_data, retried)
    assert retried.reports[-1][0]["val_loss"] == pytest.approx(whole.reports[-1][0]["val_loss"], rel=1e-5)
    assert retried.reports[-1][0]["loss"] == pytest.approx(whole.reports[-1][0]["loss"], rel=1e-5)


def test_the_class_balanced_validation_loss_counts_each_class_equally(tmp_path):
    """`val_balanced_loss` is the mean over classes of each class's mean cross-entropy on validation."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = (x[:, 0] > 1.2).astype(np.int32)  # about 12% positives
    setup = TrialSetup(n_classes=2, mean=x[:200].mean(0), variance=x[:200].var(0))
    reporter = FakeReporter(tmp_path)
    run_trial(spec(epochs=2), setup, TrialData(x[:200], y[:200], x[200:], y[200:]), reporter)
    metrics, last = reporter.reports[-1]
    p = predict_proba(checkpoint.load_model(last, compile=False), x[200:])[np.arange(100), y[200:]]
    per_class = [-np.log(p[y[200:] == k]).mean() for k in (0, 1)]
    assert metrics["val_balanced_loss"] == pytest.approx(np.mean(per_class), rel=1e-4)
    assert metrics["val_loss"] == pytest.approx(-np.log(p).mean(), rel=1e-4)
    assert abs(metrics["val_balanced_loss"] - metrics["val_loss"]) > 0.01  # the two really differ here


def test_early_stopping_watches_the_metric_the_trial_is_judged_by(tmp_path):
    """Judged on the class-balanced loss, early stopping keeps the epoch that is best by that loss."""
    import dataclasses

    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = ((x[:, 0] + rng.normal(scale=0.8, size=300)) > 1.0).astype(np.int32)
    setup = dataclasses.replace(TrialSetup(n_classes=2, mean=x[:200].mean(0), variance=x[:200].var(0)), selection="val_balanced_loss")
    reporter = FakeReporter(tmp_path)
    run_trial(spec(kind="early_stopping", patience=4, epochs=30, learning_rate=0.05, hidden=[64, 32]), setup,
              TrialData(x[:200], y[:200], x[200:], y[200:]), reporter)
    history = [m for m, _ in reporter.reports]
    best = min(history[:-1] if history[-1].get("restored_best") else history, key=lambda m: m["val_balanced_loss"])
    assert history[-1]["best_epoch"] == best["epoch"]


def test_a_learning_curve_trial_trains_on_its_fraction_of_the_rows_and_validates_on_all(data, tmp_path):
    from orchestrator.data.split import train_subset
    from orchestrator.folder.files import array_hash

    trial_data, setup = data
    reporter = FakeReporter(tmp_path)
    run_trial(spec(epochs=1, train_fraction=0.5), setup, trial_data, reporter)
    metrics = reporter.reports[-1][0]
    rows = train_subset(trial_data.y_train, 0.5, 3)
    assert metrics["n_train"] == 60 and metrics["n_val"] == len(trial_data.y_val)
    assert metrics["train_hash"] == array_hash(trial_data.x_train[rows], trial_data.y_train[rows])


def test_a_trial_judged_by_the_minority_pr_auc_reports_it_every_epoch(tmp_path):
    import dataclasses

    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(4)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=400) < -1.3).astype(np.int32)  # about 10% positives
    y = 1 - y  # the minority is class 0: PR-AUC must be about class 0, not class 1
    setup = dataclasses.replace(TrialSetup(n_classes=2, mean=x[:300].mean(0), variance=x[:300].var(0)), selection="val_pr_auc")
    reporter = FakeReporter(tmp_path)
    run_trial(spec(epochs=2), setup, TrialData(x[:300], y[:300], x[300:], y[300:]), reporter)
    assert all("val_pr_auc" in m for m, _ in reporter.reports)
    metrics, last = reporter.reports[-1]
    proba = predict_proba(checkpoint.load_model(last, compile=False), x[300:])
    assert metrics["val_pr_auc"] == pytest.approx(average_precision_score(y[300:] == 0, proba[:, 0]), rel=1e-5)
