"""How things are named: experiments, variants and trials. One owner for each rule.

An experiment name becomes a folder under the runs folder, so it must stay inside it; a variant
name appears in folder names, TensorBoard runs and report tables; a trial is `<variant>_<trial id>`
everywhere it shows (Tune's trial folders, TensorBoard runs, progress lines); a table column's
model input is a name a SavedModel signature accepts.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

# Letters, digits, '.', '_' and '-', starting with a letter or digit: no '/', no '..' escapes.
EXPERIMENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
EXPERIMENT_NAME = re.compile(EXPERIMENT_NAME_PATTERN)
# A config's `name` is the prefix of default experiment names (name-YYYYmmdd-HHMMSS-PID), which
# must still fit the 128 characters above.
CONFIG_NAME_MAX = 100
VARIANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


def is_experiment_name(name: str) -> bool:
    return bool(EXPERIMENT_NAME.fullmatch(name)) and ".." not in name


# A table column's model input name (`input_names`). TensorFlow turns the served model's inputs into
# the parameters of a Python function, so a name must be an identifier and no keyword ('class' is
# refused), TensorFlow makes argument names unique without regard to case ('A' and 'a' clash), and
# the traced function takes `self` itself. Keras names the table encoder's own operations, and the
# served model its parts (the encoder "encoding", a builder's model renamed TRAINED_MODEL_NAME when a
# column took its name: `results.export.with_encoder`), like the names below; an input taking one
# clashes with it ("All operation names should be unique"). TensorFlow and Keras took 5,000-character
# names here; INPUT_NAME_MAX keeps them readable in a signature.
TRAINED_MODEL_NAME = "gg_trained"
RESERVED_INPUT_NAMES = re.compile(r"(isfinite|is_finite|full_like|logical_not|where|cast|concatenate|string_lookup|"
                                  rf"input_layer|encoding|{TRAINED_MODEL_NAME})(_\d+)?|self", re.IGNORECASE)
INPUT_NAME_MAX = 64
INPUT_PREFIX = "c_"
EMPTY_INPUT_NAME = "column"


def _cleaned(header: str) -> str:
    """The header in [A-Za-z0-9_]: accents dropped ('naïve' -> 'naive'), each run of any other
    characters one '_', none at either end; a name that cannot stand alone gets the 'c_' prefix."""
    ascii_text = "".join(ch for ch in unicodedata.normalize("NFKD", header) if not unicodedata.combining(ch))
    base = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_text).strip("_") or EMPTY_INPUT_NAME
    if not base[0].isalpha() or keyword.iskeyword(base) or RESERVED_INPUT_NAMES.fullmatch(base):
        base = INPUT_PREFIX + base
    return base[:INPUT_NAME_MAX]


def input_names(columns: list[str]) -> list[str]:
    """One model input name per table column (`data.table`), as a SavedModel signature accepts
    them: `_cleaned` (see the rules above), then unique without regard to case in column order
    ('a b' and 'a_b' both clean to 'a_b': the second becomes 'a_b_2'). `best/inputs.json` maps each
    name back to its header."""
    taken, out = set(), []
    for name in columns:
        base = _cleaned(name)
        candidate, k = base, 2
        while candidate.lower() in taken:
            suffix = f"_{k}"
            candidate, k = base[:INPUT_NAME_MAX - len(suffix)] + suffix, k + 1
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def trial_name(variant: str, trial_id: str) -> str:
    """The one name of a trial, shared by Tune's folders, TensorBoard runs and the progress lines."""
    return f"{variant}_{trial_id}"
