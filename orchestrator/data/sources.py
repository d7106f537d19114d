"""Readers for the data sources: built-in synthetic data, CSV or Parquet tables, NPZ, image folders.

Each returns raw features and labels (and a user-given test set, if any) after checking what would
otherwise fail deep inside a trial: missing columns, unlabelled rows, NaN or infinite values in
numeric arrays. A table with text or empty cells comes back as its frame (`RawData.frame`): its
encoding is fitted on the training split only (`data.table`), so it is done after the split.
NPZ files are read with `allow_pickle=False`: a data file never runs code.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestrator.config import DataConfig
from orchestrator.data.magnitude import check_magnitude
from orchestrator.errors import DataError


@dataclass
class RawData:
    x: np.ndarray | None  # None when `frame` holds the features (a table to encode)
    y: np.ndarray
    feature_names: list[str]
    source: str
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    frame: object | None = None  # a pandas DataFrame of raw feature columns (text, empty cells)
    # A CSV or Parquet table: its columns have names a user knows, so a row-index column can be named and dropped.
    is_table: bool = False
    # A CSV: pandas guessed each column's type from every row, test rows included (see `table.fit_encoding`).
    inferred_types: bool = False
    unlabelled: int = 0  # rows set aside because their label cell is empty
    n_test_file: int = 0  # the last rows of x / frame / y are the user's own test file (`data.test_file`)


def synthetic(cfg: DataConfig, seed: int) -> RawData:
    """A small, noisy binary problem: an unregularized 128-64 network memorizes its training rows."""
    from sklearn.datasets import make_classification

    s = cfg.synthetic
    x, y = make_classification(
        n_samples=s.n_samples,
        n_features=s.n_features,
        n_informative=s.n_informative,
        n_redundant=0,
        n_classes=2,
        flip_y=s.label_noise,
        class_sep=s.class_sep,
        weights=[1 - s.positive_share, s.positive_share] if s.positive_share else None,
        random_state=seed,
    )
    names = [f"x{i}" for i in range(s.n_features)]
    return RawData(x.astype(np.float32), y, names, f"synthetic(n={s.n_samples}, noise={s.label_noise}, seed={seed})")


def _require_file(path: Path, kind: str) -> None:
    if not path.exists():
        raise DataError(f"data file '{path}' not found", f"pass an existing {kind} file with --data")
    if not path.is_file():
        raise DataError(f"data path '{path}' is not a file", f"pass a {kind} file with --data")


def check_finite(x: np.ndarray, names: list[str], where: str) -> None:
    """No NaN or inf, and nothing so large that float32 features or their variance overflow."""
    bad = ~np.isfinite(x)
    if bad.any():
        col = int(np.argmax(bad.any(axis=0)))
        raise DataError(
            f"{where}: feature '{names[col]}' has {int(bad[:, col].sum())} NaN or infinite values "
            f"({int(bad.sum())} in all)",
            "impute or drop those rows before training",
        )
    check_magnitude(x, names, where)


def _check_header(path: Path) -> None:
    """A header that names a column twice: pandas would quietly rename the second 'x.1' and train on both.
    Names are compared as written, as pandas compares them: 'a' and 'a ' are two columns."""
    import csv
    from collections import Counter

    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    twice = sorted(name for name, n in Counter(header).items() if n > 1)
    if twice:
        raise DataError(f"the header of {path} names column(s) {twice} more than once", "give every column a distinct name")


def _read_table(pd, path: Path, cfg: DataConfig, text_columns: tuple[str, ...] = ()):
    """The whole table as a frame, or one `DataError` line naming what could not be read.
    `text_columns` are read as text whatever they hold (a model's categorical columns in new data)."""
    kind = "Parquet" if cfg.source == "parquet" else "CSV"
    try:
        if cfg.source == "parquet":
            return pd.read_parquet(path)
        _check_header(path)
        if text_columns:
            return pd.read_csv(path, dtype={c: str for c in text_columns})
        return _read_frame(pd, path, cfg.label)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse {kind} '{path}': {str(exc).splitlines()[0]}",
                        "check that it is a comma-separated file with a header row" if kind == "CSV" else "write it again with DataFrame.to_parquet") from None
    except OSError as exc:
        raise DataError(f"cannot read {kind} '{path}': {exc.strerror or str(exc).splitlines()[0]}", "check the file and its permissions") from None
    except ImportError as exc:
        raise DataError(f"cannot read Parquet '{path}': {exc}", "pip install pyarrow") from None


def read_table(cfg: DataConfig, keep_frame: bool = False, text_columns: tuple[str, ...] = ()) -> RawData:
    """A CSV or Parquet table: numbers as a float32 matrix when every feature is a complete number,
    else (or with `keep_frame`) the frame itself, for the encoding that travels inside the model
    (`data.table`)."""
    import pandas as pd

    path = Path(cfg.path)
    _require_file(path, "Parquet" if cfg.source == "parquet" else "CSV")
    frame = _read_table(pd, path, cfg, text_columns)
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no rows", "add data rows")
    if cfg.label not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:12])) + (" …" if len(frame.columns) > 12 else "")
        raise DataError(f"label column '{cfg.label}' is not in {path} (columns: {shown})", "pass the right name with --label COLUMN")
    frame, labels, unlabelled = _labelled_rows(pd, frame, cfg.label)
    if frame.shape[1] == 0:
        raise DataError(f"{path} has no feature columns besides '{cfg.label}'", "add feature columns")
    y = labels.to_numpy()
    if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
        y = y.astype(np.int64)
    elif y.dtype.kind not in "biuf":
        y = labels.astype(str).to_numpy()
    names = [str(c) for c in frame.columns]
    source = f"{cfg.source}:{path.name}"
    from orchestrator.data.table import needs_encoding  # pandas' encoders, loaded when a table is read

    table = {"is_table": True, "inferred_types": cfg.source == "csv", "unlabelled": unlabelled}
    if keep_frame or needs_encoding(frame):
        return RawData(None, y, names, source, frame=frame, **table)
    x = frame.to_numpy(dtype=np.float32)  # a value beyond float32's range becomes inf and is named below
    del frame
    check_finite(x, names, str(path))
    return RawData(x, y, names, source, **table)


def _labelled_rows(pd, frame, label: str):
    """(feature frame, labels, how many rows were set aside): a row whose label cell is empty (or
    blank text) cannot be trained or tested on, and one such row must not refuse the whole table."""
    labels = frame.pop(label)
    empty = labels.isna().to_numpy()
    if labels.dtype == object or pd.api.types.is_string_dtype(labels.dtype):
        empty = empty | labels.astype(str).str.strip().eq("").to_numpy()
    if empty.all():
        raise DataError(f"label column '{label}' is empty in every row", "fill in the labels, or pass another column with --label")
    if empty.any():
        frame, labels = frame.loc[~empty].reset_index(drop=True), labels.loc[~empty].reset_index(drop=True)
    return frame, labels, int(empty.sum())


def _read_frame(pd, path: Path, label: str | None):
    """The CSV with its feature columns parsed straight to float32: a million rows × 50 columns
    then peak at about twice their float32 size, not seven times as float64 frames and copies do.
    A column that is not numeric fails that parse; the plain read below then lets the checks name it."""
    columns = pd.read_csv(path, nrows=0).columns
    try:
        return pd.read_csv(path, dtype={c: np.float32 for c in columns if c != label})
    except ValueError:
        return pd.read_csv(path)


def _npz_array(archive, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError:
        raise DataError(f"'{key}' in {path} holds Python objects, which gg-train does not unpickle", "save plain numeric arrays with numpy.savez") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"'{key}' in {path} cannot be read ({str(exc) or type(exc).__name__}): the file is damaged", "save it again with numpy.savez") from None


def read_npz(cfg: DataConfig) -> RawData:
    path = Path(cfg.path)
    _require_file(path, "NPZ")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read NPZ '{path}': {str(exc) or type(exc).__name__}", "save it with numpy.savez(path, X=..., y=...)") from None
    if not hasattr(archive, "files"):
        raise DataError(f"'{path}' is a single .npy array, not an .npz archive", "save it with numpy.savez(path, X=..., y=...)")
    with archive:
        missing = [k for k in ("X", "y") if k not in archive.files]
        if missing:
            raise DataError(f"{path} lacks array(s) {missing} (has {archive.files})", "save it with numpy.savez(path, X=features, y=labels)")
        has_test = "X_test" in archive.files or "y_test" in archive.files
        if has_test and not {"X_test", "y_test"} <= set(archive.files):
            raise DataError(f"{path} has only one of X_test / y_test", "save both, or neither")
        arrays = {k: _npz_array(archive, k, path) for k in (["X", "y", "X_test", "y_test"] if has_test else ["X", "y"])}
    x, y = arrays["X"], arrays["y"]
    if x.ndim >= 1 and len(x) == 0:
        raise DataError(f"X in {path} has no rows (shape {x.shape})", "save the data's rows in X and their labels in y")
    if x.ndim in (3, 4):
        return _npz_images(arrays, path, has_test)
    for key in [k for k in arrays if k.startswith("X")]:
        arr = arrays[key]
        if arr.ndim != 2 or arr.dtype.kind not in "biuf":
            raise DataError(f"{key} in {path} must be a 2-D numeric array (rows, features) or images (n, H, W[, C]), "
                            f"got shape {arr.shape} dtype {arr.dtype}", "reshape to (rows, features) numbers")
    names = [f"x{i}" for i in range(x.shape[1])]
    for xs, ys, what in [(x, y, "X/y")] + ([(arrays["X_test"], arrays["y_test"], "X_test/y_test")] if has_test else []):
        if ys.ndim != 1 or len(ys) != len(xs):
            raise DataError(f"{what} in {path}: labels must be 1-D with one per row, got {ys.shape} for {xs.shape[0]} rows", "save y as a 1-D array")
        check_finite(xs.astype(np.float64), names, f"{path} {what}")
    if has_test and arrays["X_test"].shape[1] != x.shape[1]:
        raise DataError(f"X_test has {arrays['X_test'].shape[1]} features but X has {x.shape[1]}", "give both the same columns")
    return RawData(
        x.astype(np.float32), y, names, f"npz:{path.name}",
        arrays["X_test"].astype(np.float32) if has_test else None, arrays["y_test"] if has_test else None,
    )


def _npz_images(arrays: dict, path: Path, has_test: bool) -> RawData:
    """NPZ images: X (n, H, W) or (n, H, W, C) raw pixel values, one label per image."""
    from orchestrator.data.images import read_image_npz_x

    parts = {k: read_image_npz_x(arrays[k]) for k in (["X", "X_test"] if has_test else ["X"])}
    for xk, yk in [("X", "y")] + ([("X_test", "y_test")] if has_test else []):
        if arrays[yk].ndim != 1 or len(arrays[yk]) != len(parts[xk]):
            raise DataError(f"{yk} in {path}: labels must be 1-D with one per image, got {arrays[yk].shape} for {len(parts[xk])} images", "save y as a 1-D array")
        bad = int(np.count_nonzero(~np.isfinite(parts[xk])))
        if bad:
            raise DataError(f"{path} {xk}: {bad} pixel values are NaN or infinite", "save finite pixel values (0-255)")
    if has_test and parts["X_test"].shape[1:] != parts["X"].shape[1:]:
        raise DataError(f"X_test images are {parts['X_test'].shape[1:]} but X images are {parts['X'].shape[1:]}", "give both the same image size")
    return RawData(parts["X"], arrays["y"], [], f"npz:{path.name}", parts.get("X_test"), arrays.get("y_test") if has_test else None)


def read_images(cfg: DataConfig) -> RawData:
    """A folder with one sub-folder per class; each image's label is its folder's name."""
    from orchestrator.data.images import read_image_folder

    x, labels, _ = read_image_folder(Path(cfg.path), tuple(cfg.image_size) if cfg.image_size else None, cfg.image_memory_mb)
    # uint8 all the way to the trials (a quarter of float32 in Ray's object store); the model's
    # float32 input casts each batch
    return RawData(x, labels, [], f"images:{Path(cfg.path).name}")
