"""How much each finding changes what the numbers mean, and so where it stands in the answer.

A reader who stops after the first sentence must not leave with the opposite of the truth. So the
findings are ranked, worst first, and every place that prints the answer (the console, report.md
and report.html, `gg-train show`) prints `diagnosis.summary` in this order:

1. `not_real`: a column that leaks the label, rows shared between splits that can move the scores
   beyond their noise and are not repeats the data's few values explain (`data.overlap`), NaN features. Every score
   below is then meaningless, so the sentence says so first ("These scores are not real").
2. `misleading`: accuracy misleads, because the classes are imbalanced, the model is no better than
   always answering the majority, or the splits hold another class mix (or population) than training.
3. `fit`: overfitting, label noise, underfitting, a majority-only model, and what the chosen
   variant does about them.
4. `capacity`: the sizes searched and the simple reference models.
5. `data_size`: would more rows help, how much choosing on validation flattered the winner, a test
   split too small to measure.
6. `hygiene`: columns to drop or fill (redundant, constant, unused, dropped, unlabelled rows).

This module is the one owner of that order. The doctor (`doctor/causes`) ranks its causes by the
test accuracy their repair regains, a different question, and breaks ties with `rank` here, so
a cause both pipelines know (an overlap, an imbalance, a fit) stands in the same order in both.
"""

from __future__ import annotations

TIERS = ("not_real", "misleading", "fit", "capacity", "data_size", "hygiene")

# Every kind of finding, worst first. The names are the data checks' (`data.checks`), the diagnosis'
# parts (`results.diagnosis`) and the doctor's causes (`doctor.causes`) where they mean the same.
ORDER: tuple[tuple[str, str], ...] = (
    ("target_leakage", "not_real"), ("duplicates_across_splits", "not_real"), ("train_test_overlap", "not_real"),
    ("non_finite_features", "not_real"),
    ("class_imbalance", "misleading"), ("majority_baseline", "misleading"), ("label_shift", "misleading"),
    ("covariate_shift", "misleading"),
    ("fit", "fit"), ("overfitting", "fit"), ("underfitting", "fit"),
    ("capacity", "capacity"), ("references", "capacity"),
    ("learning_curve", "data_size"), ("selection_optimism", "data_size"), ("small_test_set", "data_size"),
    ("uninformative_features", "hygiene"), ("redundant_features", "hygiene"), ("constant_features", "hygiene"),
    ("dropped_columns", "hygiene"), ("unlabelled_rows", "hygiene"), ("repeated_rows", "hygiene"),
)
_RANK = {kind: i for i, (kind, _) in enumerate(ORDER)}
_TIER = dict(ORDER)
NOT_REAL = "These scores are not real"  # how the worst findings begin, wherever they are found


def rank(kind: str, unknown: int | None = None) -> int:
    """Position of `kind` in `ORDER` (0 is the worst); a kind not listed goes last unless `unknown` says otherwise."""
    return _RANK.get(kind, len(ORDER) if unknown is None else unknown)


def tier(kind: str) -> str:
    return _TIER.get(kind, "hygiene")


def ordered(findings: list[tuple[str, str]]) -> list[dict]:
    """(kind, sentence) pairs as `{kind, tier, sentence}`, worst first; findings of one kind keep
    the order they were written in (a headline before the sentence that continues it)."""
    ranked = sorted(enumerate(findings), key=lambda item: (rank(item[1][0]), item[0]))
    return [{"kind": kind, "tier": tier(kind), "sentence": sentence} for _, (kind, sentence) in ranked]


def _names(columns: list[str]) -> str:
    quoted = [f"'{c}'" for c in columns]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def leak_sentence(numbers: dict) -> str:
    """A column that alone predicts the label, named in the user's words, first."""
    columns = [str(c) for c in numbers.get("columns") or []]
    scores = [s for s in (numbers.get("balanced_accuracy") or {}).values() if isinstance(s, (int, float))]
    one = len(columns) == 1
    low, high = (f"{min(scores):.2f}", f"{max(scores):.2f}") if scores else ("", "")
    score = f" (balanced accuracy {low if low == high else f'{low} to {high}'} on validation)" if scores else ""
    return (f"{NOT_REAL}: {_names(columns)} alone predict{'s' if one else ''} the label{score}, so "
            f"{'it is' if one else 'they are'} almost certainly computed from it, and every accuracy in this report "
            f"measures that shortcut, not the model; drop {'it' if one else 'them'} from the table and launch again.")


def overlap_sentence(shared: list[str], unit: str) -> str:
    """Rows that sit in two splits: the held-out scores partly measure memory."""
    return (f"{NOT_REAL}: {'; '.join(shared)}, so those {unit} measure memory rather than generalization; "
            "deduplicate before splitting and launch again.")
