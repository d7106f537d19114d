"""How things are named: experiments, variants and trials. One owner for each rule.

An experiment name becomes a folder under the runs folder, so it must stay inside it; a variant
name appears in folder names, TensorBoard runs and report tables; a trial is `<variant>_<trial id>`
everywhere it shows (Tune's trial folders, TensorBoard runs, progress lines).
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


def trial_name(variant: str, trial_id: str) -> str:
    """The one name of a trial, shared by Tune's folders, TensorBoard runs and the progress lines."""
    return f"{variant}_{trial_id}"
