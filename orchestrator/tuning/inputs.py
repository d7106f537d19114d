"""What the trials get from the driver: the `TrialSetup` every trial shares (built from the config,
the data's scaling and the resource plan) and the `TrialData` they may see. The held-out rule
lives in the second: it has no field a test split could travel in."""

from __future__ import annotations

from pathlib import Path

from orchestrator.folder import phases
from orchestrator.config import ExperimentConfig
from orchestrator.data import Dataset
from orchestrator.folder.experiments import BOARD_DIR
from orchestrator.models.variants import selection
from orchestrator.train.cadence import REPORT_SECONDS
from orchestrator.train.spec import TrialData, TrialSetup
from orchestrator.tuning.resources import Plan
from orchestrator.tuning.schedulers import rung_epochs
from orchestrator.tuning.storage import root as storage_root


def trial_inputs(config: ExperimentConfig, dataset: Dataset, plan: Plan, exp_dir: Path) -> tuple[TrialSetup, TrialData]:
    """The setup every trial shares and the data it may see (train and validation only)."""
    mean, variance = dataset.scaling()
    shared = config.output.storage is not None
    setup = TrialSetup(
        n_classes=dataset.n_classes, mean=mean, variance=variance, activation=config.model.activation,
        optimizer=config.training.optimizer, cpus=plan.cpus_per_trial, gpus=plan.gpus_per_trial,
        cpu_replicas=plan.cpu_replicas, precision=config.training.precision, batch_scope=config.training.batch_scope,
        workers=plan.workers, train_storage=f"{storage_root(config.output.storage, exp_dir)}/train" if plan.workers > 1 else None,
        board_root=str((exp_dir / BOARD_DIR).resolve()) if config.output.tensorboard and not shared else None,
        board_in_trial=config.output.tensorboard and shared,
        histograms=config.output.histograms, selection=selection(config)[0], model_kind=config.model.kind,
        model_ref=config.model.builder or (str(config.model.file) if config.model.file is not None else None),
        checkpoint_every=None if config.output.checkpoint_every == "auto" else config.output.checkpoint_every,
        checkpoint_rungs=rung_epochs(config), checkpoint_seconds=config.output.checkpoint_seconds,
        report_seconds=REPORT_SECONDS, fault_hold=phases.trial_hold(),
    )
    # The held-out rule: only train and validation travel to trials; TrialData has no test field.
    data = TrialData(dataset.train.x, dataset.train.y, dataset.val.x, dataset.val.y)
    return setup, data
