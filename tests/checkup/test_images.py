"""The doctor on images: class-per-folder PNGs and NPZ pixel arrays, through the same exam as tables.
The planted cases are real scans (scikit-learn's digits) and real saved CNNs (tests/checkup/image_cases.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.checkup.images import described, fit_to_model, folder_classes
from orchestrator.checkup.loading import UserModel
from orchestrator.errors import DataError


def _examine(case: dict, test=None) -> dict:
    from orchestrator.checkup.run import DoctorRequest, examine

    return examine(DoctorRequest(case["model"], test or case["test"], None, case["train"]))[0]


def _confirmed(report: dict) -> list[str]:
    return [f["cause"] for f in report["findings"] if f["verdict"] == "confirmed"]


def test_pixels_divided_by_255_outside_the_model_are_found_and_repaired_in_front(planted, tmp_path):
    import keras

    from orchestrator.data.images import read_image_folder
    from orchestrator.checkup.run import DoctorRequest, doctor

    case = planted("digits_divided_by_255")
    report, path = doctor(DoctorRequest(case["model"], case["test"], None, case["train"]), tmp_path, "digits")
    assert report["primary"] == "preprocessing_mismatch" and _confirmed(report) == ["preprocessing_mismatch"], report["findings"]
    found = {f["cause"]: f for f in report["findings"]}
    assert found["preprocessing_mismatch"]["evidence"]["transform"] == "divide by 255"
    assert found["unseen_categories"]["verdict"] == "not_applicable"
    assert report["data"]["matched_by"] == "image" and report["data"]["classes"] == [str(d) for d in range(10)]
    assert [r["name"] for r in report["references"]] == ["majority", "logistic_regression"]
    repaired = report["repaired"]
    assert repaired["verified"] and repaired["repairs"] == ["preprocessing_mismatch"], repaired
    assert repaired["test"]["accuracy"] >= report["as_is"]["test"]["accuracy"] + 0.3
    model = keras.models.load_model(path.parent / "repaired" / "model.keras", safe_mode=True, compile=False)
    assert type(model.layers[1]).__name__ == "Rescaling"  # the missing step, as a stock layer in front
    x, labels, _ = read_image_folder(case["test"])  # the test folder as a user feeds it: raw pixels
    predicted = np.asarray(model(x.astype(np.float32))).argmax(axis=1)
    assert np.mean(predicted == labels.astype(int)) == pytest.approx(repaired["test"]["accuracy"])


def test_npz_images_without_a_channel_axis_go_through_the_same_exam(planted, tmp_path):
    case = planted("digits_divided_by_255")
    x, y = case["arrays"]
    paths = {}
    for split, rows in (("train", slice(None, 1000)), ("test", slice(1000, None))):
        paths[split] = tmp_path / f"{split}.npz"
        np.savez(paths[split], X=x[rows, :, :, 0], y=y[rows])  # (n, 8, 8): gray without its channel axis
    report = _examine({"model": case["model"], "train": paths["train"]}, paths["test"])
    assert report["primary"] == "preprocessing_mismatch" and report["data"]["n_test"] == 797


def test_label_mapping_on_images_is_scored_remapped_for_the_references_too(planted, tmp_path):
    from tests.checkup.image_cases import write_folder

    case = planted("digits_healthy")
    x, y = case["arrays"]
    test = write_folder(tmp_path / "test", x[1000:], (y[1000:] + 1) % 10)  # the test folders named one digit off
    report = _examine(case, test)
    assert report["primary"] == "label_mapping" and _confirmed(report) == ["label_mapping"], report["findings"]
    logistic = report["references"][1]
    assert logistic["test"]["accuracy"] < 0.2 and logistic["test_remapped"]["accuracy"] > 0.9


def _run(args: list) -> object:
    return CliRunner().invoke(app, ["doctor", *map(str, args)])


@pytest.mark.parametrize("problem, expected", [
    ("other_classes", "data error: --test {test} has 3 class folder(s) (cat, dog, fish) but the model has 10 output unit(s)"),
    ("empty_test", "data error: image folder '{test}' has 0 class folder(s) with images"),
    ("table_and_images", "data error: the data mix images (--data) and tables (--test)"),
])
def test_bad_image_input_is_one_line_exit_2_and_nothing_written(planted, tmp_path, problem, expected):
    from tests.checkup.image_cases import write_folder

    case = planted("digits_healthy")
    x, _ = case["arrays"]
    test, extra = tmp_path / "test", ["--data", case["train"]]
    if problem == "other_classes":
        write_folder(test, x[:30], np.resize(np.array(["cat", "dog", "fish"]), 30))
        extra = []
    elif problem == "empty_test":
        test.mkdir()
    else:
        test = tmp_path / "test.csv"
        test.write_text("a,label\n1,0\n")
        extra += ["--label", "label"]
    runs = tmp_path / "runs"
    result = _run([case["model"], "--test", test, *extra, "--runs-dir", runs])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected.format(test=test)), lines
    assert not runs.exists()


def test_a_healthy_image_model_has_nothing_confirmed(planted, tmp_path):
    case = planted("digits_healthy")
    result = _run([case["model"], "--test", case["test"], "--data", case["train"], "--name", "img", "--runs-dir", tmp_path])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "img" / "doctor.json").read_text())
    assert report["primary"] is None and not _confirmed(report), report["findings"]
    assert report["data"]["n_train"] == 1000 and report["as_is"]["test"]["accuracy"] > 0.9 and report["repaired"] is None
    assert "images fed as raw pixels" in (tmp_path / "img" / "doctor.md").read_text()


def _image_model(shape: list) -> UserModel:
    return UserModel(None, "keras", [{"name": "pixels", "shape": [None, *shape]}], 10, "softmax")


def test_images_are_shaped_as_the_model_takes_them():
    gray = np.zeros((2, 8, 8, 1), np.float32)
    assert fit_to_model(gray, _image_model([8, 8, 3]), "--test t").shape == (2, 8, 8, 3)  # gray to an RGB model: 3 equal channels
    assert fit_to_model(gray, _image_model([8, 8]), "--test t").shape == (2, 8, 8)  # a model without the channel axis
    with pytest.raises(DataError, match=r"images of shape \(8, 8, 1\), but the model takes \(28, 28, 1\)"):
        fit_to_model(gray, _image_model([28, 28, 1]), "--test t")
    with pytest.raises(DataError, match="holds images"):
        fit_to_model(gray, _image_model([64]), "--test t")


def test_an_image_is_described_by_its_channels_and_a_grid_of_brightness():
    x = np.zeros((3, 8, 8, 3), np.float32)
    x[0, :4, :4] = 255  # a bright top-left quarter
    stats, names = described(x)
    assert stats.shape == (3, len(names)) and len(names) == 4 * 3 + 16
    row = dict(zip(names, stats[0]))
    assert row["brightness_r0c0"] == 255 and row["brightness_r3c3"] == 0 and row["mean_c1"] == pytest.approx(255 / 4)


def test_class_folders_are_numbered_as_keras_numbers_them():
    """image_dataset_from_directory sorts the sub-folder names as text: with 12 classes '10' is unit 2."""
    twelve = UserModel(None, "keras", [{"name": "pixels", "shape": [None, 8, 8, 1]}], 12, "softmax")
    some = np.array(["2", "10", "0"], dtype=object)  # a test folder may lack classes named 0..k-1
    assert folder_classes(some, twelve, "--test t")[:4] == ["0", "1", "10", "11"]
    one_unit = UserModel(None, "keras", [], 1, "sigmoid")
    assert folder_classes(np.array(["dog", "cat"], dtype=object), one_unit, "--test t") == ["cat", "dog"]
    with pytest.raises(DataError, match=r"has 2 class folder\(s\) \(cat, dog\) but the model has 12 output unit"):
        folder_classes(np.array(["dog", "cat"], dtype=object), twelve, "--test t")


def test_a_model_of_any_size_still_needs_one_size_across_the_splits(tmp_path):
    import keras

    from orchestrator.checkup.run import DoctorRequest, examine

    model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "any.keras")
    for split, size in (("train", 8), ("test", 6)):
        np.savez(tmp_path / f"{split}.npz", X=np.zeros((4, size, size), np.uint8), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"the images differ in size between splits \(--data \(8, 8, 1\), --test \(6, 6, 1\)\)"):
        examine(DoctorRequest(tmp_path / "any.keras", tmp_path / "test.npz", None, tmp_path / "train.npz"))


def test_a_large_training_folder_is_read_as_a_fixed_sample_and_the_test_folder_whole(tmp_path, monkeypatch):
    from orchestrator.checkup import thresholds
    from orchestrator.checkup.images import read_image_folder_split
    from tests.checkup.image_cases import _digits, write_folder

    x, y = _digits()
    folder = write_folder(tmp_path / "train", x[:200], y[:200])
    monkeypatch.setattr(thresholds, "IMAGE_TRAIN_MB", 64 * 50 / 2**20)  # room for 50 images of 8 x 8 x 1 bytes
    model = _image_model([8, 8, 1])
    pixels, labels, note = read_image_folder_split(folder, model, "--data", sample=True)
    assert pixels.shape == (50, 8, 8, 1) and len(labels) == 50 and note.startswith(f"--data {folder}: 50 of its 200 images")
    again, _, _ = read_image_folder_split(folder, model, "--data", sample=True)
    assert np.array_equal(pixels, again)  # the same sample every time: the same verdicts
    whole, _, note = read_image_folder_split(folder, model, "--test", sample=False)
    assert len(whole) == 200 and note is None
