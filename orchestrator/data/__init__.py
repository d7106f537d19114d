"""Data: read a source, encode labels, split deterministically, and describe every split."""

from __future__ import annotations

import numpy as np

from orchestrator.config import DataConfig
from orchestrator.data.dataset import Dataset, Split
from orchestrator.data.reading import read_source
from orchestrator.data.sources import RawData
from orchestrator.data.split import stratified_split
from orchestrator.errors import DataError
from orchestrator.folder.files import array_hash

__all__ = ["Dataset", "Split", "array_hash", "load_dataset"]


def _encode_labels(raw: RawData) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    labels = raw.y if raw.y_test is None else np.concatenate([raw.y, raw.y_test])
    try:
        classes, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        classes, codes = np.unique(labels.astype(str), return_inverse=True)
    if len(classes) < 2:
        raise DataError(f"the labels hold a single class ({str(classes[0])!r}); nothing to learn", "check the label column, or add rows of the other classes")
    codes = codes.astype(np.int32)
    y, y_test = codes[: len(raw.y)], (codes[len(raw.y):] if raw.y_test is not None else None)
    fitted, held = (y[: len(y) - raw.n_test_file], y[len(y) - raw.n_test_file:]) if raw.n_test_file else (y, y_test)
    unseen = set(np.unique(held).tolist()) - set(np.unique(fitted).tolist()) if held is not None else set()
    if unseen:
        raise DataError(f"the test set has classes never seen in training: {[str(classes[c]) for c in sorted(unseen)]}", "give the training data examples of every class")
    return y, y_test, [str(c) for c in classes]


def _encoded(raw: RawData, train: np.ndarray, test: np.ndarray | None):
    """A table with text or empty cells: the encoding fitted on the training rows alone, every row
    encoded by the Keras encoder that the exported model will carry, and the test split's raw
    columns (what the exported model is proven on). (x, feature names, encoding, raw test inputs)."""
    from orchestrator.data.table import encode, fit_encoding, raw_inputs

    encoding = fit_encoding(raw.frame, train, inferred_types=raw.inferred_types)
    inputs = raw_inputs(raw.frame, encoding, unparsed_empty=True)  # odd cells outside training: empty
    x = encode(encoding, inputs)
    raw_test = {k: v[test] for k, v in inputs.items()} if test is not None else None
    return x, encoding["feature_names"], encoding, raw_test


def load_dataset(cfg: DataConfig, seed: int) -> Dataset:
    """Read, validate and split the configured data; every failure is one `DataError` line."""
    raw = read_source(cfg, seed)
    y, y_test, class_names = _encode_labels(raw)
    fitted = len(y) - raw.n_test_file  # the user's own test file, if any, is the last rows (`data.test_file`)
    train, val, test = stratified_split(raw.x, y[:fitted], cfg.split, seed, with_test=raw.x_test is None and not raw.n_test_file,
                                        class_names=class_names)
    test = np.arange(fitted, len(y)) if raw.n_test_file else test
    x, names, encoding, raw_test, dropped = raw.x, raw.feature_names, None, None, []
    if raw.frame is not None:
        x, names, encoding, raw_test = _encoded(raw, train, test)
        dropped = encoding["dropped"]
    elif raw.is_table:
        x, names, dropped = _without_row_index(x, names)
    splits = [Split(x[i], y[i]) for i in (train, val)]
    test_split = Split(x[test], y[test]) if test is not None else Split(raw.x_test, y_test)
    if len(test_split) == 0:
        raise DataError("the test set is empty", "give X_test/y_test some rows, or leave them out")
    test_file = str(cfg.test_path) if raw.n_test_file else (str(cfg.path) if test is None else None)
    return Dataset(splits[0], splits[1], test_split, class_names, names, raw.source, test_given=test_file is not None,
                   encoding=encoding, raw_test=raw_test, dropped_columns=dropped, unlabelled_rows=raw.unlabelled,
                   test_file=test_file)


def _without_row_index(x: np.ndarray, names: list[str]):
    """A complete numeric table's row-index columns dropped (`data.row_index`), or one line if nothing is left."""
    from orchestrator.data.row_index import drop_row_index
    from orchestrator.data.table import refuse_no_feature

    kept, kept_names, dropped = drop_row_index(x, names)
    if not kept_names:
        refuse_no_feature(dropped)
    return kept, kept_names, dropped
