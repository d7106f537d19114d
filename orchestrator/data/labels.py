"""How a label is named: the one rule that makes `1`, `1.0` and `"1"` the same class.

Training names its classes by their text (`str` of each distinct label). Labels read back later
(a CSV column of floats, an NPZ saved as float, a CSV whose numbers pandas read as ints) may spell
the same number differently; `label_key` maps every spelling of an integral number to one key.
"""

from __future__ import annotations

import math


def minority_class(counts) -> int:
    """The class a two-class threshold and PR-AUC are about: the training minority (class 1 when tied)."""
    counts = [int(c) for c in counts]
    return 0 if len(counts) == 2 and counts[0] < counts[1] else (counts.index(min(counts)) if len(counts) > 2 else 1)


def label_key(value) -> str:
    """'1' for 1, 1.0, '1.0' and '1'; any other label as its own text (stripped)."""
    value = value.item() if hasattr(value, "item") else value
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if math.isfinite(number) and number.is_integer() and not isinstance(value, bool):
        return str(int(number))
    return text
