"""Whether rows shared between splits make the held-out scores unreal, or are what the data gives.

Real tables repeat rows. When every column takes few values (a few categories, small counts), two
people with the same answers are the same row: Arrests' 5,226 rows of colour, year, age, sex,
employment and citizenship repeat by the hundred, and new rows from the same source repeat training
rows just as often, so a random split's overlap is part of what the model will meet, not a leak.
And a handful of shared rows cannot move accuracy by more than their share of the split. So a shared
row makes "these scores are not real" only when both hold:

- the shared share of a held-out split exceeds that split's sampling noise, 1/√n (two standard
  errors of an accuracy at 0.5): below it, even if every shared row were answered from memory and
  every other row wrong, the score would move less than chance moves it;
- the rows are unlikely to repeat by chance: some column takes many values, at least
  MANY_VALUES_SHARE of the training rows (or MANY_VALUES_MIN) distinct values; a row that repeats
  one with a measured amount to the decimal is a copy.

Images always count as copies (two photographs are never equal by chance). Otherwise the overlap
is reported as hygiene (deduplicate if the repeats are copies), with these numbers.
"""

from __future__ import annotations

import math

import numpy as np

MANY_VALUES_SHARE = 0.05
MANY_VALUES_MIN = 20
SHARED = (("test_rows_in_train", "n_test"), ("val_rows_in_train", "n_val"), ("test_rows_in_val", "n_test"))


def most_values(x: np.ndarray) -> int:
    """The largest number of distinct values any one column of the training matrix takes."""
    x = np.asarray(x).reshape(len(x), -1)
    return max((len(np.unique(x[:, j])) for j in range(x.shape[1])), default=0)


def overlap_effect(numbers: dict, train_x: np.ndarray | None, images: bool) -> dict:
    """{share, noise, most_values, repeats_expected, inflates_scores} from `check_duplicates`' numbers."""
    shares = [(numbers.get(k, 0) / numbers[n], 1 / math.sqrt(numbers[n])) for k, n in SHARED if numbers.get(n)]
    share, noise = max(shares, default=(0.0, 0.0), key=lambda sn: sn[0] - sn[1])
    values = None if images or train_x is None or len(train_x) == 0 else most_values(train_x)
    many = max(MANY_VALUES_MIN, MANY_VALUES_SHARE * numbers.get("n_train", 0))
    expected = values is not None and values < many
    return {"shared_share": share, "shared_noise": noise, "most_values": values, "repeats_expected": expected,
            "inflates_scores": bool(share > noise and not expected)}


def harmless_sentence(shared: list[str], numbers: dict) -> str:
    """Shared rows that do not make the scores unreal, and why, in one sentence."""
    said = "; ".join(shared)
    if numbers.get("repeats_expected"):
        return (f"{said}: rows repeat when every column takes few values (the most varied takes "
                f"{numbers['most_values']} in {numbers['n_train']} training rows), and new rows from the same source "
                "repeat training rows too, so this does not by itself inflate the scores; deduplicate only if the "
                "repeats are copies of one record.")
    return (f"{said}: at most {numbers['shared_share']:.3f} of accuracy, within its ±{numbers['shared_noise']:.3f} "
            "sampling noise, so the scores stand; deduplicate before splitting to be sure.")
