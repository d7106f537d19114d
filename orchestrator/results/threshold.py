"""The decision threshold the export carries, for two-class tasks: one that holds on new rows.

A model trained on imbalanced classes can rank the rows well while its 0.5 cut-off finds little
of the minority class, so a cut tuned on validation may find more. But the plain maximum of the
minority's F1 over validation is a poor choice: with a few dozen minority rows the F1 curve is
jagged, and its peak is often a cut that happens to separate those few rows (0.96, precision 1.00
and recall 0.50 on 24 validation positives) and loses most positives on new rows. So the rule:

1. **The default is 0.5** on the minority class's probability: the model's own argmax. For a model
   trained with `class_weight: balanced` this 0.5 already *is* the prior-corrected cut: the weights
   make both classes count equally, so its probability q of the minority reaches 0.5 exactly where
   the calibrated probability p reaches the minority's training share π (q/(1−q) = p/(1−p) · (1−π)/π).
   Correcting q back to p and cutting at 0.5 would restore the majority-only answer the weights were
   there to avoid; so the default is 0.5 for both, and `class_weighted` says which one it is.
2. **A candidate, tuned out of fold.** Validation is cut into FOLDS stratified folds, REPEATS times;
   each fold is called at the F1-maximizing cut of the other folds, so every validation row is
   called by a cut chosen without it. The candidate is the median of those cuts.
3. **Kept only beyond its noise.** Its gain is the out-of-fold F1 minus the F1 at 0.5 on the same
   validation rows; its noise is NOISE_SE standard error of that difference over BOOTSTRAP
   resamples of the validation rows. The export carries the candidate when gain > noise, else 0.5.
   One standard error, not two: the out-of-fold gain already understates the candidate's (each
   fold's cut is chosen on 4/5 of the rows), and a cut whose true gain is near zero costs near zero.
   On ISLR's Default cut to 3,000 rows (10 splits, about 20 positives on validation, a class-weighted
   MLP) two standard errors kept 0.5 in 4 splits, in 3 of which the candidate won on test; one kept
   it in 2. On a draw where the plain maximum sits at 0.95 (tests/results/test_threshold.py) both keep 0.5.

Out of fold rather than bootstrap-smoothed cuts: a smoothed cut is still scored on the rows that
chose it, so its gain over 0.5 is optimistic exactly where it fails (few positives); out of fold, the
gain is what tuning buys on rows it did not see, at the cost of folds (no retraining: the
predictions are the chosen model's). What it does not undo: the validation rows also chose the
model (its PR-AUC there, early stopping), which can flatter the top of their ranking; only
predictions of retrained models (the winner's recipe on training folds) would be free of that.
The test split plays no part; it only reports.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.labels import minority_class

FOLDS = 5  # out-of-fold tuning: each cut is chosen on 4/5 of validation (fewer folds when positives are fewer)
REPEATS = 10  # fold assignments averaged over, so the gain does not hang on one split of a few dozen positives
BOOTSTRAP = 1000  # resamples of the validation rows for the noise of the F1 difference
NOISE_SE = 1.0  # standard errors of the bootstrapped difference the gain must exceed (see 3. above)
SEED = 0  # the folds and resamples are fixed: one validation split gives one threshold
_CELLS = 5_000_000  # resamples weighed at once × validation rows: bounds the bootstrap's memory (about 60 MB)

RULE = ("the probability of the minority class above which a row is called that class: 0.5 (the model's argmax; for "
        f"a class-weighted model that already is the prior-corrected cut), unless a cut tuned out of fold on validation "
        f"({FOLDS} stratified folds × {REPEATS}, each fold called at the cut maximizing F1 on the others; the candidate "
        f"is their median) beats 0.5's F1 on validation by more than {NOISE_SE:g} standard error of the difference "
        f"({BOOTSTRAP} bootstrap resamples); the test split played no part in it")


def tune(y_val: np.ndarray, score_val: np.ndarray, positive: int) -> float:
    """The score cut-off with the highest F1 of `positive` on these rows (0.5 when it has no rows there)."""
    from sklearn.metrics import precision_recall_curve

    hits = np.asarray(y_val) == positive
    if not hits.any() or hits.all():
        return 0.5
    precision, recall, cutoffs = precision_recall_curve(hits, score_val)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision), where=precision + recall > 0)
    return float(cutoffs[int(np.argmax(f1[:-1]))])  # the last (precision, recall) pair has no cut-off


def metrics_at(y: np.ndarray, score: np.ndarray, positive: int, cutoff: float) -> dict:
    """F1, precision and recall of `positive`, accuracy and balanced accuracy, calling rows with
    score ≥ `cutoff` the positive class."""
    from sklearn import metrics as skm

    truth = np.asarray(y) == positive
    called = np.asarray(score) >= cutoff
    return {
        "f1": float(skm.f1_score(truth, called, zero_division=0)),
        "precision": float(skm.precision_score(truth, called, zero_division=0)),
        "recall": float(skm.recall_score(truth, called, zero_division=0)),
        "accuracy": float(np.mean(truth == called)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(truth, called)) if 0 < truth.sum() < len(truth) else None,
    }


def out_of_fold(hits: np.ndarray, score: np.ndarray, folds: int) -> tuple[np.ndarray, list[float]]:
    """(calls, cuts): each row called (REPEATS × n) by the cut tuned on the other folds, and every cut."""
    from sklearn.model_selection import StratifiedKFold

    calls, cuts = np.zeros((REPEATS, len(hits)), dtype=bool), []
    for repeat in range(REPEATS):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED + repeat)
        for fit, held in splitter.split(score.reshape(-1, 1), hits):
            cuts.append(tune(hits[fit], score[fit], True))
            calls[repeat, held] = score[held] >= cuts[-1]
    return calls, cuts


def _f1(counts: np.ndarray) -> np.ndarray:
    """F1 from (..., 3) counts of true positives, false positives and false negatives (0 where undefined)."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator, dtype=float), where=denominator > 0)


def f1_gain(hits: np.ndarray, calls: np.ndarray, base: np.ndarray) -> tuple[float, float, float, float]:
    """(gain, noise, F1 of `calls` (R × n, averaged over its R repeats), F1 of `base` (n)): the gain is
    their difference, the noise NOISE_SE standard deviation(s) of it over bootstrap resamples of the rows."""
    every = np.vstack([base[None, :], calls])  # (1 + REPEATS, n): row 0 is the 0.5 cut
    outcome = np.stack([hits & every, ~hits & every, hits & ~every], axis=-1).astype(np.float32)  # (1 + R, n, 3)
    flat = outcome.transpose(1, 0, 2).reshape(len(hits), -1)

    def gain(counts: np.ndarray) -> np.ndarray:  # counts (..., (1 + R) * 3)
        f1 = _f1(counts.reshape(*counts.shape[:-1], len(every), 3))
        return f1[..., 1:].mean(axis=-1) - f1[..., 0]

    rng, resampled, chunk = np.random.default_rng(SEED), [], max(1, _CELLS // len(hits))
    for start in range(0, BOOTSTRAP, chunk):
        draws = rng.integers(0, len(hits), size=(min(chunk, BOOTSTRAP - start), len(hits)))
        weights = np.stack([np.bincount(d, minlength=len(hits)) for d in draws]).astype(np.float32)
        resampled.append(gain(weights @ flat))
    f1 = _f1(flat.sum(axis=0).reshape(len(every), 3))
    return float(gain(flat.sum(axis=0))), NOISE_SE * float(np.concatenate(resampled).std()), float(f1[1:].mean()), float(f1[0])


def choose(y_val: np.ndarray, score_val: np.ndarray, positive: int) -> dict:
    """The rule of this module on validation: the exported cut, the candidate, its gain and noise, and why."""
    hits = np.asarray(y_val) == positive
    score = np.asarray(score_val, dtype=float)
    folds = min(FOLDS, int(hits.sum()), int((~hits).sum()))
    if folds < 2:
        return {"value": 0.5, "exported": "0.5", "candidate": None,
                "why": f"0.5 kept: validation holds {int(hits.sum())} row(s) of the class, too few to tune a cut out of fold"}
    calls, cuts = out_of_fold(hits, score, folds)
    candidate = float(np.median(cuts))
    gain, noise, f1_tuned, f1_default = f1_gain(hits, calls, score >= 0.5)
    kept = gain > noise
    why = (f"out of fold the tuned cut scores F1 {f1_tuned:.2f} on validation against {f1_default:.2f} at 0.5: "
           f"a gain of {gain:+.2f}, " + ("beyond" if kept else "within") + f" its noise (± {noise:.2f})")
    return {"value": candidate if kept else 0.5, "exported": "tuned" if kept else "0.5",
            "candidate": {"value": candidate, "gain": gain, "noise": noise, "f1_out_of_fold": f1_tuned,
                          "f1_at_0_5": f1_default, "folds": folds, "repeats": REPEATS},
            "why": ("the tuned cut exported: " if kept else "0.5 kept: ") + why}


def decision(y_val: np.ndarray, val_proba: np.ndarray, y_test: np.ndarray, test_proba: np.ndarray,
             train_counts: list[int], class_weighted: bool = False) -> dict | None:
    """The exported threshold (`value`, by `choose`) with the minority class's metrics at 0.5 and at
    it (`tuned`) on val and test, and the candidate's own; None for more than two classes (argmax
    over K probabilities has no single cut-off)."""
    if val_proba.shape[1] != 2:
        return None
    positive = minority_class(train_counts)
    chosen = choose(y_val, val_proba[:, positive], positive)
    splits = (("val", y_val, val_proba), ("test", y_test, test_proba))

    def at(cutoff: float) -> dict:  # the class's own probability at argmax: with two classes, argmax picks it when p ≥ 0.5
        return {split: metrics_at(y, p[:, positive], positive, cutoff) for split, y, p in splits}

    if chosen["candidate"] is not None:
        chosen["candidate"].update(at(chosen["candidate"]["value"]))
    return {"class": positive, "value": chosen["value"], "exported": chosen["exported"], "class_weighted": class_weighted,
            "rule": RULE, "why": chosen["why"], "candidate": chosen["candidate"],
            "at_0_5": at(0.5), "tuned": at(chosen["value"])}


def sentences(threshold: dict | None, positive: int, name: str) -> list[str]:
    """The headline's words on the exported threshold (`results.headline`), from `best.threshold`:
    what the exported cut finds on test and, from the rule's record, why it is that cut."""
    if not isinstance(threshold, dict) or threshold.get("class") != positive:
        return []
    tested = (threshold.get("tuned") or {}).get("test") or {}
    candidate = threshold.get("candidate") or {}
    if threshold.get("exported", "tuned") == "tuned":  # reports written before this rule always exported the tuned cut
        if not all(isinstance(tested.get(k), (int, float)) for k in ("f1", "recall", "precision")):
            return []
        why = (f"; out of fold on validation it beat 0.5 by {candidate['gain']:+.2f} in F1 (noise ± {candidate['noise']:.2f})"
               if isinstance(candidate.get("gain"), float) else "")
        return [f"At the threshold tuned on validation ({threshold['value']:.2f} instead of 0.5) it finds {tested['recall']:.0%} "
                f"of '{name}' on test with F1 {tested['f1']:.2f} (precision {tested['precision']:.2f}){why}; best/metrics.json "
                "carries that threshold with the exported model."]
    weighted = " (for a class-weighted model 0.5 already is the prior-corrected cut)" if threshold.get("class_weighted") else ""
    if not isinstance(candidate.get("gain"), float):
        return [f"best/metrics.json keeps the threshold at 0.5{weighted}: validation holds too few '{name}' rows to tune one."]
    return [f"best/metrics.json keeps the threshold at 0.5{weighted}: a cut tuned on validation ({candidate['value']:.2f}) "
            f"gained {candidate['gain']:+.2f} in '{name}' F1 out of fold, within its noise (± {candidate['noise']:.2f}), "
            "so it is not trusted on new rows."]
