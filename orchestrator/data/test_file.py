"""The user's own test file (`launch --test-data`, `data.test_path`): the held-out split as given.

A user who scores a model on their own test file wants the search's test accuracy on that file, not
on a split gg-train cut from the training data. The test table is read by the same reader as the
training table and appended below it: its rows are the last `RawData.n_test_file` rows, so the
encoding of text and empty cells is still fitted on the training rows alone (`data.table`), and
train and validation are split from the training file only (`load_dataset`). The test rows are never
handed to a trial, and are kept as given: none dropped, none reordered.

Against training it is checked like a cut split (duplicates, label shift: `data.checks`) and, since a
file from elsewhere can come from another population, for covariate shift with the doctor's rule
(`data.drift.tells_apart`, which the doctor's covariate_shift uses too: one owner).
"""

from __future__ import annotations

import numpy as np

from orchestrator.config import DataConfig
from orchestrator.data.sources import RawData, check_finite, read_table
from orchestrator.errors import DataError


def read_with_test_file(cfg: DataConfig):
    """RawData of the training table with the test table's rows appended (`n_test_file` of them)."""
    import pandas as pd

    from orchestrator.data.table import needs_encoding

    if not cfg.test_path.is_file():
        raise DataError(f"test file '{cfg.test_path}' not found (or not a file)", "pass an existing CSV or Parquet table with --test-data")
    train = read_table(cfg, keep_frame=True)
    kind = "parquet" if cfg.test_path.suffix.lower() == ".parquet" else "csv"  # each file read by its own suffix
    test = read_table(cfg.model_copy(update={"path": cfg.test_path, "test_path": None, "source": kind}), keep_frame=True)
    missing = [c for c in train.feature_names if c not in test.feature_names]
    extra = [c for c in test.feature_names if c not in train.feature_names]
    if missing or extra:
        raise DataError(f"the test file {cfg.test_path} has other columns than {cfg.path}: "
                        + "; ".join(p for p in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "") if p),
                        "give the test file the training file's columns (and its label column)")
    frame = pd.concat([train.frame, test.frame[train.feature_names]], ignore_index=True)
    same_kind = train.y.dtype.kind == test.y.dtype.kind  # else compared as text: 1 in one file is '1' in the other
    y = np.concatenate([train.y, test.y] if same_kind else [train.y.astype(str), test.y.astype(str)])
    source = f"{train.source} + test {cfg.test_path.name}"
    table = {"is_table": True, "inferred_types": train.inferred_types or test.inferred_types,
             "unlabelled": train.unlabelled + test.unlabelled, "n_test_file": len(test.y)}
    if needs_encoding(frame):
        return RawData(None, y, train.feature_names, source, frame=frame, **table)
    x = frame.to_numpy(dtype=np.float32)
    check_finite(x, train.feature_names, f"{cfg.path} / {cfg.test_path}")
    return RawData(x, y, train.feature_names, source, **table)


def check_covariate_shift(dataset) -> dict:
    """Can a classifier tell the training rows from the given test rows? (ROC-AUC with its fold noise)."""
    from orchestrator.data.drift import SHIFT_AUC, SHIFT_ROWS, origin_scores, sample_rows, tells_apart

    x_train = dataset.train.x.reshape(len(dataset.train), -1)[sample_rows(len(dataset.train), SHIFT_ROWS)]
    x_test = dataset.test.x.reshape(len(dataset.test), -1)[sample_rows(len(dataset.test), SHIFT_ROWS)]
    _, aucs = origin_scores(x_train, x_test)
    auc, noise = float(np.mean(aucs)), float(np.std(aucs))
    numbers = {"roc_auc": auc, "roc_auc_std": noise, "threshold": SHIFT_AUC}
    if tells_apart(auc, noise):
        return {"name": "covariate_shift", "status": "warn", "numbers": numbers,
                "message": f"The test file's rows come from another population than the training rows: a classifier tells "
                           f"them apart with ROC-AUC {auc:.2f} ± {noise:.2f}, so test accuracy measures the model away from "
                           "what it learned (gg-train doctor names the columns)."}
    return {"name": "covariate_shift", "status": "ok", "numbers": numbers,
            "message": f"The test file's rows look like the training rows (ROC-AUC {auc:.2f} ± {noise:.2f} for telling them apart)."}
