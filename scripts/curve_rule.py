"""How often does the learning curve's rule say "more data helps"? Figures for `results/learning_curve.py`.

Three planted cases, each on `--reps` fresh data sets: labels independent of the features (no
amount of rows can help), a noisy linear boundary the network already reaches on half the rows
(a ceiling), and a noise-free boundary over many features learned from few rows (more rows
clearly help). In each, the early-stopping recipe trains in-process (`train.loop.run_trial`, no
Ray) on half and on all of the training rows with one seed, and `--selected` more trials on all
rows with other seeds stand in for the search: the best of them on validation loss is what the
old curve used as its 100% point. The script prints, per case, how often each rule says yes:

  old   the selected winner as the 100% point, one standard error of one score (the rule before issue 26)
  1se   a retrain as the 100% point, the same one-SE bar
  new   a retrain as the 100% point, `learning_curve.diagnose_curve` (the rule in force)

    python scripts/curve_rule.py --reps 10
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os

import numpy as np

CASES = {  # name: (make_classification arguments, training rows)
    "no signal": (dict(n_features=4, n_informative=2), 400),
    "ceiling": (dict(n_features=4, n_informative=2, flip_y=0.3, class_sep=1.0), 600),
    "climbing": (dict(n_features=30, n_informative=30, flip_y=0.0, class_sep=0.5), 200),
}
N_VAL = 300


class _Last:
    """A reporter that keeps the last report (the trial's final metrics) and no checkpoint."""

    def __init__(self):
        self.metrics = {}

    @contextlib.contextmanager
    def restore_dir(self):
        yield None

    def report(self, metrics, checkpoint_dir):
        self.metrics = metrics

    def trial_id(self):
        return "curve_rule"


def _train(data, setup, fraction: float, seed: int) -> dict:
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialSpec

    spec = TrialSpec.from_config(dict(variant="early_stopping", kind="early_stopping", learning_rate=0.01, hidden=[64, 32],
                                      l2=0.0, dropout=0.0, patience=5, batch_size=32, epochs=60, seed=seed,
                                      train_fraction=fraction))
    reporter = _Last()
    run_trial(spec, setup, data, reporter)
    return reporter.metrics


def _one_se_says_yes(half: float, full: float) -> bool:
    return full - half > max(0.01, math.sqrt(full * (1 - full) / N_VAL))


def replicate(case: str, rep: int, selected: int) -> dict:
    from sklearn.datasets import make_classification

    from orchestrator.results.learning_curve import diagnose_curve
    from orchestrator.train.spec import TrialData, TrialSetup

    kwargs, n_train = CASES[case]
    x, y = make_classification(n_samples=n_train + N_VAL, n_redundant=0, random_state=rep, **kwargs)
    x = x.astype(np.float32)
    if case == "no signal":
        y = np.random.default_rng(rep).integers(0, 2, len(y))
    data = TrialData(x[:n_train], y[:n_train].astype(np.int32), x[n_train:], y[n_train:].astype(np.int32))
    setup = TrialSetup(n_classes=2, mean=data.x_train.mean(0), variance=data.x_train.var(0), checkpoint_every=10**6)
    half, full = (_train(data, setup, f, seed=1000 + rep) for f in (0.5, 1.0))
    winner = min((_train(data, setup, 1.0, seed=2000 + 10 * rep + k) for k in range(selected)), key=lambda m: m["val_loss"])
    points = [{"fraction": 0.5, "n_train": n_train // 2, "val_accuracy": half["val_accuracy"]},
              {"fraction": 1.0, "n_train": n_train, "val_accuracy": full["val_accuracy"]}]
    return {"old": _one_se_says_yes(half["val_accuracy"], winner["val_accuracy"]),
            "1se": _one_se_says_yes(half["val_accuracy"], full["val_accuracy"]),
            "new": bool(diagnose_curve({"points": points, "n_val": N_VAL})["more_data_helps"]),
            "gain": full["val_accuracy"] - half["val_accuracy"], "selected_gain": winner["val_accuracy"] - half["val_accuracy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--selected", type=int, default=4, help="trials the 100%% winner is chosen from (old rule)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from orchestrator.train.distribute import configure_process

    configure_process(1, 0)
    print(f"{'case':<10} {'old':>5} {'1se':>5} {'new':>5} {'mean gain':>10} {'mean selected gain':>19}   (share of {args.reps} data sets where the rule says yes)")
    for case in CASES:
        rows = [replicate(case, rep, args.selected) for rep in range(args.reps)]
        share = {rule: sum(r[rule] for r in rows) / len(rows) for rule in ("old", "1se", "new")}
        print(f"{case:<10} {share['old']:>5.2f} {share['1se']:>5.2f} {share['new']:>5.2f} "
              f"{np.mean([r['gain'] for r in rows]):>+10.3f} {np.mean([r['selected_gain'] for r in rows]):>+19.3f}", flush=True)


if __name__ == "__main__":
    main()
