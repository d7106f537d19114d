"""Turn a user's table (numbers, booleans, text, empty cells) into the float vector a model trains on.

A plain float matrix cannot hold text or empty cells, and an encoding computed outside the model is
lost the moment the model is exported: whoever serves it would have to re-implement the medians and
vocabularies exactly. So the encoding is (a) fitted once, on the training rows only (statistics from
validation or test rows would leak them into training), kept as a JSON-safe dict for the report, and
(b) turned into a small Keras functional model that takes the RAW named columns and returns the
vector. That model is the one implementation of the rule: `encode` runs it, and the trained model is
exported with it in front, so served rows are encoded exactly as training rows were.

Only stock Keras pieces are used (`keras.ops` on symbolic tensors and `StringLookup`): custom layers
and Lambda layers would not reload with `safe_mode=True` or without the gg-train code.
TensorFlow/Keras are imported inside the functions that need them: this module is imported on paths
that must stay light.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from orchestrator.data.magnitude import check_magnitude
from orchestrator.data.row_index import ID_MIN_ROWS, is_row_index
from orchestrator.errors import DataError
from orchestrator.names import input_names

# One-hot levels per text column: the most frequent in train; rarer ones and unseen ones go to the
# OOV bucket. 50 keeps the vector small for high-cardinality columns while covering typical categories.
MAX_LEVELS = 50
OOV = "<OOV>"
# A text column whose non-empty training cells are at least 90% numbers, the rest at most 3 distinct
# markers ('?', 'n/a'), is numeric with those markers read as empty cells.
NUMERIC_SHARE = 0.9
MAX_MISSING_TOKENS = 3
# Why a column is dropped, as the report says it (`checks.check_dropped_columns`); "index": `data.row_index`.
REASONS = {"id": "an id: every value differs", "index": "a row index: distinct whole numbers in file order or a shuffled range",
           "constant": "constant", "empty": "empty in every training row"}


def _is_number_dtype(dtype) -> bool:
    """Numeric or boolean, and so a float once NaN stands for empty (complex numbers are not)."""
    return pd.api.types.is_bool_dtype(dtype) or (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype))


def needs_encoding(frame: pd.DataFrame) -> bool:
    """True when any column is not numeric/bool or any cell is empty: a plain float matrix will not do."""
    return not all(_is_number_dtype(t) for t in frame.dtypes) or bool(frame.isna().to_numpy().any())


def _cell_text(value) -> str:
    """One cell of a mixed column as text, numbers spelled as `_number_text` spells them."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return str(_number_text(np.array([float(value)]))[0])
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _number_text(values: np.ndarray) -> np.ndarray:
    """Numbers as text with whole floats spelled as integers.

    A column of 1, 2, 3 reads as int64 from one CSV and as float64 (1.0, 2.0) from another that has
    an empty cell; both must give "1" so they hit the same vocabulary level."""
    v = np.asarray(values, dtype=np.float64)
    whole = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 2.0**53)
    text = np.where(whole, np.where(whole, v, 0).astype(np.int64).astype(str), v.astype(str)).astype(object)
    text[np.isnan(v)] = ""
    return text


def _text_series(series: pd.Series) -> pd.Series:
    """A column as stripped text with "" for empty cells: the one spelling that fit and
    `raw_inputs` share, so a level learned in training is matched byte for byte later."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_bool_dtype(series.dtype):
        text = pd.Series(np.where(series.isna(), "", series.astype(object).map(str)), dtype=object)
    elif pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        text = pd.Series(series.to_numpy(dtype=np.int64).astype(str), dtype=object)  # exact beyond 2**53
    elif _is_number_dtype(series.dtype):
        text = pd.Series(_number_text(series.to_numpy(dtype=np.float64, na_value=np.nan)), dtype=object)
    elif pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        text = series  # plain text (pandas' str dtype or objects that are all str): vectorized as is
    else:
        text = series.astype(object).map(_cell_text)
    return text.str.strip().fillna("")


def _as_text(series: pd.Series) -> np.ndarray:
    """`_text_series` as a numpy unicode array: never object, so it survives np.savez/np.load
    without pickle."""
    text = _text_series(series)
    return text.to_numpy(dtype=str) if len(text) else np.zeros(0, dtype="<U1")


def _as_number(series: pd.Series, name: str, tokens=(), unparsed_empty: bool = False) -> np.ndarray:
    """A column as float64 with NaN for empty cells (and for inf, which no statistic survives).

    Text that parses as a number is accepted: a numeric column read from a CSV with a stray blank
    or quoted cell arrives as text. Text that does not parse is a user error in new data, not a
    silent NaN; `unparsed_empty`: an empty cell (validation and test rows, see `fit_encoding`)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if _is_number_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        obj = series.astype(object)
        text = _text_series(obj).to_numpy(dtype=object)
        empty = obj.isna().to_numpy() | (text == "") | np.isin(text, list(tokens))
        parsed = pd.to_numeric(obj.where(~empty, np.nan), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(parsed) & ~empty
        if bad.any() and not unparsed_empty:
            example = obj.to_numpy()[np.argmax(bad)]
            raise DataError(f"column {name!r} holds numbers in training but has text such as {example!r} here",
                            "give this column numbers (or leave the cell empty), as in the training data")
        values = parsed
    values = np.array(values, dtype=np.float64)
    values[~np.isfinite(values)] = np.nan

    check_magnitude(values.reshape(-1, 1), [name], "the data")
    return values


def _fit_numeric(values: np.ndarray) -> dict | str:
    """Median fill and missing indicator of a numeric column (NaN for empty), or why it is dropped."""
    present = values[~np.isnan(values)]
    if len(present) == 0:
        return "empty"
    has_empty = len(present) < len(values)
    if len(pd.unique(present)) == 1 and not has_empty:
        return "constant"
    return {"kind": "numeric", "fill": float(np.median(present)), "indicator": bool(has_empty)}


def _fit_mostly_numeric(series: pd.Series, name: str, inferred_types: bool) -> dict | str | None:
    """A text column whose training cells are numbers but for a marker or two ('?', 'n/a', '-'), the
    classic way a table spells "unknown": numeric, the markers named and read as empty cells. None:
    a real text column. All numbers is numeric too when pandas `inferred_types` (a CSV: one odd cell
    anywhere makes a column text); a typed source storing numbers as text (zip codes) meant text."""
    text = _text_series(series)
    filled = text[text != ""]
    parsed = pd.to_numeric(filled, errors="coerce")
    numeric = parsed.notna().to_numpy()
    tokens = sorted(set(filled[~numeric]))
    if not len(filled) or numeric.mean() < NUMERIC_SHARE or len(tokens) > MAX_MISSING_TOKENS or not (tokens or inferred_types):
        return None
    fitted = _fit_numeric(_as_number(series, name, tokens))
    return fitted if isinstance(fitted, str) or not tokens else {**fitted, "indicator": True, "missing_tokens": tokens}


def _fit_categorical(series: pd.Series) -> dict | str:
    """The most frequent levels of a text column (ties by value, "" for empty cells), or the reason
    it is dropped."""
    counts = _text_series(series).value_counts(sort=False)
    levels, freq = counts.index.to_numpy(dtype=str), counts.to_numpy()
    filled = levels != ""
    n_filled = int(freq[filled].sum())
    if n_filled == 0:
        return "empty"
    if len(levels) == 1:
        return "constant"
    # Every non-empty value different (names, e-mails, keys): one-hot would memorize rows.
    if n_filled >= ID_MIN_ROWS and int(filled.sum()) == n_filled:
        return "id"
    order = np.lexsort((levels, -freq))[:MAX_LEVELS]
    return {"kind": "categorical", "vocabulary": [str(v) for v in levels[order]]}


def _column_map(frame: pd.DataFrame) -> dict[str, object]:
    """Column labels by their str(): the encoding is JSON, so it names columns by text, while a
    frame built from a numpy matrix labels them 0, 1, 2."""
    labels = {}
    for label in frame.columns:
        if str(label) in labels:
            raise DataError(f"the data has two columns named {str(label)!r}", "give every column a distinct name")
        labels[str(label)] = label
    return labels


def refuse_no_feature(dropped: list[dict]) -> None:
    reasons = ", ".join(f"{d['name']!r} ({REASONS[d['reason']]})" for d in dropped[:5]) or "there are no columns"
    raise DataError(f"no column can be used as a feature: {reasons}",
                    "give the data at least one column whose values vary between training rows")


def fit_encoding(frame: pd.DataFrame, train_rows: np.ndarray, inferred_types: bool = False) -> dict:
    """Fit the encoding (JSON-safe dict) on `frame.iloc[train_rows]` only; see the module docstring.

    Columns that cannot help a model (ids, row indexes, constants, all-empty) are dropped here, with
    the reason, so the report can say so instead of the model silently wasting capacity on them."""
    train = frame.iloc[np.asarray(train_rows)]
    kept, dropped = [], []
    for name, label in _column_map(frame).items():
        # The kind comes from the training cells (a stray cell in a test row must not make a column
        # text); only the row-index rule reads the whole column: it is about the file, not the values.
        whole, series = frame[label], train[label]
        if _is_number_dtype(whole.dtype) and is_row_index(whole.to_numpy(dtype=np.float64, na_value=np.nan)):
            fitted = "index"
        else:
            fitted = (_fit_numeric(_as_number(series, name)) if _is_number_dtype(series.dtype)
                      else _fit_mostly_numeric(series, name, inferred_types) or _fit_categorical(series))
        if isinstance(fitted, str):
            dropped.append({"name": name, "reason": fitted})
        else:
            kept.append({"name": name, **fitted})
    if not kept:
        refuse_no_feature(dropped)
    for column, input_name in zip(kept, input_names([c["name"] for c in kept])):
        column["input"] = input_name
    columns = [{"name": c.pop("name"), "input": c.pop("input"), **c} for c in kept]
    return {"columns": columns, "dropped": dropped, "feature_names": [n for c in columns for n in column_features(c)]}


def column_features(col: dict) -> list[str]:
    """Names of the entries one column becomes, in the order `build_encoder` concatenates them."""
    if col["kind"] == "numeric":
        return [col["name"]] + ([f"{col['name']}_missing"] if col["indicator"] else [])
    return [f"{col['name']}={OOV}"] + [f"{col['name']}={level}" for level in col["vocabulary"]]


def raw_inputs(frame: pd.DataFrame, encoding: dict, unparsed_empty: bool = False) -> dict[str, np.ndarray]:
    """The encoder's raw inputs from `frame` by input name, each shape (n, 1): float32 with NaN for
    empty numeric cells, unicode text ("" for empty) for categorical ones. Extra columns are ignored.
    `unparsed_empty`: text in a numeric column is an empty cell, not an error (see `_as_number`).

    Numbers arriving in a text column are spelled as in training ("1", never "1.0"), so new data
    read with other dtypes still matches the vocabulary."""
    labels = _column_map(frame)
    missing = [c["name"] for c in encoding["columns"] if c["name"] not in labels]
    if missing:
        raise DataError(f"the data lacks column(s) {missing} that the model was trained on",
                        "give the same columns as the training data")
    out = {}
    for col in encoding["columns"]:
        series = frame[labels[col["name"]]]
        if col["kind"] == "numeric":
            out[col["input"]] = _as_number(series, col["name"], col.get("missing_tokens", ()), unparsed_empty).astype(np.float32).reshape(-1, 1)
        else:
            out[col["input"]] = _as_text(series).reshape(-1, 1)
    return out


def build_encoder(encoding: dict):
    """A Keras functional model named "encoding": raw named columns in, float32 (None, n_encoded) out.

    Numeric: the value with empty/inf replaced by the training median, then a 0/1 missing indicator
    where training had empty cells. Categorical: one-hot with the OOV slot first. No scaling: the
    trained model normalizes the vector itself, so this stays a pure, inspectable rule."""
    import keras
    from keras import ops

    inputs, parts = {}, []
    for col in encoding["columns"]:
        if col["kind"] == "numeric":
            x = keras.Input(shape=(1,), dtype="float32", name=col["input"])
            present = ops.isfinite(x)
            parts.append(ops.where(present, x, ops.full_like(x, col["fill"])))
            if col["indicator"]:
                parts.append(ops.cast(ops.logical_not(present), "float32"))
        else:
            x = keras.Input(shape=(1,), dtype="string", name=col["input"])
            # The "." keeps the layer's name out of the inputs' namespace (sanitized names have none).
            lookup = keras.layers.StringLookup(vocabulary=list(col["vocabulary"]), output_mode="one_hot",
                                               num_oov_indices=1, name=f"{col['input']}.onehot")
            parts.append(ops.cast(lookup(x), "float32"))
        inputs[col["input"]] = x
    output = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
    return keras.Model(inputs, output, name="encoding")


def encode(encoding: dict, inputs: dict[str, np.ndarray], encoder=None, batch: int = 65536) -> np.ndarray:
    """float32 (n, n_encoded) from `raw_inputs(...)`, computed by the Keras encoder itself so that
    training, evaluation and the exported model cannot disagree. Batches bound memory; the model is
    called on tf constants because `model.predict` refuses numpy unicode arrays."""
    width = len(encoding["feature_names"])
    names = [c["input"] for c in encoding["columns"]]
    n = len(inputs[names[0]]) if names else 0
    if n == 0:
        return np.zeros((0, width), dtype=np.float32)
    import tensorflow as tf

    encoder = encoder if encoder is not None else build_encoder(encoding)
    chunks = []
    for start in range(0, n, batch):
        feed = {k: tf.constant(inputs[k][start:start + batch]) for k in names}
        chunks.append(np.asarray(encoder(feed), dtype=np.float32))
    return np.concatenate(chunks, axis=0)
