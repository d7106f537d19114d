"""`gg-train evaluate` maps new labels onto the classes the model learned, whatever their spelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestrator.data.labels import label_key
from orchestrator.errors import DataError
from orchestrator.results.new_data import _encode, _read_new


def test_labels_written_as_floats_find_the_classes_learned_as_ints():
    assert _encode(np.array([1.0, 0.0, 1.0]), ["0", "1"]).tolist() == [1, 0, 1]
    assert _encode(np.array(["1", "0"]), ["0.0", "1.0"]).tolist() == [1, 0]  # and the other way round


def test_text_labels_and_unknown_classes():
    assert _encode(np.array(["benign", "malignant"]), ["benign", "malignant"]).tolist() == [0, 1]
    with pytest.raises(DataError, match="never seen in training"):
        _encode(np.array([2.0, 1.0]), ["0", "1"])
    with pytest.raises(DataError, match=r"\['1.5'\]"):
        _encode(np.array([1.5]), ["0", "1"])


def test_label_key():
    assert {label_key(v) for v in (1, 1.0, "1", "1.0", np.int64(1), np.float32(1.0))} == {"1"}
    assert label_key("yes") == "yes" and label_key(0.25) == "0.25" and label_key("nan") == "nan"


@pytest.fixture
def plain_table_experiment(tmp_path):
    """An experiment folder as far as reading new data needs it: trained on a table of complete
    numbers (no encoder: the model takes the float matrix of columns a, b)."""
    from orchestrator.config import build_config, to_yaml

    config = build_config({"data": {"source": "csv", "path": str(tmp_path / "train.csv"), "label": "y"}})
    (tmp_path / "experiment.yaml").write_text(to_yaml(config), encoding="utf-8")
    return tmp_path, {"feature_names": ["a", "b"], "encoding": None, "kind": "table"}


def test_new_rows_for_a_plain_model_ignore_extra_columns_text_or_not(plain_table_experiment, tmp_path):
    folder, described = plain_table_experiment
    new = tmp_path / "new.csv"
    pd.DataFrame({"note": ["x", "", "z"], "b": [2.0, 4.0, 6.0], "a": [1.0, 3.0, 5.0], "extra": [9, 9, 9],
                  "y": [0, 1, 0]}).to_csv(new, index=False)
    inputs, x, y = _read_new(folder, new, "y", described)
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] and x.dtype == np.float32 and inputs is x
    assert y.tolist() == [0, 1, 0]


def test_an_empty_cell_for_a_plain_model_is_one_line_naming_column_and_row(plain_table_experiment, tmp_path):
    folder, described = plain_table_experiment
    new = tmp_path / "new.csv"
    pd.DataFrame({"a": [1.0, 3.0, None, None], "b": [2.0, 4.0, 6.0, 8.0], "y": [0, 1, 0, 1]}).to_csv(new, index=False)
    with pytest.raises(DataError, match=r"column 'a' is empty in data row 3 \(2 cell\(s\) of that column") as err:
        _read_new(folder, new, "y", described)
    assert "\n" not in err.value.one_line() and "fill" in err.value.one_line()


def test_text_in_a_column_of_a_plain_model_is_one_line(plain_table_experiment, tmp_path):
    folder, described = plain_table_experiment
    new = tmp_path / "new.csv"
    pd.DataFrame({"a": [1.0, 3.0], "b": ["2", "four"], "y": [0, 1]}).to_csv(new, index=False)
    with pytest.raises(DataError, match=r"column 'b' holds 'four' in data row 2"):
        _read_new(folder, new, "y", described)
    pd.DataFrame({"a": [1.0, 3.0], "y": [0, 1]}).to_csv(new, index=False)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['b'\]"):
        _read_new(folder, new, "y", described)


def test_new_rows_of_a_numeric_table_may_keep_the_row_index_training_dropped(tmp_path):
    """A plain numeric table trained without its 'Unnamed: 0' column (data.row_index): new rows
    written the same way carry it, and are read by the trained columns' names."""
    import pandas as pd

    from orchestrator.results.new_data import _read_new

    (tmp_path / "experiment.yaml").write_text("name: t\ndata: {source: csv, path: train.csv, label: label}\n", encoding="utf-8")
    pd.DataFrame({"b": [3.0, 4.0], "a": [1.0, 2.0], "label": [0, 1]}).to_csv(tmp_path / "new.csv")  # index written
    x, _, y = _read_new(tmp_path, tmp_path / "new.csv", None, {"feature_names": ["a", "b"], "kind": "table"})
    assert x.tolist() == [[1.0, 3.0], [2.0, 4.0]] and y.tolist() == [0, 1]


def test_the_evaluate_summary_names_whose_precision_it_is_and_the_exported_threshold():
    from orchestrator.results.metrics import classification_metrics
    from orchestrator.results.new_data import summary_lines

    y = np.array([0] * 10 + [1] * 90)  # class 0 is 'fraud', the training minority
    metrics = classification_metrics(y, np.tile([0.1, 0.9], (100, 1)), 2, train_counts=[60, 540])
    result = {"n": 100, "path": "e.json", "checks": [], "class_names": ["fraud", "legit"], "metrics": metrics,
              "at_threshold": {"class": 0, "value": 0.08, "exported": "tuned", "f1": 0.5, "precision": 0.4, "recall": 0.7}}
    first, tuned = summary_lines("x", "new.csv", result)[:2]
    assert "precision of 'fraud' 0.000" in first and "F1 0.000" in first
    assert "(0.080 for 'fraud', tuned on validation): F1 0.500" in tuned
    result["at_threshold"].update(value=0.5, exported="0.5")  # 0.5 exported: the first line already is at it
    assert not any("threshold" in line for line in summary_lines("x", "new.csv", result))
