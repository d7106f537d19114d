"""A resumed experiment's trials train with the values they were drawn, on a real local Ray: Tune
resolves a `sample_from` again for every trial of a restored experiment (in its saved order), so a
draw that depended on the order handed an errored or interrupted trial another learning rate,
seed and network on resume than it had started with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.config import build_config
from orchestrator.tuning import search

pytestmark = pytest.mark.ray

KEPT = ("variant", "learning_rate", "seed", "hidden", "l2", "dropout")


def _records(config: dict) -> None:
    """Write down what the trial was given; the l2 trials fail in the first run."""
    from ray import tune

    folder = Path(config["marker"])
    phase = (folder / "phase").read_text()
    (folder / f"{tune.get_context().get_trial_id()}.{phase}.json").write_text(json.dumps({k: config[k] for k in KEPT}))
    if phase == "first" and config["variant"] == "l2":
        raise RuntimeError("a planned failure")
    tune.report({"val_loss": 1.0})


def _seen(folder: Path, phase: str) -> dict[str, dict]:
    return {p.name.split(".")[0]: json.loads(p.read_text()) for p in folder.glob(f"*.{phase}.json")}


def test_a_restored_trial_gets_the_values_it_was_first_drawn(ray_local, tmp_path):
    from ray import tune

    config = build_config({"seed": 3, "search": {"samples": 2},
                           "variants": [{"kind": "baseline"}, {"kind": "l2"}, {"kind": "dropout"}]})
    space = {**search.param_space(config), "marker": str(tmp_path)}
    (tmp_path / "phase").write_text("first")
    tune.Tuner(_records, param_space=space, tune_config=tune.TuneConfig(max_concurrent_trials=2),
               run_config=tune.RunConfig(name="x", storage_path=str(tmp_path / "store"), verbose=0)).fit()
    first = _seen(tmp_path, "first")
    assert sorted(t["variant"] for t in first.values()) == ["baseline"] * 2 + ["dropout"] * 2 + ["l2"] * 2
    assert len({t["seed"] for t in first.values()}) == 6  # each (variant, sample) its own draw

    (tmp_path / "phase").write_text("again")
    tune.Tuner.restore(str(tmp_path / "store" / "x"), trainable=_records, param_space=space, resume_errored=True).fit()
    again = _seen(tmp_path, "again")
    assert sorted(t["variant"] for t in again.values()) == ["l2", "l2"]  # only the errored trials ran again
    assert {tid: first[tid] for tid in again} == again
