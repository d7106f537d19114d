"""Matching tables to a model: columns by input name, by position, or by --features; classes to units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestrator.checkup.loading import UserModel
from orchestrator.checkup.tables import choose_features, class_order, feature_matrix, to_units
from orchestrator.errors import DataError

FRAME = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4], "city": ["x", "y"], "c": [0.5, 0.25]})


def _model(*inputs: tuple[str, int], units: int = 2) -> UserModel:
    return UserModel(None, "keras", [{"name": n, "shape": [None, w]} for n, w in inputs], units, "softmax")


def test_numeric_columns_by_position_when_their_count_is_the_width():
    assert choose_features(_model(("input_layer", 3)), FRAME, None) == (["a", "b", "c"], "position")


def test_named_inputs_take_their_columns():
    assert choose_features(_model(("c", 1), ("a", 1)), FRAME, None) == (["c", "a"], "names")


def test_features_choose_and_order_the_columns():
    assert choose_features(_model(("x", 2)), FRAME, ["c", "a"]) == (["c", "a"], "--features")
    with pytest.raises(DataError, match="--features names 1 columns but the model takes 2 numbers per row"):
        choose_features(_model(("x", 2)), FRAME, ["c"])
    with pytest.raises(DataError, match=r"--features names column\(s\) \['z'\] that the table lacks"):
        choose_features(_model(("x", 2)), FRAME, ["c", "z"])


def test_a_width_that_matches_nothing_names_the_width_and_the_columns():
    with pytest.raises(DataError, match=r"inputs of shape \[None, 5\] but the table has 3 numeric column\(s\) \(a, b, c\)") as err:
        choose_features(_model(("x", 5)), FRAME, None)
    assert "--features" in err.value.hint


def test_text_and_empty_cells_in_the_model_columns_are_one_line():
    with pytest.raises(DataError, match="column 'city' holds text"):
        feature_matrix(FRAME, ["a", "city"], "--features", "--test t.csv")
    with pytest.raises(DataError, match="column 'a' has 1 empty or infinite cells"):
        feature_matrix(FRAME.assign(a=[1.0, np.nan]), ["a"], "position", "--test t.csv")
    named = feature_matrix(FRAME, ["a", "c"], "names", "--test t.csv")
    assert set(named) == {"a", "c"} and named["c"].shape == (2, 1)


def test_classes_map_to_units_in_sorted_order_and_integers_to_their_own_unit():
    model = _model(("x", 3), units=3)
    assert class_order(model, np.array(["2", "0"], dtype=object), "--data") == ["0", "1", "2"]
    assert class_order(model, np.array(["dog", "cat", "ant"], dtype=object), "--data") == ["ant", "cat", "dog"]
    assert class_order(_model(("x", 3), units=1), np.array(["10", "9"], dtype=object), "--data") == ["9", "10"]
    with pytest.raises(DataError, match="has 3 classes but the model has 1 output unit"):
        class_order(_model(("x", 3), units=1), np.array(["a", "b", "c"], dtype=object), "--data")
    assert to_units(np.array(["cat", "ant"], dtype=object), ["ant", "cat"], "--test").tolist() == [1, 0]
