"""The first sentences of the answer: what is wrong with the unregularized model, and what the
variant chosen on validation does about it.

Three stories, from the verdicts (`results.verdicts`): imbalanced classes (accuracy flatters; the
minority class's recall and F1 say what the model finds), a variant that memorizes labels that the
best models cannot fit (label noise caps every model: regularization has done what it can; the
sentence names that variant, the baseline or another), and the plain fit story (memorizes /
overfits / underfits / answers only the majority / generalizes).
"""

from __future__ import annotations

import math

from orchestrator.results.verdicts import MEMORIZED_TRAIN, class_counts, metric, num

# A winner still fitting its training data below this is not fitting it near perfectly: when a
# sibling memorizes the same labels, what the winner leaves unfitted is noise the features do not explain.
NOISY_TRAIN = 0.95


def _memorizes(v: dict) -> bool:
    return v["verdict"] == "overfit" and v["train"] >= MEMORIZED_TRAIN


def _fit_headline(ref: dict, who: str, imbalanced: bool = False) -> str:
    """The reference variant's fit in one sentence; `who` names it (the baseline if it ran)."""
    word = "" if ref.get("judged_on", "accuracy") == "accuracy" else " balanced accuracy"
    acc = f"train{word} {ref['train']:.2f}, test {ref['test']:.2f}"
    if _memorizes(ref):
        return f"{who} memorizes the training set: {acc}."
    if ref["verdict"] == "majority only":
        return (f"{who} answers the majority class for almost every row: {acc}; that is the class imbalance winning, "
                "which class weighting and the tuned threshold address, not more capacity.")
    if ref["verdict"] == "overfit":
        return f"{who} overfits: {acc} (gap {ref['gap_train_test']:.2f})."
    if ref["verdict"] == "underfit" and imbalanced:
        return (f"{who} barely separates the classes: {acc}; with imbalanced classes that is the majority class "
                "winning, which class weighting and the tuned threshold address, not more capacity.")
    if ref["verdict"] == "underfit":
        return (f"{who} underfits: {acc}; it does not fit even its training data, so regularization cannot help — "
                "it needs more capacity, more epochs or more informative features.")
    return f"{who} generalizes: {acc} (gap {ref['gap_train_test']:.2f}), so regularization has little to fix."


def noise_ceiling(verdicts: list[dict], best: dict | None, n_val: float | None) -> dict | None:
    """When the baseline memorizes labels the chosen model cannot fit: the ceiling the labels set,
    estimated as the best validation score any variant reaches (± two standard errors), else None."""
    memorizers = [v for v in verdicts if _memorizes(v)]
    if best is None or not memorizers or best in memorizers or best["train"] >= NOISY_TRAIN:
        return None
    if best["verdict"] not in ("good fit", "noise ceiling") or best["val"] is None:
        return None
    top = max((v for v in verdicts if v["val"] is not None), key=lambda v: v["val"])
    noise = 2 * math.sqrt(top["val"] * (1 - top["val"]) / n_val) if n_val else None
    return {"estimated_ceiling": top["val"], "from_variant": top["variant"], "noise": noise, "judged_on": top.get("judged_on"),
            "memorized_by": memorizers[0]["variant"], "memorized_train": memorizers[0]["train"],
            "memorized_test": memorizers[0]["test"],
            "unexplained_share": 1 - top["val"]}


def _noise_headline(who: str, train: float, test: float | None, ceiling: dict) -> str:
    """`who` (the variant that memorizes) fits the labels the others cannot: the rest looks like noise."""
    band = f" (± {ceiling['noise']:.2f})" if ceiling.get("noise") else ""
    others = "The regularized models" if who == "The unregularized model" else "The models that do not memorize"
    test_words = f", test {test:.2f}" if test is not None else ""
    return (f"{who} memorizes the training set, label noise included: train {train:.2f}{test_words}. {others} level "
            f"off at about {ceiling['estimated_ceiling']:.2f}{band} on "
            f"validation, with train close to validation: the remaining {ceiling['unexplained_share']:.0%} of errors look "
            "like label noise (or features that do not determine the label), so regularization has done what it can and "
            "more capacity or epochs would only memorize the noise.")


def _minority(report: dict) -> tuple[int, str, float] | None:
    counts, names = class_counts(report, "train"), (report.get("data") or {}).get("class_names") or []
    if not counts or not sum(counts):
        return None
    k = counts.index(min(counts))
    return k, str(names[k]) if k < len(names) else str(k), counts[k] / sum(counts)


SELECTION_WORDS = {"val_pr_auc": "the minority class's PR-AUC on validation",
                   "val_balanced_loss": "the class-balanced validation loss", "val_loss": "the validation loss",
                   "val_accuracy": "validation accuracy"}


def _finds(entry: dict | None, k: int) -> str | None:
    """'finds 40% on test (F1 0.35, balanced accuracy 0.68)' from a variant's test metrics."""
    per_class = ((entry or {}).get("test") or {}).get("per_class") or []
    if k >= len(per_class) or num(per_class[k].get("recall")) is None:
        return None
    bal = metric(entry, "test", "balanced_accuracy")
    return (f"finds {per_class[k]['recall']:.0%} (F1 {num(per_class[k].get('f1')) or 0:.2f}"
            + (f", balanced accuracy {bal:.2f})" if bal is not None else ")"))


def imbalance_sentences(report: dict, ref_entry: dict | None, best_entry: dict | None, chance: str) -> list[str]:
    """Imbalanced classes: what the baseline and the chosen model find of the minority class, at
    0.5 and at the threshold tuned on validation."""
    minority = _minority(report)
    if minority is None:
        return []
    k, name, share = minority
    chosen_by = SELECTION_WORDS.get(((report.get("selection") or {}).get("metric")), "its validation metric")
    base = ""
    if ref_entry is not None and _finds(ref_entry, k) and metric(ref_entry, "test") is not None:
        base = (f": the unregularized model scores accuracy {metric(ref_entry, 'test'):.2f} on test, yet of the '{name}' rows "
                f"it {_finds(ref_entry, k)}")
    out = [f"The classes are imbalanced ('{name}' is only {share:.0%} of the training rows), so accuracy flatters{base}. "
           f"So the fit is judged on balanced accuracy, and the winner was chosen on {chosen_by}."]
    if best_entry is not None and best_entry is not ref_entry and _finds(best_entry, k):
        out.append(f"{best_entry['variant']} (the variant chosen on validation) {_finds(best_entry, k)} of them on test at the "
                   f"0.5 threshold{chance}.")
    threshold = (report.get("best") or {}).get("threshold") or {}
    tuned = (threshold.get("tuned") or {}).get("test") or {}
    if threshold.get("class") == k and num(tuned.get("f1")) is not None:
        out.append(f"At the threshold tuned on validation ({threshold['value']:.2f} instead of 0.5) it finds "
                   f"{tuned['recall']:.0%} of '{name}' on test with F1 {tuned['f1']:.2f} (precision {tuned['precision']:.2f}); "
                   "best/metrics.json carries that threshold with the exported model.")
    return out


def fit_headline(ref: dict, who: str, ceiling: dict | None, imbalanced: bool = False) -> str:
    """The reference's fit; under a noise ceiling, the label-noise story told of the variant that
    memorizes, which need not be the reference (a baseline at train 0.93 does not memorize)."""
    if ceiling is None:
        return _fit_headline(ref, who, imbalanced)
    if _memorizes(ref):
        return _noise_headline(who, ref["train"], ref["test"], ceiling)
    return (_fit_headline(ref, who, imbalanced) + " "
            + _noise_headline(ceiling["memorized_by"], ceiling["memorized_train"], ceiling.get("memorized_test"), ceiling))


def gap_words(ref: dict, other: dict) -> tuple[str, bool]:
    """'cuts the gap from a to b' or 'does not narrow the gap (a → b)', and whether it narrows."""
    a, b = abs(ref["gap_train_test"]), abs(other["gap_train_test"])
    narrows = b < a - 0.005
    return (f"cuts the gap from {a:.2f} to {b:.2f}" if narrows else f"does not narrow the gap ({a:.2f} → {b:.2f})"), narrows

