"""Table encoding: what a user with a messy table (text, booleans, empty cells) would notice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from orchestrator.data.table import (
    MAX_LEVELS,
    build_encoder,
    encode,
    fit_encoding,
    needs_encoding,
    raw_inputs,
)
from orchestrator.data.checks import check_dropped_columns
from orchestrator.errors import DataError


def _frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(20, 60, n).astype(float),
        "island": np.array(["Biscoe", "Dream", "Torgersen"])[np.arange(n) % 3],
        "smoker": (np.arange(n) % 2).astype(bool),
    })


def _column(encoding: dict, name: str) -> dict:
    return next(c for c in encoding["columns"] if c["name"] == name)


def _encoded(frame: pd.DataFrame, encoding: dict) -> pd.DataFrame:
    return pd.DataFrame(encode(encoding, raw_inputs(frame, encoding)), columns=encoding["feature_names"])


def test_needs_encoding_only_for_text_or_empty_cells():
    assert not needs_encoding(pd.DataFrame({"a": [1.0, 2.0], "b": [True, False], "c": [1, 2]}))
    assert needs_encoding(pd.DataFrame({"a": [1.0, np.nan]}))
    assert needs_encoding(pd.DataFrame({"a": ["x", "y"]}))


def test_statistics_come_from_training_rows_only():
    frame = _frame()
    train = np.arange(20)
    changed = frame.copy()
    changed.loc[25, "age"] = 1e9
    changed.loc[26, "island"] = "Atlantis"
    assert fit_encoding(frame, train) == fit_encoding(changed, train)
    # ... while the same change inside the training rows does show.
    assert fit_encoding(changed, np.arange(30)) != fit_encoding(frame, np.arange(30))
    frame.loc[:4, "age"] = np.nan  # empties outside train: no indicator
    assert _column(fit_encoding(frame, np.arange(5, 30)), "age")["indicator"] is False


def test_empty_number_gets_training_median_and_indicator():
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 10.0, 100.0], "t": list("ababa")})
    enc = fit_encoding(frame, np.arange(4))
    assert _column(enc, "x") == {"name": "x", "input": "x", "kind": "numeric", "fill": 2.0, "indicator": True}
    out = _encoded(pd.DataFrame({"x": [np.nan, 7.0, np.inf], "t": ["a"] * 3}), enc)
    assert out["x"].tolist() == [2.0, 7.0, 2.0]
    assert out["x_missing"].tolist() == [1.0, 0.0, 1.0]


def test_unseen_and_empty_text_land_in_the_oov_slot():
    frame = _frame()
    enc = fit_encoding(frame, np.arange(30))
    assert _column(enc, "island")["vocabulary"] == ["Biscoe", "Dream", "Torgersen"]
    new = frame.head(3).copy()
    new["island"] = ["Dream", "Atlantis", None]
    out = _encoded(new, enc)
    one_hot = out[[f"island={v}" for v in ["<OOV>", "Biscoe", "Dream", "Torgersen"]]].to_numpy()
    np.testing.assert_array_equal(one_hot, [[0, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0]])


def test_empty_text_is_a_level_and_vocabulary_is_capped_by_frequency():
    levels = [f"v{i:03d}" for i in range(MAX_LEVELS + 10)]
    values = levels * 2 + ["v059"] * 5 + [None] * 3  # ties broken by value, "" counted as a level
    enc = fit_encoding(pd.DataFrame({"t": values}), np.arange(len(values)))
    vocab = _column(enc, "t")["vocabulary"]
    assert len(vocab) == MAX_LEVELS and vocab[:3] == ["v059", "", "v000"]
    assert enc["feature_names"][:3] == ["t=<OOV>", "t=v059", "t="]


def test_useless_columns_are_dropped_with_their_reason():
    n = 25
    frame = pd.DataFrame({
        "name": [f"person {i}" for i in range(n)],
        "row": np.arange(100, 100 + n),
        "same": ["x"] * n,
        "blank": [None] * n,
        "blank_num": [np.nan] * n,
        "weight": np.linspace(50, 90, n) + 0.01,
        "code": np.random.default_rng(0).permutation(n) * 2,  # distinct integers, unordered, with gaps: not a row number
        "kind": ["a", "b"] * 12 + ["a"],
    })
    enc = fit_encoding(frame, np.arange(n))
    reasons = {d["name"]: d["reason"] for d in enc["dropped"]}
    assert reasons == {"name": "id", "row": "index", "same": "constant", "blank": "empty", "blank_num": "empty"}
    assert [c["name"] for c in enc["columns"]] == ["weight", "code", "kind"]
    check = check_dropped_columns(enc["dropped"], enc)
    assert check["status"] == "warn" and "'row'" in check["message"] and "row index" in check["message"]
    weight_only = fit_encoding(frame[["weight"]], np.arange(n))
    assert check_dropped_columns(weight_only["dropped"], weight_only)["status"] == "ok"
    json.dumps(enc), json.dumps(check)  # the encoding and the check travel as JSON


def test_no_usable_column_is_a_data_error():
    with pytest.raises(DataError, match="no column"):
        fit_encoding(pd.DataFrame({"a": [1, 1, 1], "b": [None] * 3}), np.arange(3))


def test_input_names_are_sanitized_and_unique():
    frame = pd.DataFrame({"a b": [1.0, 2.0], "a_b": [3.0, 4.0], "2x": [5.0, 6.0], "where": [7.0, 8.0], "é": [1.0, 0.0]})
    enc = fit_encoding(frame, np.arange(2))
    names = [c["input"] for c in enc["columns"]]
    assert names[:3] == ["a_b", "a_b_2", "c_2x"] and len(set(names)) == 5
    assert all(n.replace("_", "").isalnum() and n.isascii() and n[0].isalpha() for n in names)
    assert encode(enc, raw_inputs(frame, enc)).shape == (2, 5)  # a column named like a Keras op still builds


def test_numbers_in_a_text_column_match_the_training_vocabulary():
    enc = fit_encoding(pd.DataFrame({"grade": ["1", "2", "3", "2"]}), np.arange(4))
    as_float = raw_inputs(pd.DataFrame({"grade": [1.0, np.nan, 3.0]}), enc)["grade"]  # an int column with a blank
    as_int = raw_inputs(pd.DataFrame({"grade": [1, 2, 3]}), enc)["grade"]
    assert as_float.ravel().tolist() == ["1", "", "3"] and as_int.ravel().tolist() == ["1", "2", "3"]


def test_saved_encoder_reloads_safely_and_gives_the_same_output(tmp_path):
    import keras

    frame = _frame()
    frame.loc[3, "age"] = np.nan
    enc = fit_encoding(frame, np.arange(30))
    inputs = raw_inputs(frame, enc)
    encoder = build_encoder(enc)
    assert encoder.name == "encoding"
    encoder.save(tmp_path / "enc.keras")
    reloaded = keras.models.load_model(tmp_path / "enc.keras", safe_mode=True)
    expected = encode(enc, inputs)
    np.testing.assert_array_equal(encode(enc, inputs, encoder=reloaded, batch=7), expected)
    assert expected.dtype == np.float32 and expected.shape == (30, len(enc["feature_names"]))
    assert encode(enc, raw_inputs(frame.head(0), enc)).shape == (0, len(enc["feature_names"]))


def test_raw_inputs_round_trip_through_npz_without_pickle(tmp_path):
    frame = _frame()
    frame.loc[0, "island"] = None
    enc = fit_encoding(frame, np.arange(30))
    inputs = raw_inputs(frame, enc)
    assert inputs["island"].dtype.kind == "U" and inputs["island"].shape == (30, 1)
    assert inputs["age"].dtype == np.float32 and inputs["smoker"].ravel().tolist()[:2] == [0.0, 1.0]
    np.savez(tmp_path / "x.npz", **inputs)
    with np.load(tmp_path / "x.npz", allow_pickle=False) as loaded:
        for name, value in inputs.items():
            np.testing.assert_array_equal(loaded[name], value)


def test_missing_column_or_text_in_numbers_is_a_data_error():
    frame = _frame()
    enc = fit_encoding(frame, np.arange(30))
    with pytest.raises(DataError, match="island") as err:
        raw_inputs(frame.drop(columns="island"), enc)
    assert "same columns" in err.value.hint
    bad = frame.astype({"age": object})
    bad.loc[2, "age"] = "forty"
    with pytest.raises(DataError, match="'age'.*forty"):
        raw_inputs(bad, enc)
    ok = frame.astype({"age": str})  # numbers as text still parse; extra columns are ignored
    ok["extra"] = "z"
    np.testing.assert_array_equal(raw_inputs(ok, enc)["age"], raw_inputs(frame, enc)["age"])


def test_palmer_penguins_table():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins().drop(columns="species")
    train = np.flatnonzero(np.arange(len(frame)) % 5 != 4)  # row 3 (all measurements empty) is in train
    enc = fit_encoding(frame, train)
    kinds = {c["name"]: c["kind"] for c in enc["columns"]}
    assert kinds["island"] == kinds["sex"] == "categorical" and kinds["body_mass_g"] == "numeric"
    assert _column(enc, "bill_length_mm")["indicator"] and "bill_length_mm_missing" in enc["feature_names"]
    assert "" in _column(enc, "sex")["vocabulary"]  # penguins with unknown sex are their own level
    encoded = encode(enc, raw_inputs(frame, enc))
    assert encoded.shape == (len(frame), len(enc["feature_names"])) and not np.isnan(encoded).any()


def test_a_numeric_column_with_question_marks_stays_numeric_with_the_marks_read_as_empty():
    values = [str(v) for v in range(40)]
    values[3] = values[17] = "?"
    frame = pd.DataFrame({"horsepower": values, "colour": ["red", "blue"] * 20})
    enc = fit_encoding(frame, np.arange(40))
    col = {c["name"]: c for c in enc["columns"]}["horsepower"]
    assert col["kind"] == "numeric" and col["missing_tokens"] == ["?"] and col["indicator"]
    x = raw_inputs(pd.DataFrame({"horsepower": ["?", "12"], "colour": ["red", "red"]}), enc)[col["input"]]
    assert np.isnan(x[0, 0]) and x[1, 0] == 12
    assert "'?'" in check_dropped_columns(enc["dropped"], enc)["message"]
    with pytest.raises(DataError, match="horsepower"):
        raw_inputs(pd.DataFrame({"horsepower": ["lots"], "colour": ["red"]}), enc)
    words = pd.DataFrame({"town": ["a", "b", "c", "1", "2", "3"] * 5})  # real text with a few numbers stays text
    assert fit_encoding(words, np.arange(30))["columns"][0]["kind"] == "categorical"


def test_the_index_rule_reads_the_whole_column_not_the_training_rows():
    n = 60
    frame = pd.DataFrame({"rownames": np.arange(1, n + 1), "x": np.random.default_rng(0).normal(size=n)})
    train = np.sort(np.random.default_rng(1).choice(n, size=36, replace=False))  # never consecutive
    assert {d["name"]: d["reason"] for d in fit_encoding(frame, train)["dropped"]} == {"rownames": "index"}
