"""`search.algorithm: tpe`: each variant gets exactly its samples from its own study, draws stay in
the variant's domains, what a study learns comes from its own trials, and a saved searcher
continues where it stood."""

from __future__ import annotations

from ray.tune.search import Searcher

from orchestrator.config import build_config
from orchestrator.tuning.search import variant_domains
from orchestrator.tuning.tpe import PerVariantTPE


def config(samples=6):
    return build_config({"seed": 3, "search": {"samples": samples, "algorithm": "tpe"},
                         "variants": [{"kind": "baseline"}, {"kind": "dropout", "params": {"hidden": {"choice": [[32], [64, 32]]}}}]})


def within(value, domain):
    if hasattr(domain, "loguniform"):
        return domain.loguniform[0] <= value <= domain.loguniform[1]
    if hasattr(domain, "uniform"):
        return domain.uniform[0] <= value <= domain.uniform[1]
    return value in domain.choice


def test_every_variant_gets_its_samples_in_turn_and_draws_from_its_own_domains():
    cfg = config()
    searcher = PerVariantTPE(cfg, "val_loss", "min")
    drawn = [searcher.suggest(f"t{i}") for i in range(12)]
    assert searcher.suggest("t12") is Searcher.FINISHED
    assert [d["variant"] for d in drawn] == ["baseline", "dropout"] * 6
    domains = variant_domains(cfg)
    for d in drawn:
        assert d["kind"] == d["variant"] and d["epochs"] == cfg.training.epochs
        for name, domain in domains[d["variant"]].items():
            assert within(d[name], domain), (name, d[name], domain)
    assert "dropout" not in domains["baseline"] and all(d["dropout"] == 0.0 for d in drawn if d["variant"] == "baseline")
    assert {tuple(d["hidden"]) for d in drawn if d["variant"] == "dropout"} <= {(32,), (64, 32)}


def test_results_reach_only_their_variants_study_and_a_saved_searcher_continues(tmp_path):
    cfg = config(samples=8)
    searcher = PerVariantTPE(cfg, "val_loss", "min")
    for i in range(8):
        trial = f"t{i}"
        suggested = searcher.suggest(trial)
        searcher.on_trial_complete(trial, {"val_loss": suggested["learning_rate"], "epoch": 1, "final": True})
    told = {label: len(study._ot_study.trials) for label, study in searcher.studies.items()}
    assert told == {"baseline": 4, "dropout": 4}
    searcher.save(str(tmp_path / "searcher.pkl"))
    restored = PerVariantTPE(cfg, "val_loss", "min")
    restored.restore(str(tmp_path / "searcher.pkl"))
    assert [restored.suggest(f"u{i}") for i in range(8)] == [searcher.suggest(f"u{i}") for i in range(8)]


def test_a_trial_asha_stopped_is_pruned_in_its_study_not_ranked_with_finished_ones():
    from optuna.trial import TrialState

    searcher = PerVariantTPE(config(samples=2), "val_loss", "min")
    for i, final in enumerate([True, True, False, True]):
        searcher.suggest(f"t{i}")
        searcher.on_trial_complete(f"t{i}", {"val_loss": 0.5, "epoch": 5, "final": final})
    states = [t.state for study in searcher.studies.values() for t in study._ot_study.trials]
    assert states.count(TrialState.PRUNED) == 1 and states.count(TrialState.COMPLETE) == 3
