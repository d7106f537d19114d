"""Image folders too large to hold stay on disk: the same pixels, the same checks, and an epoch
streamed from disk that trains exactly like the in-memory one."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.config import DataConfig
from orchestrator.data import load_dataset
from orchestrator.data.image_files import ImageFiles
from orchestrator.data.images import read_image_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from PIL import Image
    from sklearn.datasets import load_digits

    root = tmp_path_factory.mktemp("digits")
    digits = load_digits()
    keep = np.concatenate([np.flatnonzero(digits.target == k)[:12] for k in range(3)])
    for i in keep:
        (root / str(digits.target[i])).mkdir(exist_ok=True)
        Image.fromarray((digits.images[i] * 255 / 16).round().astype(np.uint8), mode="L").save(root / str(digits.target[i]) / f"{i}.png")
    (root / "0" / "copy.png").write_bytes((root / "0" / f"{keep[0]}.png").read_bytes())  # one exact duplicate
    return root


def test_a_folder_over_the_memory_limit_stays_on_disk_with_the_same_pixels(folder):
    in_memory, labels, files = read_image_folder(folder)
    on_disk, disk_labels, _ = read_image_folder(folder, memory_mb=1e-4)
    assert isinstance(on_disk, ImageFiles) and on_disk.shape == in_memory.shape
    assert list(disk_labels) == list(labels)
    np.testing.assert_array_equal(on_disk.decoded(), in_memory)
    rows = np.array([5, 1, 30])
    np.testing.assert_array_equal(np.asarray(on_disk[rows]), in_memory[rows])


def test_a_streamed_dataset_keeps_the_checks_and_a_stable_fingerprint(folder):
    from orchestrator.data.checks import run_checks

    cfg = DataConfig(source="images", path=folder, image_memory_mb=1e-4, split={"train": 0.5, "val": 0.25, "test": 0.25})
    streamed, held = load_dataset(cfg, seed=0), load_dataset(cfg.model_copy(update={"image_memory_mb": 2048}), seed=0)
    assert isinstance(streamed.train.x, ImageFiles) and streamed.kind == "images" and streamed.input_shape == (8, 8, 1)
    assert streamed.train.hash == load_dataset(cfg, seed=0).train.hash
    checks = {c["name"]: c for c in run_checks(streamed)}
    same = {c["name"]: c for c in run_checks(held)}
    assert checks["duplicates_across_splits"]["numbers"] == same["duplicates_across_splits"]["numbers"]
    assert checks["non_finite_features"]["status"] == "ok"


def test_a_streamed_epoch_trains_exactly_like_the_in_memory_one(folder):
    import keras
    import tensorflow as tf

    from orchestrator.models.cnn import build_cnn
    from orchestrator.train.epochs import EpochRunner
    from orchestrator.train.fitting import balanced_weights, compile_model, targets

    held, labels, _ = read_image_folder(folder)
    disk, _, _ = read_image_folder(folder, memory_mb=1e-4)
    y = np.unique(labels, return_inverse=True)[1].astype(np.int32)
    train, val = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    results = []
    for x in (held, disk):
        keras.utils.set_random_seed(0)
        model = build_cnn(input_shape=(8, 8, 1), n_classes=3, filters=4, depth=1, dense=8, dropout=0.2)
        compile_model(model, n_classes=3, optimizer="adam", learning_rate=0.01)
        runner = EpochRunner(model, tf.distribute.get_strategy(), n_classes=3, global_batch=8,
                             train=(x[train], targets(y[train], 3), np.ones(len(train), np.float32)),
                             val=(x[val], targets(y[val], 3), balanced_weights(y[val], 3)))
        results.append((runner.train(3, 0), runner.train(3, 1), *runner.validate()))
    (a1, a2, av, ap), (b1, b2, bv, bp) = results
    for a, b in ((a1, b1), (a2, b2), (av, bv)):
        assert a.keys() == b.keys() and all(np.isclose(a[k], b[k], rtol=1e-5) for k in a)
    np.testing.assert_allclose(ap, bp, rtol=1e-5, atol=1e-6)
