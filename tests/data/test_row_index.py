"""The row-index rule: a column numbering the rows is told by the whole column's shape."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.data.row_index import drop_row_index, is_row_index


@pytest.mark.parametrize("values, index", [
    (np.arange(40), True),  # df.to_csv()'s row numbers
    (np.arange(40, 0, -1).astype(float), True),  # read as float32 from a complete numeric CSV; descending
    (np.arange(40) * 7 + 3, True),  # rows filtered out before writing: in order, with gaps
    (np.random.default_rng(0).permutation(40) + 1, True),  # a shuffled table's rownames
    (np.random.default_rng(0).permutation(40) * 2, False),  # distinct integers, unordered, with gaps: a code
    (np.arange(40) + 0.5, False),  # not integers: a measurement
    (np.r_[np.arange(39), 5], False),  # a repeated value
    (np.arange(19), False),  # too few rows to tell
    (np.r_[np.arange(39), np.nan], False),  # an empty cell
])
def test_row_index_is_told_from_the_whole_columns_shape(values, index):
    assert is_row_index(np.asarray(values, dtype=np.float64)) is index



def test_the_plain_path_drops_index_columns_and_names_them():
    x = np.c_[np.arange(30), np.linspace(0, 1, 30) ** 2, np.arange(30) % 3].astype(np.float32)
    kept, names, dropped = drop_row_index(x, ["Unnamed: 0", "a", "b"])
    assert names == ["a", "b"] and np.array_equal(kept, x[:, 1:]) and dropped == [{"name": "Unnamed: 0", "reason": "index"}]
