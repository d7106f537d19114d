"""Feature checks: a column that gives the answer away, and columns that repeat another.

A column computed from the label (a "was refunded" flag when predicting fraud, a copy of the target
left in the table) makes validation accuracy look superb and the model useless on new data. Two
columns that are rescalings of each other add nothing but a wider first layer and unstable weights.
Both checks name the columns so a person can decide; they run with the other data checks
(`checks.CHECKS`) on the driver, before any training, and take under two seconds on 1e5 rows x 50 columns.

They judge the user's columns, not gg-train's encoding of them: the entries one column becomes (a
text column's one-hot levels and its out-of-vocabulary slot, a number and its missing indicator) are
judged together under the column's own name, and never against each other (`city=yes` and `city=no`
are one signal by construction, not a pair to drop).
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.dataset import Dataset
from orchestrator.data.drift import sample_rows

# One genuine measurement rarely separates classes this well: the best single column of scikit-learn's
# breast-cancer table scores 0.89-0.94 on validation across split seeds, a copy of the label plus noise
# scores ~1.0. Tiny validation splits can reach it honestly (iris petal width on 30 rows), which is why
# this warns and asks rather than fails.
LEAKAGE_BALANCED_ACCURACY = 0.97
# Depth 3 is enough for one column to encode any threshold or a few bands (a label copy, a bucketed
# label) and too shallow to memorize noise.
LEAKAGE_TREE_DEPTH = 3
# 10,000 rows place a depth-3 tree's thresholds within half a percentile, far inside the noise of a
# validation score; fitting dominates the cost (about 10 ms a column), so 100 columns take a second.
LEAKAGE_MAX_TRAIN_ROWS = 10_000
# One column a rescaling of the other but for 0.2% of its variance (r^2 > 0.998). Pairs measured apart,
# such as breast cancer's mean radius and mean perimeter (r = 0.9977-0.9980 over split seeds, 0.4%
# unexplained), carry some noise of their own and must not warn; a duplicated column is at r = 1.
REDUNDANT_ABS_CORRELATION = 0.999
# 50,000 rows estimate r to about +-1e-5 near 1, far finer than the threshold's margin.
REDUNDANT_MAX_ROWS = 50_000
SEED = 0  # subsampling is fixed so the same data always gives the same verdict
SHOWN = 10  # columns or pairs named in a message; the numbers list them all


def _check(name: str, status: str, message: str, numbers: dict) -> dict:
    """The shape of `checks._check`, repeated here because checks.py imports this module."""
    return {"name": name, "status": status, "message": message, "numbers": numbers}


def _names(dataset: Dataset) -> list[str]:
    n = int(dataset.train.x.shape[1])
    return [str(dataset.feature_names[i]) if i < len(dataset.feature_names) else f"feature_{i}" for i in range(n)]


def feature_sources(dataset: Dataset) -> list[str]:
    """The user's column behind each feature (`city` for `city=yes` and `city=<OOV>`, `age` for
    `age_missing`); without an encoding every feature is a column of its own."""
    if dataset.encoding is None:
        return _names(dataset)
    from orchestrator.data.table import column_features

    return [col["name"] for col in dataset.encoding["columns"] for _ in column_features(col)]


def _finite_columns(*arrays: np.ndarray) -> np.ndarray:
    """Columns finite in every array: NaN and inf fail `non_finite_features` already and break the fits."""
    return np.flatnonzero(np.logical_and.reduce([np.isfinite(a).all(axis=0) for a in arrays]))


def _balanced_accuracy(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Mean recall over the classes present in `y`, so a column cannot score by predicting the majority."""
    true = np.bincount(y, minlength=n_classes)
    hit = np.bincount(y[predicted == y], minlength=n_classes)
    present = true > 0
    return float(np.mean(hit[present] / true[present]))


def _single_column_scores(dataset: Dataset) -> dict[str, float]:
    """Validation balanced accuracy of a shallow tree trained on each user column alone (on every
    entry the encoding made of it), by the column's name."""
    from sklearn.tree import DecisionTreeClassifier

    rows = sample_rows(len(dataset.train), LEAKAGE_MAX_TRAIN_ROWS, SEED)
    x, y = dataset.train.x[rows], dataset.train.y[rows]
    vx, vy = dataset.val.x, dataset.val.y
    k = max(dataset.n_classes, int(y.max(initial=0)) + 1, int(vy.max(initial=0)) + 1)
    sources, groups = feature_sources(dataset), {}
    for j in _finite_columns(x, vx).tolist():
        groups.setdefault(sources[j], []).append(j)
    scores = {}
    for source, cols in groups.items():
        tree = DecisionTreeClassifier(max_depth=LEAKAGE_TREE_DEPTH, random_state=SEED).fit(x[:, cols], y)
        scores[source] = _balanced_accuracy(vy, tree.predict(vx[:, cols]), k)
    return scores


def check_target_leakage(dataset: Dataset) -> dict:
    """Warn about a column that alone predicts the validation labels almost perfectly: it is probably
    derived from the label, and the model will lean on it and fail where it is not available."""
    # with one class in validation, predicting it everywhere scores 1.0: nothing can be judged
    judged = len(dataset.train) > 0 and np.unique(dataset.val.y).size >= 2
    scores = _single_column_scores(dataset) if judged else {}
    flagged = sorted((c for c, s in scores.items() if s >= LEAKAGE_BALANCED_ACCURACY), key=lambda c: -scores[c])
    best = max(scores, key=scores.get) if scores else None
    nums = {"columns": flagged,
            "balanced_accuracy": {c: round(scores[c], 4) for c in flagged},
            "best_column": best,
            "best_balanced_accuracy": round(scores[best], 4) if best is not None else None,
            "threshold": LEAKAGE_BALANCED_ACCURACY}
    if best is None:
        return _check("target_leakage", "ok", "Leakage from single features was not measured: it needs training rows "
                      "and a validation split with at least two classes.", nums)
    if not flagged:
        return _check("target_leakage", "ok", "No single column predicts the validation labels almost perfectly on "
                      f"its own (best: '{best}' at {scores[best]:.2f}).", nums)
    shown = ", ".join(f"'{c}' ({scores[c]:.3f})" for c in flagged[:SHOWN])
    more = f" and {len(flagged) - SHOWN} more" if len(flagged) > SHOWN else ""
    return _check("target_leakage", "warn", f"{len(flagged)} column(s) alone predict the validation labels with balanced "
                  f"accuracy of at least {LEAKAGE_BALANCED_ACCURACY} ({shown}{more}), which usually means they were "
                  "computed from the label: drop any column computed from the label before training.", nums)


def _correlations(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(usable column indices, their Pearson correlation matrix on train). Constant and non-finite
    columns have no correlation and are left out rather than reported as NaN."""
    x = np.asarray(dataset.train.x[sample_rows(len(dataset.train), REDUNDANT_MAX_ROWS, SEED)], dtype=np.float64)
    if len(x) < 2:
        return np.array([], dtype=int), np.zeros((0, 0))
    cols = _finite_columns(x)
    z = x[:, cols] - x[:, cols].mean(axis=0)
    std = np.sqrt((z * z).mean(axis=0))
    keep = std > 0
    z, cols = z[:, keep] / std[keep], cols[keep]
    return cols, np.clip((z.T @ z) / len(x), -1.0, 1.0)


def check_redundant_features(dataset: Dataset) -> dict:
    """Warn about column pairs that are the same information rescaled: one of each pair can be dropped."""
    cols, corr = _correlations(dataset)
    upper = np.abs(np.triu(corr, k=1))
    names, sources = _names(dataset), np.array(feature_sources(dataset), dtype=object)[cols]
    # Entries of one column are one signal by construction, and the missing indicators of cells empty
    # together are the encoding's: neither is a column to drop.
    made = np.array([names[c] in dataset.generated_features for c in cols], dtype=bool)
    upper[(sources[:, None] == sources[None, :]) | made[:, None] | made[None, :]] = 0.0
    a, b = np.nonzero(upper > REDUNDANT_ABS_CORRELATION)  # row-major: pairs in column order
    named: dict[tuple, float] = {}  # one pair of user columns, however many of their entries correlate
    for i, j in zip(a, b):
        named.setdefault((sources[i], sources[j]), round(float(corr[i, j]), 6))
    pairs = [[p, q, r] for (p, q), r in named.items()]
    dropped = list(dict.fromkeys(p[1] for p in pairs))
    highest = None
    if upper.any():
        i, j = np.unravel_index(int(np.argmax(upper)), upper.shape)
        highest = [sources[i], sources[j], round(float(corr[i, j]), 6)]
    nums = {"columns": dropped, "pairs": pairs, "highest_pair": highest, "threshold": REDUNDANT_ABS_CORRELATION}
    if not pairs:
        closest = f" (closest: '{highest[0]}' and '{highest[1]}', r = {highest[2]:.4f})" if highest else ""
        return _check("redundant_features", "ok", f"No two features are rescalings of each other{closest}.", nums)
    shown = ", ".join(f"'{p}' ~ '{q}' (r = {r:.4f})" for p, q, r in pairs[:SHOWN])
    more = f" and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else ""
    return _check("redundant_features", "warn", f"{len(pairs)} column pair(s) have |correlation| above "
                  f"{REDUNDANT_ABS_CORRELATION} ({shown}{more}), so each pair is one signal twice: drop the second "
                  f"column of each ({', '.join(dropped[:SHOWN])}).", nums)
