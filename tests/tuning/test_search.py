"""The Tune search space and the per-variant ASHA scheduler, exercised without a cluster."""

from __future__ import annotations

from types import SimpleNamespace

from ray.tune.schedulers import TrialScheduler
from ray.tune.search.variant_generator import generate_variants

from orchestrator.config import ExperimentConfig, build_config
from orchestrator.config.schema import HIDDEN_LADDER
from orchestrator.tuning import schedulers, search


def trials_of(config: ExperimentConfig, samples: int = 3) -> list[dict]:
    """Every trial's config, as Tune's grid resolves them: each (variant, sample) once."""
    space = search.param_space(config.model_copy(update={"search": config.search.model_copy(update={"samples": samples})}))
    trials = [resolved for _, resolved in generate_variants(space)]
    assert len(trials) == samples * len(config.variants)
    return trials


def test_each_variant_draws_from_its_own_domain():
    configs = trials_of(ExperimentConfig())
    assert {c["variant"] for c in configs} == {"baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout"}
    for c in configs:
        assert 5e-4 <= c["learning_rate"] <= 5e-3
        assert c["hidden"] in [list(rung) for rung in HIDDEN_LADDER]  # the capacity ladder, from no hidden layer up
        if c["variant"] in ("l2", "l2_dropout"):
            assert 1e-4 <= c["l2"] <= 3e-2
        else:
            assert c["l2"] == 0.0
        if c["variant"] in ("dropout", "dropout_early_stopping", "l2_dropout"):
            assert 0.2 <= c["dropout"] <= 0.6
        else:
            assert c["dropout"] == 0.0
        assert (c["patience"] > 0) == ("early_stopping" in c["variant"])


def test_same_seed_same_trials_other_seed_other_trials():
    a = trials_of(build_config({"seed": 1}))
    b = trials_of(build_config({"seed": 1}))
    c = trials_of(build_config({"seed": 2}))
    assert a == b
    assert [t["learning_rate"] for t in a] != [t["learning_rate"] for t in c]


def test_search_disabled_gives_the_fixed_values():
    cfg = build_config({"search": {"enabled": False}, "hparams": {"learning_rate": 0.002}})
    for c in trials_of(cfg, 1):
        assert c["learning_rate"] == 0.002 and c["hidden"] == [128, 64]


def _trial(tid: str, variant: str):
    return SimpleNamespace(trial_id=tid, config={"variant": variant})


def test_asha_compares_trials_only_within_their_variant():
    scheduler = schedulers.scheduler(build_config({"scheduler": {"grace_period": 2, "reduction_factor": 2}}))
    scheduler.set_search_properties("val_loss", "min")
    good, bad_same, bad_other = _trial("1", "l2"), _trial("2", "l2"), _trial("3", "baseline")
    for t in (good, bad_same, bad_other):
        scheduler.on_trial_add(None, t)
    assert scheduler.on_trial_result(None, good, {"epoch": 2, "val_loss": 0.3}) == TrialScheduler.CONTINUE
    # Worse than a trial of its own variant at the rung: stopped.
    assert scheduler.on_trial_result(None, bad_same, {"epoch": 2, "val_loss": 0.9}) == TrialScheduler.STOP
    # Just as bad, but the first of its variant: it goes on (a single ASHA would have stopped it).
    assert scheduler.on_trial_result(None, bad_other, {"epoch": 2, "val_loss": 0.9}) == TrialScheduler.CONTINUE


def test_scheduler_none_is_fifo():
    scheduler = schedulers.scheduler(build_config({"scheduler": {"type": "none"}}))
    assert type(scheduler).__name__ == "FIFOScheduler"


def test_trials_checkpoint_at_every_epoch_where_asha_can_stop_them():
    """The rung epochs a trial checkpoints at are Ray's own ASHA milestones, for every variant's max_t."""
    import math

    from ray.tune.schedulers import ASHAScheduler

    config = build_config({"scheduler": {"grace_period": 2, "reduction_factor": 3},
                           "training": {"epochs": 30}, "variants": [{"kind": "baseline"}, {"kind": "l2", "epochs": 7}]})
    milestones = set()
    for max_t in (30, 7):
        asha = ASHAScheduler(time_attr="epoch", metric="m", mode="min", max_t=max_t, grace_period=2, reduction_factor=3)
        milestones |= {math.ceil(m) for m, _ in asha._brackets[0]._rungs}
    assert schedulers.rung_epochs(config) == tuple(sorted(milestones)) == (2, 6, 18)
    assert schedulers.rung_epochs(build_config({"scheduler": {"type": "none"}})) == ()
