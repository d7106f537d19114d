"""The report's pictures as PNG bytes: learning curves, the train − test gap per variant, and the
chosen model's confusion matrix. Drawn with matplotlib's Agg backend, no screen needed; a plot
whose data is missing is None, not an error."""

from __future__ import annotations

import io
import math

from orchestrator.report.fields import class_names, gap, get, isnum


def draw_plots(report: dict) -> dict[str, bytes | None]:
    import matplotlib

    matplotlib.use("Agg")
    variants = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    best = get(report, "best", "variant")
    return {"learning_curves": _learning_curves(variants), "gap": _gap_chart(variants, best),
            "confusion": _confusion(report), "training_size": _training_size(get(report, "diagnosis", "learning_curve"))}


def figure_png(fig) -> bytes:
    fig.savefig(buffer := io.BytesIO(), format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _learning_curves(variants: list[dict]) -> bytes | None:
    """Small multiples with a shared y axis, so curves compare across variants at a glance."""
    from matplotlib.figure import Figure

    with_history = [v for v in variants if isinstance(v.get("history"), list) and v["history"]]
    if not with_history:
        return None
    cols = min(3, len(with_history))
    rows = math.ceil(len(with_history) / cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    for ax, v in zip(axes, with_history):
        hist = [h for h in v["history"] if isinstance(h, dict)]
        for key, label, style in (("loss", "train", "-"), ("val_loss", "validation", "--")):
            points = [(h.get("epoch", i + 1), h[key]) for i, h in enumerate(hist) if isnum(h.get(key))]
            if points:
                ax.plot(*zip(*points), style, marker=".", label=label)
        if isnum(v.get("best_epoch")):
            ax.axvline(v["best_epoch"], color="grey", linestyle=":", linewidth=1, label="best epoch")
        ax.set(title=str(v.get("variant")), xlabel="epoch")
        ax.grid(alpha=0.3)
    for ax in axes[len(with_history):]:
        ax.set_visible(False)
    axes[0].set_ylabel("loss"), axes[0].legend(fontsize=8)
    return figure_png(fig)


def _training_size(curve) -> bytes | None:
    """The learning curve over training rows: train and validation score of the winner's recipe."""
    from matplotlib.figure import Figure

    points = [p for p in (curve or {}).get("points") or [] if isinstance(p, dict) and isnum(p.get("n_train"))]
    key = (curve or {}).get("judged_on") or "val_accuracy"
    if len(points) < 2:
        return None
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    n = [p["n_train"] for p in points]
    if key == "val_accuracy":
        ax.plot(n, [p.get("train_accuracy") for p in points], "-", marker="o", label="train accuracy")
    ax.plot(n, [p.get(key) for p in points], "--", marker="o", label=key.replace("val_", "validation ").replace("_", " "))
    ax.set(xlabel="training rows", ylabel="score", title=f"{(curve or {}).get('variant', '')}: score vs training rows")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return figure_png(fig)


def _gap_chart(variants: list[dict], best) -> bytes | None:
    from matplotlib.figure import Figure

    scored = [(str(v.get("variant")), gap(v)) for v in variants if gap(v) is not None]
    if not scored:
        return None
    names, gaps = zip(*scored)
    fig = Figure(figsize=(7, 0.45 * len(scored) + 1.2), layout="constrained")
    ax = fig.subplots()
    colors = ["#cf222e" if n == best else "#0969da" for n in names]
    ax.barh(range(len(names)), gaps, color=colors)
    ax.set_yticks(range(len(names)), [("★ " if n == best else "") + n for n in names])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    for i, g in enumerate(gaps):
        ax.text(g, i, f" {g:+.3f}", va="center", ha="left" if g >= 0 else "right", fontsize=9)
    ax.set_xlabel("train − test accuracy")
    ax.margins(x=0.15)
    return figure_png(fig)


def _confusion(report: dict) -> bytes | None:
    import numpy as np

    try:
        cm = np.asarray(get(report, "best", "test", "confusion_matrix") or [], dtype=float)
    except (TypeError, ValueError):  # ragged or non-numeric: no picture rather than no report
        return None
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        return None
    return confusion_png(cm, class_names(report, cm.shape[0]))


def confusion_png(cm, names: list[str], ylabel: str = "true") -> bytes:
    """A k x k confusion matrix (rows `ylabel`, columns predicted) with its counts written in."""
    import numpy as np
    from matplotlib.figure import Figure

    k = cm.shape[0]
    side = max(3.6, 0.55 * k + 2.2)
    fig = Figure(figsize=(side, side * 0.9), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), names, rotation=45 if k > 4 else 0)
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted", ylabel=ylabel)
    if k <= 20:
        for (i, j), count in np.ndenumerate(cm):
            ax.text(j, i, f"{count:g}", ha="center", va="center", color="white" if count > cm.max() / 2 else "black")
    return figure_png(fig)
