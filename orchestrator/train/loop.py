"""One trial: build (or restore) the model inside its strategy scope, fit one epoch at a time,
and after every epoch report metrics and a checkpoint.

`run_trial` knows nothing of Ray; it talks to a `Reporter` (`tune_adapter` is the Tune one), so
the training loop is tested without a cluster.

Early-stopping variants restore their best weights *in the last epoch's report*, not after `fit`:
a report after the last epoch could be dropped when ASHA stops the trial at `max_t`, and the
checkpoint the evaluation loads must be the model the variant really produced.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from orchestrator.files import array_hash
from orchestrator.names import trial_name
from orchestrator.train import checkpoint, distribute
from orchestrator.train.checkpoint import TrialState
from orchestrator.train.fitting import (
    balanced_weights,
    class_weights,
    compile_model,
    minority_pr_auc,
    targets,
)
from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec


class Reporter(Protocol):
    def restore_dir(self) -> Any: ...  # context manager yielding a checkpoint Path or None
    def report(self, metrics: dict, checkpoint_dir: Path) -> None: ...
    def trial_id(self) -> str: ...


# What early stopping watches, per selection metric: the number the trial is judged by.
_STOPPING_MONITOR = {"val_loss": "val_xent", "val_balanced_loss": "val_bxent", "val_pr_auc": "val_bxent",
                     "val_accuracy": "val_xent"}


def _resumable_early_stopping(patience: int, state: dict, best_weights, selection: str = "val_loss"):
    import keras

    class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
        """Keras' EarlyStopping whose state (best value, wait count, best epoch and weights) survives
        the one-epoch `fit` calls of `run_trial` and a restart from a checkpoint."""

        carried = (state["best"], state["wait"], state["best_epoch"], best_weights) if state else None

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)  # resets everything: put back what earlier epochs learned
            if self.carried is not None:
                self.best, self.wait, self.best_epoch, self.best_weights = self.carried

        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            self.carried = (self.best, self.wait, self.best_epoch, self.best_weights)

        def on_train_end(self, logs=None):
            pass  # the best weights are restored in the last epoch's report (see the module docstring)

    return ResumableEarlyStopping(monitor=_STOPPING_MONITOR.get(selection, "val_xent"), mode="min", patience=patience,
                                  restore_best_weights=True)


def _epoch_metrics(logs: dict, epoch: int) -> dict:
    return {
        "epoch": epoch + 1,
        "loss": float(logs["xent"]),
        "accuracy": float(logs["accuracy"]),
        "val_loss": float(logs["val_xent"]),
        "val_balanced_loss": float(logs["val_bxent"]),  # each class counts equally (`fitting.balanced_weights`)
        "val_accuracy": float(logs["val_accuracy"]),
        "objective": float(logs["loss"]),
        "val_objective": float(logs["val_loss"]),
    }


def _early_stopping_report(es, state: TrialState, model, epoch: int, final: bool) -> tuple[dict, Any]:
    """Early stopping's part of an epoch's report; on the last epoch, put the best weights back
    and report that epoch's metrics, so the checkpoint is the model the variant produced."""
    state.early_stopping = {"best": es.best, "wait": es.wait, "best_epoch": es.best_epoch}
    report: dict = {"early_stopped": bool(es.stopped_epoch > 0)}
    if final and es.best_weights is not None and es.best_epoch != epoch:
        model.set_weights(es.best_weights)
        report.update({k: v for k, v in state.history[es.best_epoch].items() if k != "epoch"})
        report["best_epoch"] = es.best_epoch + 1
        report["restored_best"] = True
    return report, es.best_weights


def _make_reporting_callback(spec: TrialSpec, state: TrialState, reporter: Reporter, extra: dict, early_stopping, board,
                             scorer=None):
    import keras

    class EpochReport(keras.callbacks.Callback):
        """Checkpoint and report after every epoch; runs after EarlyStopping has updated its state."""

        final = False

        def on_epoch_end(self, epoch, logs=None):
            metrics = _epoch_metrics(logs or {}, epoch)
            metrics["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            if scorer is not None:
                metrics.update(scorer(self.model))
            if board is not None:  # before the report: Tune may end the trial inside its last report
                board.log_epoch(epoch + 1, metrics, self.model)
            state.epoch = epoch + 1
            state.history.append(metrics)
            diverged = not all(math.isfinite(metrics[k]) for k in ("loss", "val_loss"))
            final = diverged or self.model.stop_training or epoch + 1 >= spec.epochs
            report, best_weights = dict(metrics), None
            if early_stopping is not None:
                stopping, best_weights = _early_stopping_report(early_stopping, state, self.model, epoch, final)
                report.update(stopping)
            if diverged:
                report["diverged"] = True
                self.model.stop_training = True
            report.setdefault("best_epoch", epoch + 1)
            report["final"] = self.final = state.final = bool(final)
            report.update(extra)
            with tempfile.TemporaryDirectory(prefix="gg-ckpt-") as tmp:
                checkpoint.save(Path(tmp), self.model, state, best_weights)
                reporter.report(report, Path(tmp))

    return EpochReport()


def _build_or_restore(spec: TrialSpec, setup: TrialSetup, data: TrialData, restore: Path | None):
    """(model, state, best weights): from the checkpoint when there is one, else freshly built and compiled."""
    from orchestrator.models.mlp import build_model

    if restore is not None:
        model = checkpoint.load_model(restore)
        checkpoint.restore_seed_state(model, restore)
        return model, checkpoint.load_state(restore), checkpoint.load_best_weights(restore)
    model = build_model(
        hidden=spec.hidden, l2=spec.l2, dropout=spec.dropout, n_features=data.x_train.shape[1],
        n_classes=setup.n_classes, mean=setup.mean, variance=setup.variance, activation=setup.activation,
    )
    compile_model(model, n_classes=setup.n_classes, optimizer=setup.optimizer, learning_rate=spec.learning_rate)
    return model, TrialState(epoch=0, variant=spec.variant), None


def _where_it_runs(strategy, precision: str, spec: TrialSpec, setup: TrialSetup, data: TrialData) -> dict:
    """What every report of this trial carries: devices, batch sizes, data hashes, the process."""
    where = distribute.describe(strategy)
    global_batch = spec.batch_size * where["replicas"] if setup.batch_scope == "per_replica" else spec.batch_size
    return {
        **where,
        "devices": ",".join(where["devices"]),
        "precision": precision,
        "global_batch": global_batch,
        "per_replica_batch": global_batch / where["replicas"],
        "train_hash": array_hash(data.x_train, data.y_train),
        "val_hash": array_hash(data.x_val, data.y_val),
        "n_train": int(len(data.y_train)),
        "n_val": int(len(data.y_val)),
        "pid": os.getpid(),  # which process trains it: a restart shows as a new pid
    }


def _trial_board(spec: TrialSpec, setup: TrialSetup, reporter: Reporter, history: list[dict]):
    if not setup.board_root:
        return None
    from orchestrator.train.board import TrialBoard

    trial_id = reporter.trial_id()
    return TrialBoard(Path(setup.board_root) / trial_name(spec.variant, trial_id), spec.hparams(), spec.variant, trial_id,
                      setup.histograms, history=history, selection=setup.selection)


def _scorer(setup: TrialSetup, data: TrialData):
    """The per-epoch metric `fit` cannot give: the minority class's PR-AUC, when trials are judged by it."""
    if setup.selection != "val_pr_auc":
        return None
    from orchestrator.data.labels import minority_class

    positive = minority_class(np.bincount(data.y_train, minlength=setup.n_classes))
    return lambda model: {"val_pr_auc": minority_pr_auc(model, data.x_val, data.y_val, positive)}


def _training_rows(data: TrialData, spec: TrialSpec) -> TrialData:
    """All of the training split, or the learning curve's stratified fraction of it (`train_subset`)."""
    if spec.train_fraction >= 1:
        return data
    from orchestrator.data.split import train_subset

    rows = train_subset(data.y_train, spec.train_fraction, spec.seed)
    return TrialData(data.x_train[rows], data.y_train[rows], data.x_val, data.y_val)


def run_trial(spec: TrialSpec, setup: TrialSetup, data: TrialData, reporter: Reporter) -> TrialState:
    """Train one variant for up to `spec.epochs` epochs, resuming from the reporter's checkpoint."""
    distribute.configure_process(setup.cpus, setup.gpus, setup.cpu_replicas)
    data = _training_rows(data, spec)
    import keras

    keras.utils.set_random_seed(spec.seed)
    precision = distribute.set_precision(setup.precision, setup.gpus)
    strategy = distribute.make_strategy(setup.gpus, setup.cpu_replicas)
    with reporter.restore_dir() as restore:
        with strategy.scope():
            model, state, best_weights = _build_or_restore(spec, setup, data, restore)
    if state.epoch >= spec.epochs or state.final:  # its last checkpoint says it had finished
        return state
    extra = _where_it_runs(strategy, precision, spec, setup, data)
    early_stopping = (_resumable_early_stopping(spec.patience, state.early_stopping, best_weights, setup.selection)
                      if spec.patience > 0 else None)
    board = _trial_board(spec, setup, reporter, state.history)
    reporting = _make_reporting_callback(spec, state, reporter, extra, early_stopping, board, _scorer(setup, data))
    callbacks = ([early_stopping] if early_stopping is not None else []) + [reporting]
    y_train = targets(data.y_train, setup.n_classes)
    val = (data.x_val, targets(data.y_val, setup.n_classes), balanced_weights(data.y_val, setup.n_classes))
    weights = class_weights(data.y_train, setup.n_classes, spec.class_weight)
    # One `fit` call per epoch, with the epoch's row order drawn from (seed, epoch): a trial restarted
    # from its checkpoint at epoch k sees exactly the batches an uninterrupted run would have seen.
    for epoch in range(state.epoch, spec.epochs):
        order = np.random.default_rng([spec.seed, epoch]).permutation(len(y_train))
        model.fit(data.x_train[order], y_train[order], validation_data=val, batch_size=extra["global_batch"],
                  epochs=epoch + 1, initial_epoch=epoch, callbacks=callbacks, class_weight=weights, shuffle=False, verbose=0)
        if reporting.final:
            break
    return state
