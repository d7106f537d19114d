"""Whether rows shared between splits make the held-out scores unreal, or are what the data gives.

Real tables repeat rows. When the columns take few values (a few categories, small counts), two
people with the same answers are the same row: Arrests' 5,226 rows of colour, year, age, sex,
employment and citizenship repeat by the hundred, and new rows from the same source repeat training
rows just as often, so a random split's overlap is part of what the model will meet, not a leak.
And a handful of shared rows cannot move accuracy by more than their share of the split. So a shared
row makes "these scores are not real" only when both hold:

- the shared share of a held-out split exceeds that split's sampling noise, 1/sqrt(n) (two standard
  errors of an accuracy at 0.5): below it, even if every shared row were answered from memory and
  every other row wrong, the score would move less than chance moves it;
- the rows repeat more often than chance gives: with each source column drawn independently at its
  training frequencies, a new row equals a given training row with probability c = the product over
  columns of sum(p_v^2), and equals one of n training rows with probability 1 - (1 - c)^n. A held-out
  split repeating training rows more often than that holds copies. (Columns that move together
  repeat more than independence says, so this errs towards calling repeats copies.) On the
  yardstick's tables: Arrests 0.56 of test rows repeat against 0.77 by chance, Womenlf 0.70 against
  0.87 (few-valued tables), Caravan 0.10 against 0.00 and OJ 0.03 against 0.00 (copies).

Images always count as copies (two photographs are never equal by chance). Otherwise the overlap
is reported as hygiene (deduplicate if the repeats are copies), with these numbers.
"""

from __future__ import annotations

import math

import numpy as np

from orchestrator.data.drift import sample_rows

FREQUENCY_ROWS = 20_000
SHARED = (("test_rows_in_train", "n_test"), ("val_rows_in_train", "n_val"), ("test_rows_in_val", "n_test"))


def chance_share(x: np.ndarray, sources: list[str], n_train: int) -> float:
    """The share of new rows that would equal some training row if each source column (the encoded
    entries of one user column together) were drawn independently at its training frequencies."""
    x = np.asarray(x).reshape(len(x), -1)
    x = x[sample_rows(len(x), FREQUENCY_ROWS)]  # frequencies from a fixed uniform sample
    collision = 1.0
    for source in dict.fromkeys(sources):
        cols = [j for j, s in enumerate(sources) if s == source]
        group = x[:, cols[0]] if len(cols) == 1 else x[:, cols]
        _, counts = np.unique(group, axis=0 if group.ndim > 1 else None, return_counts=True)
        collision *= float(np.sum((counts / len(group)) ** 2))
    return float(-np.expm1(n_train * np.log1p(-min(collision, 1 - 1e-12))))


def overlap_effect(numbers: dict, train_x: np.ndarray | None, sources: list[str] | None) -> dict:
    """{shared_share, shared_noise, chance_share, repeats_expected, inflates_scores} from
    `check_duplicates`' numbers; `train_x` None for images (never equal by chance)."""
    shares = [(numbers.get(k, 0) / numbers[n], 1 / math.sqrt(numbers[n])) for k, n in SHARED if numbers.get(n)]
    share, noise = max(shares, default=(0.0, 0.0), key=lambda sn: sn[0] - sn[1])
    repeated = max((numbers.get(k, 0) / numbers[n] for k, n in SHARED[:2] if numbers.get(n)), default=0.0)
    measurable = train_x is not None and len(train_x) > 0 and share > 0  # nothing shared: nothing to explain
    chance = chance_share(train_x, sources, len(train_x)) if measurable else None
    expected = chance is not None and repeated <= chance
    return {"shared_share": share, "shared_noise": noise, "chance_share": chance, "repeats_expected": expected,
            "inflates_scores": bool(share > noise and not expected)}


def harmless_sentence(shared: list[str], numbers: dict) -> str:
    """Shared rows that do not make the scores unreal, and why, in one sentence."""
    said = "; ".join(shared)
    if numbers.get("repeats_expected"):
        return (f"{said}: no more than columns with these few values repeat by chance ({numbers['chance_share']:.0%} "
                "of new rows would equal a training row), so new rows from the same source repeat training rows too "
                "and this does not by itself inflate the scores; deduplicate only if the repeats are copies of one record.")
    return (f"{said}: at most {numbers['shared_share']:.3f} of accuracy, within its ±{numbers['shared_noise']:.3f} "
            "sampling noise, so the scores stand; deduplicate before splitting to be sure.")


def shared_rows(numbers: dict) -> list[str]:
    """'7 of the 40 test rows also appear in the train split', one per pair of splits that share rows,
    from `check_duplicates`' numbers (the diagnosis words its headline from them too)."""
    unit = numbers.get("unit", "rows")
    return [f"{numbers[k]} of the {numbers.get('n_' + k.split('_')[0], '?')} {k.split('_')[0]} {unit} also appear in the "
            f"{k.split('_')[-1]} split" for k in ("test_rows_in_train", "val_rows_in_train", "test_rows_in_val") if numbers.get(k)]
