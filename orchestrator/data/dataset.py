"""What the rest of gg-train sees of the data: three labelled splits, the class names, and hashes.

Labels are integers 0..K-1 (`class_names[k]` is the original label), features are float32. The
hashes (`files.array_hash`) identify each split exactly, so a manifest can prove what was trained and tested on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orchestrator.folder.files import array_hash

SPLITS = ("train", "val", "test")  # the names of the three splits, in this order everywhere

@dataclass(frozen=True)
class Split:
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def hash(self) -> str:
        return array_hash(self.x, self.y)

    def class_counts(self, n_classes: int) -> list[int]:
        return np.bincount(self.y, minlength=n_classes).astype(int).tolist()


@dataclass(frozen=True)
class Dataset:
    train: Split
    val: Split
    test: Split
    class_names: list[str]
    feature_names: list[str]
    source: str
    test_given: bool = False
    notes: list[str] = field(default_factory=list)
    # A table with text or empty cells: how raw columns become the float vector (`data.table`), and
    # the test split's raw columns by input name, which the exported model is proven on.
    encoding: dict | None = None
    raw_test: dict | None = None
    # Table columns left out, with the reason (`table.REASONS`), on either path; rows set aside for an empty label.
    dropped_columns: list[dict] = field(default_factory=list)
    unlabelled_rows: int = 0
    test_file: str | None = None  # where the test rows come from when the user gave them (else cut from the data)

    @property
    def generated_features(self) -> frozenset[str]:
        """Entries the encoding adds (each text column's out-of-vocabulary slot, the missing-value
        indicators): not the user's columns, so the checks that advise dropping a column skip them."""
        if self.encoding is None:
            return frozenset()
        from orchestrator.data.table import OOV

        return frozenset(f"{c['name']}={OOV}" if c["kind"] == "categorical" else f"{c['name']}_missing"
                         for c in self.encoding["columns"] if c["kind"] == "categorical" or c.get("indicator"))

    @property
    def kind(self) -> str:
        """'images' for (n, H, W, C) pixels, else 'table' (one float vector per row)."""
        return "images" if self.train.x.ndim > 2 else "table"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.train.x.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def task(self) -> str:
        return "binary" if self.n_classes == 2 else "multiclass"

    def scaling(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the training split only: the Normalization layer inside the model.
        Images have none (pixels are rescaled inside the model): an empty pair."""
        if self.kind == "images":
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        # float64 sums: float32 ones overflow long before a feature reaches FEATURE_MAX_ABS
        mean, var = self.train.x.mean(axis=0, dtype=np.float64), self.train.x.var(axis=0, dtype=np.float64)
        return mean.astype(np.float32), var.astype(np.float32)

    def describe(self) -> dict:
        splits = {"train": self.train, "val": self.val, "test": self.test}
        return {
            "source": self.source,
            "task": self.task,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "n_features": int(np.prod(self.input_shape)),
            "feature_names": self.feature_names,
            "encoding": self.encoding,
            "dropped_columns": self.dropped_columns,
            "unlabelled_rows": self.unlabelled_rows,
            "class_names": self.class_names,
            "test_given": self.test_given,
            "test_from": "file" if self.test_given else "split",
            "test_path": self.test_file,
            "n_train": len(self.train),
            "n_val": len(self.val),
            "n_test": len(self.test),
            "class_counts": {k: s.class_counts(self.n_classes) for k, s in splits.items()},
            "hashes": {k: s.hash for k, s in splits.items()},
        }
