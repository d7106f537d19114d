"""How things are named: experiments, variants and trials. One owner for each rule.

An experiment name becomes a folder under the runs folder, so it must stay inside it; a variant
name appears in folder names, TensorBoard runs and report tables; a trial is `<variant>_<trial id>`
everywhere it shows (Tune's trial folders, TensorBoard runs, progress lines); a table column's
model input is a name a SavedModel signature accepts.
"""

from __future__ import annotations

import re

# Letters, digits, '.', '_' and '-', starting with a letter or digit: no '/', no '..' escapes.
EXPERIMENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
EXPERIMENT_NAME = re.compile(EXPERIMENT_NAME_PATTERN)
# A config's `name` is the prefix of default experiment names (name-YYYYmmdd-HHMMSS-PID), which
# must still fit the 128 characters above.
CONFIG_NAME_MAX = 100
VARIANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


def is_experiment_name(name: str) -> bool:
    return bool(EXPERIMENT_NAME.fullmatch(name)) and ".." not in name


# Keras names the table encoder's own operations like these; a column input must not take one.
RESERVED_INPUT_NAMES = re.compile(r"(isfinite|is_finite|full_like|logical_not|where|cast|concatenate|string_lookup|input_layer)(_\d+)?")


def input_names(columns: list[str]) -> list[str]:
    """One model input name per table column (`data.table`), as a SavedModel signature accepts
    them: [A-Za-z0-9_], starting with a letter, none of Keras' own operation names, unique ('a b'
    and 'a_b' both sanitize to 'a_b': the second becomes 'a_b_2')."""
    taken, out = set(), []
    for name in columns:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not base or not base[0].isalpha() or RESERVED_INPUT_NAMES.fullmatch(base):
            base = "c_" + base
        candidate, k = base, 2
        while candidate in taken:
            candidate, k = trial_name(base, str(k)), k + 1
        taken.add(candidate)
        out.append(candidate)
    return out


def trial_name(variant: str, trial_id: str) -> str:
    """The one name of a trial, shared by Tune's folders, TensorBoard runs and the progress lines."""
    return f"{variant}_{trial_id}"
