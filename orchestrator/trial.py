"""One trial: build (or restore) the model inside its strategy scope, fit one epoch at a time,
and after every epoch report metrics and a checkpoint.

`run_trial` knows nothing of Ray; it talks to a `Reporter`. `tune_trainable` is the thin Tune
function trainable around it, so the training loop is tested without a cluster.

Early-stopping variants restore their best weights *in the last epoch's report*, not after `fit`:
a report after the last epoch could be dropped when ASHA stops the trial at `max_t`, and the
checkpoint the evaluation loads must be the model the variant really produced.
"""

from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

import numpy as np

from orchestrator import checkpoint, distribute
from orchestrator.checkpoint import TrialState
from orchestrator.data.dataset import array_hash
from orchestrator.models import build_model, compile_model, targets


@dataclass(frozen=True)
class TrialSpec:
    """What varies between trials: the Tune config, typed."""

    variant: str
    kind: str
    learning_rate: float
    hidden: tuple[int, ...]
    l2: float
    dropout: float | tuple[float, ...]
    patience: int
    batch_size: int
    epochs: int
    seed: int
    class_weight: str = "none"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TrialSpec":
        dropout = config["dropout"]
        return cls(
            variant=str(config["variant"]),
            kind=str(config["kind"]),
            learning_rate=float(config["learning_rate"]),
            hidden=tuple(int(u) for u in config["hidden"]),
            l2=float(config["l2"]),
            dropout=tuple(float(r) for r in dropout) if isinstance(dropout, (list, tuple)) else float(dropout),
            patience=int(config["patience"]),
            batch_size=int(config["batch_size"]),
            epochs=int(config["epochs"]),
            seed=int(config["seed"]),
            class_weight=str(config.get("class_weight", "none")),
        )

    def hparams(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "l2": self.l2, "dropout": self.dropout,
                "hidden": list(self.hidden), "batch_size": self.batch_size, "patience": self.patience,
                "class_weight": self.class_weight}


def class_weights(y: np.ndarray, n_classes: int, mode: str) -> dict[int, float] | None:
    """'balanced': n / (K × count_k) per class, as scikit-learn defines it; 'none': no weighting."""
    if mode != "balanced":
        return None
    counts = np.bincount(y, minlength=n_classes)
    return {k: float(len(y) / (n_classes * c)) if c else 0.0 for k, c in enumerate(counts)}


@dataclass(frozen=True)
class TrialSetup:
    """What every trial shares: task shape, scaling statistics, optimizer, resources."""

    n_classes: int
    mean: np.ndarray
    variance: np.ndarray
    activation: str = "relu"
    optimizer: str = "adam"
    cpus: float = 1
    gpus: int = 0
    cpu_replicas: int = 1
    precision: str = "float32"
    batch_scope: str = "per_replica"  # or "global"
    board_root: str | None = None  # runs/<name>/tensorboard (absolute); None: no TensorBoard logs
    histograms: bool = False
    selection: str = "val_loss"


@dataclass(frozen=True)
class TrialData:
    """Training and validation data only: there is no field a test split could travel in."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


class Reporter(Protocol):
    def restore_dir(self) -> Any: ...  # context manager yielding a checkpoint Path or None
    def report(self, metrics: dict, checkpoint_dir: Path) -> None: ...
    def trial_id(self) -> str: ...


def _resumable_early_stopping(patience: int, state: dict, best_weights):
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

    return ResumableEarlyStopping(monitor="val_xent", mode="min", patience=patience, restore_best_weights=True)


def _epoch_metrics(logs: dict, epoch: int) -> dict:
    return {
        "epoch": epoch + 1,
        "loss": float(logs["xent"]),
        "accuracy": float(logs["accuracy"]),
        "val_loss": float(logs["val_xent"]),
        "val_accuracy": float(logs["val_accuracy"]),
        "objective": float(logs["loss"]),
        "val_objective": float(logs["val_loss"]),
    }


def _make_reporting_callback(spec: TrialSpec, state: TrialState, reporter: Reporter, extra: dict, early_stopping, board,
                             selection: str = "val_loss"):
    import keras

    class EpochReport(keras.callbacks.Callback):
        """Checkpoint and report after every epoch; runs after EarlyStopping has updated its state."""

        final = False

        def on_epoch_end(self, epoch, logs=None):
            metrics = _epoch_metrics(logs or {}, epoch)
            if board is not None:
                lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
                board.log_epoch(epoch + 1, metrics, lr, self.model, selection=selection)
            state.epoch = epoch + 1
            state.history.append(metrics)
            diverged = not all(math.isfinite(metrics[k]) for k in ("loss", "val_loss"))
            final = diverged or self.model.stop_training or epoch + 1 >= spec.epochs
            best_weights = None
            report = dict(metrics)
            if early_stopping is not None:
                es = early_stopping
                state.early_stopping = {"best": es.best, "wait": es.wait, "best_epoch": es.best_epoch}
                best_weights = es.best_weights
                report["early_stopped"] = bool(es.stopped_epoch > 0)
                if final and es.best_weights is not None and es.best_epoch != epoch:
                    self.model.set_weights(es.best_weights)
                    report.update({k: v for k, v in state.history[es.best_epoch].items() if k != "epoch"})
                    report["best_epoch"] = es.best_epoch + 1
                    report["restored_best"] = True
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


def run_trial(spec: TrialSpec, setup: TrialSetup, data: TrialData, reporter: Reporter) -> TrialState:
    """Train one variant for up to `spec.epochs` epochs, resuming from the reporter's checkpoint."""
    distribute.configure_process(setup.cpus, setup.gpus, setup.cpu_replicas)
    import keras

    keras.utils.set_random_seed(spec.seed)
    precision = distribute.set_precision(setup.precision, setup.gpus)
    strategy = distribute.make_strategy(setup.gpus, setup.cpu_replicas)
    with reporter.restore_dir() as restore:
        with strategy.scope():
            if restore is not None:
                model = checkpoint.load_model(restore)
                checkpoint.restore_seed_state(model, restore)
                state = checkpoint.load_state(restore)
                best_weights = checkpoint.load_best_weights(restore)
            else:
                model = build_model(
                    hidden=spec.hidden, l2=spec.l2, dropout=spec.dropout, n_features=data.x_train.shape[1],
                    n_classes=setup.n_classes, mean=setup.mean, variance=setup.variance, activation=setup.activation,
                )
                compile_model(model, n_classes=setup.n_classes, optimizer=setup.optimizer, learning_rate=spec.learning_rate)
                state, best_weights = TrialState(epoch=0, variant=spec.variant), None
    if state.epoch >= spec.epochs or state.final:  # its last checkpoint says it had finished
        return state
    where = distribute.describe(strategy)
    global_batch = spec.batch_size * where["replicas"] if setup.batch_scope == "per_replica" else spec.batch_size
    extra = {
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
    early_stopping = _resumable_early_stopping(spec.patience, state.early_stopping, best_weights) if spec.patience > 0 else None
    callbacks = [early_stopping] if early_stopping is not None else []
    board = None
    if setup.board_root:
        from orchestrator.board import TrialBoard

        trial_id = reporter.trial_id()
        board = TrialBoard(Path(setup.board_root) / f"{spec.variant}_{trial_id}", spec.hparams(), spec.variant, trial_id, setup.histograms)
    reporting = _make_reporting_callback(spec, state, reporter, extra, early_stopping, board, setup.selection)
    callbacks.append(reporting)
    y_train, val = targets(data.y_train, setup.n_classes), (data.x_val, targets(data.y_val, setup.n_classes))
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


class TuneReporter:
    """`Reporter` over Ray Tune's session API."""

    @contextmanager
    def restore_dir(self) -> Iterator[Path | None]:
        from ray import tune

        found = tune.get_checkpoint()
        if found is None:
            yield None
            return
        with found.as_directory() as directory:
            yield Path(directory)

    def report(self, metrics: dict, checkpoint_dir: Path) -> None:
        from ray import tune

        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(checkpoint_dir)))

    def trial_id(self) -> str:
        from ray import tune

        return tune.get_context().get_trial_id()


def tune_trainable(config: dict, setup: TrialSetup, data: TrialData) -> None:
    """The Tune function trainable; `setup` and `data` arrive through `tune.with_parameters`."""
    run_trial(TrialSpec.from_config(config), setup, data, TuneReporter())
