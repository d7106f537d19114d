"""The user's tables matched to their model: which columns feed which input, which class is which unit.

Tables are read by the same reader as `launch` (`data.sources.read_table`). The model takes what it
was trained on, a plain numeric matrix, so the doctor applies no encoding of its own: it feeds the
numeric columns, matched by the model's input names where every input is a named column, else by
position when their count equals the model's input width, else `--features a,b,c`. Classes map to
output units in sorted order (what Keras users do with sparse labels); integer labels 0..k-1 map to
the unit of their number. Images (a folder of class sub-folders, or an NPZ whose X is (n, H, W[, C]))
go to a model that takes images as raw pixels (`doctor.images`), with the class folders as labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orchestrator.data.labels import label_key
from orchestrator.checkup.loading import UserModel
from orchestrator.errors import DataError

TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".npz": "npz"}
SHOWN_COLUMNS = 12


@dataclass
class Split:
    name: str  # "train", "val" or "test"
    x: object  # float32 (n, width), {input name: float32 (n, 1)}, or raw pixels (n, H, W[, C])
    y: np.ndarray  # output unit of each row's class
    frame: pd.DataFrame | None  # the raw feature columns of a table (None for images)


@dataclass
class DoctorData:
    splits: dict[str, Split]
    classes: list[str]  # class names, in unit order
    features: list[str]
    fed_by: str  # "names", "position", "--features" or "image"
    ignored: list[str] = field(default_factory=list)  # columns the model does not take
    notes: list[str] = field(default_factory=list)  # what a person should know about how the data were read

    @property
    def images(self) -> bool:
        return self.fed_by == "image"


def read_split(path: Path, label: str | None, flag: str, model: UserModel):
    """(feature frame, or pixels (n, H, W, C) for images; label keys; a note or None) of one CSV/Parquet table,
    NPZ (X, y) or image folder; one `DataError` line when it cannot be used. Read by launch's own readers, with their checks."""
    from orchestrator.config import DataConfig
    from orchestrator.data.sources import read_npz, read_table
    from orchestrator.checkup.images import read_image_folder_split

    path = Path(path)
    if path.is_dir():
        return read_image_folder_split(path, model, flag, sample=flag == FLAGS["train"])
    source = TABLE_SUFFIXES.get(path.suffix.lower())
    if source is None:
        raise DataError(f"{flag} '{path}' is not a .csv, .parquet or .npz file nor a folder of images",
                        f"pass a table, an NPZ with X and y, or a folder with one sub-folder per class with {flag}")
    if not path.is_file():
        raise DataError(f"{flag} '{path}' not found", f"pass an existing file or folder with {flag}")
    if source == "npz":
        raw = read_npz(DataConfig(source="npz", path=path))
        labels = np.array([label_key(v) for v in raw.y], dtype=object)
        return (raw.x if raw.x.ndim == 4 else pd.DataFrame(raw.x, columns=raw.feature_names)), labels, None
    if not label:
        raise DataError(f"{flag} '{path}' is a table, and the doctor needs its label column", "pass --label COLUMN")
    raw = read_table(DataConfig(source=source, path=path, label=label), keep_frame=True)
    return raw.frame, np.array([label_key(v) for v in raw.y], dtype=object), None


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series.dtype) or (pd.api.types.is_numeric_dtype(series.dtype)
                                                        and not pd.api.types.is_complex_dtype(series.dtype))


def _shown(names: list[str]) -> str:
    return ", ".join(names[:SHOWN_COLUMNS]) + (" …" if len(names) > SHOWN_COLUMNS else "")


def choose_features(model: UserModel, frame: pd.DataFrame, features: list[str] | None) -> tuple[list[str], str]:
    """The columns the model takes, in its order, and how they were matched."""
    columns = [str(c) for c in frame.columns]
    names = [i["name"] for i in model.inputs]
    if len(names) > 1 or (features is None and names[0] in columns):
        missing = [n for n in names if n not in columns]
        if missing:
            raise DataError(f"the model's inputs {missing} are not columns of the table (columns: {_shown(columns)})",
                            "give the tables the columns the model was trained with")
        return names, "names"
    width = model.inputs[0]["shape"][-1]
    if features is not None:
        unknown = [f for f in features if f not in columns]
        if unknown:
            raise DataError(f"--features names column(s) {unknown} that the table lacks (columns: {_shown(columns)})",
                            "name columns of the table")
        if width is not None and len(features) != width:
            raise DataError(f"--features names {len(features)} columns but the model takes {width} numbers per row",
                            f"name exactly {width} columns, in the model's order")
        return features, "--features"
    numeric = [c for c in columns if _is_numeric(frame[c])]
    if len(numeric) != width or len(model.inputs[0]["shape"]) != 2:
        raise DataError(f"the model takes inputs of shape {model.inputs[0]['shape']} but the table has {len(numeric)} "
                        f"numeric column(s) ({_shown(numeric)})", "choose the model's columns, in its order, with --features a,b,c")
    return numeric, "position"


def feature_matrix(frame: pd.DataFrame, features: list[str], fed_by: str, where: str):
    """The model's input from `frame`: float32, no empty cells (the model was trained on numbers)."""
    for name in features:
        if name not in frame.columns:
            raise DataError(f"{where} lacks column '{name}' that the model takes", "give every table the same columns")
        if not _is_numeric(frame[name]):
            raise DataError(f"{where}: column '{name}' holds text, but the model takes numbers there",
                            "give this column numbers, as in training, or choose other columns with --features")
    x = frame[features].to_numpy(dtype=np.float32, na_value=np.nan)
    empty = ~np.isfinite(x)
    if empty.any():
        col = features[int(np.argmax(empty.any(axis=0)))]
        raise DataError(f"{where}: column '{col}' has {int(empty.sum())} empty or infinite cells",
                        "fill them the way you did before training, then run the doctor again")
    if fed_by == "names":
        return {name: x[:, [i]] for i, name in enumerate(features)}
    return x


def _sort_key(key: str):
    try:
        return (0, float(key), key)
    except ValueError:
        return (1, 0.0, key)


def class_order(model: UserModel, labels: np.ndarray, where: str) -> list[str]:
    """Class names in unit order: integers 0..k-1 are their own unit, anything else sorted."""
    classes = sorted(set(labels.tolist()), key=_sort_key)
    units = max(model.output_units, 2)
    if all(c.isdigit() for c in classes) and max(int(c) for c in classes) < units:
        return [str(u) for u in range(units)]
    if len(classes) > units:
        raise DataError(f"{where} has {len(classes)} classes but the model has {model.output_units} output unit(s)",
                        "pass the data this model was trained on, with the same --label")
    return classes


def to_units(labels: np.ndarray, classes: list[str], where: str) -> np.ndarray:
    unit = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(labels.tolist()) - set(unit), key=_sort_key)
    if unknown:
        raise DataError(f"{where} has label(s) {unknown[:5]} that the model has no output unit for (classes: {classes})",
                        "drop those rows, or pass the labels as they were spelled in training")
    return np.array([unit[v] for v in labels], dtype=np.int64)


FLAGS = {"train": "--data", "val": "--val", "test": "--test"}


def match_data(model: UserModel, paths: dict[str, Path | None], label: str | None, features: list[str] | None) -> DoctorData:
    """Every given table read, its columns matched to the model and its labels to output units.
    Classes come from the training rows where there are some (the model learnt those), else from test."""
    read = {name: read_split(path, label, FLAGS[name], model) for name, path in paths.items() if path is not None}
    first = read["train"] if "train" in read else read["test"]
    kinds = {name: isinstance(x, np.ndarray) for name, (x, _, _) in read.items()}
    if len(set(kinds.values())) > 1:
        images, tables = ([FLAGS[n] for n, image in kinds.items() if image == want] for want in (True, False))
        raise DataError(f"the data mix images ({', '.join(images)}) and tables ({', '.join(tables)})",
                        "pass the same kind of data for every split, the kind the model was trained on")
    if kinds["test"]:
        return _match_images(model, read, paths)
    classes = class_order(model, first[1], FLAGS["train" if "train" in read else "test"])
    chosen, fed_by = choose_features(model, first[0], features)
    splits = {}
    for name, (frame, labels, _) in read.items():
        where = f"{FLAGS[name]} {paths[name]}"
        splits[name] = Split(name, feature_matrix(frame, chosen, fed_by, where), to_units(labels, classes, where), frame)
    ignored = [str(c) for c in first[0].columns if str(c) not in chosen]
    return DoctorData(splits, classes, chosen, fed_by, ignored)


def _match_images(model: UserModel, read: dict, paths: dict) -> DoctorData:
    """Image splits shaped as the model's input; class folders mapped to units as Keras numbers them,
    NPZ labels like a table's."""
    from orchestrator.checkup.images import folder_classes, fit_to_model

    first = "train" if "train" in read else "test"
    where = f"{FLAGS[first]} {paths[first]}"
    folders = Path(paths[first]).is_dir()
    classes = folder_classes(read[first][1], model, where) if folders else class_order(model, read[first][1], FLAGS[first])
    splits = {}
    for name, (x, labels, _) in read.items():
        where = f"{FLAGS[name]} {paths[name]}"
        splits[name] = Split(name, fit_to_model(x, model, where), to_units(labels, classes, where), None)
    shapes = {name: tuple(split.x.shape[1:]) for name, split in splits.items()}
    if len(set(shapes.values())) > 1:  # a model of any size: the comparisons need one size
        raise DataError(f"the images differ in size between splits ({', '.join(f'{FLAGS[n]} {s}' for n, s in shapes.items())})",
                        "give every split's images the same height, width and channels")
    return DoctorData(splits, classes, [], "image", notes=[note for _, _, note in read.values() if note])
