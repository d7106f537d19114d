"""A deterministic, stratified train/validation/test split (scikit-learn's, seeded).

The test split is cut first and only here, on the driver; trials get train and validation alone.
"""

from __future__ import annotations

import math

import numpy as np

from orchestrator.config import SplitConfig
from orchestrator.errors import DataError


def _check_enough(y: np.ndarray, fractions: list[float], what: str, class_names: list[str] | None) -> None:
    counts = np.bincount(y)
    n_classes = int((counts > 0).sum())
    need = max(math.ceil(n_classes / min(fractions)), 3 * n_classes, 10)
    if len(y) < need:
        raise DataError(f"{what} has {len(y)} rows; the {'/'.join(f'{f:g}' for f in fractions)} split needs at least {need}", "add rows or change data.split")
    rare = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    if counts[rare] < len(fractions):
        name = repr(class_names[rare]) if class_names else rare  # the label as the user wrote it, not its code
        raise DataError(f"class {name} has only {counts[rare]} row(s); a stratified split needs at least {len(fractions)}", "add rows of that class or drop it")


def stratified_split(x: np.ndarray, y: np.ndarray, split: SplitConfig, seed: int, with_test: bool = True,
                     class_names: list[str] | None = None):
    """Return (train, val, test) index arrays, or (train, val, None) when the test set is given;
    `class_names[k]` names class k in a refusal."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    if with_test:
        _check_enough(y, [split.train, split.val, split.test], "the data", class_names)
        rest, test = train_test_split(index, test_size=split.test, stratify=y, random_state=seed)
    else:
        share = split.val / (split.train + split.val)
        _check_enough(y, [1 - share, share], "the data", class_names)
        rest, test = index, None
    val_share = split.val / (split.train + split.val)
    # sklearn takes ceil(share * n); count the rows here so float noise (0.1 / 0.8 = 0.12500000000000003) adds none
    n_val = math.ceil(round(len(rest) * val_share, 9))
    try:
        train, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    except ValueError as exc:
        raise DataError(f"cannot split the data: {exc}", "add rows or change data.split") from None
    return np.sort(train), np.sort(val), (np.sort(test) if test is not None else None)


def train_subset(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a stratified `fraction` of the training rows (the learning curve's points).

    Deterministic in (y, fraction, seed), so the driver re-derives exactly the rows a trial trained
    on; every class keeps at least one row when the fraction allows it."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    if fraction >= 1:
        return index
    size = max(int(round(fraction * len(y))), len(np.unique(y)))
    try:
        chosen, _ = train_test_split(index, train_size=size, stratify=y, random_state=seed)
    except ValueError:  # a class too rare to stratify at this size: a plain random draw
        chosen = np.random.default_rng(seed).choice(index, size=size, replace=False)
    missing = np.setdiff1d(np.unique(y), y[chosen])
    if len(missing):  # rounding left a class out: trade rows of the most common class for one of each
        rng = np.random.default_rng(seed)
        common = int(np.bincount(y[chosen]).argmax())
        drop = rng.choice(np.flatnonzero(y[chosen] == common), size=len(missing), replace=False)
        add = [rng.choice(np.flatnonzero(y == k)) for k in missing]
        chosen = np.concatenate([np.delete(chosen, drop), add])
    return np.sort(chosen)
