"""The largest feature value gg-train trains on, and the check that refuses larger ones.

Features travel as float32 and the model normalizes them by the training split's variance: a
feature beyond this magnitude has a variance (a square) past float32's 3.4e38, and becomes
infinite although every value is finite. Loading (`sources`, `table`) and new data
(`results.new_data`) refuse such features.
"""

from __future__ import annotations

import numpy as np

from orchestrator.errors import DataError

FEATURE_MAX_ABS = 1e19


def check_magnitude(x: np.ndarray, names: list[str], where: str) -> None:
    """Refuse finite values beyond `FEATURE_MAX_ABS` (columns of `x`): their float32 variance is infinite."""
    with np.errstate(invalid="ignore"):
        big = np.abs(x) > FEATURE_MAX_ABS
    if big.any():
        col = int(np.argmax(big.any(axis=0)))
        largest = float(np.nanmax(np.abs(np.asarray(x[:, col], dtype=np.float64))))
        raise DataError(f"{where}: feature '{names[col]}' has values as large as {largest:.3g}, beyond the "
                        f"{FEATURE_MAX_ABS:.0e} that float32 training can scale", "rescale that column (divide it by a "
                        "power of ten, or take its log) before training")
