"""Reading a report's optional fields safely: a report is most needed when a run went wrong, so
every renderer tolerates missing or odd values and shows '–' instead of raising."""

from __future__ import annotations


def isnum(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fmt(value, spec: str = ".3f") -> str:
    return format(value, spec) if isnum(value) else "–"


def get(d, *keys):
    """d[k1][k2]…, or None where any level is missing or not a dict."""
    for key in keys:
        d = d.get(key) if isinstance(d, dict) else None
    return d


def gap(variant: dict):
    """Train − test accuracy of a variant entry: the recorded gap, else computed from the two accuracies."""
    recorded = get(variant, "gap", "accuracy_train_test")
    train, test = get(variant, "train", "accuracy"), get(variant, "test", "accuracy")
    return recorded if isnum(recorded) else (train - test if isnum(train) and isnum(test) else None)


def class_names(report: dict, k: int) -> list[str]:
    names = [str(n) for n in get(report, "data", "class_names") or []]
    return names if len(names) == k else [str(i) for i in range(k)]
