"""Turn an evaluated report into the answer to "why is my test accuracy low?".

`diagnose(report)` reads `report.json` (a dict) and returns
`{"verdicts", "majority_baseline", "selection_optimism", "summary", "thresholds"}`: a verdict per
variant (overfit / underfit / good fit, with the gaps behind it), how far the winner is above the
always-answer-the-majority baseline, how much choosing on validation flattered it, and plain
sentences, diagnosis first. Every optional field may be missing; nothing here raises on a partial
report, because a diagnosis is most needed when a run went wrong.
"""

from __future__ import annotations

import math

from orchestrator.data.checks import imbalance_numbers
from orchestrator.data.dataset import SPLITS

# Overfit: train accuracy more than 10 points above validation. Stratified splits of a few hundred
# rows differ by a few points from sampling alone (2 standard errors at n=100, p=0.8 is 0.08), so 0.10
# is a gap that noise rarely explains.
OVERFIT_GAP = 0.10
# Memorization: (near-)perfect train accuracy with validation 5+ points lower is overfitting even when
# the gap is below OVERFIT_GAP; a model that fits noise perfectly has nothing left to generalize with.
MEMORIZED_TRAIN = 0.98
MEMORIZED_GAP = 0.05
# Underfit: train accuracy within 5 points of always answering the majority class (it learned almost
# nothing), or less than half of the way from that baseline to 1.0 on the data it trained on. Low
# train accuracy cannot tell a too-weak model from labels the features do not determine; both mean
# regularization will not help.
UNDERFIT_MARGIN = 0.05
UNDERFIT_SKILL = 0.5
# Test accuracy within 3 points of the majority baseline is a model not worth deploying.
NEAR_MAJORITY_MARGIN = 0.03
# Val loss "turned up" after the epoch a patience-3 early stopping would have restored: a running
# minimum followed by 3 epochs all above it.
TURN_UP_PATIENCE = 3



def _num(value) -> float | None:
    """A finite float, or None for anything missing, non-numeric or NaN."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _metric(entry: dict | None, split: str, key: str = "accuracy") -> float | None:
    return _num(((entry or {}).get(split) or {}).get(key))


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _class_counts(report: dict, split: str) -> list[int]:
    return list(((report.get("data") or {}).get("class_counts") or {}).get(split) or [])


def _majority(report: dict, entry: dict | None, split: str) -> float | None:
    """Accuracy of always answering the training majority class on `split`: reported, else from the counts."""
    reported = _metric(entry, split, "majority_accuracy")
    train, counts = _class_counts(report, "train"), _class_counts(report, split)
    if reported is not None or not train or len(counts) != len(train) or not sum(counts):
        return reported
    return counts[train.index(max(train))] / sum(counts)


def _majority_name(report: dict) -> str:
    train, names = _class_counts(report, "train"), (report.get("data") or {}).get("class_names") or []
    if not train or len(names) != len(train):
        return "the most common class"
    return str(names[train.index(max(train))])


def val_loss_turned_up_at(history: list[dict] | None, patience: int = TURN_UP_PATIENCE) -> int | None:
    """The first epoch whose val_loss is a running minimum followed by `patience` epochs all above it, else None."""
    points = [(h.get("epoch", i + 1), _num(h.get("val_loss"))) for i, h in enumerate(history or [])]
    points = [(e, loss) for e, loss in points if loss is not None]
    best = math.inf
    for i, (epoch, loss) in enumerate(points):
        if loss < best:
            best = loss
            after = [later for _, later in points[i + 1:i + 1 + patience]]
            if len(after) == patience and all(later > best for later in after):
                return int(epoch)
    return None


def _classify(train: float, held: float, majority: float | None) -> tuple[str, str]:
    """(verdict, why) from train accuracy, held-out (val, else test) accuracy and the majority baseline."""
    gap = train - held
    if gap > OVERFIT_GAP:
        return "overfit", f"train accuracy is {gap:.2f} above validation, over the {OVERFIT_GAP:.2f} limit"
    if train >= MEMORIZED_TRAIN and gap >= MEMORIZED_GAP:
        return "overfit", f"it fits the training set almost perfectly ({train:.2f}) yet validation is {gap:.2f} lower"
    if majority is not None and train - majority <= UNDERFIT_MARGIN:
        return "underfit", f"train accuracy {train:.2f} is within {UNDERFIT_MARGIN:.2f} of the {majority:.2f} majority baseline"
    if majority is not None and majority < 1 and (train - majority) / (1 - majority) < UNDERFIT_SKILL:
        return "underfit", (f"train accuracy {train:.2f} covers less than {UNDERFIT_SKILL:.0%} of the way from the "
                            f"{majority:.2f} majority baseline to 1.00, so it does not even fit the data it trained on")
    above = f", and well above the {majority:.2f} majority baseline" if majority is not None else ""
    return "good fit", f"train accuracy is {gap:.2f} above validation, within the {OVERFIT_GAP:.2f} limit{above}"


def _verdict(entry: dict, report: dict) -> dict | None:
    """One variant's verdict, or None when it has no train accuracy or no held-out accuracy to compare with."""
    train, val, test = (_metric(entry, s) for s in SPLITS)
    held = val if val is not None else test
    if train is None or held is None:
        return None
    verdict, why = _classify(train, held, _majority(report, entry, "train"))
    turned = val_loss_turned_up_at(entry.get("history"))
    scores = ", ".join(f"{s} {a:.2f}" for s, a in zip(SPLITS, (train, val, test)) if a is not None)
    extra = f"; val loss turned up after epoch {turned}" if turned is not None and verdict == "overfit" else ""
    return {"variant": str(entry.get("variant", "?")), "kind": entry.get("kind"), "verdict": verdict,
            "train_accuracy": train, "val_accuracy": val, "test_accuracy": test,
            "gap_train_val": _diff(train, val), "gap_train_test": _diff(train, test), "gap_val_test": _diff(val, test),
            "val_loss_turned_up_at": turned, "reason": f"{verdict.capitalize()}: {why} ({scores}{extra})."}


def _majority_baseline(report: dict) -> dict:
    """How far the chosen model's test accuracy is above always answering the training majority class."""
    best = report.get("best") or {}
    acc, maj, name = _metric(best, "test"), _majority(report, best, "test"), _majority_name(report)
    out = {"variant": best.get("variant"), "test_accuracy": acc, "majority_accuracy": maj, "majority_class": name,
           "margin": _diff(acc, maj), "near_majority": False, "warning": None}
    if out["margin"] is not None and out["margin"] <= NEAR_MAJORITY_MARGIN:
        out["near_majority"] = True
        where = "barely above" if out["margin"] >= 0 else "below"
        out["warning"] = (f"WARNING: test accuracy {acc:.2f} is {where} the {maj:.2f} you'd get by always answering "
                          f"'{name}', so the model has learned next to nothing useful.")
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


def _is_baseline(v: dict) -> bool:
    return v.get("kind") == "baseline" or v["variant"] == "baseline"


def _headline(ref: dict, is_baseline: bool) -> str:
    """The reference variant's state in one sentence: the baseline if it ran, else the largest-gap variant."""
    who = "The unregularized model" if is_baseline else f"No baseline ran; {ref['variant']}, the variant with the largest gap,"
    acc = f"train {ref['train_accuracy']:.2f}, test {ref['test_accuracy']:.2f}"
    if ref["verdict"] == "overfit" and ref["train_accuracy"] >= MEMORIZED_TRAIN:
        return f"{who} memorizes the training set: {acc}."
    if ref["verdict"] == "overfit":
        return f"{who} overfits: {acc} (gap {ref['gap_train_test']:.2f})."
    if ref["verdict"] == "underfit":
        return (f"{who} underfits: {acc}; it does not fit even its training data, so regularization cannot help — "
                "it needs more capacity, more epochs or more informative features.")
    return f"{who} generalizes: {acc} (gap {ref['gap_train_test']:.2f}), so regularization has little to fix."


def _chance(paired: dict | None) -> str:
    """', a difference of k rows of n that chance alone explains / does not explain (McNemar p = …)'."""
    if not paired or _num(paired.get("p_value")) is None:
        return ""
    rows = abs(int(paired.get("variant_only", 0)) - int(paired.get("reference_only", 0)))
    verdict = "larger than chance alone gives" if paired.get("significant") else "within what chance alone gives"
    return (f" ({rows} row(s) of {paired.get('n', '?')} net, {verdict} on these test rows: "
            f"McNemar p = {paired['p_value']:.2g})")


def _comparison(ref: dict, other: dict, chosen: bool, paired: dict | None = None) -> str:
    """How `other` changes the reference's train−test gap and test accuracy, in one sentence; with
    `paired` (McNemar on the same test rows), whether that test difference is more than noise."""
    a, b = abs(ref["gap_train_test"]), abs(other["gap_train_test"])
    narrows = b < a - 0.005
    gap = f"cuts the gap from {a:.2f} to {b:.2f}" if narrows else f"does not narrow the gap ({a:.2f} → {b:.2f})"
    t0, t1 = ref["test_accuracy"], other["test_accuracy"]
    test = (f"raises test accuracy to {t1:.2f}" if t1 > t0 + 0.005 else f"keeps test accuracy at {t1:.2f}"
            if t1 >= t0 - 0.005 else f"test accuracy falls to {t1:.2f} from {t0:.2f}")
    conj = "and" if narrows == (t1 >= t0 - 0.005) else "but"
    noise = _chance(paired) if abs(t1 - t0) > 0.005 else ""
    return f"{other['variant']}{' (the variant chosen on validation)' if chosen else ''} {gap} {conj} {test}{noise}."


def _paired(comparisons: dict | None, reference: str, variant: str) -> dict | None:
    """The McNemar result of `variant` against `reference`, when the report has one for that pair."""
    comparisons = comparisons if isinstance(comparisons, dict) else {}
    if comparisons.get("reference") != reference:
        return None
    return (comparisons.get("variants") or {}).get(variant)


def _model_sentences(verdicts: list[dict], best_name: str | None, comparisons: dict | None = None) -> list[str]:
    """Headline on the baseline (or the largest-gap variant), then what the variant chosen on validation does to the gap."""
    rows = [v for v in verdicts if v["test_accuracy"] is not None and v["gap_train_test"] is not None]
    if not rows:
        return [v["reason"] for v in verdicts]
    ref = next((v for v in rows if _is_baseline(v)), None)
    base = ref is not None
    ref = ref or max(rows, key=lambda v: v["gap_train_test"])
    best = next((v for v in rows if v["variant"] == best_name), None)
    # The variant held up against the baseline is the one chosen on validation: picking "the one
    # that closes the gap best" by its test numbers would be a choice made on the test split.
    other = best
    out = [_headline(ref, base)]
    if other is not None and other is not ref:
        out.append(_comparison(ref, other, other is best, _paired(comparisons, ref["variant"], other["variant"])))
    if best is not None and best is not other and best is not ref:
        out.append(f"The variant chosen on validation is {best['variant']} (test accuracy {best['test_accuracy']:.2f}).")
    elif base and best is ref and len(rows) > 1:
        out.append(f"No regularized variant beat {ref['variant']} on validation, so it was chosen.")
    over = [v["variant"] for v in verdicts if v["verdict"] == "overfit"]
    if len(verdicts) > 1:
        out.append(f"{len(over)} of {len(verdicts)} variants overfit{' (' + ', '.join(over) + ')' if over else ''}.")
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


def _data_sentences(report: dict) -> list[str]:
    """One sentence per warning or failure of the data checks, plus per-class recall when classes are imbalanced."""
    checks = [c for c in (report.get("data") or {}).get("checks") or [] if isinstance(c, dict)]
    out = [f"Data check {c.get('name', '?')}: {c.get('message', '')}" for c in checks if c.get("status") in ("warn", "fail")]
    named = next((c for c in checks if c.get("name") == "class_imbalance"), None)
    counts = _class_counts(report, "train")
    imbalanced = named.get("status") == "warn" if named else bool(counts) and imbalance_numbers(counts)["warn"]
    recall = _recall_sentence(report) if imbalanced else None
    return out + ([recall] if recall else [])


def diagnose(report: dict) -> dict:
    """Verdicts per variant, the majority-baseline and selection-optimism checks, and the summary sentences."""
    entries = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    verdicts = [d for d in (_verdict(v, report) for v in entries) if d is not None]
    majority, optimism = _majority_baseline(report), _selection_optimism(report)
    if not verdicts:
        summary = ["No trial produced a model, so there is nothing to diagnose: see all_trials in report.json for "
                   "each trial's status and error."]
    else:
        summary = ([majority["warning"]] if majority["warning"] else [])
        summary += _model_sentences(verdicts, (report.get("best") or {}).get("variant"), report.get("comparisons"))
        summary += [optimism["message"]] if optimism["message"] else []
    thresholds = {"overfit_gap": OVERFIT_GAP, "memorized_train": MEMORIZED_TRAIN, "memorized_gap": MEMORIZED_GAP,
                  "underfit_margin": UNDERFIT_MARGIN, "underfit_skill": UNDERFIT_SKILL,
                  "near_majority_margin": NEAR_MAJORITY_MARGIN, "turn_up_patience": TURN_UP_PATIENCE}
    return {"verdicts": verdicts, "majority_baseline": majority, "selection_optimism": optimism,
            "summary": summary + _data_sentences(report), "thresholds": thresholds}
