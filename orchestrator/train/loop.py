"""One trial: build (or restore) the model inside its strategy scope, train it one compiled epoch
at a time (`epochs.EpochRunner`), report its epochs' metrics as often as the report cadence says
(`cadence.ReportCadence`: every epoch, or together when epochs take milliseconds) and a checkpoint
when the checkpoint cadence says (`cadence.CheckpointCadence`).

`run_trial` knows nothing of Ray; it talks to a `Reporter` (`tune_adapter` is the Tune one), so
the training loop is tested without a cluster. It starts from a clean Keras state, so a worker
process reused for many trials gives each the result a fresh process would.

Early-stopping variants restore their best weights *in the last epoch's report*, not after the
loop: a report after the last epoch could be dropped when ASHA stops the trial at `max_t`, and the
checkpoint the evaluation loads must be the model the variant really produced.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from orchestrator.folder import phases
from orchestrator.folder.files import array_hash
from orchestrator.names import trial_name
from orchestrator.train import checkpoint, distribute
from orchestrator.train.cadence import EPOCH_ROWS, CheckpointCadence, ReportCadence
from orchestrator.train.checkpoint import TrialState
from orchestrator.train.fitting import balanced_weights, class_weights, compile_model, minority_pr_auc, targets
from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec
from orchestrator.train.stopping import EarlyStopping


class Reporter(Protocol):
    def restore_dir(self) -> Any: ...  # context manager yielding a checkpoint Path or None
    def report(self, metrics: dict, checkpoint_dir: Path | None) -> None: ...
    def trial_id(self) -> str: ...
    def trial_dir(self) -> Path: ...  # asked only with shared storage (`TrialSetup.board_in_trial`)


# What early stopping watches, per selection metric: the number the trial is judged by.
_STOPPING_MONITOR = {"val_loss": "val_loss", "val_balanced_loss": "val_balanced_loss",
                     "val_pr_auc": "val_balanced_loss", "val_accuracy": "val_loss"}


def _epoch_metrics(train: dict, val: dict, epoch: int) -> dict:
    return {
        "epoch": epoch + 1,
        "loss": float(train["xent"]),  # the cross-entropy alone: comparable across variants
        "accuracy": float(train["accuracy"]),
        "val_loss": float(val["val_xent"]),
        "val_balanced_loss": float(val["val_bxent"]),  # each class counts equally (`fitting.balanced_weights`)
        "val_accuracy": float(val["val_accuracy"]),
        "objective": float(train["objective"]),  # what the optimizer minimized: with the L2 penalty
        "val_objective": float(val["val_objective"]),
    }


def _early_stopping_report(es: EarlyStopping, state: TrialState, model, epoch: int, final: bool) -> dict:
    """Early stopping's part of an epoch's report; on the last epoch, put the best weights back
    and report that epoch's metrics, so the checkpoint is the model the variant produced."""
    state.early_stopping = es.saved()
    report: dict = {"early_stopped": es.stopped}
    if final and es.best_weights is not None and es.best_epoch != epoch:
        model.set_weights(es.best_weights)
        report.update({k: v for k, v in state.history[es.best_epoch].items() if k != "epoch"})
        report["best_epoch"] = es.best_epoch + 1
        report["restored_best"] = True
    return report


def _build_or_restore(spec: TrialSpec, setup: TrialSetup, data: TrialData, restore: Path | None):
    """(model, state, best weights, optimizer state): from the checkpoint when there is one, else
    freshly built, and compiled unless it trains on the worker's engine (`engines`), whose
    optimizer state the checkpoint keeps apart."""
    from orchestrator.train import engines
    from orchestrator.train.build import build_for_trial

    if restore is not None:
        model = checkpoint.load_model(restore)
        checkpoint.restore_seed_state(model, restore)
        optimizer_state = checkpoint.load_optimizer_state(restore)
        if optimizer_state is None and model.optimizer is not None and model.optimizer.built:  # written before engines
            optimizer_state = [v.numpy() for v in model.optimizer.variables]
        return model, checkpoint.load_state(restore), checkpoint.load_best_weights(restore), optimizer_state
    model = build_for_trial(spec, setup, tuple(data.x_train.shape[1:]))
    if not engines.cacheable(setup):
        compile_model(model, n_classes=setup.n_classes, optimizer=setup.optimizer, learning_rate=spec.learning_rate)
    return model, TrialState(epoch=0, variant=spec.variant), None, None


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


def trial_board(spec: TrialSpec, setup: TrialSetup, reporter: Reporter, history: list[dict]):
    """The trial's TensorBoard writer, or None when the experiment logs none."""
    if not setup.board_root and not setup.board_in_trial:
        return None
    from orchestrator.train.board import TrialBoard

    trial_id = reporter.trial_id()
    root = Path(setup.board_root) if setup.board_root else reporter.trial_dir() / "tensorboard"
    return TrialBoard(root / trial_name(spec.variant, trial_id), spec.hparams(), spec.variant, trial_id,
                      setup.histograms, history=history, selection=setup.selection)


def _scorer(setup: TrialSetup, data: TrialData):
    """The per-epoch metric the epoch pass does not sum: the minority class's PR-AUC, when trials are
    judged by it, from the validation probabilities the pass returns."""
    if setup.selection != "val_pr_auc":
        return None
    from orchestrator.data.labels import minority_class

    positive = minority_class(np.bincount(data.y_train, minlength=setup.n_classes))
    return lambda proba: {"val_pr_auc": minority_pr_auc(proba, data.y_val, positive)}


def _training_rows(data: TrialData, spec: TrialSpec) -> TrialData:
    """All of the training split, or the learning curve's stratified fraction of it (`train_subset`)."""
    if spec.train_fraction >= 1:
        return data
    from orchestrator.data.split import train_subset

    rows = train_subset(data.y_train, spec.train_fraction, spec.seed)
    return TrialData(data.x_train[rows], data.y_train[rows], data.x_val, data.y_val)


def _runner(start: tuple, strategy, spec: TrialSpec, setup: TrialSetup, data: TrialData, global_batch: int, precision: str):
    """(the compiled epoch passes bound to this trial's rows, the engine that holds them or None);
    `start`: the trial's model and its checkpoint's optimizer state (None when fresh).
    Class weights go in as per-row weights on train, class-balanced weights on validation (for
    `val_balanced_loss`). The built-in MLP runs on the worker's engine for its architecture
    (`engines`): traced once per worker, armed with this trial's model and hyperparameters."""
    from orchestrator.train import engines
    from orchestrator.train.epochs import EpochRunner

    weights = class_weights(data.y_train, setup.n_classes, spec.class_weight) or {}
    row_weights = np.array([weights.get(int(k), 1.0) for k in range(setup.n_classes)], np.float32)[data.y_train]
    train = (data.x_train, targets(data.y_train, setup.n_classes), row_weights)
    val = (data.x_val, targets(data.y_val, setup.n_classes), balanced_weights(data.y_val, setup.n_classes))
    model, optimizer_state = start
    if not engines.cacheable(setup):
        return EpochRunner(model, strategy, n_classes=setup.n_classes, global_batch=global_batch, train=train, val=val), None
    engine = engines.engine_for(spec, setup, tuple(data.x_train.shape[1:]), strategy, precision, global_batch)
    engine.start(spec, model, optimizer_state)
    return engine.runner.bind(train, val), engine


def _fresh_keras(spec: TrialSpec, setup: TrialSetup):
    """A clean Keras state seeded for this trial (a reused worker keeps nothing of the last one),
    the dtype policy and the strategy; returns (strategy, precision). The built-in MLP keeps the
    worker's traces (`engines.seed_keeping_traces`); the garbage collector is left to run when
    Python decides: forcing it here cost a quarter of a second a trial."""
    import keras

    from orchestrator.train import engines

    if engines.cacheable(setup):
        engines.seed_keeping_traces(spec.seed)
    else:
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(spec.seed)
    precision = distribute.set_precision(setup.precision, setup.gpus)
    return engines.strategy_for(setup), precision


def run_trial(spec: TrialSpec, setup: TrialSetup, data: TrialData, reporter: Reporter) -> TrialState:
    """Train one variant for up to `spec.epochs` epochs, resuming from the reporter's checkpoint."""
    distribute.configure_process(setup.cpus, setup.gpus, setup.cpu_replicas)
    data = _training_rows(data, spec)
    strategy, precision = _fresh_keras(spec, setup)
    with reporter.restore_dir() as restore:
        with strategy.scope():
            model, state, best_weights, optimizer_state = _build_or_restore(spec, setup, data, restore)
    if state.epoch >= spec.epochs or state.final:  # its last checkpoint says it had finished
        return state
    extra = _where_it_runs(strategy, precision, spec, setup, data)
    stopping = EarlyStopping.resumed(spec.patience, state.early_stopping, best_weights) if spec.patience > 0 else None
    board = trial_board(spec, setup, reporter, state.history)
    epoch_pass, engine = _runner((model, optimizer_state), strategy, spec, setup, data, int(extra["global_batch"]), precision)
    net = engine.net.model if engine is not None else model  # the weights being trained
    if engine is not None:
        extra["reused_trace"] = engine.trials > 1  # the worker had traced this architecture for an earlier trial
    cadences = (CheckpointCadence(setup.checkpoint_every, frozenset(setup.checkpoint_rungs), setup.checkpoint_seconds,
                                  cost=engine.checkpoint_cost if engine is not None else None),
                ReportCadence(setup.report_seconds))
    scorer, monitor = _scorer(setup, data), _STOPPING_MONITOR.get(setup.selection, "val_loss")
    try:
        for epoch in range(state.epoch, spec.epochs):
            train = epoch_pass.train(spec.seed, epoch)
            val, proba = epoch_pass.validate()
            metrics = _epoch_metrics(train, val, epoch)
            metrics["learning_rate"] = float(np.asarray(net.optimizer.learning_rate))
            if scorer is not None:
                metrics.update(scorer(proba))
            if board is not None:  # before the report: Tune may end the trial inside its last report
                board.log_epoch(epoch + 1, metrics, net)
            row = _epoch_row(spec, state, net, metrics, stopping, monitor, extra["devices"])
            held = phases.holds(setup.fault_hold, spec.variant, epoch + 1)
            _report_epoch(row, held, cadences, reporter, extra, (model, engine, state, stopping))
            if row["final"]:
                break
            phases.hold_trial(setup.fault_hold, spec.variant, epoch + 1)
    finally:
        if board is not None:
            board.close()
    return state


def _epoch_row(spec, state: TrialState, net, metrics: dict, stopping, monitor: str, devices: str) -> dict:
    """Record one epoch in the trial's state; its result row: the metrics and how the trial stands
    (early stopping, divergence, whether it is the last), all a report says but where it runs."""
    epoch = metrics["epoch"] - 1
    state.epoch = epoch + 1
    state.history.append(metrics)
    diverged = not all(math.isfinite(metrics[k]) for k in ("loss", "val_loss"))
    stop = stopping.update(metrics[monitor], epoch, net.get_weights) if stopping is not None else False
    final = diverged or stop or epoch + 1 >= spec.epochs
    row = dict(metrics)
    if stopping is not None:
        row.update(_early_stopping_report(stopping, state, net, epoch, final))
    if diverged:
        row["diverged"] = True
    row.setdefault("best_epoch", epoch + 1)
    row["final"] = state.final = bool(final)
    if final and (peak := distribute.gpu_peak_mb(devices)) is not None:
        row["gpu_peak_mb"] = peak
    return row


def _report_epoch(row: dict, held: bool, cadences: tuple, reporter, extra: dict, trial: tuple) -> None:
    """Report the epoch when the report cadence says (with the rows of the epochs since the last
    report), with a checkpoint when the checkpoint cadence says; a checkpoint is always reported.
    `trial`: (its own model, the engine that trains it or None, its state, early stopping or None)."""
    cadence, reports = cadences
    model, engine, state, stopping = trial
    checkpoint_due = cadence.due(row["epoch"], row["final"])
    rows = reports.rows(row, must=checkpoint_due or held)
    if rows is None:
        return
    report = {**row, **extra, EPOCH_ROWS: rows}
    if not checkpoint_due:
        reporter.report(report, None)
        return
    with tempfile.TemporaryDirectory(prefix="gg-ckpt-") as tmp:
        with cadence.saving():
            optimizer_state = engine.write_into(model) if engine is not None else None
            checkpoint.save(Path(tmp), model, state, stopping.best_weights if stopping is not None else None, optimizer_state)
        if engine is not None:
            engine.checkpoint_cost = cadence.cost  # the next trial of this architecture need not measure it
        reporter.report(report, Path(tmp))
