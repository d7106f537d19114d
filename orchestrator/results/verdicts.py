"""One verdict per variant: overfit, underfit, noise ceiling or good fit, and the numbers behind it.

The fit is judged on accuracy, or on *balanced* accuracy when the training classes are imbalanced:
there, always answering the majority scores high accuracy while learning nothing, and balanced
accuracy (the mean of the per-class recalls) puts that model at 1/K, where it belongs. The floor a
model must clear is then 1/K instead of the majority share.

A variant that does not fit its training data is `underfit` only when nothing in the experiment
does: when a sibling variant (the same network without the regularizer, typically) fits the same
training labels almost perfectly, capacity is not what is missing. What the regularized model
leaves unfitted is what the features do not explain (label noise, mostly), and the verdict is
`noise ceiling`, so the user is not sent to buy capacity that would only memorize the noise. (Not
under imbalance: there a low balanced accuracy is the majority class winning, and the reason says so.)

Under imbalance a model that answers the majority class for almost every row is `majority only`:
its cause is the imbalance (class weighting and the threshold address it), not capacity, so it is
never called `underfit`, which sends the user to a bigger network.
"""

from __future__ import annotations

import math

from orchestrator.data.checks import imbalance_numbers
from orchestrator.data.dataset import SPLITS

# Overfit: train more than 10 points above validation. Stratified splits of a few hundred rows
# differ by a few points from sampling alone (2 standard errors at n=100, p=0.8 is 0.08), so 0.10
# is a gap that noise rarely explains.
OVERFIT_GAP = 0.10
# Memorization: (near-)perfect train score with validation 5+ points lower is overfitting even when
# the gap is below OVERFIT_GAP; a model that fits noise perfectly has nothing left to generalize with.
MEMORIZED_TRAIN = 0.98
MEMORIZED_GAP = 0.05
# Underfit: train score within 5 points of the floor (it learned almost nothing), or less than half
# of the way from the floor to 1.0 on the data it trained on.
UNDERFIT_MARGIN = 0.05
UNDERFIT_SKILL = 0.5
# Majority only: it recalls at least this share of the majority class and at most 1 − this share of
# every other class, on train and on validation. A model that finds 5% of a class has not learned it.
MAJORITY_ONLY_RECALL = 0.95
# Val loss "turned up" after the epoch a patience-3 early stopping would have restored: a running
# minimum followed by 3 epochs all above it.
TURN_UP_PATIENCE = 3

THRESHOLDS = {"overfit_gap": OVERFIT_GAP, "memorized_train": MEMORIZED_TRAIN, "memorized_gap": MEMORIZED_GAP,
              "underfit_margin": UNDERFIT_MARGIN, "underfit_skill": UNDERFIT_SKILL, "turn_up_patience": TURN_UP_PATIENCE,
              "majority_only_recall": MAJORITY_ONLY_RECALL}


def num(value) -> float | None:
    """A finite float, or None for anything missing, non-numeric or NaN."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def metric(entry: dict | None, split: str, key: str = "accuracy") -> float | None:
    return num(((entry or {}).get(split) or {}).get(key))


def diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def class_counts(report: dict, split: str) -> list[int]:
    return list(((report.get("data") or {}).get("class_counts") or {}).get(split) or [])


def imbalanced(report: dict) -> bool:
    """The class_imbalance check's word when the report has it, else the rule on the class counts."""
    checks = [c for c in (report.get("data") or {}).get("checks") or [] if isinstance(c, dict)]
    named = next((c for c in checks if c.get("name") == "class_imbalance"), None)
    if named is not None:
        return named.get("status") == "warn"
    counts = class_counts(report, "train")
    return bool(counts) and imbalance_numbers(counts)["warn"]


def majority(report: dict, entry: dict | None, split: str) -> float | None:
    """Accuracy of always answering the training majority class on `split`: reported, else from the counts."""
    reported = metric(entry, split, "majority_accuracy")
    train, counts = class_counts(report, "train"), class_counts(report, split)
    if reported is not None or not train or len(counts) != len(train) or not sum(counts):
        return reported
    return counts[train.index(max(train))] / sum(counts)


def judged_on(report: dict) -> str:
    """The score fit is judged on: balanced accuracy under class imbalance, else accuracy."""
    return "balanced_accuracy" if imbalanced(report) else "accuracy"


def _floor(report: dict, entry: dict, key: str) -> float | None:
    """What a model that learned nothing scores on `key`: the majority share, or 1/K balanced."""
    if key == "balanced_accuracy":
        k = len(class_counts(report, "train")) or len((entry.get("train") or {}).get("per_class") or [])
        return 1 / k if k else None
    return majority(report, entry, "train")


def val_loss_turned_up_at(history: list[dict] | None, patience: int = TURN_UP_PATIENCE) -> int | None:
    """The first epoch whose val_loss is a running minimum followed by `patience` epochs all above it, else None."""
    points = [(h.get("epoch", i + 1), num(h.get("val_loss"))) for i, h in enumerate(history or [])]
    points = [(e, loss) for e, loss in points if loss is not None]
    best = math.inf
    for i, (epoch, loss) in enumerate(points):
        if loss < best:
            best = loss
            after = [later for _, later in points[i + 1:i + 1 + patience]]
            if len(after) == patience and all(later > best for later in after):
                return int(epoch)
    return None


def _underfit_why(train: float, floor: float | None, word: str) -> str | None:
    """Why the train score says the model did not fit its data, or None when it did."""
    if floor is None:
        return None
    if train - floor <= UNDERFIT_MARGIN:
        return f"train {word} {train:.2f} is within {UNDERFIT_MARGIN:.2f} of the {floor:.2f} a model that learned nothing scores"
    if floor < 1 and (train - floor) / (1 - floor) < UNDERFIT_SKILL:
        return (f"train {word} {train:.2f} covers less than {UNDERFIT_SKILL:.0%} of the way from the {floor:.2f} "
                "of a model that learned nothing to 1.00, so it does not even fit the data it trained on")
    return None


def classify(train: float, held: float, floor: float | None, memorizer: tuple[str, float] | None,
             word: str = "accuracy") -> tuple[str, str]:
    """(verdict, why) from the train and held-out (val, else test) scores, the floor, and a sibling
    variant that fits the training set almost perfectly (name, its train score), if any."""
    gap = train - held
    if gap > OVERFIT_GAP:
        return "overfit", f"train {word} is {gap:.2f} above validation, over the {OVERFIT_GAP:.2f} limit"
    if train >= MEMORIZED_TRAIN and gap >= MEMORIZED_GAP:
        return "overfit", f"it fits the training set almost perfectly ({train:.2f}) yet validation is {gap:.2f} lower"
    underfit = _underfit_why(train, floor, word)
    if underfit and memorizer is not None:
        name, fitted = memorizer
        return "noise ceiling", (f"{underfit}, yet {name} fits the same training labels to {fitted:.2f}: the capacity is "
                                 "there, and what this model leaves unfitted looks like label noise (or features that do "
                                 "not determine the label), which more capacity would only memorize")
    if underfit:
        return "underfit", underfit
    above = f", and well above the {floor:.2f} of a model that learned nothing" if floor is not None else ""
    return "good fit", f"train {word} is {gap:.2f} above validation, within the {OVERFIT_GAP:.2f} limit{above}"


def _majority_only(entry: dict, report: dict) -> str | None:
    """Why `entry` answers the training majority class for almost every row (its per-class recall
    on train and on validation, where given), or None when it finds the other classes."""
    counts, names = class_counts(report, "train"), (report.get("data") or {}).get("class_names") or []
    if len(counts) < 2:
        return None
    k = counts.index(max(counts))
    found = []
    for split in ("train", "val"):
        recalls = [num(c.get("recall")) for c in (entry.get(split) or {}).get("per_class") or []]
        if len(recalls) != len(counts) or None in recalls:
            continue
        others = max(recalls[:k] + recalls[k + 1:])
        if recalls[k] < MAJORITY_ONLY_RECALL or others > 1 - MAJORITY_ONLY_RECALL:
            return None
        found.append(f"{others:.0%} on {split}")
    if not found:
        return None
    name = f"'{names[k]}'" if k < len(names) else "the majority class"
    return (f"it answers {name} for almost every row and finds at most {', '.join(found)} of any other class: with "
            "imbalanced classes that is the imbalance winning, not a lack of capacity; class weighting (the _balanced "
            "variants) and the tuned threshold address it")


def _memorizer(entries: list[dict], key: str) -> tuple[str, float] | None:
    """The variant fitting its training set best, when it does so almost perfectly."""
    fits = [(str(e.get("variant", "?")), metric(e, "train", key)) for e in entries]
    fits = [(n, t) for n, t in fits if t is not None]
    best = max(fits, key=lambda nt: nt[1], default=None)
    return best if best is not None and best[1] >= MEMORIZED_TRAIN else None


def verdict(entry: dict, report: dict, memorizer: tuple[str, float] | None = None) -> dict | None:
    """One variant's verdict, or None when it has no train score or no held-out score to compare with."""
    key = judged_on(report)
    word = key.replace("_", " ")
    train, val, test = (metric(entry, s, key) for s in SPLITS)
    held = val if val is not None else test
    if train is None or held is None:
        return None
    # Under imbalance a low balanced accuracy is the majority class winning, not noise: no sibling excuse.
    sibling = memorizer if memorizer is not None and memorizer[0] != entry.get("variant") and key == "accuracy" else None
    label, why = classify(train, held, _floor(report, entry, key), sibling, word)
    majority_only = _majority_only(entry, report) if key == "balanced_accuracy" else None
    if majority_only:
        label, why = "majority only", majority_only
    elif label == "underfit" and key == "balanced_accuracy":
        why += ("; with imbalanced classes that usually means it learned to answer the majority, which class "
                "weighting (the _balanced variants) addresses, not more capacity")
    turned = val_loss_turned_up_at(entry.get("history"))
    scores = ", ".join(f"{s} {a:.2f}" for s, a in zip(SPLITS, (train, val, test)) if a is not None)
    extra = f"; val loss turned up after epoch {turned}" if turned is not None and label == "overfit" else ""
    return {"variant": str(entry.get("variant", "?")), "kind": entry.get("kind"), "verdict": label, "judged_on": key,
            "train": train, "val": val, "test": test,
            "train_accuracy": metric(entry, "train"), "val_accuracy": metric(entry, "val"), "test_accuracy": metric(entry, "test"),
            "gap_train_val": diff(train, val), "gap_train_test": diff(train, test), "gap_val_test": diff(val, test),
            "val_loss_turned_up_at": turned, "reason": f"{label.capitalize()}: {why} ({word}: {scores}{extra})."}


def verdicts(report: dict) -> list[dict]:
    """Every variant's verdict; the siblings decide between `underfit` and `noise ceiling`."""
    entries = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    memorizer = _memorizer(entries, judged_on(report))
    return [d for d in (verdict(v, report, memorizer) for v in entries) if d is not None]
