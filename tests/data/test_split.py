"""The stratified, seeded train/validation/test split."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.config import DataConfig, SplitConfig
from orchestrator.data import array_hash, load_dataset
from orchestrator.data.split import stratified_split
from orchestrator.errors import DataError


def imbalanced(n: int = 200, minority: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = np.zeros(n, dtype=np.int32)
    y[rng.permutation(n)[: int(n * minority)]] = 1
    return x, y


def split_hashes(x, y, seed, split=SplitConfig()):
    return [array_hash(x[i], y[i]) for i in stratified_split(x, y, split, seed)]


def test_same_seed_same_split():
    x, y = imbalanced()
    first = stratified_split(x, y, SplitConfig(), seed=11)
    second = stratified_split(x, y, SplitConfig(), seed=11)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert split_hashes(x, y, 11) == split_hashes(x, y, 11)


def test_other_seed_other_split():
    x, y = imbalanced()
    a, b = split_hashes(x, y, 1), split_hashes(x, y, 2)
    assert a[0] != b[0] and a[1] != b[1] and a[2] != b[2]


def test_splits_are_disjoint_and_cover_all_rows():
    x, y = imbalanced(n=157)
    train, val, test = stratified_split(x, y, SplitConfig(), seed=0)
    assert not set(train) & set(val)
    assert not set(train) & set(test)
    assert not set(val) & set(test)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val, test])), np.arange(157))
    # indices come back sorted, so the row order of the file is kept within each split
    for part in (train, val, test):
        assert np.all(np.diff(part) > 0)


def test_default_sizes_are_60_20_20():
    x, y = imbalanced(n=500)
    train, val, test = stratified_split(x, y, SplitConfig(), seed=0)
    assert (len(train), len(val), len(test)) == (300, 100, 100)


def test_custom_fractions():
    x, y = imbalanced(n=200)
    train, val, test = stratified_split(x, y, SplitConfig(train=0.5, val=0.25, test=0.25), seed=0)
    assert (len(train), len(val), len(test)) == (100, 50, 50)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_class_proportions(seed):
    x, y = imbalanced(n=200, minority=0.3, seed=seed)
    whole = y.mean()
    for part in stratified_split(x, y, SplitConfig(), seed=seed):
        expected = whole * len(part)
        assert abs(int(y[part].sum()) - expected) <= 2, (len(part), int(y[part].sum()), expected)


def test_stratified_multiclass_keeps_rare_class_in_every_split():
    rng = np.random.default_rng(0)
    y = np.array([0] * 80 + [1] * 15 + [2] * 5, dtype=np.int32)[rng.permutation(100)]
    x = rng.normal(size=(100, 2))
    for part in stratified_split(x, y, SplitConfig(), seed=0):
        counts = np.bincount(y[part], minlength=3)
        assert np.all(counts >= 1)
        expected = np.bincount(y, minlength=3) * len(part) / len(y)
        assert np.all(np.abs(counts - expected) <= 2)


def test_given_test_set_splits_train_and_val_only():
    x, y = imbalanced(n=80)
    train, val, test = stratified_split(x, y, SplitConfig(), seed=0, with_test=False)
    assert test is None
    assert (len(train), len(val)) == (60, 20)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(80))


def test_too_few_rows():
    x, y = imbalanced(n=9, minority=0.45)
    with pytest.raises(DataError, match=r"the data has 9 rows; the 0\.6/0\.2/0\.2 split needs at least 10") as err:
        stratified_split(x, y, SplitConfig(), seed=0)
    assert "\n" not in err.value.one_line()


def test_small_fraction_needs_more_rows():
    # a 5% test fraction with 2 classes needs ceil(2 / 0.05) = 40 rows
    x, y = imbalanced(n=30, minority=0.5)
    with pytest.raises(DataError, match=r"needs at least 40"):
        stratified_split(x, y, SplitConfig(train=0.75, val=0.2, test=0.05), seed=0)


def test_rare_class_too_small_to_stratify():
    y = np.array([0] * 40 + [1] * 2, dtype=np.int32)
    x = np.zeros((42, 2))
    with pytest.raises(DataError, match=r"class 1 has only 2 row\(s\); a stratified split needs at least 3") as err:
        stratified_split(x, y, SplitConfig(), seed=0)
    assert "\n" not in err.value.one_line()


def test_load_dataset_split_is_reproducible_end_to_end(tmp_path):
    x, y = imbalanced(n=120)
    np.savez(tmp_path / "d.npz", X=x, y=y)
    cfg = DataConfig(source="npz", path=tmp_path / "d.npz")
    a = load_dataset(cfg, seed=5).describe()
    b = load_dataset(cfg, seed=5).describe()
    c = load_dataset(cfg, seed=6).describe()
    assert a["hashes"] == b["hashes"]
    assert a["hashes"]["test"] != c["hashes"]["test"]
    assert abs(a["class_counts"]["train"][1] - 0.3 * 72) <= 2
    assert sum(a["class_counts"]["train"]) + sum(a["class_counts"]["val"]) + sum(a["class_counts"]["test"]) == 120


def test_validation_size_has_no_float_noise():
    # 0.1 / (0.7 + 0.1) is 0.12500000000000003 in floats; 160 rows must still give exactly 20
    x, y = imbalanced(n=200)
    train, val, test = stratified_split(x, y, SplitConfig(train=0.7, val=0.1, test=0.2), seed=0)
    assert (len(train), len(val), len(test)) == (140, 20, 40)
    # same with a given test set: 0.1 / 0.9 of 135 rows is 15
    x, y = imbalanced(n=135)
    train, val, test = stratified_split(x, y, SplitConfig(train=0.8, val=0.1, test=0.1), seed=0, with_test=False)
    assert (len(train), len(val), test) == (120, 15, None)


def test_a_learning_curve_subset_is_a_stratified_reproducible_fraction_of_the_training_rows():
    from orchestrator.data.split import train_subset

    _, y = imbalanced(n=400, minority=0.1)
    rows = train_subset(y, 0.25, seed=5)
    assert len(rows) == 100 and len(set(rows.tolist())) == 100
    assert np.bincount(y[rows]).tolist() == [90, 10]  # the class mix of the whole training split
    assert np.array_equal(rows, train_subset(y, 0.25, seed=5))
    assert not np.array_equal(rows, train_subset(y, 0.25, seed=6))
    assert np.array_equal(train_subset(y, 1.0, seed=5), np.arange(400))
    assert set(np.unique(y[train_subset(y, 0.001, seed=1)])) == {0, 1}  # every class keeps a row
