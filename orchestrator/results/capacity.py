"""What the network sizes searched say about capacity, in one sentence.

Every trial's hidden layers and last validation numbers are in `report.json`'s `all_trials`; the
sizes are grouped, and the best validation score of each size is compared with the winner's own
trial on the same validation rows. A smaller size within noise of the winner means the extra
capacity buys nothing; a winner at the largest size that still underfits means the search should
go wider or deeper. The score is validation accuracy, or, when the classes are imbalanced (where
accuracy flatters), the metric the trials were judged by.
"""

from __future__ import annotations

import math

from orchestrator.results.verdicts import imbalanced, num

# Two sizes whose best validation accuracies differ by less than two standard errors of one
# accuracy on these validation rows are indistinguishable on this data; for the other metrics
# (no closed-form error) 2% of the winner's value, at least 0.01, is the tolerance.
CAPACITY_NOISE_SE = 2.0
CAPACITY_RELATIVE = 0.02
THRESHOLDS = {"capacity_noise_se": CAPACITY_NOISE_SE, "capacity_relative": CAPACITY_RELATIVE}


CNN = "cnn"  # a CNN family size: (CNN, filters, depth, kernel_size)


def _size(hparams: dict) -> tuple | None:
    """A trial's network size: the CNN family's (filters, depth, kernel size), else the MLP's hidden layers."""
    try:
        if all(k in hparams for k in ("filters", "depth", "kernel_size")):
            return (CNN, int(hparams["filters"]), int(hparams["depth"]), int(hparams["kernel_size"]))
        return tuple(int(u) for u in hparams.get("hidden"))
    except (TypeError, ValueError):
        return None


def _weights(size: tuple) -> int:
    """Orders sizes by capacity: MLP hidden-to-hidden weights plus units; a CNN's convolution weights
    (filters double with each block)."""
    if size and size[0] == CNN:
        _, filters, depth, kernel = size
        return sum((filters * 2 ** max(i - 1, 0)) * filters * 2 ** i * kernel * kernel for i in range(depth))
    return sum(a * b for a, b in zip(size, size[1:])) + sum(size)


def _score(report: dict) -> tuple[str, int]:
    """(all_trials key, +1 when higher is better / -1 when lower is)."""
    if not imbalanced(report):
        return "val_accuracy", 1
    selection = report.get("selection") or {}
    return str(selection.get("metric") or "val_balanced_loss"), (-1 if selection.get("mode") == "min" else 1)


def _best_per_size(report: dict, key: str, sign: int) -> dict[tuple[int, ...], float]:
    best: dict[tuple[int, ...], float] = {}
    for t in report.get("all_trials") or []:
        if not isinstance(t, dict) or t.get("status") in ("errored", "diverged"):
            continue
        size, value = _size(t.get("hparams") or {}), num(t.get(key))
        if size is not None and value is not None:
            best[size] = value if size not in best else (max if sign > 0 else min)(best[size], value)
    return best


def _fields(size: tuple) -> dict:
    """A size as report.json spells it: {"hidden": [...]} for the MLP, the three CNN values otherwise."""
    if size and size[0] == CNN:
        return dict(zip(("filters", "depth", "kernel_size"), size[1:]))
    return {"hidden": list(size)}


def _label(size: tuple) -> str:
    if size and size[0] == CNN:
        return f"filters {size[1]}, depth {size[2]}, kernel {size[3]}×{size[3]}"
    return "hidden " + "-".join(str(u) for u in size)


def _tolerance(report: dict, key: str, value: float) -> float:
    best = report.get("best") or {}
    n_val = num((best.get("val") or {}).get("n")) or num((report.get("data") or {}).get("n_val"))
    if key == "val_accuracy":
        return CAPACITY_NOISE_SE * math.sqrt(value * (1 - value) / n_val) if n_val else 0.0
    return max(0.01, CAPACITY_RELATIVE * abs(value))


def _sentence(per_size: dict, order: list, winner: tuple, win: float, tol: float, key: str, sign: int, verdict) -> str:
    word = key.replace("val_", "validation ").replace("_", " ")
    smaller = [s for s in order if _weights(s) < _weights(winner)]
    matching = [s for s in smaller if sign * (per_size[s] - win) >= -tol]
    if matching:
        s = matching[0]
        return (f"Capacity: a smaller network ({_label(s)}) matches the winner's {_label(winner)} on {word} "
                f"({per_size[s]:.3g} vs {win:.3g}, within the ±{tol:.2g} noise or better), so the extra capacity buys "
                "nothing here: prefer the smaller one.")
    if winner == order[-1] and verdict == "underfit":
        knob = "model.params filters and depth" if winner[0] == CNN else "hparams.hidden"
        return (f"Capacity: the largest network searched ({_label(winner)}) is the winner and still underfits: "
                f"search wider or deeper networks ({knob}).")
    if smaller:
        top = max(smaller, key=lambda s: sign * per_size[s])
        return (f"Capacity: the winner's {_label(winner)} beats the smaller networks searched on {word} "
                f"({win:.3g} vs at best {per_size[top]:.3g} for {_label(top)}), so it uses that capacity.")
    larger = max(order[1:], key=lambda s: sign * per_size[s])
    return (f"Capacity: the winner is the smallest network searched ({_label(winner)}); larger ones reach at best "
            f"{per_size[larger]:.3g} on {word} ({_label(larger)}), so more capacity does not help.")


def capacity(report: dict, verdicts: list[dict]) -> dict | None:
    """{"sizes": [{hidden, best}], "judged_on", "winner", "message"}; None when no trial says its size."""
    key, sign = _score(report)
    per_size = _best_per_size(report, key, sign)
    best = report.get("best") or {}
    winner = _size(best.get("hparams") or {})
    trial = next((t for t in report.get("all_trials") or [] if isinstance(t, dict) and t.get("trial_id") == best.get("trial_id")), {})
    win = num(trial.get(key))
    if not per_size or winner is None or win is None or winner not in per_size:
        return None
    order = sorted(per_size, key=_weights)
    out = {"sizes": [{**_fields(s), "best": per_size[s]} for s in order], "judged_on": key, "winner": _fields(winner),
           "message": None}
    if len(order) >= 2:
        verdict = next((v["verdict"] for v in verdicts if v["variant"] == best.get("variant")), None)
        out["message"] = _sentence(per_size, order, winner, win, _tolerance(report, key, win), key, sign, verdict)
    return out
