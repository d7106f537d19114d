"""`report.json`, the contract other tools read, and the summary table printed at the end.

Fixed fields: schema_version, experiment, task, selection, data, trials, variants, best. The gap of
a variant is train minus test accuracy, all measured in inference mode on the saved checkpoint.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from orchestrator.checkpoint import write_json_atomic
from orchestrator.data import Dataset
from orchestrator.evaluation import Evaluated
from orchestrator.tuning_types import TrialOutcome

SCHEMA_VERSION = 1


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
        "history": [{k: h[k] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy") if k in h} for h in ev.history],
    }


def trial_counts(outcomes: list[TrialOutcome]) -> dict:
    counts = Counter(o.status for o in outcomes)
    return {
        "total": len(outcomes),
        "completed": counts["completed"] + counts["early_stopping"],
        "stopped_early": counts["stopped_early"],
        "early_stopping": counts["early_stopping"],
        "diverged": counts["diverged"],
        "errored": counts["errored"],
    }


def build(
    *, name: str, exp_dir: Path, dataset: Dataset, metric: str, mode: str, outcomes: list[TrialOutcome],
    evaluated: dict[str, Evaluated], best: Evaluated | None, confusion: list | None, variant_order: list[str],
    checks: list[dict] = (),
) -> dict:
    from orchestrator.diagnosis import diagnose

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
        "data": {**{k: described[k] for k in ("source", "n_train", "n_val", "n_test", "class_counts", "class_names", "hashes", "test_given")},
                 "checks": list(checks)},
        "trials": trial_counts(outcomes),
        "variants": [_variant_entry(evaluated[v]) for v in variant_order if v in evaluated],
        "variants_without_result": [v for v in variant_order if v not in evaluated],
        "best": None,
        "all_trials": [
            {"trial_id": o.trial_id, "variant": o.variant, "status": o.status, "epochs": o.epochs,
             "val_loss": o.metrics.get("val_loss"), "val_accuracy": o.metrics.get("val_accuracy"), "error": o.error}
            for o in outcomes
        ],
    }
    if best is not None:
        o = best.outcome
        report["best"] = {
            "variant": o.variant,
            "trial_id": o.trial_id,
            "checkpoint": os.path.relpath(o.checkpoint, exp_dir),
            "model": "best/model.keras",
            "hparams": o.hparams,
            "train": best.train,
            "val": best.val,
            "test": {**best.test, "confusion_matrix": confusion},
        }
    report["diagnosis"] = diagnose(report)
    return report


def write(exp_dir: Path, report: dict) -> Path:
    path = exp_dir / "report.json"
    write_json_atomic(path, report)
    return path


def summary_table(report: dict):
    """The variants side by side: train / val / test accuracy and the train − test gap."""
    from rich.table import Table

    best = (report.get("best") or {}).get("variant")
    table = Table(title=f"{report['experiment']}: chosen on {report['selection']['metric']} (validation), tested once")
    for col in ("variant", "status", "epochs", "train acc", "val acc", "test acc", "gap", "test F1", "test loss"):
        table.add_column(col, justify="left" if col in ("variant", "status") else "right")
    for v in report["variants"]:
        table.add_row(
            ("★ " if v["variant"] == best else "") + v["variant"], v["status"].replace("_", " "), f"{v['epochs']}/{v['max_epochs']}",
            f"{v['train']['accuracy']:.3f}", f"{v['val']['accuracy']:.3f}", f"{v['test']['accuracy']:.3f}",
            f"{v['gap']['accuracy_train_test']:+.3f}", f"{v['test']['f1']:.3f}", f"{v['test']['loss']:.3f}",
        )
    return table
