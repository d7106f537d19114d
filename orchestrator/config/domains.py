"""Hyperparameters and their search domains, as the config spells them.

A hyperparameter is a fixed value or a domain (`{loguniform: [a, b]}`, `{uniform: [a, b]}`,
`{choice: [...]}`); every value a domain can take is range-checked here, so a bad learning rate
fails on load with its dotted key, never inside a trial.
"""

from __future__ import annotations

import math
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Every config section: unknown keys are errors, values are frozen after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- search domains ------------------------------------------------------------------------


class LogUniform(Strict):
    loguniform: tuple[float, float]


class Uniform(Strict):
    uniform: tuple[float, float]


class Choice(Strict):
    choice: list[Any] = Field(min_length=1)


Domain = Union[LogUniform, Uniform, Choice]


def domain_values(value: Any) -> list[Any]:
    """The concrete values a fixed value or a domain can take (its bounds, for ranges)."""
    if isinstance(value, LogUniform):
        return list(value.loguniform)
    if isinstance(value, Uniform):
        return list(value.uniform)
    if isinstance(value, Choice):
        return list(value.choice)
    return [value]


def _check_domain(value: Any, check, what: str) -> Any:
    if isinstance(value, (LogUniform, Uniform)):
        low, high = domain_values(value)
        if not low < high:
            raise ValueError(f"{what} range must have low < high, got [{low}, {high}]")
    for item in domain_values(value):
        problem = check(item)
        if problem:
            raise ValueError(f"{what} {problem}, got {item!r}")
    return value


def _is_number(x: Any) -> bool:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an integer beyond float's range (10**400): no rate or size is one
        return False


def _positive(x: Any) -> str:
    return "" if _is_number(x) and x > 0 else "must be a number > 0"


def _non_negative(x: Any) -> str:
    return "" if _is_number(x) and x >= 0 else "must be a number >= 0"


def _rate(x: Any) -> str:
    rates = x if isinstance(x, list) else [x]
    ok = rates and all(_is_number(r) and 0 <= r < 1 for r in rates)
    return "" if ok else "must be a rate in [0, 1) (or a list of rates, one per hidden layer)"


def layers_problem(x: Any) -> str:
    ok = isinstance(x, list) and all(isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in x)
    return "" if ok else "must be a list of positive layer widths, e.g. [128, 64] ([] for no hidden layer: a linear model)"


def _class_weight(x: Any) -> str:
    return "" if x in ("none", "balanced") else "must be 'none' or 'balanced'"


def _count(x: Any) -> str:
    return "" if isinstance(x, int) and not isinstance(x, bool) and x >= 1 else "must be an integer >= 1"


_HPARAM_CHECKS = {
    "learning_rate": _positive,
    "l2": _non_negative,
    "dropout": _rate,
    "hidden": layers_problem,
    "patience": _count,
    "batch_size": _count,
    "class_weight": _class_weight,
    "augment": _rate,
}

HParam = Union[Domain, int, float, list[int], list[float], str]
# A model-specific value (`model.params`): whatever a builder reads, fixed or searched; bools too.
ModelParam = Union[Domain, bool, int, float, str, list[int], list[float], list[str]]


class HParams(Strict):
    """Fixed values of the hyperparameters, used wherever a variant does not search them."""

    learning_rate: HParam = 1e-3  # the optimizer's step size
    hidden: HParam = [128, 64]  # units per hidden layer of the built-in MLP ([] : a linear model)
    l2: HParam = 0.01  # weight decay of the L2 variants
    dropout: HParam = [0.5, 0.3]  # dropout rate of the dropout variants: one, or one per hidden layer
    patience: HParam = 10  # early stopping: epochs without a better validation score before it stops
    batch_size: HParam = 32  # rows per step (per replica unless training.batch_scope is global)
    # 'balanced' weighs each class by n / (K × its count): the minority class stops being ignored.
    class_weight: HParam = "none"
    # Augmentation strength for images (`models.cnn`): rotations up to augment/4 of a turn, zooms
    # and shifts up to `augment` of the image; only the augmentation variants use it.
    augment: HParam = 0.1

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_from_text(cls, value: Any, info) -> Any:
        """YAML 1.1 (PyYAML) reads `1e-3` as text: take it as the number it is."""
        if isinstance(value, str) and info.field_name != "class_weight":
            try:
                return float(value)
            except ValueError:
                return value
        return value

    @field_validator("*")
    @classmethod
    def _in_range(cls, value: Any, info) -> Any:
        return _check_domain(value, _HPARAM_CHECKS[info.field_name], info.field_name)


class ParamOverrides(HParams):
    """A variant's own values or search domains; unset ones come from the catalogue or `hparams`."""

    learning_rate: HParam | None = None
    hidden: HParam | None = None
    l2: HParam | None = None
    dropout: HParam | None = None
    patience: HParam | None = None
    batch_size: HParam | None = None
    class_weight: HParam | None = None
    augment: HParam | None = None

    @field_validator("*")
    @classmethod
    def _in_range(cls, value: Any, info) -> Any:
        if value is None:
            return value
        return _check_domain(value, _HPARAM_CHECKS[info.field_name], info.field_name)
