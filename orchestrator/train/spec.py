"""What a trial receives: the spec (what varies, from Tune's config), the setup (what every trial
shares) and the data (train and validation only). Plain dataclasses, no Ray, no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestrator.models.catalogue import PARAM_PREFIX


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
    train_fraction: float = 1.0  # < 1: a learning-curve trial, on a stratified subset of the training rows
    augment: float = 0.0  # image augmentation strength (0: none)
    params: dict[str, Any] = field(default_factory=dict)  # model-specific values (`model.params`, the CNN's capacity)

    @property
    def dropout_rate(self) -> float:
        """One rate for models other than the MLP (whose layers can each have their own)."""
        return float(self.dropout[0] if isinstance(self.dropout, tuple) else self.dropout)

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
            train_fraction=float(config.get("train_fraction", 1.0)),
            augment=float(config.get("augment", 0.0)),
            params={k[len(PARAM_PREFIX):]: v for k, v in config.items() if k.startswith(PARAM_PREFIX)},
        )

    def hparams(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "l2": self.l2, "dropout": self.dropout,
                "hidden": list(self.hidden), "batch_size": self.batch_size, "patience": self.patience,
                "class_weight": self.class_weight, "augment": self.augment, **self.params}


@dataclass(frozen=True)
class TrialSetup:
    """What every trial shares: task shape, scaling statistics, optimizer, resources."""

    n_classes: int
    mean: np.ndarray
    variance: np.ndarray
    activation: str = "relu"
    # Which builds the model (`models.factory`): 'mlp', 'cnn', 'builder' (model_ref = the builder's
    # 'file.py:fn' or 'module:fn') or 'file' (model_ref = the saved .keras path, absolute).
    model_kind: str = "mlp"
    model_ref: str | None = None
    optimizer: str = "adam"
    cpus: float = 1
    gpus: float = 0  # whole GPUs, or a share of one (packed trials)
    cpu_replicas: int = 1
    # ≥2: the trial trains on this many Ray Train workers under MultiWorkerMirroredStrategy, their
    # checkpoints kept by Train under `train_storage` (`tune_adapter`); each worker has cpus and gpus.
    workers: int = 1
    train_storage: str | None = None
    precision: str = "float32"
    batch_scope: str = "per_replica"  # or "global"
    board_root: str | None = None  # runs/<name>/tensorboard (absolute); None: no TensorBoard logs
    # Shared storage: the run goes in the trial's own Tune folder (`tensorboard/<run>`), which Tune
    # syncs to storage and the driver copies back into runs/<name>/tensorboard.
    board_in_trial: bool = False
    histograms: bool = False
    selection: str = "val_loss"
    # When a report carries a checkpoint (`cadence.CheckpointCadence`): at the scheduler's rung
    # epochs, at the end, every k epochs (None: when training has cost 10× the last checkpoint), and
    # after `checkpoint_seconds` without one.
    checkpoint_every: int | None = None
    checkpoint_rungs: tuple[int, ...] = ()
    checkpoint_seconds: float = 60.0
    # At most how often a report goes to Tune when no epoch must be seen at once (`cadence.ReportCadence`);
    # 0: every epoch. A Tune run gives its trials `cadence.REPORT_SECONDS`.
    report_seconds: float = 0.0
    fault_hold: tuple[str, str] | None = None  # tests only: `phases.hold_trial`


@dataclass(frozen=True)
class TrialData:
    """Training and validation data only: there is no field a test split could travel in."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
