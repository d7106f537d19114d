"""Can a classifier tell two sets of rows apart? The one rule for covariate shift, shared by
`gg-train doctor` (`doctor.causes.shift`) and launch's check of a given test file (`data.test_file`).

If gradient-boosted trees separate training rows from test rows (cross-validated ROC-AUC well above
0.5, beyond the noise of its folds), the two come from different places, periods or ranges.
"""

from __future__ import annotations

import numpy as np

# A classifier telling training rows from test rows with cross-validated ROC-AUC at least this
# (0.5 = indistinguishable) sees two populations.
SHIFT_AUC = 0.75
SHIFT_FOLDS = 5
# Rows each side contributes at most: a fixed cost at any size (a few seconds on 2 cores).
SHIFT_ROWS = 20_000
# OpenMP threads for small scikit-learn fits (these and the doctor's references). Gradient-boosted
# trees on 1,000 rows took 30 s with OpenMP's default threads on a busy 2-core machine (its workers
# spin-wait for cores others hold) and 0.6 s with one: one thread is the dependable choice.
FIT_THREADS = 1


def sample_rows(n: int, cap: int, seed: int = 0) -> np.ndarray:
    """A fixed uniform sample of at most `cap` row indices, in order."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def origin_scores(x_train: np.ndarray, x_test: np.ndarray, seed: int = 0) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold P(test) for each test row, and the ROC-AUC of each fold."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    x = np.concatenate([x_train, x_test])
    origin = np.r_[np.zeros(len(x_train)), np.ones(len(x_test))]
    p_test, aucs = np.zeros(len(x)), []
    with threadpool_limits(FIT_THREADS):
        for fit, held in StratifiedKFold(SHIFT_FOLDS, shuffle=True, random_state=seed).split(x, origin):
            model = HistGradientBoostingClassifier(max_iter=50, random_state=seed).fit(x[fit], origin[fit])
            p_test[held] = model.predict_proba(x[held])[:, 1]
            aucs.append(float(roc_auc_score(origin[held], p_test[held])))
    return p_test[len(x_train):], aucs


def tells_apart(auc: float, noise: float) -> bool:
    """The classifier tells the two apart well (SHIFT_AUC) and beyond two standard deviations of its folds."""
    return auc >= SHIFT_AUC and auc - 2 * noise > 0.5
