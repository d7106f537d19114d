"""What the network sizes searched say about capacity, in one sentence.

Every trial's hidden layers and last validation numbers are in `report.json`'s `all_trials`. Like
is compared with like: only the winner's recipe (its variant: the same regularizers and class
weights) at each size, and only trials that ran that recipe to its end (completed or early
stopped; a trial ASHA cut short was judged at a rung, not at its end), so a size is not credited
with what another recipe did. The best validation score of each size is compared with the winner's
own trial on the same validation rows. The sizes form the capacity ladder (`search.hidden_ladder`,
from no hidden layer up): a smaller rung within noise of the winner means the extra capacity buys
nothing (the linear rung: a linear model does as well); a winner at the largest rung that still
underfits means the search should go wider or deeper. The score is validation accuracy, or, when
the classes are imbalanced (where accuracy flatters), the metric the trials were judged by.

With the default search (two draws per variant over five rungs) the winner's recipe usually
finishes at one size only, and the trials cannot tell. So the MLP family's ladder is also retrained
(`tuning.curve`, `report.json` → `capacity_ladder`): the winner's recipe and hyperparameters at every
rung, its own rung included, on the full training split with one seed, judged on validation. When
those retrains are there, the sentence concludes from them (`from: "ladder"`); otherwise (an old
report, the learning curve off, a CNN or a user's model) from the finished trials (`from: "trials"`).
"""

from __future__ import annotations

import math

from orchestrator.results.verdicts import imbalanced, num
from orchestrator.tuning.outcomes import FINISHED

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


def _recipe_trials(report: dict) -> list[dict]:
    """The winner's own trial and every other trial of its variant that ran the recipe to its end."""
    best = report.get("best") or {}
    return [t for t in report.get("all_trials") or [] if isinstance(t, dict) and (t.get("trial_id") == best.get("trial_id") or (
        t.get("variant") == best.get("variant") and t.get("status") in FINISHED))]


def _best_per_size(trials: list[dict], key: str, sign: int) -> dict[tuple[int, ...], float]:
    best: dict[tuple[int, ...], float] = {}
    for t in trials:
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
    return "hidden " + "-".join(str(u) for u in size) if size else "no hidden layer"


def _tolerance(report: dict, key: str, value: float) -> float:
    best = report.get("best") or {}
    n_val = num((best.get("val") or {}).get("n")) or num((report.get("data") or {}).get("n_val"))
    if key == "val_accuracy":  # one row off a perfect score is noise too: p is kept a row away from 0 and 1
        p = min(max(value, 1 / n_val), 1 - 1 / n_val) if n_val else value
        return CAPACITY_NOISE_SE * math.sqrt(p * (1 - p) / n_val) if n_val else 0.0
    return max(0.01, CAPACITY_RELATIVE * abs(value))


def _largest_searched(report: dict) -> tuple | None:
    """The largest size any trial of the search drew, whatever its recipe or end."""
    sizes = [_size(t.get("hparams") or {}) for t in report.get("all_trials") or [] if isinstance(t, dict)]
    return max((s for s in sizes if s is not None), key=_weights, default=None)


def _underfit_at_top(winner: tuple, largest: tuple | None) -> str:
    """The winner underfits at the largest size its recipe finished: widen the ladder only when that
    is the largest size searched; otherwise the larger rungs were drawn but not finished with this recipe."""
    if largest is None or _weights(largest) <= _weights(winner):
        knob = "model.params filters and depth" if winner and winner[0] == CNN else "search.hidden_ladder"
        return (f"Capacity: the largest network searched ({_label(winner)}) is the winner and still underfits: "
                f"search wider or deeper networks ({knob}).")
    return (f"Capacity: the winner ({_label(winner)}) still underfits and is the largest size its recipe finished with; "
            f"larger ones were searched (up to {_label(largest)}) but not finished with this recipe, so the search cannot "
            "tell whether they fit better: more samples per variant (search.samples) would.")


def _prefer_smaller(per_size: dict, winner: tuple, win: float, tol: float, sign: int, word: str, how: str) -> str | None:
    """The smallest size below the winner's within noise of it (or better), said as the one to prefer; None if none is."""
    smaller = sorted((s for s in per_size if _weights(s) < _weights(winner)), key=_weights)
    s = next((s for s in smaller if sign * (per_size[s] - win) >= -tol), None)
    if s is None:
        return None
    which = "a linear model" if s == () else "a smaller network"
    return (f"Capacity: {how}, {which} ({_label(s)}) matches the winner's {_label(winner)} on {word} "
            f"({per_size[s]:.3f} vs {win:.3f}, within the ±{tol:.3f} noise or better), so the extra capacity buys "
            "nothing here: prefer the smaller one.")


def _sentence(per_size: dict, order: list, winner: tuple, win: float, tol: float, key: str, sign: int, verdict,
              largest: tuple | None = None) -> str:
    word = key.replace("val_", "validation ").replace("_", " ")
    smaller = [s for s in order if _weights(s) < _weights(winner)]
    preferred = _prefer_smaller(per_size, winner, win, tol, sign, word, "with the same recipe")
    if preferred:
        return preferred
    if winner == order[-1] and verdict == "underfit":
        return _underfit_at_top(winner, largest)
    if smaller:
        top = max(smaller, key=lambda s: sign * per_size[s])
        return (f"Capacity: the winner's {_label(winner)} beats the smaller networks its recipe finished with on {word} "
                f"({win:.3g} vs at best {per_size[top]:.3g} for {_label(top)}), so it uses that capacity.")
    larger = max(order[1:], key=lambda s: sign * per_size[s])
    return (f"Capacity: the winner is the smallest network its recipe finished with ({_label(winner)}); larger ones reach "
            f"at best {per_size[larger]:.3g} on {word} ({_label(larger)}), so more capacity does not help.")


RULE = ("the winner's recipe (its variant) at each size, finished trials only (completed or early stopped), "
        "the best validation score of each size against the winner's own trial")


LADDER_RULE = ("the winner's recipe and hyperparameters retrained with one seed at every rung of search.hidden_ladder "
               "(its own rung included) on the full training split, each judged on validation")


def _ladder_points(report: dict, key: str) -> dict[tuple, float]:
    """The ladder's retrains as {size: validation score}, the ones that finished and report `key`."""
    points = {}
    for point in (report.get("capacity_ladder") or {}).get("points") or []:
        size, value = _size(point), num(point.get(key))
        if size is not None and value is not None:
            points[size] = value
    return points


def _ladder_sentence(per_size: dict, winner: tuple, tol: float, key: str, sign: int, verdict) -> str:
    """What the retrains at every rung say: prefer a smaller rung within noise, a larger one that
    does better beyond it, widen a top rung that underfits, or the winner uses its capacity."""
    word = key.replace("val_", "validation ").replace("_", " ")
    order, win = sorted(per_size, key=_weights), per_size[winner]
    smaller = [s for s in order if _weights(s) < _weights(winner)]
    larger = [s for s in order if _weights(s) > _weights(winner)]
    same = "retrained with the winner's recipe and hyperparameters (one seed, every rung)"
    preferred = _prefer_smaller(per_size, winner, win, tol, sign, word, same)
    if preferred:
        return preferred
    better = [s for s in larger if sign * (per_size[s] - win) > tol]
    if better:
        s = max(better, key=lambda b: sign * per_size[b])
        return (f"Capacity: {same}, a larger network ({_label(s)}) does better than the winner's {_label(winner)} on "
                f"{word} ({per_size[s]:.3f} vs {win:.3f}, beyond the ±{tol:.3f} noise): more capacity helps here, "
                "and more samples per variant (search.samples) would let the search find it.")
    if not larger and verdict == "underfit":
        return (f"Capacity: the winner is the largest rung of the ladder ({_label(winner)}) and still underfits: "
                "search wider or deeper networks (search.hidden_ladder).")
    if smaller:
        top = max(smaller, key=lambda s: sign * per_size[s])
        return (f"Capacity: {same}, every smaller rung falls short of the winner's {_label(winner)} on {word} "
                f"({win:.3f} vs at best {per_size[top]:.3f} for {_label(top)}, beyond the ±{tol:.3f} noise), "
                "so it uses that capacity.")
    return (f"Capacity: the winner is the smallest rung of the ladder ({_label(winner)}); {same}, the larger ones do "
            f"no better on {word} beyond the ±{tol:.3f} noise, so more capacity does not help.")


def _from_ladder(report: dict, verdicts: list[dict], key: str, sign: int) -> dict | None:
    """The capacity entry from the ladder's retrains; None without the winner's own rung and another."""
    best = report.get("best") or {}
    per_size, winner = _ladder_points(report, key), _size(best.get("hparams") or {})
    if winner is None or winner not in per_size or len(per_size) < 2:
        return None
    verdict = next((v["verdict"] for v in verdicts if v["variant"] == best.get("variant")), None)
    order = sorted(per_size, key=_weights)
    return {"sizes": [{**_fields(s), "best": per_size[s]} for s in order], "judged_on": key, "variant": best.get("variant"),
            "winner": _fields(winner), "from": "ladder", "rule": LADDER_RULE,
            "message": _ladder_sentence(per_size, winner, _tolerance(report, key, per_size[winner]), key, sign, verdict)}


def capacity(report: dict, verdicts: list[dict]) -> dict | None:
    """{"sizes": [{hidden, best}], "judged_on", "variant", "winner", "from", "message", "rule"}: from the
    ladder's retrains when report.json has them, else from the finished trials; None when no trial says its size."""
    key, sign = _score(report)
    laddered = _from_ladder(report, verdicts, key, sign)
    if laddered is not None:
        return laddered
    trials = _recipe_trials(report)
    per_size = _best_per_size(trials, key, sign)
    best = report.get("best") or {}
    winner = _size(best.get("hparams") or {})
    win = num(next((t.get(key) for t in trials if t.get("trial_id") == best.get("trial_id")), None))
    if not per_size or winner is None or win is None or winner not in per_size:
        return None
    order = sorted(per_size, key=_weights)
    out = {"sizes": [{**_fields(s), "best": per_size[s]} for s in order], "judged_on": key, "variant": best.get("variant"),
           "winner": _fields(winner), "from": "trials", "message": None, "rule": RULE}
    if len(order) >= 2:
        verdict = next((v["verdict"] for v in verdicts if v["variant"] == best.get("variant")), None)
        out["message"] = _sentence(per_size, order, winner, win, _tolerance(report, key, win), key, sign, verdict,
                                   _largest_searched(report))
    else:
        out["message"] = (f"Capacity: {best.get('variant')}, the winner's recipe, finished at one size only "
                          f"({_label(winner)}), so this search cannot tell whether another size would do better "
                          "(more trials per variant, search.samples, try more sizes).")
    return out
