"""Issue 11's table acceptance: public tables with text columns and empty cells, trained with no
preprocessing by the user, against a scikit-learn pipeline (imputer + one-hot + logistic
regression) fitted on the very same training rows; then `gg-train evaluate` on rows with an unseen
category and empty cells.

    python scripts/acceptance/public_tables.py [OUT_DIR]   (needs: pip install palmerpenguins vega_datasets)

Tables: Palmer penguins (species from island, sex, measurements; 344 rows, 19 empty cells) and
the Vega cars table (origin from name, cylinders, mpg, horsepower, ...; 406 rows, 14 empty cells).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = {"penguins": "species", "cars": "Origin"}


def write_tables(out: Path) -> dict[str, Path]:
    import palmerpenguins
    from vega_datasets import local_data

    cars = local_data.cars()
    cars["Year"] = cars["Year"].dt.year
    paths = {"penguins": out / "penguins.csv", "cars": out / "cars.csv"}
    palmerpenguins.load_penguins().to_csv(paths["penguins"], index=False)
    cars.to_csv(paths["cars"], index=False)
    return paths


def gg(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "orchestrator.cli", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"gg-train {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout + done.stderr


def same_split(exp: Path):
    """The raw frame and gg-train's train / test row indices, re-derived exactly as it split them."""
    from orchestrator.config import load_config
    from orchestrator.data import _encode_labels
    from orchestrator.data.sources import read_table
    from orchestrator.data.split import stratified_split

    cfg = load_config(exp / "experiment.yaml")
    raw = read_table(cfg.data, keep_frame=True)
    y, _, _ = _encode_labels(raw)
    train, _, test = stratified_split(None, y, cfg.data.split, cfg.seed)
    return raw.frame, y, train, test


def sklearn_accuracy(frame: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    numbers = [c for c in frame.columns if c not in text]
    frame = frame.copy()
    frame[text] = frame[text].astype(object).where(frame[text].notna(), "")
    prep = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), text)])
    model = make_pipeline(prep, LogisticRegression(max_iter=5000)).fit(frame.iloc[train], y[train])
    return float((model.predict(frame.iloc[test]) == y[test]).mean())


def new_rows(frame: pd.DataFrame, label: pd.Series, path: Path) -> Path:
    """Test-like rows with a category never seen in training and empty cells, for `gg-train evaluate`."""
    rows = frame.copy()
    text = [c for c in rows.columns if not pd.api.types.is_numeric_dtype(rows[c])]
    numbers = [c for c in rows.columns if c not in text]
    rows.loc[rows.index[0], text[0]] = "never-seen-before"
    rows.loc[rows.index[1], numbers[0]] = np.nan
    rows.loc[rows.index[2], text[-1]] = np.nan
    rows[label.name] = label.to_numpy()
    rows.to_csv(path, index=False)
    return path


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, path in write_tables(out).items():
        label = TABLES[name]
        gg("launch", "--data", str(path), "--label", label, "--gpus", "0", "--runs-dir", str(out / "runs"), "--name", name,
           "--overwrite")
        exp = out / "runs" / name
        report = json.loads((exp / "report.json").read_text())
        frame, y, train, test = same_split(exp)
        ours, theirs = report["best"]["test"]["accuracy"], sklearn_accuracy(frame, y, train, test)
        raw = pd.read_csv(path)
        fresh = new_rows(raw.drop(columns=[label]).iloc[test], raw[label].iloc[test], out / f"{name}_new.csv")
        evaluated = gg("evaluate", name, "--data", str(fresh), "--runs-dir", str(out / "runs")).strip().splitlines()[0]
        print(f"{name}: {len(frame)} rows, {int(frame.isna().sum().sum())} empty cells; gg-train {report['best']['variant']} "
              f"test accuracy {ours:.3f} vs scikit-learn imputer+one-hot+logistic {theirs:.3f} (diff {ours - theirs:+.3f}) "
              f"on the same {len(test)} test rows; export verified: {report['export']['verified']} "
              f"(max |diff| {max(report['export']['max_abs_diff'].values()):.2g}); dropped: "
              f"{[d['name'] for d in json.loads((exp / 'manifest.json').read_text())['data']['encoding']['dropped']]}")
        print(f"  evaluate on rows with an unseen category and empty cells: {evaluated}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/acceptance-tables").resolve())
