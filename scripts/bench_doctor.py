"""The doctor's benchmark (issue 25): `gg-train doctor`'s examination of 100,000 training and 100,000
test rows × 50 columns, beside a reference measured in the same run: reading both CSVs with pandas
and one `model.predict` over every row, what any evaluation of the model costs. The goal is ≤ 15 s
beyond the TensorFlow import on 2 cores. Not a test; prints the figures.

    python scripts/bench_doctor.py [--rows 100000] [--folder /tmp/gg-bench-doctor]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = 50


def make_case(folder: Path, rows: int) -> None:
    """Training and test CSVs and a small model trained one epoch on them (kept between runs)."""
    import keras
    from sklearn.datasets import make_classification

    folder.mkdir(parents=True, exist_ok=True)
    x, y = make_classification(2 * rows, COLUMNS, n_informative=10, random_state=0)
    x = x.astype(np.float32)
    names = [f"c{i}" for i in range(COLUMNS)]
    for split, rows_of in (("train", slice(0, rows)), ("test", slice(rows, None))):
        frame = pd.DataFrame(x[rows_of], columns=names)
        frame["label"] = y[rows_of]
        frame.to_csv(folder / f"{split}.csv", index=False)
    model = keras.Sequential([keras.Input((COLUMNS,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:rows], y[:rows], epochs=1, batch_size=256, verbose=0)
    model.save(folder / "model.keras")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/gg-bench-doctor"))
    args = parser.parse_args()
    folder = args.folder / str(args.rows)
    if not (folder / "model.keras").exists():
        make_case(folder, args.rows)
    import keras  # the goal counts from here: TensorFlow is imported

    from orchestrator.checkup.run import DoctorRequest, examine

    start = time.perf_counter()
    model = keras.models.load_model(folder / "model.keras", safe_mode=True)
    for split in ("train", "test"):
        frame = pd.read_csv(folder / f"{split}.csv")
        model.predict(frame.drop(columns="label").to_numpy(np.float32), batch_size=4096, verbose=0)
    reference = time.perf_counter() - start
    start = time.perf_counter()
    report, _ = examine(DoctorRequest(folder / "model.keras", folder / "test.csv", "label", folder / "train.csv"))
    doctor = time.perf_counter() - start
    print(f"doctor, {args.rows:,} + {args.rows:,} rows x {COLUMNS}: {doctor:.1f} s (goal <= 15 s); reference, read both "
          f"CSVs + one predict: {reference:.1f} s; ratio {doctor / reference:.1f}; primary {report['primary']}")


if __name__ == "__main__":
    main()
