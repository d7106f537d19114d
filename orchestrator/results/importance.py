"""Which features does the chosen model ignore, and would it have lost anything by using them?

A column the model does not use is only worth mentioning when it also carries no information on its
own: permutation importance splits credit between correlated columns, so an informative column whose
twin carries the same signal can look unused. The check therefore asks two questions and names a
column only when both say "nothing here":

- permutation importance on the validation split (never test: the chosen model was picked on
  validation, and test stays untouched until the final numbers), scored by log loss, which moves with
  every probability rather than only with the few predictions that cross 0.5;
- no measurable information alone, on train: mutual information with the label under a floor measured
  by shuffling the label (so the floor follows the estimator's bias at this row count and for this
  column, instead of a constant tuned on one table), and no class-mean difference by an ANOVA F-test,
  which finds a shift in means on a hundred rows where the nearest-neighbour MI estimate cannot.

Needs only a `predict_proba(x) -> (n, n_classes)` callable: no TensorFlow or Ray is imported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from orchestrator.data.dataset import Dataset
from orchestrator.data.drift import sample_rows

# Permuting a column changes log loss by mean +- std over the repeats; a mean within 2 std of 0 is "no
# measurable use". Lenient on purpose: it lets a planted noise column through in 19 of 20 splits of wine
# and breast cancer (2 standard errors instead: 12-14 of 20), and the univariate tests below keep the
# informative columns it also lets through (on wine's 36 validation rows, even proline at 0.14 +- 0.07).
UNUSED_STD = 2.0
# 10 repeats give a std estimate good to about 25%, at 10 predictions per column.
IMPORTANCE_REPEATS = 10
# Validation rows used for the permutations: 10,000 resolve a log-loss change of 1e-3, and bound the
# cost to n_features x 10 predictions of that size whatever the split.
IMPORTANCE_MAX_ROWS = 10_000
# Mutual information is a k-nearest-neighbour estimate, about 40 ms per column and label at 5,000 rows
# (hence computed only for the columns still in question); 5,000 rows resolve an MI of a few
# thousandths of a nat, below what a model would profit from.
MI_MAX_ROWS = 5_000
# Neighbours per estimate. scikit-learn's default of 3 is too noisy on a few hundred rows: on breast
# cancer's 341 training rows it put columns correlated 0.29-0.36 with the label under their floor in
# 11 of 20 split seeds; with 10 only the five columns correlated below 0.08 ever fall under it, and
# dropping those five improves a logistic regression's cross-validated log loss.
MI_NEIGHBORS = 10
# Shuffled-label copies per candidate column; the largest MI they reach is the column's noise floor. A
# pure-noise column beats the largest of S shuffles with probability at most 1 / (S + 1): 10 miss one in
# 11 at most. 20 caught no more planted noise columns over 60 splits of wine and breast cancer (the
# misses left come from the other two tests), and MI alone then named a column correlated 0.33.
MI_SHUFFLES = 10
# ANOVA p-value at or above which a column shows no class-mean difference. Without this test wine's
# "ash" (F = 13 on all rows; dropping it costs a logistic regression 0.035 of cross-validated log loss)
# was named in 2 of 20 splits, its MI lost in the noise of 107 training rows; with it, none, and a noise
# column is still caught as often (it passes the test 95% of the time).
ANOVA_MIN_P = 0.05
PROBA_EPS = 1e-7  # float32 probabilities of exactly 0 would make the log loss infinite


class _Fixed:
    """An already-fitted model as scikit-learn's permutation_importance wants one: it checks for `fit`."""

    def __init__(self, predict_proba: Callable[[np.ndarray], np.ndarray]):
        self._predict_proba = predict_proba

    def fit(self, x, y=None):  # never called: the model is trained already
        return self

    def predict_proba(self, x) -> np.ndarray:
        return np.asarray(self._predict_proba(np.asarray(x, dtype=np.float32)), dtype=np.float64)


def _neg_log_loss(model: _Fixed, x: np.ndarray, y: np.ndarray) -> float:
    """Minus the mean log loss (higher is better, as scikit-learn's scorers are). Computed here rather
    than with `metrics.log_loss`, which raises on rows of one class unless given every label and warns
    on every call whose rows do not sum to 1; renormalizing here accepts any callable's output."""
    p = model.predict_proba(x)
    p = np.clip(p, PROBA_EPS, None)
    p = p / p.sum(axis=1, keepdims=True)
    return float(np.mean(np.log(p[np.arange(len(y)), y])))


def _permutation(predict_proba: Callable, dataset: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) over the repeats of the validation log-loss increase when each column is shuffled."""
    from sklearn.inspection import permutation_importance

    rows = sample_rows(len(dataset.val), IMPORTANCE_MAX_ROWS, seed)
    result = permutation_importance(_Fixed(predict_proba), dataset.val.x[rows], dataset.val.y[rows],
                                    scoring=_neg_log_loss, n_repeats=IMPORTANCE_REPEATS, random_state=seed)
    return result.importances_mean, result.importances_std


def _mutual_information(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(MI with the label, MI floor) per column. The floor is the largest MI a column reaches against
    shuffled copies of the label; shuffling stops for a column as soon as it is reached (that column is
    uninformative whatever the other copies give), and an MI of 0 is under any floor, so only columns
    that look informative pay for all the shuffles. The floor reported is the largest seen until then."""
    from sklearn.feature_selection import mutual_info_classif

    mi = mutual_info_classif(x, y, n_neighbors=MI_NEIGHBORS, random_state=seed)
    floor = np.zeros_like(mi)
    undecided = mi > 0
    rng = np.random.default_rng(seed)
    for _ in range(MI_SHUFFLES):
        if not undecided.any():
            break
        shuffled = mutual_info_classif(x[:, undecided], rng.permutation(y), n_neighbors=MI_NEIGHBORS, random_state=seed)
        floor[undecided] = np.maximum(floor[undecided], shuffled)
        undecided &= mi > floor
    return mi, floor


def _univariate(dataset: Dataset, columns: np.ndarray, seed: int) -> dict[str, dict[int, float]]:
    """ANOVA p-value of each of `columns` and, for those without a class-mean difference (the only ones
    still in question, and the few nearest-neighbour estimates are the cost), MI and its floor; keyed by
    column index, on at most MI_MAX_ROWS training rows."""
    from sklearn.feature_selection import f_classif

    rows = sample_rows(len(dataset.train), MI_MAX_ROWS, seed)
    x, y = dataset.train.x[rows][:, columns], dataset.train.y[rows]
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # a constant column has no F statistic: it warns, and counts as p = 1
        p = np.nan_to_num(f_classif(x, y)[1], nan=1.0) if len(np.unique(y)) > 1 else np.ones(len(columns))
    quiet = np.flatnonzero(p >= ANOVA_MIN_P)
    mi, floor = _mutual_information(x[:, quiet], y, seed) if len(quiet) else (np.zeros(0), np.zeros(0))
    return {"anova_p": dict(zip(columns.tolist(), p.tolist())),
            "mutual_info": dict(zip(columns[quiet].tolist(), mi.tolist())),
            "mutual_info_floor": dict(zip(columns[quiet].tolist(), floor.tolist()))}


def _whole_columns(flagged: set[str], dataset: Dataset) -> list[str]:
    """The user's columns whose every entry is `flagged`, by their own names: a text column's levels
    are dropped together or not at all (the encoding's OOV slots and missing indicators aside)."""
    from orchestrator.data.features import feature_sources

    entries: dict[str, list[str]] = {}
    for name, source in zip(map(str, dataset.feature_names), feature_sources(dataset)):
        if name not in dataset.generated_features:
            entries.setdefault(source, []).append(name)
    return [source for source, names in entries.items() if all(n in flagged for n in names)]


def _result(status: str, message: str, numbers: dict) -> dict:
    return {"name": "uninformative_features", "status": status, "message": message, "numbers": numbers}


def check_uninformative_features(predict_proba: Callable[[np.ndarray], np.ndarray], dataset: Dataset, seed: int) -> dict:
    """Name the columns the model does not use and that carry no information alone: dropping them costs
    nothing and removes a place for noise to be fitted. `predict_proba` maps float32 rows to (n, K)."""
    names = [str(n) for n in dataset.feature_names]
    nums: dict = {"columns": [], "unused_std": UNUSED_STD, "mi_neighbors": MI_NEIGHBORS, "mi_shuffles": MI_SHUFFLES,
                  "anova_min_p": ANOVA_MIN_P, "n_val_rows": int(min(len(dataset.val), IMPORTANCE_MAX_ROWS)),
                  "anova_p": {}, "mutual_info": {}, "mutual_info_floor": {}}
    if len(dataset.val) < 2 or len(dataset.train) <= MI_NEIGHBORS:
        return _result("ok", "Feature use was not measured: it needs validation rows and more than "
                       f"{MI_NEIGHBORS} training rows.", nums)
    mean, std = _permutation(predict_proba, dataset, seed)
    unused = np.flatnonzero(mean <= UNUSED_STD * std)
    alone = _univariate(dataset, unused, seed) if len(unused) else {}
    for key, values in alone.items():  # unused columns only; MI only where the class means agree
        nums[key] = {names[j]: v for j, v in values.items()}
    nums["columns"] = _whole_columns({names[j] for j, mi in alone.get("mutual_info", {}).items()
                                      if mi <= alone["mutual_info_floor"][j]}, dataset)
    nums["importance_mean"] = dict(zip(names, mean.tolist()))
    nums["importance_std"] = dict(zip(names, std.tolist()))
    flagged = nums["columns"]
    if not len(unused):
        return _result("ok", "The model uses every feature: shuffling any one of them worsens the validation log loss.",
                       nums)
    if not flagged:
        return _result("ok", f"{len(unused)} feature(s) look unused by the model, but each carries information about "
                       "the label on its own, so none is called uninformative.", nums)
    shown = ", ".join(flagged[:10]) + (f" and {len(flagged) - 10} more" if len(flagged) > 10 else "")
    return _result("warn", f"{len(flagged)} column(s) are neither used by the model nor measurably informative on "
                   f"their own ({shown}), so they can probably be dropped without losing accuracy.", nums)
