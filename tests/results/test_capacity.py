"""The capacity sentence compares like with like: the winner's recipe across the sizes of the
ladder, finished trials only (defect 8.5 of issue 26)."""

from __future__ import annotations

from orchestrator.results.capacity import capacity


def trial(tid: str, variant: str, status: str, val: float, hidden: list[int]) -> dict:
    return {"trial_id": tid, "variant": variant, "status": status, "val_accuracy": val, "hparams": {"hidden": hidden}}


def report(trials: list[dict], winner: str = "w") -> dict:
    best = next(t for t in trials if t["trial_id"] == winner)
    return {"data": {"n_val": 400, "class_counts": {"train": [500, 500]}},
            "best": {"variant": best["variant"], "trial_id": winner, "hparams": best["hparams"], "val": {"n": 400}},
            "all_trials": trials}


def test_another_recipe_or_a_trial_asha_cut_is_no_evidence_about_size():
    """Before the fix a smaller size's best over every variant, ASHA-cut trials included (0.86 by a
    trial cut at a rung, 0.85 by the baseline) was held against the winner's one trial, and the
    sentence said 'a smaller network matches the winner, prefer it'; the winner's own recipe at
    128-64, run to its end, reaches 0.70."""
    trials = [trial("w", "l2_dropout", "completed", 0.84, [256, 128]),
              trial("b", "baseline", "completed", 0.85, [128, 64]),
              trial("cut", "l2_dropout", "stopped_by_asha", 0.86, [128, 64]),
              trial("same", "l2_dropout", "early_stopped", 0.70, [128, 64]),
              trial("err", "l2_dropout", "errored", 0.99, [16])]
    out = capacity(report(trials), [])
    assert "prefer" not in out["message"] and "beats the smaller networks its recipe finished with" in out["message"]
    assert [s["best"] for s in out["sizes"]] == [0.70, 0.84] and out["variant"] == "l2_dropout"


def test_the_linear_rung_of_the_same_recipe_within_noise_says_a_linear_model_does_as_well():
    trials = [trial("w", "l2", "completed", 0.84, [128, 64]), trial("lin", "l2", "completed", 0.83, []),
              trial("mid", "l2", "completed", 0.835, [16])]
    out = capacity(report(trials), [])
    assert out["sizes"][0] == {"hidden": [], "best": 0.83}
    assert "a linear model (no hidden layer) matches the winner's hidden 128-64" in out["message"]


def test_a_linear_winner_is_the_smallest_rung():
    trials = [trial("w", "l2", "completed", 0.84, []), trial("big", "l2", "completed", 0.80, [128, 64])]
    assert "the winner is the smallest network its recipe finished with (no hidden layer" in capacity(report(trials), [])["message"]


def test_one_size_in_the_winners_recipe_says_the_search_cannot_tell():
    trials = [trial("w", "l2", "completed", 0.84, [64, 32]), trial("b", "baseline", "completed", 0.90, [16])]
    out = capacity(report(trials), [])
    assert [s["hidden"] for s in out["sizes"]] == [[64, 32]]
    assert "finished at one size only (hidden 64-32)" in out["message"] and "search.samples" in out["message"]


def ladder(points: dict[tuple[int, ...], float], winner: tuple[int, ...]) -> dict:
    """report.json's `capacity_ladder`: the winner's recipe retrained at every rung, one seed, validation only."""
    return {"variant": "l2", "winner": {"hidden": list(winner)}, "n_val": 400, "failed": [],
            "points": [{"hidden": list(h), "trial": f"t{i}", "val_accuracy": v} for i, (h, v) in enumerate(points.items())]}


def one_size_report(winner: list[int], val: float = 0.84) -> dict:
    """The default search's usual outcome: the winner's recipe finished at its own size only."""
    return report([trial("w", "l2", "completed", val, winner), trial("b", "baseline", "completed", 0.90, [16])])


def test_the_ladder_concludes_where_the_trials_cannot_tell_a_linear_model_does_as_well():
    """Before: 'finished at one size only … cannot tell'. The retrains at every rung compare like with
    like: the linear rung within noise of the winner's own rung retrained (0.83 vs 0.84) says prefer it."""
    r = {**one_size_report([128, 64]), "capacity_ladder": ladder({(): 0.83, (16,): 0.70, (128, 64): 0.84, (256, 128): 0.80}, (128, 64))}
    out = capacity(r, [])
    assert out["from"] == "ladder" and [s["hidden"] for s in out["sizes"]] == [[], [16], [128, 64], [256, 128]]
    assert "a linear model (no hidden layer) matches the winner's hidden 128-64" in out["message"]
    assert "prefer" in out["message"] and "cannot tell" not in out["message"]


def test_every_smaller_rung_worse_beyond_noise_says_the_winner_uses_its_capacity():
    r = {**one_size_report([64, 32]), "capacity_ladder": ladder({(): 0.70, (16,): 0.75, (64, 32): 0.84}, (64, 32))}
    out = capacity(r, [])
    assert "uses that capacity" in out["message"] and "0.750 for hidden 16" in out["message"]


def test_the_winner_at_the_top_rung_that_underfits_says_widen_the_ladder():
    r = {**one_size_report([256, 128], 0.66), "capacity_ladder": ladder({(16,): 0.55, (256, 128): 0.66}, (256, 128))}
    out = capacity(r, [{"variant": "l2", "verdict": "underfit"}])
    assert "the largest rung of the ladder (hidden 256-128)" in out["message"] and "search.hidden_ladder" in out["message"]


def test_a_larger_rung_better_beyond_noise_says_more_capacity_helps():
    r = {**one_size_report([16]), "capacity_ladder": ladder({(16,): 0.70, (64, 32): 0.80}, (16,))}
    assert "a larger network (hidden 64-32) does better" in capacity(r, [])["message"]


def test_without_the_winners_own_retrain_the_trials_speak():
    """A ladder whose winner-rung retrain failed has no like-with-like reference: the finished trials speak."""
    r = {**one_size_report([128, 64]), "capacity_ladder": ladder({(): 0.83}, (128, 64))}
    out = capacity(r, [])
    assert out["from"] == "trials" and "finished at one size only" in out["message"]


def test_one_row_short_of_a_perfect_winner_is_within_noise():
    """At validation accuracy 1.000 the binomial error is 0, so before 0.985 (one of 67 rows) was 'beyond noise'."""
    r = {**one_size_report([256, 128], 1.0), "capacity_ladder": ladder({(16,): 0.985, (256, 128): 1.0}, (256, 128))}
    r["best"]["val"]["n"] = 67
    message = capacity(r, [])["message"]
    assert "a smaller network (hidden 16) matches the winner's" in message and "(0.985 vs 1.000, within the ±0.030 noise" in message
