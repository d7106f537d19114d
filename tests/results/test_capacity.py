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
