"""Turn an evaluated report into the answer to "why is my test accuracy low?".

`diagnose(report)` reads `report.json` (a dict) and returns the verdict per variant
(`results.verdicts`: overfit / underfit / noise ceiling / good fit, with the gaps behind it), how
far the winner is above the always-answer-the-majority baseline, how much choosing on validation
flattered it, whether label noise caps every model, what the sizes searched say about capacity,
the learning curve's answer to "would more data help?", and plain sentences, the worst finding
first (`results.severity`: a leak or rows shared between splits before anything else).
Every optional field may be missing; nothing here raises on a partial report, because a
diagnosis is most needed when a run went wrong.
"""

from __future__ import annotations

import math

from orchestrator.data.overlap import harmless_sentence, shared_rows
from orchestrator.results import capacity, headline, learning_curve, references, severity
from orchestrator.results.significance import reference
from orchestrator.results.verdicts import THRESHOLDS, imbalanced, val_loss_turned_up_at, verdicts
from orchestrator.results.verdicts import diff as _diff
from orchestrator.results.verdicts import majority as _majority
from orchestrator.results.verdicts import metric as _metric
from orchestrator.results.verdicts import num as _num

__all__ = ["diagnose", "val_loss_turned_up_at"]

# Test accuracy within 3 points of the majority baseline is a model not worth deploying.
NEAR_MAJORITY_MARGIN = 0.03


def _majority_name(report: dict) -> str:
    train, names = (((report.get("data") or {}).get("class_counts") or {}).get("train") or [],
                    (report.get("data") or {}).get("class_names") or [])
    if not train or len(names) != len(train):
        return "the most common class"
    return str(names[train.index(max(train))])


def _majority_baseline(report: dict) -> dict:
    """How far the chosen model's test accuracy is above always answering the training majority class."""
    best = report.get("best") or {}
    acc, maj, name = _metric(best, "test"), _majority(report, best, "test"), _majority_name(report)
    if imbalanced(report):  # accuracy against the majority share says nothing here: balanced accuracy against 1/K
        return _chance_baseline(report, best, name)
    out = {"variant": best.get("variant"), "test_accuracy": acc, "majority_accuracy": maj, "majority_class": name,
           "margin": _diff(acc, maj), "near_majority": False, "warning": None}
    if out["margin"] is not None and out["margin"] <= NEAR_MAJORITY_MARGIN:
        out["near_majority"] = True
        where = "barely above" if out["margin"] >= 0 else "below"
        out["warning"] = (f"WARNING: test accuracy {acc:.2f} is {where} the {maj:.2f} you'd get by always answering "
                          f"'{name}', so the model has learned next to nothing useful.")
    return out


def _chance_baseline(report: dict, best: dict, name: str) -> dict:
    """Imbalanced classes: the winner's test balanced accuracy against the 1/K of a model that learned nothing."""
    k = len(((report.get("data") or {}).get("class_counts") or {}).get("train") or []) or 2
    bal = _metric(best, "test", "balanced_accuracy")
    out = {"variant": best.get("variant"), "test_accuracy": _metric(best, "test"), "judged_on": "balanced_accuracy",
           "test_balanced_accuracy": bal, "chance": 1 / k, "majority_class": name,
           "margin": _diff(bal, 1 / k), "near_majority": False, "warning": None}
    if out["margin"] is not None and out["margin"] <= NEAR_MAJORITY_MARGIN:
        out["near_majority"] = True
        out["warning"] = (f"WARNING: test balanced accuracy {bal:.2f} is no better than the {1 / k:.2f} of always answering "
                          f"'{name}', so the model has learned next to nothing useful about the other classes.")
    return out


def _noise(report: dict, best: dict, p: float) -> float | None:
    """Two standard errors of (val accuracy − test accuracy) from sampling alone, at accuracy p."""
    data = report.get("data") or {}
    n_val = _num((best.get("val") or {}).get("n")) or _num(data.get("n_val"))
    n_test = _num((best.get("test") or {}).get("n")) or _num(data.get("n_test"))
    if not n_val or not n_test:
        return None
    return 2 * math.sqrt(p * (1 - p) * (1 / n_val + 1 / n_test))


def _selection_optimism(report: dict) -> dict:
    """Validation minus test for the winner: it was chosen on validation, so val flatters it a little."""
    best = report.get("best") or {}
    val_acc, test_acc = _metric(best, "val"), _metric(best, "test")
    val_loss, test_loss = _metric(best, "val", "loss"), _metric(best, "test", "loss")
    out = {"variant": best.get("variant"), "val_accuracy": val_acc, "test_accuracy": test_acc,
           "accuracy_drop": _diff(val_acc, test_acc), "val_loss": val_loss, "test_loss": test_loss,
           "loss_rise": _diff(test_loss, val_loss), "noise": None, "message": None}
    if out["accuracy_drop"] is None:
        return out
    drop, out["noise"] = out["accuracy_drop"], _noise(report, best, test_acc)
    losses = f", loss {val_loss:.2f}" if val_loss is not None else ""
    text = (f"The winner, {out['variant']}, was chosen on validation data (accuracy {val_acc:.2f}{losses}) and evaluated "
            f"once on test (accuracy {test_acc:.2f}{f', loss {test_loss:.2f}' if test_loss is not None and losses else ''})")
    if drop <= 0:
        out["message"] = text + ", and test accuracy is no lower, so choosing on validation did not flatter it."
    elif out["noise"] is None or drop <= out["noise"]:
        noise = f" within the ±{out['noise']:.2f} sampling noise of these split sizes:" if out["noise"] else ""
        out["message"] = text + f"; the drop of {drop:.2f} is{noise} the expected cost of choosing on validation."
    else:
        out["message"] = text + (f"; the drop of {drop:.2f} exceeds the ±{out['noise']:.2f} sampling noise, so validation "
                                 "flattered the winner: the val split may be small, reused too often, or unlike test.")
    return out


def _chance(paired: dict | None) -> str:
    """', a difference of k rows of n that chance alone explains / does not explain (McNemar p = …)'."""
    if not paired or _num(paired.get("p_value")) is None:
        return ""
    net = int(paired.get("variant_only", 0)) - int(paired.get("reference_only", 0))
    side = "more" if net >= 0 else "fewer"
    verdict = "larger than chance alone gives" if paired.get("significant") else "within what chance alone gives"
    return (f" ({abs(net)} {side} test row(s) of {paired.get('n', '?')} right than the baseline, {verdict}: "
            f"McNemar p = {paired['p_value']:.2g})")


def _comparison(ref: dict, other: dict, chosen: bool, paired: dict | None = None) -> str:
    """How `other` changes the reference's train−test gap and test score, in one sentence; with
    `paired` (McNemar on the same test rows), whether that test difference is more than noise."""
    gap, narrows = headline.gap_words(ref, other)
    word = "accuracy" if other.get("judged_on", "accuracy") == "accuracy" else "balanced accuracy"
    t0, t1 = ref["test"], other["test"]
    test = (f"raises test {word} to {t1:.2f}" if t1 > t0 + 0.005 else f"keeps test {word} at {t1:.2f}"
            if t1 >= t0 - 0.005 else f"test {word} falls to {t1:.2f} from {t0:.2f}")
    conj = "and" if narrows == (t1 >= t0 - 0.005) else "but"
    acc0, acc1 = ref.get("test_accuracy"), other.get("test_accuracy")
    noise = _chance(paired) if acc0 is not None and acc1 is not None and abs(acc1 - acc0) > 0.005 else ""
    return f"{other['variant']}{' (the variant chosen on validation)' if chosen else ''} {gap} {conj} {test}{noise}."


def _paired(comparisons: dict | None, reference: str, variant: str) -> dict | None:
    """The McNemar result of `variant` against `reference`, when the report has one for that pair."""
    comparisons = comparisons if isinstance(comparisons, dict) else {}
    if comparisons.get("reference") != reference:
        return None
    return (comparisons.get("variants") or {}).get(variant)


def _entry(report: dict, name: str | None) -> dict | None:
    return next((v for v in report.get("variants") or [] if isinstance(v, dict) and v.get("variant") == name), None)


def _reference(rows: list[dict], report: dict, best: dict | None) -> tuple[dict, str]:
    """The variant the headline judges and how the headline names it: the unregularized baseline,
    else the variant with the largest train−validation gap. Chosen on validation, never on test: the
    largest train−test gap would pick the variant that looks worst on test and flatter the winner."""
    named = reference([v for v in report.get("variants") or [] if isinstance(v, dict)])
    base = next((v for v in rows if v["variant"] == named), None)
    if base is not None:
        return base, "The unregularized model"
    gaps = [v for v in rows if v["gap_train_val"] is not None]
    if gaps:
        ref = max(gaps, key=lambda v: v["gap_train_val"])
        return ref, f"No baseline ran; {ref['variant']}, the variant with the largest train−validation gap,"
    ref = best if best is not None else rows[0]
    return ref, f"No baseline ran; {ref['variant']}"


def _model_findings(verdicts_: list[dict], report: dict, ceiling: dict | None) -> list[tuple[str, str]]:
    """Headline on the baseline (or the variant chosen in its place), then what the variant chosen on
    validation does to the gap; what imbalance hides comes under its own kind."""
    rows = [v for v in verdicts_ if v["test"] is not None and v["gap_train_test"] is not None]
    if not rows:
        return [("fit", v["reason"]) for v in verdicts_]
    best_name = (report.get("best") or {}).get("variant")
    # The variant held up against the baseline is the one chosen on validation: picking "the one
    # that closes the gap best" by its test numbers would be a choice made on the test split.
    best = next((v for v in rows if v["variant"] == best_name), None)
    ref, who = _reference(rows, report, best)
    paired = _paired(report.get("comparisons"), ref["variant"], best["variant"]) if best is not None else None
    out = [("fit", headline.fit_headline(ref, who, ceiling, imbalanced(report)))]
    if imbalanced(report):
        out = [("class_imbalance", s) for s in headline.imbalance_sentences(
            report, _entry(report, ref["variant"]), _entry(report, best_name), _chance(paired))] + out
    if best is not None and best is not ref:
        out.append(("fit", _comparison(ref, best, True, paired)))
    elif who == "The unregularized model" and best is ref and len(rows) > 1:
        out.append(("fit", f"No regularized variant beat {ref['variant']} on validation, so it was chosen."))
    over = [v["variant"] for v in verdicts_ if v["verdict"] == "overfit"]
    if len(verdicts_) > 1:
        out.append(("fit", f"{len(over)} of {len(verdicts_)} variants overfit{' (' + ', '.join(over) + ')' if over else ''}."))
    return out


def _recall_sentence(report: dict) -> str | None:
    """Per-class test recall of the chosen model: what accuracy hides when the classes are imbalanced."""
    test = (report.get("best") or {}).get("test") or {}
    per_class, names = test.get("per_class") or [], (report.get("data") or {}).get("class_names") or []
    recalls = [(str(names[k]) if k < len(names) else str(k), _num(c.get("recall"))) for k, c in enumerate(per_class)]
    recalls = sorted([(n, r) for n, r in recalls if r is not None], key=lambda nr: nr[1])
    if not recalls:
        return None
    shown = recalls if len(recalls) <= 5 else recalls[:3]
    listed = ", ".join(f"{r:.0%} of '{n}'" for n, r in shown)
    which = "it recalls" if len(recalls) <= 5 else "its weakest classes: it recalls"
    acc = _num(test.get("accuracy"))
    hides = f", which the overall accuracy of {acc:.2f} hides" if acc is not None else ""
    return f"The classes are imbalanced; on test {which} {listed}{hides}."


def _check_sentence(check: dict) -> str:
    """A warning of the data checks in words: the ones that make the scores unreal say so first."""
    name, numbers = check.get("name", "?"), check.get("numbers") or {}
    if name == "target_leakage" and numbers.get("columns"):
        return severity.leak_sentence(numbers)
    if name == "duplicates_across_splits" and shared_rows(numbers) and numbers.get("inflates_scores", True):
        return severity.overlap_sentence(shared_rows(numbers), numbers.get("unit", "rows"))
    if name == "duplicates_across_splits" and shared_rows(numbers):
        return harmless_sentence(shared_rows(numbers), numbers)
    return f"Data check {name}: {check.get('message', '')}"


def _kind(check: dict) -> str:
    """The check's name as a kind of finding; rows shared between splits that cannot inflate the
    scores (`data.overlap`) are hygiene, not a leak."""
    name = str(check.get("name", "?"))
    harmless = name == "duplicates_across_splits" and not (check.get("numbers") or {}).get("inflates_scores", True)
    return "repeated_rows" if harmless else name


def _data_findings(report: dict) -> list[tuple[str, str]]:
    """One finding per warning or failure of the data checks, plus per-class recall when classes are imbalanced."""
    checks = [c for c in (report.get("data") or {}).get("checks") or [] if isinstance(c, dict)]
    out = [(_kind(c), _check_sentence(c)) for c in checks if c.get("status") in ("warn", "fail")]
    # Two classes: the imbalance headline already says what the models find of the minority.
    many = len(((report.get("data") or {}).get("class_counts") or {}).get("train") or []) > 2
    recall = _recall_sentence(report) if imbalanced(report) and many else None
    return out + ([("class_imbalance", recall)] if recall else [])


def _curve(report: dict) -> dict | None:
    """The learning curve's verdict, on balanced accuracy (and its smaller effective sample) under imbalance."""
    if not imbalanced(report):
        return learning_curve.diagnose_curve(report.get("learning_curve"))
    val = ((report.get("data") or {}).get("class_counts") or {}).get("val") or []
    n_eff = len(val) * min(val) if val and min(val) > 0 else None
    return learning_curve.diagnose_curve(report.get("learning_curve"), "val_balanced_accuracy", n_eff)


def _findings(report: dict, found: list[dict], ceiling: dict | None, parts: list[tuple[str, str | None]]) -> list[dict]:
    """Every sentence of the answer with its kind, worst first (`results.severity`): the models'
    findings (when a model was trained) and the data's."""
    models = _model_findings(found, report, ceiling) + [(kind, s) for kind, s in parts if s] if found else []
    return severity.ordered(models + _data_findings(report))


def diagnose(report: dict) -> dict:
    """Verdicts per variant, the majority-baseline and selection-optimism checks, the noise
    ceiling, capacity and learning curve, and the summary sentences."""
    found = verdicts(report)
    majority, optimism = _majority_baseline(report), _selection_optimism(report)
    best = next((v for v in found if v["variant"] == (report.get("best") or {}).get("variant")), None)
    n_val = _num(((report.get("best") or {}).get("val") or {}).get("n")) or _num((report.get("data") or {}).get("n_val"))
    ceiling = headline.noise_ceiling(found, best, n_val)
    sizes = capacity.capacity(report, found)
    curve = _curve(report)
    parts = [("majority_baseline", majority["warning"]), ("capacity", (sizes or {}).get("message")),
             ("learning_curve", (curve or {}).get("reason")), ("selection_optimism", optimism["message"])]
    parts += [("references", s) for s in references.reference_sentences(report)]  # a reference that beats the winner
    findings = _findings(report, found, ceiling, parts)
    # With no model, that comes first: the data's findings follow, worst first.
    nothing = ["No trial produced a model, so there is nothing to diagnose: see all_trials in report.json for "
               "each trial's status and error."] if not found else []
    return {"verdicts": found, "majority_baseline": majority, "selection_optimism": optimism, "noise_ceiling": ceiling,
            "capacity": sizes, "learning_curve": curve, "findings": findings,
            "summary": nothing + [f["sentence"] for f in findings],
            "thresholds": {**THRESHOLDS, "near_majority_margin": NEAR_MAJORITY_MARGIN, "noisy_train": headline.NOISY_TRAIN,
                           **learning_curve.THRESHOLDS, **capacity.THRESHOLDS}}
