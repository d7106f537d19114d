"""McNemar's exact test on the same test rows: is the winner's held-out difference more than noise?"""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.results.significance import against_reference, mcnemar


def rows(both: int, ref_only: int, var_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    ref = [True] * both + [True] * ref_only + [False] * var_only + [False] * neither
    var = [True] * both + [False] * ref_only + [True] * var_only + [False] * neither
    return np.array(ref), np.array(var)


def test_a_lopsided_split_of_the_discordant_rows_is_significant():
    result = mcnemar(*rows(70, 0, 10, 20))
    assert (result["reference_only"], result["variant_only"], result["n"]) == (0, 10, 100)
    assert result["p_value"] == pytest.approx(2 * 0.5 ** 10) and result["significant"]


def test_three_points_on_a_hundred_rows_is_noise():
    """The old quickstart's situation: 0.80 against 0.83 on 100 test rows, 5 rows against 8."""
    result = mcnemar(*rows(75, 5, 8, 12))
    assert result["p_value"] == pytest.approx(0.5811, abs=1e-4) and not result["significant"]
    assert mcnemar(*rows(90, 0, 0, 10))["p_value"] == 1.0


def test_every_variant_is_compared_with_the_reference():
    ref, var = rows(70, 0, 10, 20)
    out = against_reference({"baseline": ref, "l2": var, "dropout": ref}, "baseline")
    assert out["reference"] == "baseline" and set(out["variants"]) == {"l2", "dropout"}
    assert out["variants"]["dropout"]["p_value"] == 1.0 and out["variants"]["l2"]["significant"]
    assert against_reference({"l2": var}, None)["variants"] == {}
