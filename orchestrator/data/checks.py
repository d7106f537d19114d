"""Data diagnostics, run on the driver before any training starts.

Low test accuracy is often the data's fault, not the model's: a skewed class balance makes accuracy
flatter a model, rows shared between splits make the test a memory test, and a test split whose
class mix differs from training measures something else than what was learned. These checks find
those cases in seconds, so the report can say so next to the model numbers.

`run_checks(dataset)` returns a list of `{"name", "status": "ok"|"warn"|"fail", "message", "numbers"}`;
`message` is one sentence a person reads, `numbers` holds what it was computed from (JSON-safe).
Everything is vectorized numpy: 1e5 rows x 100 features take well under a second.

Image datasets (`x` of shape (n, H, W, C)) get the checks that mean something for pixels: class
balance, label shift, NaN/inf, and exact copies across splits (one digest per image). The checks
that judge table columns one by one (constant, leaking and redundant features) would judge single
pixels, where a constant corner or two equal neighbours are normal; they report "ok, does not apply"
under their usual names, so the report keeps one layout.
"""

from __future__ import annotations

import hashlib

import numpy as np

from orchestrator.data.dataset import SPLITS, Dataset
from orchestrator.data.image_files import is_on_disk
from orchestrator.data.table import REASONS
from orchestrator.data.features import check_redundant_features, check_target_leakage, feature_sources
from orchestrator.data.overlap import harmless_sentence, overlap_effect, shared_rows

# A binary minority below 20% is where accuracy starts to flatter a model noticeably (always answering
# the majority already scores > 80%); for any task a largest/smallest ratio above 3 does the same.
IMBALANCE_MINORITY_SHARE = 0.20
IMBALANCE_RATIO = 3.0
# Stratified splits keep class proportions within a percent or two; a 10-point difference means the
# splits describe different populations and test accuracy is not comparable with validation. The
# same limit judges new data against training (`check_new_data`).
LABEL_SHIFT_MAX = 0.10
# New data whose feature mean moved more than half a training standard deviation has shifted.
FEATURE_SHIFT_STD = 0.5



def _check(name: str, status: str, message: str, numbers: dict) -> dict:
    return {"name": name, "status": status, "message": message, "numbers": numbers}


def imbalance_numbers(counts: list[int]) -> dict:
    """Largest/smallest class ratio and minority share of a count vector, and whether they warrant a warning.

    Shared with `diagnosis`, which only has the report's class counts. A missing class makes the
    ratio undefined (None) and always warns."""
    counts = [int(c) for c in counts]
    total, small, large = sum(counts), min(counts, default=0), max(counts, default=0)
    share = small / total if total else 0.0
    ratio = large / small if small else None
    warn = ratio is None or ratio > IMBALANCE_RATIO or (len(counts) == 2 and share < IMBALANCE_MINORITY_SHARE)
    return {"counts": counts, "ratio": ratio, "minority_share": share, "minority_class": int(np.argmin(counts)) if counts else None,
            "majority_class": int(np.argmax(counts)) if counts else None, "warn": bool(warn)}


def check_class_imbalance(dataset: Dataset) -> dict:
    """Warn when the training classes are skewed enough that accuracy hides a weak minority class."""
    nums = imbalance_numbers(dataset.train.class_counts(dataset.n_classes))
    warn = nums.pop("warn")
    names = dataset.class_names
    nums["minority_name"], nums["majority_name"] = names[nums["minority_class"]], names[nums["majority_class"]]
    ratio = "infinite" if nums["ratio"] is None else f"{nums['ratio']:.1f}:1"
    if not warn:
        return _check("class_imbalance", "ok", f"Classes are balanced enough: the smallest class, '{nums['minority_name']}', "
                      f"is {nums['minority_share']:.0%} of the training split (largest/smallest {ratio}).", nums)
    return _check("class_imbalance", "warn",
                  f"The training classes are imbalanced ({ratio}; '{nums['minority_name']}' is only {nums['minority_share']:.0%} "
                  f"of the rows), so accuracy will flatter the model: gg-train also trains every variant with "
                  f"class_weight 'balanced' (the _balanced variants; search.class_weighting=off turns that off), judges "
                  f"trials by a metric that sees the minority class, and reports recall and F1 per class.", nums)


def _row_keys(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """One opaque bytes key per row (a numpy void scalar), so rows compare exactly and sort fast.

    Adding 0.0 turns -0.0 into +0.0, which compare equal as numbers but differ in bytes."""
    x = np.ascontiguousarray(np.asarray(x, dtype=dtype) + dtype.type(0))
    return x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()


def row_keys(x, images: bool = False) -> np.ndarray:
    """One exact key per table row (float32) or per image (its digest): what two sets of rows share."""
    f32 = np.dtype(np.float32)
    return _row_keys(_image_digests(x, f32), np.dtype(np.uint8)) if images else _row_keys(x, f32)


def is_image(dataset: Dataset) -> bool:
    """Images are (n, H, W, C); tables are (n, features)."""
    return dataset.train.x.ndim > 2


def _image_digests(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """(n, 16) uint8: a BLAKE2b digest of each image's bytes in the common dtype (-0.0 made +0.0).

    Row keys of whole images would be kilobytes each to sort; 16-byte digests make the same exact
    comparison (a collision is ~2^-64 likely) and are computed one image at a time, so no converted
    copy of the whole array is ever held."""
    if is_on_disk(x):  # decoded batch by batch; uint8 pixels, as the in-memory digests of uint8 images
        return x.digests()
    out = np.empty((len(x), 16), dtype=np.uint8)
    for i in range(len(x)):
        row = np.ascontiguousarray(np.asarray(x[i], dtype=dtype) + dtype.type(0))
        out[i] = np.frombuffer(hashlib.blake2b(row.tobytes(), digest_size=16).digest(), dtype=np.uint8)
    return out


def _split_keys(dataset: Dataset) -> dict[str, np.ndarray]:
    """One comparable key per row (tables) or per image (images: the key of its digest), per split."""
    dtype = np.result_type(*(getattr(dataset, s).x.dtype for s in SPLITS))
    if not is_image(dataset):
        return {s: _row_keys(getattr(dataset, s).x, dtype) for s in SPLITS}
    return {s: _row_keys(_image_digests(getattr(dataset, s).x, dtype), np.dtype(np.uint8)) for s in SPLITS}


def _conflicting_rows(keys: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """(rows that repeat an earlier row, rows whose feature vector appears with more than one label)."""
    if len(keys) == 0:
        return 0, 0
    uniq, inv = np.unique(keys, return_inverse=True)
    inv = inv.ravel()
    pairs = np.unique(inv.astype(np.int64) * (int(y.max(initial=0)) + 1) + y.astype(np.int64))
    labels_per_row = np.bincount(pairs // (int(y.max(initial=0)) + 1), minlength=len(uniq))
    return int(len(keys) - len(uniq)), int(np.sum(labels_per_row[inv] > 1))


def check_duplicates(dataset: Dataset) -> dict:
    """Warn when identical feature rows (or images) sit in two splits: the model is then tested on what it memorized."""
    keys = _split_keys(dataset)
    unit = "images" if is_image(dataset) else "rows"
    nums = {"val_rows_in_train": int(np.isin(keys["val"], keys["train"]).sum()),
            "test_rows_in_train": int(np.isin(keys["test"], keys["train"]).sum()),
            "test_rows_in_val": int(np.isin(keys["test"], keys["val"]).sum()),
            "n_train": len(dataset.train), "n_val": len(dataset.val), "n_test": len(dataset.test)}
    nums["train_duplicate_rows"], nums["train_conflicting_label_rows"] = _conflicting_rows(keys["train"], dataset.train.y)
    nums["unit"] = unit
    nums.update(overlap_effect(nums, *((None, None) if is_image(dataset) else (dataset.train.x, feature_sources(dataset)))))
    parts = shared_rows(nums)
    if not parts:
        what = "image" if unit == "images" else "feature row"
        return _check("duplicates_across_splits", "ok", f"No {what} appears in more than one split.", nums)
    if not nums["inflates_scores"]:
        return _check("duplicates_across_splits", "warn", harmless_sentence(parts, nums), nums)
    return _check("duplicates_across_splits", "warn", "Leakage: " + "; ".join(parts) +
                  f", so those {unit} measure memory rather than generalization; deduplicate before splitting.", nums)


def _proportions(dataset: Dataset) -> dict[str, list[float]]:
    out = {}
    for s in SPLITS:
        counts = np.asarray(getattr(dataset, s).class_counts(dataset.n_classes), dtype=float)
        out[s] = (counts / max(counts.sum(), 1.0)).tolist()
    return out


def check_label_shift(dataset: Dataset) -> dict:
    """Warn when the class mix of val or test differs from train: their accuracy then answers another question."""
    props = _proportions(dataset)
    train = np.asarray(props["train"])
    nums: dict = {"proportions": props, "absent": {}}
    for s in ("val", "test"):
        nums[f"max_diff_train_{s}"] = float(np.max(np.abs(train - np.asarray(props[s]))))
        missing = [dataset.class_names[k] for k, p in enumerate(props[s]) if p == 0]
        if missing:
            nums["absent"][s] = missing
    worst = max(("val", "test"), key=lambda s: nums[f"max_diff_train_{s}"])
    diff = nums[f"max_diff_train_{worst}"]
    if nums["absent"]:
        where = "; ".join(f"{s} has no rows of " + ", ".join(f"'{n}'" for n in names) for s, names in nums["absent"].items())
        return _check("label_shift", "warn", f"Some classes are missing from a split ({where}), so its accuracy "
                      "cannot say anything about them.", nums)
    if diff > LABEL_SHIFT_MAX:
        return _check("label_shift", "warn", f"The class proportions of the {worst} split differ from training by up to "
                      f"{diff:.2f} (more than {LABEL_SHIFT_MAX:.2f}), so {worst} accuracy measures a different class mix "
                      "than the model learned.", nums)
    return _check("label_shift", "ok", f"Class proportions agree across splits (largest difference {diff:.2f}).", nums)


def check_constant_features(dataset: Dataset) -> dict:
    """Warn about features that never vary in training: the model cannot learn from them, normalization divides by 0."""
    x = dataset.train.x
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0) if len(x) else np.array([], dtype=int)
    names = [dataset.feature_names[i] if i < len(dataset.feature_names) else f"feature_{i}" for i in constant.tolist()]
    names = [n for n in names if n not in dataset.generated_features]  # an unused OOV slot is constant by design
    nums = {"constant_features": names, "n_constant": len(names), "n_features": int(x.shape[1])}
    if not names:
        return _check("constant_features", "ok", "Every feature varies in the training split.", nums)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return _check("constant_features", "warn", f"{len(names)} feature(s) never change in the training split ({shown}); "
                  "they carry no information and can be dropped.", nums)


def check_non_finite(dataset: Dataset) -> dict:
    """Fail on NaN or inf: one of them turns the loss into NaN. Loading refuses them; programmatic data may not."""
    if is_on_disk(dataset.train.x):  # decoded files are uint8: never NaN
        return _check("non_finite_features", "ok", "Images decoded from files hold 0-255 pixel values: none is NaN.",
                      {f"{s}_non_finite": 0 for s in SPLITS})
    nums = {f"{s}_non_finite": int(np.count_nonzero(~np.isfinite(getattr(dataset, s).x))) for s in SPLITS}
    what = "pixel" if is_image(dataset) else "feature"
    if is_image(dataset):  # a list of pixel positions says nothing a person can act on; which images does
        train = dataset.train.x.reshape(len(dataset.train), -1)
        nums["train_images"] = np.flatnonzero(~np.isfinite(train).all(axis=1)).tolist()
    else:
        bad_cols = np.flatnonzero(~np.isfinite(dataset.train.x).all(axis=0)) if len(dataset.train) else []
        nums["train_columns"] = [dataset.feature_names[i] if i < len(dataset.feature_names) else f"feature_{i}" for i in bad_cols]
    total = sum(v for k, v in nums.items() if k.endswith("_non_finite"))
    if not total:
        return _check("non_finite_features", "ok", f"No {what} value is NaN or infinite.", nums)
    where = ", ".join(f"{nums[f'{s}_non_finite']} in {s}" for s in SPLITS if nums[f"{s}_non_finite"])
    return _check("non_finite_features", "fail", f"{total} {what} values are NaN or infinite ({where}); impute or drop "
                  "them, or training will produce NaN losses.", nums)


def check_dropped_columns(dropped: list[dict], encoding: dict | None = None) -> dict:
    """A data check naming the columns left out and why (by the encoding, or the row-index rule on a
    complete numeric table), so a user who expected a column to matter sees at once that the model
    never saw it."""
    markers = {c["name"]: c["missing_tokens"] for c in (encoding or {}).get("columns", ()) if c.get("missing_tokens")}
    if not dropped:
        message = "No column was dropped: every column varies between training rows and none is an id."
    else:
        listed = "; ".join(f"'{d['name']}' ({REASONS[d['reason']]})" for d in dropped)
        message = f"Dropped {len(dropped)} column(s) that cannot help the model: {listed}."
    if markers:
        message += " Read as empty cells of numeric columns: " + "; ".join(
            f"'{n}' cells {', '.join(repr(t) for t in tokens)}" for n, tokens in markers.items()) + "."
    return {"name": "dropped_columns", "status": "warn" if dropped or markers else "ok", "message": message,
            "numbers": {"dropped": [dict(d) for d in dropped], "missing_markers": markers}}


CHECKS = (check_class_imbalance, check_duplicates, check_label_shift, check_constant_features, check_non_finite,
          check_target_leakage, check_redundant_features)


# The checks that judge table columns one by one, by the name each reports: on images they would judge
# single pixels, so they are replaced by an "ok, does not apply" under the same name.
TABLE_ONLY = {check_constant_features: "constant_features", check_target_leakage: "target_leakage",
              check_redundant_features: "redundant_features"}


def _not_for_images(name: str, dataset: Dataset) -> dict:
    shape = list(dataset.train.x.shape[1:])
    return _check(name, "ok", "This check judges table columns one by one and does not apply to images.",
                  {"applies": False, "image_shape": [int(d) for d in shape]})


def run_checks(dataset: Dataset) -> list[dict]:
    """Every data check, in a fixed order; none raises on odd-but-valid data."""
    if is_image(dataset):
        return [_not_for_images(TABLE_ONLY[c], dataset) if c in TABLE_ONLY else c(dataset) for c in CHECKS]
    checks = [check(dataset) for check in CHECKS]
    if dataset.encoding is not None or dataset.dropped_columns:  # a table: which columns the model never saw
        checks.append(check_dropped_columns(dataset.dropped_columns, dataset.encoding))
    if dataset.unlabelled_rows:
        checks.append(check_unlabelled_rows(dataset.unlabelled_rows))
    if dataset.test_given:  # a test file from elsewhere may come from another population (`data.test_file`)
        from orchestrator.data.test_file import check_covariate_shift

        checks.append(check_covariate_shift(dataset))
    return checks


def check_unlabelled_rows(count: int) -> dict:
    """Rows whose label cell is empty are set aside when the table is read: say how many, since
    neither training nor the test score includes them."""
    return _check("unlabelled_rows", "warn", f"Set aside {count} row(s) whose label cell is empty: they cannot be "
                  "trained or tested on; fill in their labels to use them.", {"unlabelled_rows": count})


def check_new_data(x: np.ndarray, y: np.ndarray, mean: np.ndarray | None, var: np.ndarray | None, names: list[str],
                   train_share: np.ndarray) -> list[dict]:
    """Does new labelled data resemble the training data? Feature means against the training
    statistics (the model's own Normalization layer), class proportions against training. Without
    those statistics (images, a saved model with its own preprocessing) only the class mix is judged."""
    if mean is None or var is None or len(mean) != x.shape[-1] or x.ndim != 2:
        return [_label_shift_of_new(y, train_share)]
    std = np.sqrt(np.maximum(var, 1e-12))
    shift = np.abs(x.mean(axis=0) - mean) / std
    moved = [names[i] for i in np.argsort(-shift) if shift[i] > FEATURE_SHIFT_STD]
    return [
        _check("feature_shift", "warn" if moved else "ok",
               f"{len(moved)} feature(s) moved more than {FEATURE_SHIFT_STD} training standard deviations: {', '.join(moved[:8])}"
               if moved else f"feature means are within {FEATURE_SHIFT_STD} training standard deviations of training",
               {"shift_in_train_std": dict(zip(names, np.round(shift, 3).tolist()))}),
        _label_shift_of_new(y, train_share),
    ]


def _label_shift_of_new(y: np.ndarray, train_share: np.ndarray) -> dict:
    share = np.bincount(y, minlength=len(train_share)) / max(len(y), 1)
    label_diff = float(np.max(np.abs(share - train_share)))
    return _check("label_shift", "warn" if label_diff > LABEL_SHIFT_MAX else "ok",
                  f"class proportions differ from training by up to {label_diff:.2f}",
                  {"new": share.round(4).tolist(), "train": np.round(train_share, 4).tolist(), "max_diff": round(label_diff, 4)})
