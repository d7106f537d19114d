"""The model's source file and its sha256, as launch records it and resume compares it: a builder
file, a builder module's source, a saved .keras file; gg-train's own families record nothing."""

from __future__ import annotations

import pytest

from orchestrator.config import ModelConfig
from orchestrator.errors import ExperimentError
from orchestrator.models.fingerprint import check_unchanged, record, source_file


def test_a_builder_file_edited_after_the_record_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "models.py"
    path.write_text("def build(spec):\n    return None\n")
    model = ModelConfig(builder=f"{path}:build")
    recorded = record(model)
    assert recorded["path"] == str(path) and len(recorded["sha256"]) == 64
    check_unchanged(model, recorded, "exp")
    path.write_text("def build(spec):\n    return 1\n")
    with pytest.raises(ExperimentError, match=f"the model file {path} changed since 'exp' was launched") as err:
        check_unchanged(model, recorded, "exp")
    assert "restore the file as it was at the launch, or launch a new experiment" in err.value.one_line()


def test_a_builder_module_is_hashed_by_its_source_file(tmp_path, monkeypatch):
    package = tmp_path / "gg_fp_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "nets.py").write_text("def build(spec):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = ModelConfig(builder="gg_fp_pkg.nets:build")
    assert source_file(model) == package / "nets.py"
    recorded = record(model)
    (package / "nets.py").write_text("def build(spec):\n    return 2\n")
    with pytest.raises(ExperimentError, match=r"gg_fp_pkg/nets.py changed since"):
        check_unchanged(model, recorded, "exp")


def test_a_saved_model_replaced_or_gone_is_refused(tmp_path):
    path = tmp_path / "mine.keras"
    path.write_bytes(b"PK\x03\x04 one architecture")
    model = ModelConfig(file=path)
    recorded = record(model)
    path.write_bytes(b"PK\x03\x04 another architecture")
    with pytest.raises(ExperimentError, match="mine.keras changed since"):
        check_unchanged(model, recorded, "exp")
    path.unlink()
    with pytest.raises(ExperimentError, match="cannot be found from here") as err:
        check_unchanged(model, recorded, "exp")
    assert "launch a new experiment" in err.value.one_line()


def test_gg_trains_own_families_and_older_manifests_have_nothing_to_compare(tmp_path):
    assert record(ModelConfig()) is None
    check_unchanged(ModelConfig(builder=f"{tmp_path / 'gone.py'}:build"), None, "exp")  # launched before the record
