"""covariate_shift and label_shift: test rows from another population than the training rows.

Covariate shift: if a classifier can tell training rows from test rows (cross-validated ROC-AUC well
above 0.5), they come from different places, periods or ranges; it costs accuracy when the model
scores worse on the test rows least like training. Label shift: the classes' shares differ; it costs
accuracy when the model is weaker on the classes that became more common. Images are compared on
simple statistics per image (`doctor.images.described`: each channel's mean, spread and range, and
a coarse grid of brightness), the way photos from another camera, light or framing differ.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.drift import SHIFT_ROWS, origin_scores, sample_rows, tells_apart
from orchestrator.checkup.exam import Exam, finding
from orchestrator.checkup.images import described
from orchestrator.checkup.references import matrix
from orchestrator.checkup.thresholds import CLASS_MIX_ACCURACY_DROP, SEED, SHIFT_ACCURACY_GAP, SHIFT_AUC

COVARIATE_RULE = (f"confirmed when gradient-boosted trees tell training rows from test rows with cross-validated ROC-AUC of "
                  f"at least {SHIFT_AUC} (beyond two standard deviations of its folds from 0.5) and the model's accuracy on "
                  f"the test half least like training is at least {SHIFT_ACCURACY_GAP} below that on the half most like it; "
                  "images are compared on each channel's mean, standard deviation, minimum and maximum and a 4 x 4 grid of brightness")
LABEL_RULE = ("confirmed when a class's share differs between training and test by the data checks' LABEL_SHIFT_MAX (chi-square "
              f"p < 0.05) and the model's per-class accuracy on training rows, weighted by the test shares, is at least "
              f"{CLASS_MIX_ACCURACY_DROP} below the same weighted by the training shares")
SHOWN_COLUMNS = 5


def _columns(exam: Exam, x, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """What the shift classifier sees of `rows`, and its column names: the model's columns, or statistics per image."""
    if exam.data.images:
        return described(x[rows])
    m = matrix(x)[rows]
    return m, exam.data.features if m.shape[1] == len(exam.data.features) else [f"x{i}" for i in range(m.shape[1])]


def _drifting_columns(names: list[str], x_train: np.ndarray, x_test: np.ndarray) -> dict[str, float]:
    """Each column's own ROC-AUC for telling the two apart (0.5 none, 1 complete), largest first: all of
    them (doctor.html draws drift per column), the summary names the first SHOWN_COLUMNS."""
    from sklearn.metrics import roc_auc_score

    origin = np.r_[np.zeros(len(x_train)), np.ones(len(x_test))]
    aucs = {n: abs(float(roc_auc_score(origin, np.r_[x_train[:, i], x_test[:, i]])) - 0.5) + 0.5 for i, n in enumerate(names)}
    return dict(sorted(aucs.items(), key=lambda kv: -kv[1]))


def covariate_shift(exam: Exam) -> dict:
    if not exam.has("train"):
        return finding("covariate_shift", "cannot_tell", "Needs the training rows (--data) to compare test rows with.", COVARIATE_RULE)
    x_train, names = _columns(exam, exam.data.splits["train"].x, sample_rows(len(exam.y("train")), SHIFT_ROWS, SEED))
    tested = sample_rows(len(exam.y("test")), SHIFT_ROWS, SEED)  # both sides capped: a fixed cost at any size
    x_test, _ = _columns(exam, exam.x("test"), tested)
    p_test, aucs = origin_scores(x_train, x_test, SEED)
    auc, noise = float(np.mean(aucs)), float(np.std(aucs))
    correct = (exam.read(exam.raw("test")).argmax(axis=1) == exam.y_examined("test"))[tested]
    like = p_test <= np.median(p_test)
    acc_like, acc_unlike = float(correct[like].mean()), float(correct[~like].mean()) if (~like).any() else float("nan")
    numbers = {"roc_auc": auc, "roc_auc_std": noise, "drifting_columns": _drifting_columns(names, x_train, x_test),
               "test_accuracy_like_training": acc_like, "test_accuracy_unlike_training": acc_unlike}
    if not tells_apart(auc, noise):
        return finding("covariate_shift", "ruled_out", f"Test rows look like training rows (ROC-AUC {auc:.2f} ± {noise:.2f} "
                       "for telling them apart).", COVARIATE_RULE, **numbers)
    columns = ", ".join(list(numbers["drifting_columns"])[:SHOWN_COLUMNS])
    if not acc_like - acc_unlike >= SHIFT_ACCURACY_GAP:
        return finding("covariate_shift", "ruled_out", f"Test rows differ from training rows (ROC-AUC {auc:.2f}; most in "
                       f"{columns}), but the model scores as well on the unlike ones.", COVARIATE_RULE, **numbers)
    return finding("covariate_shift", "confirmed",
                   f"Test rows come from another population: a classifier tells them from training rows with ROC-AUC "
                   f"{auc:.2f} ± {noise:.2f}, most by {columns}; the model scores {acc_like:.3f} on the test rows most like "
                   f"training and {acc_unlike:.3f} on the rest.", COVARIATE_RULE,
                   fix="train on data that covers the test population (or reweight training rows toward it); gg-train "
                       "launch searches the architecture's variants on the new data",
                   regained=max(0.0, acc_like - float(correct.mean())), **numbers)


def label_shift(exam: Exam) -> dict:
    from scipy.stats import chi2_contingency

    from orchestrator.data.checks import LABEL_SHIFT_MAX

    if not exam.has("train"):
        return finding("label_shift", "cannot_tell", "Needs the training rows (--data) to compare class shares with.", LABEL_RULE)
    k = exam.n_classes
    counts = np.array([np.bincount(exam.y(s) if s == "train" else exam.y_examined(s), minlength=k) for s in ("train", "test")])
    shares = counts / counts.sum(axis=1, keepdims=True)
    seen = counts.sum(axis=0) > 0
    p_value = float(chi2_contingency(counts[:, seen])[1]) if seen.sum() > 1 else 1.0
    pred, y = exam.read(exam.raw("train")).argmax(axis=1), exam.y_examined("train")
    recall = np.array([float(np.mean(pred[y == c] == c)) if np.any(y == c) else 0.0 for c in range(k)])
    at_train, at_test = float(recall @ shares[0]), float(recall @ shares[1])
    numbers = {"train_shares": shares[0].tolist(), "test_shares": shares[1].tolist(), "chi2_p_value": p_value,
               "train_recall_by_class": recall.tolist(), "expected_accuracy_train_mix": at_train,
               "expected_accuracy_test_mix": at_test}
    largest = float(np.abs(shares[0] - shares[1]).max())
    if largest < LABEL_SHIFT_MAX or p_value >= 0.05:
        return finding("label_shift", "ruled_out", f"The classes' shares are alike (largest difference {largest:.2f}).", LABEL_RULE, **numbers)
    if at_train - at_test < CLASS_MIX_ACCURACY_DROP:
        return finding("label_shift", "ruled_out", f"The classes' shares differ (by up to {largest:.2f}), but the model is about "
                       "as good on the classes that became more common.", LABEL_RULE, **numbers)
    return finding("label_shift", "confirmed",
                   f"The test file has another class balance (shares differ by up to {largest:.2f}) and the model is weaker on "
                   f"the classes that grew: its per-class accuracy predicts {at_test:.3f} at the test mix vs {at_train:.3f} at "
                   "the training mix.", LABEL_RULE, fix="retrain with the test population's class balance (class weights), "
                   "or adjust the decision threshold to the new class shares", regained=at_train - at_test, **numbers)
