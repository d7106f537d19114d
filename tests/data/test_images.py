"""Image folders are read from real PNG/JPEG files: labels from folders, exact pixels, sizes, channels, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from orchestrator.data.images import read_image_folder, read_image_npz_x
from orchestrator.errors import DataError

PER_CLASS = 20


def digits_uint8() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits, 0..16 scaled to 0..255 uint8 (16 -> 255 exactly)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.round(d.images * 255.0 / 16.0).astype(np.uint8), d.target


@pytest.fixture
def digit_folder(tmp_path):
    """tmp_path/<digit>/<i>.png, PER_CLASS grayscale PNGs per digit; returns (root, {relative path: pixels})."""
    images, target = digits_uint8()
    written = {}
    for digit in range(10):
        (tmp_path / str(digit)).mkdir()
        for i in np.flatnonzero(target == digit)[:PER_CLASS]:
            rel = f"{digit}/{i:04d}.png"
            Image.fromarray(images[i], mode="L").save(tmp_path / rel)
            written[rel] = images[i]
    return tmp_path, written


def test_digit_pngs_round_trip_exactly_with_folder_labels(digit_folder):
    root, written = digit_folder
    (root / "3" / "notes.txt").write_text("not an image")
    (root / "3" / ".hidden.png").write_bytes(b"garbage")  # hidden: ignored, so its garbage never matters
    x, labels, files = read_image_folder(root)
    assert x.shape == (10 * PER_CLASS, 8, 8, 1) and x.dtype == np.uint8
    assert files == sorted(written) and files == sorted(files)
    assert labels.dtype.kind == "U"
    assert labels.tolist() == [f.split("/")[0] for f in files]
    assert sorted(set(labels.tolist())) == [str(d) for d in range(10)]
    expected = np.stack([written[f] for f in files])[..., np.newaxis]
    np.testing.assert_array_equal(x, expected)


def test_a_jpeg_and_an_rgb_image_make_everything_three_channel(digit_folder):
    root, written = digit_folder
    images, _ = digits_uint8()
    rgb = np.stack([images[0], images[1], images[2]], axis=-1)
    Image.fromarray(rgb, mode="RGB").save(root / "0" / "rgb.png")
    Image.fromarray(images[5], mode="L").save(root / "5" / "photo.JPG", quality=95)  # upper-case suffix counts
    x, labels, files = read_image_folder(root)
    assert x.shape == (10 * PER_CLASS + 2, 8, 8, 3)
    np.testing.assert_array_equal(x[files.index("0/rgb.png")], rgb)
    first = min(written)
    gray = written[first]
    np.testing.assert_array_equal(x[files.index(first)], np.repeat(gray[..., None], 3, axis=-1))  # gray -> RGB, exact
    assert labels[files.index("5/photo.JPG")] == "5"
    jpeg = x[files.index("5/photo.JPG")].astype(int)
    assert np.abs(jpeg - images[5].astype(int)[..., None]).mean() < 20  # lossy, but the same digit


def test_rgba_drops_alpha(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 7
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        Image.fromarray(rgba, mode="RGBA").save(tmp_path / c / "x.png")
    x, _, _ = read_image_folder(tmp_path)
    assert x.shape == (2, 4, 4, 3)
    np.testing.assert_array_equal(x[0], rgba[..., :3])


def test_the_most_common_size_wins_and_image_size_resizes(digit_folder):
    root, _ = digit_folder
    Image.fromarray(np.full((16, 12), 255, dtype=np.uint8), mode="L").save(root / "1" / "big.png")
    x, _, files = read_image_folder(root)
    assert x.shape[1:] == (8, 8, 1)
    np.testing.assert_array_equal(x[files.index("1/big.png")], 255)  # shrunk with antialias: white stays white
    y, _, _ = read_image_folder(root, image_size=(4, 6))
    assert y.shape == (10 * PER_CLASS + 1, 4, 6, 1) and y.dtype == np.uint8
    z, _, _ = read_image_folder(root, image_size=(16, 16))  # enlarging
    assert z.shape[1:] == (16, 16, 1) and z.max() == 255


def test_a_corrupt_file_is_named(digit_folder):
    root, _ = digit_folder
    (root / "7" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    with pytest.raises(DataError, match="broken.png"):
        read_image_folder(root)


def test_a_truncated_file_is_named(digit_folder):
    """The header reads fine, so only the decoder finds out: the error still names the file."""
    root, _ = digit_folder
    big = np.random.default_rng(0).integers(0, 256, size=(64, 64), dtype=np.uint8)
    Image.fromarray(big, mode="L").save(root / "2" / "cut.png")
    data = (root / "2" / "cut.png").read_bytes()
    (root / "2" / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cut.png"):
        read_image_folder(root, image_size=(8, 8))


def test_folder_errors(tmp_path, digit_folder):
    root, _ = digit_folder
    with pytest.raises(DataError, match="not found"):
        read_image_folder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(DataError, match="not a folder"):
        read_image_folder(tmp_path / "file.png")
    (root / "empty").mkdir()
    (root / "empty" / "readme.txt").write_text("no images")
    with pytest.raises(DataError, match="'.*empty' has no PNG or JPEG") as err:
        read_image_folder(root)
    assert err.value.hint


def test_fewer_than_two_classes(tmp_path):
    (tmp_path / "only").mkdir()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8), mode="L").save(tmp_path / "only" / "a.png")
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8), mode="L").save(tmp_path / "loose.png")
    with pytest.raises(DataError, match="1 class folder"):
        read_image_folder(tmp_path)


def test_npz_x_shapes():
    gray = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_image_npz_x(gray)
    assert out.shape == (2, 3, 4, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], gray)
    for c in (1, 3, 4):
        assert read_image_npz_x(np.zeros((2, 5, 5, c), dtype=np.uint8)).shape == (2, 5, 5, c)
    for bad in (np.zeros((2, 5)), np.zeros((2, 3, 5, 5)), np.zeros((2, 5, 5, 2)), np.zeros((1, 2, 5, 5, 3))):
        with pytest.raises(DataError, match="shape"):
            read_image_npz_x(bad)
    with pytest.raises(DataError, match="dtype"):
        read_image_npz_x(np.array([[["a"]]]))
