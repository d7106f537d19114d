"""`report.json`, the contract other tools read: how it is built, written and read back.

Fixed fields: schema_version, experiment, task, selection, data, trials, variants, best,
all_trials, comparisons and references (`results.significance`, `results.references`), diagnosis
(from `results.diagnosis`), export. The gap of a variant is train minus test
accuracy, all measured in inference mode on the saved checkpoint. Trial statuses are the words of
`tuning.outcomes`: completed, early_stopped, stopped_by_asha, diverged, errored.

Schema 2 renamed the status words of schema 1 (`stopped_early` → `stopped_by_asha`,
`early_stopping` → `early_stopped`) and the trial counts (`completed` there included the trials
that early stopping ended; here `finished` does, and `completed` does not). `read_report` upgrades
a schema-1 report in memory, so `gg-train show/report/list` read experiments written before.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from orchestrator.data import Dataset
from orchestrator.folder.experiments import BEST_DIR, REPORT, read_report_json
from orchestrator.folder.files import write_json_atomic
from orchestrator.results.evaluation import Evaluated
from orchestrator.train.checkpoint import MODEL_FILE
from orchestrator.tuning.outcomes import (
    COMPLETED,
    DIVERGED,
    EARLY_STOPPED,
    ERRORED,
    FINISHED,
    STOPPED_BY_ASHA,
    TrialOutcome,
)

SCHEMA_VERSION = 2
_V1_STATUS = {"stopped_early": STOPPED_BY_ASHA, "early_stopping": EARLY_STOPPED}


def _variant_entry(ev: Evaluated) -> dict:
    o = ev.outcome
    return {
        "variant": o.variant,
        "kind": o.kind,
        "trial_id": o.trial_id,
        "status": o.status,
        "epochs": o.epochs,
        "max_epochs": o.max_epochs,
        "best_epoch": o.metrics.get("best_epoch"),
        "hparams": o.hparams,
        "train": ev.train,
        "val": ev.val,
        "test": ev.test,
        "gap": {
            "accuracy_train_test": ev.train["accuracy"] - ev.test["accuracy"],
            "accuracy_train_val": ev.train["accuracy"] - ev.val["accuracy"],
            "loss_test_train": ev.test["loss"] - ev.train["loss"],
        },
        "strategy": o.metrics.get("strategy"),
        "replicas": o.metrics.get("replicas"),
        "devices": (o.metrics.get("devices") or "").split(",") if o.metrics.get("devices") else [],
        "global_batch": o.metrics.get("global_batch"),
        "precision": o.metrics.get("precision"),
        "gpu_peak_mb": o.metrics.get("gpu_peak_mb"),  # GPU trials: the most memory TensorFlow held
        "history": [{k: h[k] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy") if k in h} for h in ev.history],
    }


def trial_counts(outcomes: list[TrialOutcome]) -> dict:
    """How the trials ended: `finished` = completed + early_stopped (they ran their recipe to its end)."""
    counts = Counter(o.status for o in outcomes)
    return {
        "total": len(outcomes),
        "finished": sum(counts[s] for s in FINISHED),
        "completed": counts[COMPLETED],
        "early_stopped": counts[EARLY_STOPPED],
        "stopped_by_asha": counts[STOPPED_BY_ASHA],
        "diverged": counts[DIVERGED],
        "errored": counts[ERRORED],
    }


def upgrade_trial_counts(counts: dict) -> dict:
    """Schema-1 trial counts (report.json, manifest.json) in schema-2 words; schema-2 ones unchanged."""
    if "finished" in counts or "stopped_early" not in counts:
        return counts
    early = counts.get("early_stopping", 0)
    return {"total": counts.get("total", 0), "finished": counts.get("completed", 0), "completed": counts.get("completed", 0) - early,
            "early_stopped": early, "stopped_by_asha": counts.get("stopped_early", 0),
            "diverged": counts.get("diverged", 0), "errored": counts.get("errored", 0)}


def upgrade(report: dict) -> dict:
    """A report of any schema this version wrote, in the current schema's words (in memory)."""
    if report.get("schema_version", 1) >= SCHEMA_VERSION:
        return report
    for entry in [*(report.get("variants") or []), *(report.get("all_trials") or [])]:
        if isinstance(entry, dict) and entry.get("status") in _V1_STATUS:
            entry["status"] = _V1_STATUS[entry["status"]]
    if isinstance(report.get("trials"), dict):
        report["trials"] = upgrade_trial_counts(report["trials"])
    report["schema_version"] = SCHEMA_VERSION
    return report


def read_report(folder: Path) -> dict | None:
    """report.json of an experiment folder, upgraded to the current schema; None if absent or unreadable."""
    raw = read_report_json(folder)
    return upgrade(raw) if isinstance(raw, dict) else None


def _trial_entry(o: TrialOutcome) -> dict:
    """One trial in `all_trials`: how it ended, its last validation numbers, and where it ran."""
    return {"trial_id": o.trial_id, "variant": o.variant, "status": o.status, "epochs": o.epochs,
            "val_loss": o.metrics.get("val_loss"), "val_accuracy": o.metrics.get("val_accuracy"),
            "val_balanced_loss": o.metrics.get("val_balanced_loss"), "val_pr_auc": o.metrics.get("val_pr_auc"),
            "hparams": o.hparams, "error": o.error,
            "node": {"id": o.metrics.get("node_id"), "ip": o.metrics.get("node_ip"), "host": o.metrics.get("hostname")},
            # How it trained: the strategy, its replicas and each worker's node (several with --workers-per-trial).
            "workers": {"strategy": o.metrics.get("strategy"), "replicas": o.metrics.get("replicas"),
                        "nodes": str(o.metrics.get("worker_nodes") or o.metrics.get("node_id") or "").split(",")}}


def build(
    *, name: str, exp_dir: Path, dataset: Dataset, metric: str, mode: str, outcomes: list[TrialOutcome],
    evaluated: dict[str, Evaluated], best: Evaluated | None, confusion: list | None, variant_order: list[str],
    checks: list[dict] = (), model: dict | None = None,
) -> dict:
    """report.json from what the results computed; the diagnosis is added by the caller
    (`results.diagnosis.diagnose` reads this very dict)."""
    described = dataset.describe()
    report = {
        "schema_version": SCHEMA_VERSION,
        "experiment": name,
        "task": dataset.task,
        "selection": {
            "metric": metric,
            "mode": mode,
            "scope": "last",
            "rule": "each trial is judged by the validation metric of the model it ended with; the test split is "
                    "evaluated once, after selection, for the chosen checkpoint of each variant",
        },
        "data": {**{k: described[k] for k in ("source", "n_train", "n_val", "n_test", "class_counts", "class_names", "hashes", "test_given",
                                                 "unlabelled_rows", "dropped_columns", "test_from", "test_path")},
                 "checks": list(checks)},
        # which model was trained: the built-in family, or the user's builder or saved model with
        # the notes of its check and, for a saved model, the layers each variant changed
        "model": dict(model or {}),
        "trials": trial_counts(outcomes),
        "variants": [_variant_entry(evaluated[v]) for v in variant_order if v in evaluated],
        "variants_without_result": [v for v in variant_order if v not in evaluated],
        "best": None,
        "all_trials": [_trial_entry(o) for o in outcomes],
    }
    if best is not None:
        o = best.outcome
        report["best"] = {
            "variant": o.variant,
            "trial_id": o.trial_id,
            "checkpoint": os.path.relpath(o.checkpoint, exp_dir),
            "model": f"{BEST_DIR}/{MODEL_FILE}",
            "hparams": o.hparams,
            "train": best.train,
            "val": best.val,
            "test": {**best.test, "confusion_matrix": confusion},
            "threshold": best.threshold,
        }
    return report


def write(exp_dir: Path, report: dict) -> Path:
    path = Path(exp_dir) / REPORT
    write_json_atomic(path, report)
    return path
