"""The simplest models as references: what the data allows without a network.

Every table experiment (and the doctor) fits three scikit-learn models on the training rows: the
majority class (the floor a model must clear), a regularized logistic regression on standardized
columns (what a linear boundary reaches) and gradient-boosted trees (what a flexible model reaches
without any tuning of the network kind). This module is the one owner of that model set and of how
it is fitted.

Settings are chosen on validation, the way the trials are: logistic regression's C from `C_GRID`,
the trees' number of boosting iterations by early stopping on the given validation rows (staged
predictions, so one fit), each by the experiment's own selection metric. Under class imbalance both
weigh their classes 'balanced', like the `_balanced` variants. The test split is scored once, after
the choice. Images get the majority only: pixels are not columns for these models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orchestrator.data.drift import FIT_THREADS, sample_rows
from orchestrator.results.metrics import classification_metrics

NAMES = ("majority", "logistic_regression", "gradient_boosting")
# Inverse L2 strengths tried for logistic regression, strong to weak regularization.
C_GRID = (0.01, 0.1, 1.0, 10.0)
# Boosting iterations at most, and how often the staged validation score is read (every 10th, and the last).
BOOSTING_ITERATIONS = 200
BOOSTING_CHECK_EVERY = 10
# Training (and validation) rows the references use at most: enough for gradient-boosted trees to
# show what the data allows, and a few seconds on 2 cores.
REFERENCE_TRAIN_ROWS = 20_000
SEED = 0  # samples and trees are fixed so the same files always give the same references
# What a selection metric (without its 'val_' prefix) is called in `classification_metrics`, and
# whether lower is better.
LOWER_IS_BETTER = {"loss": True, "balanced_loss": True, "pr_auc": False, "accuracy": False}


@dataclass
class Fitted:
    name: str
    model: object
    settings: dict = field(default_factory=dict)


def matrix(x) -> np.ndarray:
    """The model's input as one (n, features) matrix: named inputs side by side."""
    if isinstance(x, dict):
        return np.concatenate([np.asarray(v, dtype=np.float32).reshape(len(v), -1) for v in x.values()], axis=1)
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def _widened(proba: np.ndarray, classes, n_classes: int) -> np.ndarray:
    """(n, n_classes) probabilities, one column per class code whether or not the model saw it."""
    out = np.zeros((len(proba), n_classes))
    out[:, np.asarray(classes, dtype=int)] = proba
    return out


def probabilities(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    return _widened(model.predict_proba(x), model.classes_, n_classes)


def _score(model_proba: np.ndarray, y: np.ndarray, n_classes: int, judge: str, y_train: np.ndarray) -> float:
    """The validation score a setting is chosen by, signed so that higher is better; two-class
    scores are the training minority's, as the trials' are."""
    scores = classification_metrics(y, model_proba, n_classes, np.bincount(y_train, minlength=n_classes).tolist())
    value = scores.get(judge)
    if value is None:  # e.g. PR-AUC with a class missing from validation: fall back to the loss
        return -scores["loss"]
    return -value if LOWER_IS_BETTER.get(judge, True) else value


def _logistic(x, y, val, n_classes, weight, judge) -> Fitted:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def fit(c: float):
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight=weight, max_iter=1000)).fit(x, y)

    if val is None:
        return Fitted("logistic_regression", fit(1.0), {"C": 1.0, "class_weight": weight or "none"})
    scored = [(_score(probabilities(m, val[0], n_classes), val[1], n_classes, judge, y), c, m) for c in C_GRID for m in [fit(c)]]
    _, c, model = max(scored, key=lambda s: s[0])
    return Fitted("logistic_regression", model, {"C": c, "class_weight": weight or "none", "chosen_on": f"val_{judge}"})


def _boosting(x, y, val, n_classes, weight, judge) -> Fitted:
    from sklearn.ensemble import HistGradientBoostingClassifier

    def make(iterations: int):
        return HistGradientBoostingClassifier(max_iter=iterations, early_stopping=False, class_weight=weight, random_state=SEED)

    if val is None:
        return Fitted("gradient_boosting", make(100).fit(x, y), {"max_iter": 100, "class_weight": weight or "none"})
    model = make(BOOSTING_ITERATIONS).fit(x, y)
    scored = []
    for i, proba in enumerate(model.staged_predict_proba(val[0]), start=1):
        if i % BOOSTING_CHECK_EVERY == 0 or i == model.n_iter_:
            scored.append((_score(_widened(proba, model.classes_, n_classes), val[1], n_classes, judge, y), -i))  # ties: fewer iterations
    best = -max(scored)[1]
    # Without subsampling or early stopping, the first `best` iterations of the long fit are this fit.
    chosen = model if best == model.n_iter_ else make(best).fit(x, y)
    return Fitted("gradient_boosting", chosen, {"max_iter": best, "class_weight": weight or "none", "chosen_on": f"val_{judge}"})


def _every_class_kept(y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The sample plus every row of a class it caught fewer than two of: a uniform sample of a large
    table with a handful of positives can hold none, and a classifier fitted on one class fails."""
    classes, counts = np.unique(y[rows], return_counts=True)
    rare = [c for c in np.unique(y) if c not in classes or counts[list(classes).index(c)] < 2]
    return np.union1d(rows, np.flatnonzero(np.isin(y, rare))) if rare else rows


def fit_references(x, y: np.ndarray, n_classes: int, val: tuple | None = None, balanced: bool = False,
                   judge: str = "loss", names: tuple[str, ...] = NAMES) -> list[Fitted]:
    """The reference models fitted on (a fixed sample of) the training rows; with `val` = (x, y) their
    settings are chosen on it by `judge` (a `classification_metrics` key), else the defaults."""
    from sklearn.dummy import DummyClassifier
    from threadpoolctl import threadpool_limits

    rows = _every_class_kept(np.asarray(y), sample_rows(len(y), REFERENCE_TRAIN_ROWS, SEED))
    x_fit, y_fit = matrix(x)[rows], np.asarray(y)[rows]
    if val is not None:
        held = sample_rows(len(val[1]), REFERENCE_TRAIN_ROWS, SEED)
        val = (matrix(val[0])[held], np.asarray(val[1])[held])
    weight = "balanced" if balanced else None
    out = []
    with threadpool_limits(FIT_THREADS):
        for name in names:
            if name == "majority":  # answers the majority; its probabilities are the class shares, so its loss means something
                out.append(Fitted(name, DummyClassifier(strategy="prior").fit(x_fit, y_fit)))
            elif name == "logistic_regression":
                out.append(_logistic(x_fit, y_fit, val, n_classes, weight, judge))
            elif name == "gradient_boosting":
                out.append(_boosting(x_fit, y_fit, val, n_classes, weight, judge))
    return out


def judge_key(report: dict) -> str:
    """The trials' selection metric as a `classification_metrics` key: references are chosen the same way."""
    metric = str((report.get("selection") or {}).get("metric") or "val_loss")
    key = metric.removeprefix("val_")
    return key if key in LOWER_IS_BETTER else "loss"


def compared_on(report: dict) -> tuple[str, int | None]:
    """(metric, minority class) a reference is compared with the networks on: the fit's own yardstick,
    accuracy, or under class imbalance the minority class's F1 (two classes) or balanced accuracy."""
    from orchestrator.results.verdicts import class_counts, imbalanced

    from orchestrator.data.labels import minority_class

    counts = class_counts(report, "train")
    if not imbalanced(report) or not counts:
        return "accuracy", None
    return ("minority_f1", minority_class(counts)) if len(counts) == 2 else ("balanced_accuracy", None)


def _beats(y: np.ndarray, network: np.ndarray, reference: np.ndarray, metric: str, minority: int | None) -> dict:
    """The reference against one network on the same test rows: McNemar on accuracy (exact), and on
    any other metric a paired bootstrap; `better` when the reference wins by more than chance gives."""
    from orchestrator.results.significance import mcnemar, paired_bootstrap

    paired = mcnemar(network, reference)
    out = {"mcnemar": {"network_only": paired["reference_only"], "reference_only": paired["variant_only"], "n": paired["n"],
                       "p_value": paired["p_value"], "significant": paired["significant"]},
           **paired_bootstrap(y, network, reference, metric, minority)}
    out["network"], out["reference"] = out.pop("first"), out.pop("second")
    if metric == "accuracy":
        out["better"] = paired["significant"] and paired["variant_only"] > paired["reference_only"]
    else:
        out["better"] = out["significant"] and out["difference"] > 0
    return out


def evaluate_references(dataset, report: dict, tested: dict[str, np.ndarray]) -> list[dict]:
    """report.json's `references`: each model fitted on the training rows, chosen on validation, scored
    once on test with the variants' metrics, and compared with the winner and with every network
    (`tested`: each variant's per-row test correctness). Images: the majority only."""
    from orchestrator.results.verdicts import imbalanced

    table = dataset.kind != "images"
    splits = {"train": dataset.train, "val": dataset.val, "test": dataset.test}
    inputs = {k: (matrix(s.x) if table else np.zeros((len(s.y), 1), np.float32)) for k, s in splits.items()}
    n = dataset.n_classes
    fitted = fit_references(inputs["train"], dataset.train.y, n, (inputs["val"], dataset.val.y), imbalanced(report),
                            judge_key(report), NAMES if table else ("majority",))
    counts = dataset.train.class_counts(n)  # two classes: the metrics are the training minority's
    winner, (metric, minority) = (report.get("best") or {}).get("variant"), compared_on(report)
    out = []
    for f in fitted:
        probas = {k: probabilities(f.model, inputs[k], n) for k in splits}
        entry = {"name": f.name, "settings": f.settings,
                 **{k: classification_metrics(s.y, probas[k], n, counts) for k, s in splits.items()}}
        correct = probas["test"].argmax(axis=1) == dataset.test.y
        against = {name: _beats(dataset.test.y, network, correct, metric, minority) for name, network in tested.items()}
        entry["against_winner"] = against.get(winner)
        entry["beats_every_network"] = bool(against) and all(a["better"] for a in against.values())
        out.append(entry)
    return out


def _metric_words(report: dict, metric: str) -> str:
    if metric != "minority_f1":
        return metric.replace("_", " ")
    _, minority = compared_on(report)
    names = (report.get("data") or {}).get("class_names") or []
    return f"the F1 of '{names[minority]}'" if minority is not None and minority < len(names) else "the minority class's F1"


def _evidence(report: dict, against: dict) -> str:
    """'accuracy 0.86 on test against 0.81 for the winner (McNemar p = 0.003)'."""
    words = _metric_words(report, against["metric"])
    if against["metric"] == "accuracy":
        noise = f"McNemar p = {against['mcnemar']['p_value']:.2g}"
    else:
        low, high = against["interval"]
        noise = f"95% interval of the difference {low:+.2f} to {high:+.2f}"
    return f"{words} {against['reference']:.2f} on test against {against['network']:.2f} for the winner ({noise}){_cut(report, against)}"


def _cut(report: dict, against: dict) -> str:
    """Both compared at their argmax (0.5 for two classes); when the winner exports another threshold,
    what it scores there, so the sentence cannot contradict the threshold's."""
    threshold = (report.get("best") or {}).get("threshold") or {}
    f1 = (((threshold.get("tuned") or {}).get("test")) or {}).get("f1")
    if against.get("metric") != "minority_f1" or threshold.get("value") in (None, 0.5) or f1 is None:
        return ""
    return f"; both at the 0.5 cut, while at its exported threshold {threshold['value']:.2f} the winner's F1 is {f1:.2f}"


def reference_sentences(report: dict) -> list[str]:
    """The headline's word on the references: said plainly when one beats the winner on test by more
    than chance gives (McNemar on accuracy, a paired bootstrap under imbalance), and whether it beats
    every network searched too; nothing when none does."""
    out = []
    for ref in report.get("references") or []:
        against = ref.get("against_winner") if isinstance(ref, dict) else None
        if not against or not against.get("better") or ref.get("name") == "majority":
            continue
        scope = ("and beats every network searched" if ref.get("beats_every_network")
                 else "though a network not chosen on validation comes as close")
        if ref.get("name") == "logistic_regression":
            out.append(f"A linear model does better: logistic regression reaches {_evidence(report, against)}, {scope}, "
                       "so the network's capacity buys nothing here.")
        else:
            out.append(f"Gradient-boosted trees do better on this table: {_evidence(report, against)}, {scope}: "
                       "consider them, or better features.")
    return out
