"""The experiment config: loading, defaults, validation with dotted paths, overrides, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.config import (
    ExperimentConfig,
    LogUniform,
    Uniform,
    VariantConfig,
    apply_override,
    build_config,
    load_config,
    parse_override,
    read_yaml,
    to_yaml,
)
from orchestrator.errors import ConfigError
from orchestrator.models.variants import resolve_params

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    line = err.value.one_line()
    assert "\n" not in line and "\r" not in line
    assert line.startswith("config error: ")
    return line


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- shipped configs and defaults ------------------------------------------------------------


def test_quickstart_config_loads_with_its_values():
    config = load_config(CONFIGS / "quickstart.yaml")
    assert config.name == "quickstart"
    assert config.seed == 7
    assert config.training.epochs == 30
    assert config.hparams.patience == 5
    assert [v.kind for v in config.variants] == [
        "baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout",
    ]
    assert config.search.enabled and config.search.samples == 2
    assert config.scheduler.type == "asha"


def test_seed_config_loads_with_fixed_recipe():
    config = load_config(CONFIGS / "seed.yaml")
    assert config.name == "seed"
    assert config.search.enabled is False
    assert config.scheduler.type == "none"
    baseline, l2, des = config.variants
    assert (baseline.kind, baseline.epochs, baseline.params.hidden) == ("baseline", 100, [128, 64])
    assert (l2.kind, l2.epochs, l2.params.hidden, l2.params.l2) == ("l2", 50, [64, 32], 0.01)
    assert des.kind == "dropout_early_stopping"
    assert des.params.dropout == [0.5, 0.3] and des.params.patience == 10


def test_defaults_without_a_file():
    config = load_config(None)
    assert config == ExperimentConfig()
    assert config.name == "experiment" and config.seed == 0
    assert config.data.source == "synthetic"
    assert (config.data.split.train, config.data.split.val, config.data.split.test) == (0.6, 0.2, 0.2)
    assert config.training.epochs == 30 and config.training.optimizer == "adam"
    assert config.hparams.hidden == [128, 64]
    assert config.hparams.dropout == [0.5, 0.3]
    assert config.hparams.learning_rate == pytest.approx(1e-3)
    assert len(config.variants) == 6
    assert config.search.resolved_mode == "min"
    assert config.output.runs_dir == Path("runs")


def test_empty_file_gives_defaults(tmp_path):
    assert load_config(write(tmp_path, "")) == ExperimentConfig()


def test_class_weighting_off_as_the_readme_writes_it(tmp_path):
    """YAML reads a bare `off` as false; the README's `search.class_weighting: off` must still mean off."""
    assert load_config(write(tmp_path, "search: {class_weighting: off}")).search.class_weighting == "off"
    assert load_config(None, [parse_override("search.class_weighting=off")]).search.class_weighting == "off"
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, "search: {class_weighting: on}"))


def test_variant_label_defaults_to_kind_and_names_must_be_unique():
    assert VariantConfig(kind="l2").label == "l2"
    assert VariantConfig(kind="l2", name="l2-strong").label == "l2-strong"
    with pytest.raises(ConfigError, match=r"variant names must be unique.*'l2'") as err:
        build_config({"variants": [{"kind": "l2"}, {"kind": "l2"}]})
    assert_one_line(err)


# ---- unknown keys ----------------------------------------------------------------------------


def test_unknown_key_in_section_names_its_path(tmp_path):
    path = write(tmp_path, "training:\n  epoch: 5\n")
    with pytest.raises(ConfigError, match=r"^training\.epoch: unknown key") as err:
        load_config(path)
    assert str(path) in assert_one_line(err)


def test_unknown_key_in_variant_names_its_index():
    with pytest.raises(ConfigError, match=r"^variants\.0\.parms: unknown key") as err:
        build_config({"variants": [{"kind": "l2", "parms": {"l2": 0.1}}]})
    assert_one_line(err)


def test_unknown_top_level_key():
    with pytest.raises(ConfigError, match=r"^hparam: unknown key") as err:
        build_config({"hparam": {"l2": 0.1}})
    assert_one_line(err)


def test_unknown_variant_kind_is_rejected():
    with pytest.raises(ConfigError, match=r"^variants\.0\.kind: ") as err:
        build_config({"variants": [{"kind": "l1"}]})
    assert_one_line(err)


# ---- out-of-range values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, path",
    [
        ({"hparams": {"dropout": 1.5}}, r"hparams\.dropout"),
        ({"hparams": {"dropout": [0.5, 1.5]}}, r"hparams\.dropout"),
        ({"variants": [{"kind": "dropout", "params": {"dropout": 1.5}}]}, r"variants\.0\.params\.dropout"),
        (
            {"variants": [{"kind": "l2"}, {"kind": "dropout", "params": {"dropout": {"uniform": [0.1, 1.5]}}}]},
            r"variants\.1\.params\.dropout",
        ),
        ({"hparams": {"dropout": {"uniform": [0.1, 1.5]}}}, r"hparams\.dropout"),
    ],
)
def test_dropout_out_of_range_names_path(raw, path):
    with pytest.raises(ConfigError, match=rf"^{path}: dropout must be a rate in \[0, 1\).*1\.5") as err:
        build_config(raw)
    assert_one_line(err)


def test_negative_epochs_rejected():
    with pytest.raises(ConfigError, match=r"^training\.epochs: .*greater than or equal to 1") as err:
        build_config({"training": {"epochs": -3}})
    assert_one_line(err)


def test_variant_zero_epochs_rejected():
    with pytest.raises(ConfigError, match=r"^variants\.0\.epochs: ") as err:
        build_config({"variants": [{"kind": "baseline", "epochs": 0}]})
    assert_one_line(err)


def test_zero_learning_rate_rejected():
    with pytest.raises(ConfigError, match=r"^hparams\.learning_rate: learning_rate must be a number > 0, got 0") as err:
        build_config({"hparams": {"learning_rate": 0}})
    assert_one_line(err)


def test_inverted_search_range_rejected():
    with pytest.raises(ConfigError, match=r"^variants\.0\.params\.l2: l2 range must have low < high") as err:
        build_config({"variants": [{"kind": "l2", "params": {"l2": {"loguniform": [0.1, 0.001]}}}]})
    assert_one_line(err)


def test_split_fractions_must_sum_to_one():
    with pytest.raises(ConfigError, match=r"^data\.split: train \+ val \+ test must be 1, got 0\.9") as err:
        build_config({"data": {"split": {"train": 0.5, "val": 0.2, "test": 0.2}}})
    assert_one_line(err)


def test_csv_source_needs_path_and_label():
    with pytest.raises(ConfigError, match=r"^data: source 'csv' needs data\.path"):
        build_config({"data": {"source": "csv"}})
    with pytest.raises(ConfigError, match=r"^data: a CSV source needs data\.label"):
        build_config({"data": {"source": "csv", "path": "x.csv"}})


def test_several_errors_are_counted_on_one_line():
    with pytest.raises(ConfigError, match=r"\(\+1 more\)") as err:
        build_config({"training": {"epoch": 5}, "seed": -1})
    assert_one_line(err)


# ---- reading files ---------------------------------------------------------------------------


def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"config file .*nope\.yaml.* not found") as err:
        load_config(missing)
    assert_one_line(err)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "name: x\ntraining:\n  epochs: 30: 4\n")
    with pytest.raises(ConfigError, match=r"is not valid YAML at line 3, column \d+") as err:
        load_config(path)
    assert_one_line(err)


def test_yaml_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match=r"must hold a mapping") as err:
        read_yaml(write(tmp_path, "- a\n- b\n"))
    assert_one_line(err)


# ---- --set overrides -------------------------------------------------------------------------


def test_parse_override_keeps_yaml_types():
    assert parse_override("training.epochs=30") == (["training", "epochs"], 30)
    keys, value = parse_override("training.epochs=30")
    assert type(value) is int
    assert parse_override("hparams.hidden=[256, 128]") == (["hparams", "hidden"], [256, 128])
    assert parse_override("search.enabled=false") == (["search", "enabled"], False)
    assert parse_override("name=run-1") == (["name"], "run-1")
    assert parse_override(" training.epochs = 7") == (["training", "epochs"], 7)


@pytest.mark.parametrize("text", ["novalue", "=3", "training..epochs=3", "training.=3", ".epochs=3"])
def test_parse_override_rejects_malformed(text):
    with pytest.raises(ConfigError, match=r"is not KEY=VALUE") as err:
        parse_override(text)
    assert_one_line(err)


def test_set_epochs_on_file_keeps_int(tmp_path):
    config = load_config(CONFIGS / "quickstart.yaml", [parse_override("training.epochs=12")])
    assert config.training.epochs == 12
    assert type(config.training.epochs) is int
    # the rest of the file is untouched
    assert config.name == "quickstart" and config.hparams.patience == 5


def test_set_creates_missing_sections():
    config = load_config(None, [parse_override("hparams.patience=3"), parse_override("search.samples=4")])
    assert config.hparams.patience == 3 and type(config.hparams.patience) is int
    assert config.search.samples == 4


def test_later_override_wins():
    config = load_config(None, [parse_override("seed=1"), parse_override("seed=2")])
    assert config.seed == 2


def test_set_list_index():
    config = load_config(CONFIGS / "quickstart.yaml", [parse_override("variants.1.epochs=3")])
    assert config.variants[1].kind == "l2"
    assert config.variants[1].epochs == 3
    assert config.variants[0].epochs is None


def test_set_list_item_params():
    config = load_config(CONFIGS / "seed.yaml", [parse_override("variants.1.params.l2=0.05")])
    assert config.variants[1].params.l2 == pytest.approx(0.05)
    assert config.variants[1].params.hidden == [64, 32]


@pytest.mark.parametrize("key", ["variants.9.epochs", "variants.x.epochs"])
def test_set_bad_list_index(key):
    raw = read_yaml(CONFIGS / "quickstart.yaml")
    with pytest.raises(ConfigError, match=r"no list item") as err:
        apply_override(raw, key.split("."), 3)
    assert "6 items" in assert_one_line(err)


def test_set_through_a_value_is_not_a_section():
    raw = read_yaml(CONFIGS / "quickstart.yaml")
    with pytest.raises(ConfigError, match=r"training\.epochs is not a section") as err:
        apply_override(raw, ["training", "epochs", "max"], 3)
    assert_one_line(err)


def test_set_unknown_key_is_rejected_on_validation():
    with pytest.raises(ConfigError, match=r"^training\.epoch: unknown key") as err:
        load_config(CONFIGS / "quickstart.yaml", [parse_override("training.epoch=5")])
    assert_one_line(err)


def test_set_out_of_range_names_path():
    with pytest.raises(ConfigError, match=r"^variants\.2\.params\.dropout: ") as err:
        load_config(CONFIGS / "quickstart.yaml", [parse_override("variants.2.params.dropout=1.5")])
    assert_one_line(err)


# ---- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["quickstart.yaml", "seed.yaml", None])
def test_to_yaml_round_trip(tmp_path, source):
    config = load_config(CONFIGS / source if source else None)
    path = write(tmp_path, to_yaml(config), "resolved.yaml")
    again = load_config(path)
    assert again == config
    assert to_yaml(again) == to_yaml(config)


def test_to_yaml_round_trip_keeps_domains(tmp_path):
    config = build_config({
        "variants": [
            {"kind": "l2", "name": "l2-wide", "params": {"l2": {"loguniform": [1e-5, 1e-1]}}},
            {"kind": "dropout", "params": {"dropout": {"uniform": [0.1, 0.4]}, "hidden": {"choice": [[32], [64, 32]]}}},
        ],
    })
    text = to_yaml(config)
    again = load_config(write(tmp_path, text))
    assert again == config
    assert isinstance(again.variants[0].params.l2, LogUniform)
    assert isinstance(again.variants[1].params.dropout, Uniform)
    assert yaml.safe_load(text)["variants"][0]["name"] == "l2-wide"


# ---- a variant given a hyperparameter it does not use ----------------------------------------


def test_unused_hyperparameter_raises_on_resolve():
    config = build_config({"variants": [{"kind": "dropout", "params": {"l2": 0.01}}]})
    with pytest.raises(ConfigError, match=r"variant 'dropout' \(dropout\) does not use 'l2'") as err:
        resolve_params(config.variants[0], config)
    line = assert_one_line(err)
    # the hint names the kinds that do use it
    assert "l2_dropout" in line and "remove params.l2" in line


def test_unused_patience_raises_for_named_variant():
    config = build_config({"variants": [{"kind": "l2", "name": "wd", "params": {"patience": 3}}]})
    with pytest.raises(ConfigError, match=r"variant 'wd' \(l2\) does not use 'patience'") as err:
        resolve_params(config.variants[0], config)
    assert "early_stopping" in assert_one_line(err)


@pytest.mark.parametrize("where", ["s3://team-bucket/runs", "gs://team-bucket/runs", "/mnt/shared/runs"])
def test_shared_storage_takes_a_bucket_uri_or_an_absolute_folder(where):
    assert build_config({"output": {"storage": where}}).output.storage == where


@pytest.mark.parametrize("where,why", [("runs/shared", "absolute folder that every node mounts"),
                                       ("ftp://host/runs", "must be s3://BUCKET/PATH, gs://BUCKET/PATH"),
                                       ("s3://", "must be s3://BUCKET/PATH")])
def test_storage_that_no_node_could_share_is_refused_with_the_forms_it_takes(where, why):
    with pytest.raises(ConfigError, match=rf"^output: .*{why}") as err:
        build_config({"output": {"storage": where}})
    assert_one_line(err)


def test_the_capacity_ladder_starts_at_no_hidden_layer_and_refuses_a_bad_rung():
    assert build_config({}).search.hidden_ladder[0] == []  # the linear rung: a logistic regression by the same loop
    assert build_config({"hparams": {"hidden": []}, "search": {"enabled": False}}).hparams.hidden == []
    with pytest.raises(ConfigError, match=r"^search\.hidden_ladder: each rung must be a list of positive layer widths.*got \[0\]"):
        build_config({"search": {"hidden_ladder": [[16], [0]]}})
