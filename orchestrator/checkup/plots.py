"""doctor.html's pictures as PNG bytes, drawn from doctor.json alone: the test confusion matrix as
given and with the test labels remapped, train vs test accuracy with their intervals, drift per column,
and accuracy on the training rows under each candidate input transform. A picture whose numbers the
examination did not produce (no training rows, no mapping) is None, not an error."""

from __future__ import annotations

import numpy as np

from orchestrator.checkup.references import reference_rows
from orchestrator.report.plots import confusion_png, figure_png


def doctor_plots(report: dict) -> dict[str, bytes | None]:
    import matplotlib

    matplotlib.use("Agg")
    evidence = {f["cause"]: f["evidence"] for f in report["findings"]}
    classes = report["data"]["classes"]
    cm = np.asarray((report["as_is"]["test"] or {}).get("confusion_matrix") or [], dtype=float)
    return {"confusion_as_given": confusion_png(cm, classes, "test label as given") if cm.size else None,
            "confusion_remapped": _remapped(cm, classes, (evidence.get("label_mapping") or {}).get("mapping")),
            "accuracy": _accuracy(report),
            "drift": _bars((evidence.get("covariate_shift") or {}).get("drifting_columns"), "ROC-AUC of the column alone "
                           "(train vs test)", 0.5),
            "transforms": _transforms(evidence.get("preprocessing_mismatch") or {})}


def remap(cm: np.ndarray, classes: list[str], mapping: dict) -> np.ndarray:
    """The confusion matrix with each test label read as the class the mapping says it means."""
    out = np.zeros_like(cm)
    for k, name in enumerate(classes):
        out[classes.index(mapping.get(name, name))] += cm[k]
    return out


def _remapped(cm: np.ndarray, classes: list[str], mapping: dict | None) -> bytes | None:
    if not mapping or not cm.size:
        return None
    return confusion_png(remap(cm, classes, mapping), classes, "test label remapped")


def _accuracy(report: dict) -> bytes | None:
    """Accuracy with its 95% interval per split, the references on test and the repaired model."""
    from matplotlib.figure import Figure

    rows = [(split, s) for split, s in report["as_is"].items() if s]
    rows += [(name.replace("reference, ", ""), s) for name, s in reference_rows(report)]
    if report.get("repaired"):
        rows.append(("repaired (test)", report["repaired"]["test"]))
    fig = Figure(figsize=(6.5, 0.45 * len(rows) + 1), layout="constrained")
    ax = fig.subplots()
    accuracy = np.array([s["accuracy"] for _, s in rows])
    low, high = np.array([s["accuracy_interval"] for _, s in rows]).T
    ax.errorbar(accuracy, range(len(rows)), xerr=[accuracy - low, high - accuracy], fmt="o", capsize=4)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="accuracy (95% interval)")
    ax.grid(axis="x", alpha=0.3)
    return figure_png(fig)


def _bars(values: dict | None, xlabel: str, start: float = 0.0) -> bytes | None:
    """Horizontal bars, one per named value, in the order given."""
    from matplotlib.figure import Figure

    if not values:
        return None
    fig = Figure(figsize=(6.5, 0.35 * len(values) + 1), layout="constrained")
    ax = fig.subplots()
    ax.barh(range(len(values)), [v - start for v in values.values()], left=start)
    ax.set_yticks(range(len(values)), list(values))
    ax.invert_yaxis()
    ax.set(xlim=(start, 1), xlabel=xlabel)
    return figure_png(fig)


def _transforms(evidence: dict) -> bytes | None:
    tried = evidence.get("train_accuracy_by_transform")
    if not tried:
        return None
    return _bars({"as given": evidence["train_accuracy_as_given"], **tried}, "accuracy on the training rows")
