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
