"""Evaluate the chosen checkpoints once on train, val and test.

The trials were chosen on validation alone (`results.selection`); test data enters here for the
first time, and only for the already-chosen checkpoint of each variant. All metrics come from
`model.predict` in inference mode (`results.metrics`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from orchestrator.data import Dataset
from orchestrator.results.metrics import classification_metrics, confusion
from orchestrator.results.selection import select
from orchestrator.tuning.outcomes import STOPPED_BY_ASHA, TrialOutcome


@dataclass
class Evaluated:
    outcome: TrialOutcome
    train: dict
    val: dict
    test: dict
    history: list[dict]  # per-epoch train/val metrics of the evaluated checkpoint's run
    test_correct: np.ndarray | None = None  # per test row: right or not (for paired tests; not in report.json)


def evaluate_checkpoint(checkpoint_dir: str, dataset: Dataset) -> tuple[dict, dict, dict, np.ndarray, list[dict]]:
    """Inference-mode metrics on the three splits; also the test probabilities and the run's history."""
    from orchestrator.models.outputs import predict_proba
    from orchestrator.train.checkpoint import load_handover_model, load_state
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # predict's retracing notes are noise here
    model = load_handover_model(checkpoint_dir)
    majority = int(np.argmax(np.bincount(dataset.train.y, minlength=dataset.n_classes)))
    scores, test_proba = [], None
    for split in (dataset.train, dataset.val, dataset.test):
        proba = predict_proba(model, split.x)
        scores.append(classification_metrics(split.y, proba, dataset.n_classes, majority))
        test_proba = proba
    history = load_state(checkpoint_dir).history
    return scores[0], scores[1], scores[2], test_proba, history


def handed_over(outcome: TrialOutcome) -> TrialOutcome:
    """An early-stopping trial that ASHA stopped is judged, like one that early stopping ended, by
    its best epoch: the metrics of that epoch, and (in `evaluate_checkpoint`) its weights."""
    from orchestrator.train.checkpoint import handover_epoch, load_state

    if outcome.status != STOPPED_BY_ASHA or outcome.checkpoint is None:
        return outcome
    epoch = handover_epoch(outcome.checkpoint)
    if epoch is None:
        return outcome
    best = {k: v for k, v in load_state(outcome.checkpoint).history[epoch].items() if k != "epoch"}
    return dataclasses.replace(outcome, metrics={**outcome.metrics, **best, "best_epoch": epoch + 1, "restored_best": True})


def evaluate(outcomes: list[TrialOutcome], dataset: Dataset, metric: str, mode: str):
    """Returns ({variant: Evaluated}, best Evaluated or None, best's test confusion matrix)."""
    per_variant, best = select(outcomes, metric, mode)
    evaluated, matrix = {}, None
    for variant, outcome in per_variant.items():
        train, val, test, test_proba, history = evaluate_checkpoint(outcome.checkpoint, dataset)
        evaluated[variant] = Evaluated(outcome, train, val, test, history, test_proba.argmax(axis=1) == dataset.test.y)
        if outcome is best:
            matrix = confusion(dataset.test.y, test_proba, dataset.n_classes)
    return evaluated, (evaluated[best.variant] if best else None), matrix
