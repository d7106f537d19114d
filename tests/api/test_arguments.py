"""The launch arguments the CLI and `orchestrator.launch` share, turned into one config."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.api.arguments import data_overrides, experiment_config, flag_overrides, model_override, user_overrides
from orchestrator.config import ExperimentConfig
from orchestrator.errors import ConfigError, DataError


def test_a_config_dict_with_overrides_is_validated_and_left_as_given():
    given = {"name": "mine", "training": {"epochs": 4}, "search": {"samples": 2}}
    config = experiment_config(given, user_overrides({"training.epochs": 9}) + flag_overrides(samples=1, seed=None))
    assert (config.name, config.training.epochs, config.search.samples) == ("mine", 9, 1)
    assert given == {"name": "mine", "training": {"epochs": 4}, "search": {"samples": 2}}


def test_an_experiment_config_takes_overrides_too():
    config = experiment_config(ExperimentConfig(name="base"), user_overrides(["training.epochs=7", "seed=3"]))
    assert (config.name, config.training.epochs, config.seed) == ("base", 7, 3)


def test_a_yaml_path_as_text_reads_like_the_cli_config_flag(tmp_path):
    (tmp_path / "c.yaml").write_text("name: fromfile\ntraining: {epochs: 4}\n", encoding="utf-8")
    assert experiment_config(str(tmp_path / "c.yaml"), []).training.epochs == 4


@pytest.mark.parametrize("config, overrides, word", [
    ({"training": {"epochs": "many"}}, None, "training.epochs"),
    ({"trainign": {}}, None, "unknown key"),
    (None, "training.epochs=3", "not a list"),
    (None, {"training.epochs": -1}, "training.epochs"),
    (42, None, "not int"),
])
def test_bad_config_is_one_config_error(config, overrides, word):
    with pytest.raises(ConfigError) as err:
        experiment_config(config, user_overrides(overrides))
    assert word in err.value.one_line() and "\n" not in err.value.one_line()


def test_data_model_and_flags_become_their_keys(tmp_path):
    (tmp_path / "pics").mkdir()
    sets = (data_overrides(str(tmp_path / "t.CSV"), "0", tmp_path / "test.csv") + model_override(tmp_path / "m.keras")
            + flag_overrides(runs_dir=tmp_path / "r", gpus=0))
    config = experiment_config(None, sets)
    assert (config.data.source, config.data.label, config.data.test_path) == ("csv", "0", tmp_path / "test.csv")
    assert config.model.file == tmp_path / "m.keras" and config.output.runs_dir == tmp_path / "r" and config.resources.gpus == 0
    assert experiment_config(None, data_overrides(tmp_path / "pics", None)).data.source == "images"
    assert model_override("pkg.models:build") == [(["model", "builder"], "pkg.models:build")]


def test_unknown_data_suffix_is_a_data_error():
    with pytest.raises(DataError, match="cannot tell the format of 'notes.txt'"):
        data_overrides(Path("notes.txt"), "y")
