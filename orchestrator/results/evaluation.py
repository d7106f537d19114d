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
from orchestrator.results.threshold import decision
from orchestrator.tuning.outcomes import FINISHED, STOPPED_BY_ASHA, TrialOutcome


@dataclass
class Evaluated:
    outcome: TrialOutcome
    train: dict
    val: dict
    test: dict
    history: list[dict]  # per-epoch train/val metrics of the evaluated checkpoint's run
    test_correct: np.ndarray | None = None  # per test row: right or not (for paired tests; not in report.json)
    threshold: dict | None = None  # two-class tasks: the cut-off tuned on validation (`results.threshold`)


def evaluate_checkpoint(checkpoint_dir: str, dataset: Dataset) -> tuple[dict, dict, dict, list[np.ndarray], list[dict]]:
    """Inference-mode metrics on the three splits; also the val and test probabilities and the run's history."""
    from orchestrator.models.outputs import predict_proba
    from orchestrator.train.checkpoint import load_handover_model, load_state
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # predict's retracing notes are noise here
    model = load_handover_model(checkpoint_dir)
    counts = dataset.train.class_counts(dataset.n_classes)  # the minority and the majority are the training split's
    scores, probas = [], []
    for split in (dataset.train, dataset.val, dataset.test):
        probas.append(predict_proba(model, split.x))
        scores.append(classification_metrics(split.y, probas[-1], dataset.n_classes, counts))
    history = load_state(checkpoint_dir).history
    return scores[0], scores[1], scores[2], probas[1:], history


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
        train, val, test, (val_proba, test_proba), history = evaluate_checkpoint(outcome.checkpoint, dataset)
        evaluated[variant] = Evaluated(outcome, train, val, test, history, test_proba.argmax(axis=1) == dataset.test.y)
        if outcome is best:
            matrix = confusion(dataset.test.y, test_proba, dataset.n_classes)
            evaluated[variant].threshold = decision(dataset.val.y, val_proba, dataset.test.y, test_proba,
                                                    dataset.train.class_counts(dataset.n_classes),
                                                    class_weighted=outcome.hparams.get("class_weight") == "balanced")
    return evaluated, (evaluated[best.variant] if best else None), matrix


def _curve_point(fraction: float, n_train: int, train: dict, val: dict) -> dict:
    return {"fraction": fraction, "n_train": n_train, "train_accuracy": train["accuracy"], "val_accuracy": val["accuracy"],
            "val_loss": val["loss"], "val_balanced_accuracy": val.get("balanced_accuracy")}


def _own_size(outcome: TrialOutcome, winner: Evaluated) -> bool:
    """A learning-curve point (the winner's network), not a rung of the capacity ladder."""
    return list(outcome.hparams.get("hidden") or []) == list(winner.outcome.hparams.get("hidden") or [])


def _unfinished(outcome: TrialOutcome) -> bool:
    return outcome.checkpoint is None or outcome.status not in FINISHED


def evaluate_curve(curve: list[TrialOutcome], dataset: Dataset, winner: Evaluated, val_scores: dict | None = None) -> dict:
    """The learning curve's points, in inference mode: each fraction's final checkpoint on the very
    training rows it saw (`train_subset`, re-derived from its seed) and on the whole validation
    split; the full split's point is a retrain too (`tuning.curve`), not the winner. The test split is not touched.
    `val_scores` collects each point's validation metrics by trial, so `evaluate_ladder` does not load its own rung again."""
    from orchestrator.data.split import train_subset
    from orchestrator.models.outputs import predict_proba
    from orchestrator.train.checkpoint import load_handover_model

    points, errors, counts = [], [], dataset.train.class_counts(dataset.n_classes)
    val_scores = {} if val_scores is None else val_scores
    for outcome in (o for o in curve if _own_size(o, winner)):
        fraction = float(outcome.hparams.get("train_fraction", 1.0))
        if _unfinished(outcome):
            errors.append({"fraction": fraction, "status": outcome.status, "error": outcome.error})
            continue
        model = load_handover_model(outcome.checkpoint)
        rows = train_subset(dataset.train.y, fraction, int(outcome.hparams["seed"]))
        train = classification_metrics(dataset.train.y[rows], predict_proba(model, dataset.train.x[rows]), dataset.n_classes, counts)
        val = val_scores[outcome.trial_id] = classification_metrics(dataset.val.y, predict_proba(model, dataset.val.x),
                                                                    dataset.n_classes, counts)
        points.append(_curve_point(fraction, len(rows), train, val))
    return {"variant": winner.outcome.variant, "n_val": len(dataset.val), "points": sorted(points, key=lambda p: p["fraction"]),
            "failed": errors, "rule": "the winner's recipe and hyperparameters retrained with one seed on stratified fractions of the "
                                      "training split and on all of it; each point in inference mode on its own training rows and on validation"}


LADDER_SCORES = ("accuracy", "loss", "balanced_loss", "balanced_accuracy", "pr_auc")  # every score capacity may judge on


def evaluate_ladder(curve: list[TrialOutcome], dataset: Dataset, winner: Evaluated, val_scores: dict | None = None) -> dict:
    """{"capacity_ladder": ...} when the second run retrained the winner's recipe at other rungs, else {}:
    each rung's final checkpoint (the winner's own rung: the curve's full-split point) in inference
    mode on validation only, so the rungs compare like with like and the test split is not touched."""
    from orchestrator.models.outputs import predict_proba
    from orchestrator.train.checkpoint import load_handover_model

    full = [o for o in curve if float(o.hparams.get("train_fraction", 1.0)) >= 1]
    if all(_own_size(o, winner) for o in full):
        return {}
    points, errors, counts, val_scores = [], [], dataset.train.class_counts(dataset.n_classes), val_scores or {}
    for outcome in full:
        hidden = list(outcome.hparams.get("hidden") or [])
        if _unfinished(outcome):
            errors.append({"hidden": hidden, "status": outcome.status, "error": outcome.error})
            continue
        val = val_scores.get(outcome.trial_id) or classification_metrics(
            dataset.val.y, predict_proba(load_handover_model(outcome.checkpoint), dataset.val.x), dataset.n_classes, counts)
        points.append({"hidden": hidden, "trial": outcome.trial_id, **{f"val_{k}": val.get(k) for k in LADDER_SCORES}})
    return {"capacity_ladder": {
        "variant": winner.outcome.variant, "winner": {"hidden": list(winner.outcome.hparams.get("hidden") or [])},
        "n_val": len(dataset.val), "points": sorted(points, key=lambda p: (len(p["hidden"]), p["hidden"])), "failed": errors,
        "rule": "the winner's recipe and hyperparameters retrained with the curve's seed on all training rows at every rung of "
                "search.hidden_ladder, its own included; each in inference mode on validation"}}


def feature_use(best: Evaluated, dataset: Dataset, seed: int) -> dict:
    """The `uninformative_features` check for the chosen model (permutation importance on validation);
    pixels are not features a person would drop, so for images it says it does not apply."""
    if dataset.kind == "images":
        return {"name": "uninformative_features", "status": "ok", "numbers": {},
                "message": "Feature importance does not apply to images (single pixels are not columns to drop)."}
    from orchestrator.models.outputs import class_probabilities
    from orchestrator.results.importance import check_uninformative_features
    from orchestrator.train.checkpoint import load_handover_model

    model = load_handover_model(best.outcome.checkpoint)

    def proba(x: np.ndarray) -> np.ndarray:  # a direct call: predict() costs milliseconds per call, and this makes hundreds
        return class_probabilities(np.asarray(model(np.asarray(x, dtype=np.float32), training=False)))

    return check_uninformative_features(proba, dataset, seed)
