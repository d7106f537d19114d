"""Is a held-out difference real? McNemar's exact test on the same test rows.

A test split of a few hundred rows makes accuracy differences of a few points noise. Two models
scored on the same rows differ only where exactly one of them is right; under "no real
difference" those rows split 50/50 between them, so the two-sided binomial test on that split
(McNemar's exact test) says how often chance alone gives a split at least this lopsided.
"""

from __future__ import annotations

import numpy as np

ALPHA = 0.05  # below this p-value a difference is called larger than chance


def mcnemar(reference_correct: np.ndarray, variant_correct: np.ndarray) -> dict:
    """Rows only the reference gets right, rows only the variant gets right, and the exact p-value."""
    from scipy.stats import binomtest

    ref, var = np.asarray(reference_correct, dtype=bool), np.asarray(variant_correct, dtype=bool)
    reference_only, variant_only = int(np.sum(ref & ~var)), int(np.sum(~ref & var))
    discordant = reference_only + variant_only
    p = float(binomtest(min(reference_only, variant_only), discordant, 0.5).pvalue) if discordant else 1.0
    return {"reference_only": reference_only, "variant_only": variant_only, "n": int(len(ref)),
            "p_value": p, "significant": bool(p < ALPHA)}


def reference(entries: list[dict]) -> str | None:
    """The variant every other is compared with: the unregularized baseline trained without class
    weights (its `_balanced` twin is a variant like any other). `entries` are report variant entries
    (`variant`, `kind`, `hparams`)."""
    for e in entries:
        unweighted = ((e.get("hparams") or {}).get("class_weight") or "none") == "none"
        if (e.get("kind") == "baseline" or e.get("variant") == "baseline") and unweighted:
            return str(e.get("variant"))
    return None


def against_reference(test_correct: dict[str, np.ndarray], reference: str | None) -> dict:
    """Every variant against the reference (the unregularized baseline) on the same test rows."""
    if reference is None or reference not in test_correct:
        return {"reference": None, "test": "McNemar (exact, two-sided)", "alpha": ALPHA, "variants": {}}
    return {"reference": reference, "test": "McNemar (exact, two-sided)", "alpha": ALPHA,
            "variants": {name: mcnemar(test_correct[reference], correct)
                         for name, correct in test_correct.items() if name != reference}}


# Paired bootstrap of a difference in a test metric that McNemar's test does not cover (balanced
# accuracy, the minority class's F1): this many resamples of the test rows, at a fixed seed; the
# difference is real when its 95% interval excludes zero.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
PAIRED_METRICS = ("accuracy", "balanced_accuracy", "minority_f1")


def _from_cells(cells: np.ndarray, metric: str, minority: int | None) -> np.ndarray:
    """`metric` of one model from counts (..., class, wrong/right) of the test rows."""
    right, total = cells[..., 1], cells.sum(axis=-1)
    if metric == "accuracy":
        return right.sum(axis=-1) / np.maximum(total.sum(axis=-1), 1)
    if metric == "balanced_accuracy":
        present = total > 0
        return np.where(present, right / np.maximum(total, 1), 0).sum(axis=-1) / np.maximum(present.sum(axis=-1), 1)
    # Two classes: a wrong answer on the other class is a false positive for the minority.
    tp, fn, fp = right[..., minority], cells[..., minority, 0], cells[..., 1 - minority, 0]
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def paired_bootstrap(y: np.ndarray, first_correct: np.ndarray, second_correct: np.ndarray, metric: str,
                     minority: int | None = None) -> dict:
    """second − first on `metric` over the same test rows, with its 95% bootstrap interval. The rows
    fall into cells (class, first right?, second right?); resampling the rows is a multinomial draw of
    those cells' counts, so this costs the same on ten rows as on a million."""
    y = np.asarray(y, dtype=int)
    k = int(y.max()) + 1 if len(y) else 1
    if metric == "minority_f1":
        k = max(k, 2)
    a, b = np.asarray(first_correct, dtype=int), np.asarray(second_correct, dtype=int)
    counts = np.bincount((y * 2 + a) * 2 + b, minlength=k * 4).reshape(k, 2, 2)
    draws = np.random.default_rng(BOOTSTRAP_SEED).multinomial(len(y), counts.ravel() / max(len(y), 1),
                                                              size=BOOTSTRAP_RESAMPLES).reshape(-1, k, 2, 2)
    first, second = _from_cells(counts.sum(axis=2), metric, minority), _from_cells(counts.sum(axis=1), metric, minority)
    diffs = _from_cells(draws.sum(axis=2), metric, minority) - _from_cells(draws.sum(axis=3), metric, minority)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"metric": metric, "first": float(first), "second": float(second), "difference": float(second - first),
            "interval": [float(low), float(high)], "significant": bool(low > 0 or high < 0)}
