"""The experiment config: one typed, frozen object, validated on load, every default in this file.

A YAML file gives the values, `--set a.b=c` and the CLI's flags override them, and pydantic rejects
unknown keys and out-of-range values with the key's dotted path, so a typo never trains silently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestrator.errors import ConfigError

VARIANT_KINDS = ("baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout")
VariantKind = Literal["baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- search domains ------------------------------------------------------------------------


class LogUniform(_Strict):
    loguniform: tuple[float, float]


class Uniform(_Strict):
    uniform: tuple[float, float]


class Choice(_Strict):
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
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive(x: Any) -> str:
    return "" if _is_number(x) and x > 0 else "must be a number > 0"


def _non_negative(x: Any) -> str:
    return "" if _is_number(x) and x >= 0 else "must be a number >= 0"


def _rate(x: Any) -> str:
    rates = x if isinstance(x, list) else [x]
    ok = rates and all(_is_number(r) and 0 <= r < 1 for r in rates)
    return "" if ok else "must be a rate in [0, 1) (or a list of rates, one per hidden layer)"


def _layers(x: Any) -> str:
    ok = isinstance(x, list) and x and all(isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in x)
    return "" if ok else "must be a non-empty list of positive layer widths, e.g. [128, 64]"


def _class_weight(x: Any) -> str:
    return "" if x in ("none", "balanced") else "must be 'none' or 'balanced'"


def _count(x: Any) -> str:
    return "" if isinstance(x, int) and not isinstance(x, bool) and x >= 1 else "must be an integer >= 1"


_HPARAM_CHECKS = {
    "learning_rate": _positive,
    "l2": _non_negative,
    "dropout": _rate,
    "hidden": _layers,
    "patience": _count,
    "batch_size": _count,
    "class_weight": _class_weight,
}

HParam = Union[Domain, int, float, list[int], list[float], str]


class HParams(_Strict):
    """Fixed values of the hyperparameters, used wherever a variant does not search them."""

    learning_rate: HParam = 1e-3
    hidden: HParam = [128, 64]
    l2: HParam = 0.01
    dropout: HParam = [0.5, 0.3]
    patience: HParam = 10
    batch_size: HParam = 32
    # 'balanced' weighs each class by n / (K × its count): the minority class stops being ignored.
    class_weight: HParam = "none"

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

    @field_validator("*")
    @classmethod
    def _in_range(cls, value: Any, info) -> Any:
        if value is None:
            return value
        return _check_domain(value, _HPARAM_CHECKS[info.field_name], info.field_name)


# ---- sections ------------------------------------------------------------------------------


class SyntheticConfig(_Strict):
    n_samples: int = Field(500, ge=30)
    n_features: int = Field(10, ge=2)
    n_informative: int = Field(4, ge=1)
    label_noise: float = Field(0.2, ge=0, lt=0.5)
    class_sep: float = Field(1.0, gt=0)
    positive_share: float | None = Field(None, gt=0, lt=1)  # e.g. 0.05: an imbalanced problem

    @model_validator(mode="after")
    def _informative_fit(self) -> "SyntheticConfig":
        if self.n_informative > self.n_features:
            raise ValueError("n_informative must not exceed n_features")
        return self


class SplitConfig(_Strict):
    train: float = Field(0.6, gt=0, lt=1)
    val: float = Field(0.2, gt=0, lt=1)
    test: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> "SplitConfig":
        if abs(self.train + self.val + self.test - 1.0) > 1e-6:
            raise ValueError(f"train + val + test must be 1, got {self.train + self.val + self.test:g}")
        return self


class DataConfig(_Strict):
    source: Literal["synthetic", "csv", "npz"] = "synthetic"
    path: Path | None = None
    label: str | None = None
    synthetic: SyntheticConfig = SyntheticConfig()
    split: SplitConfig = SplitConfig()

    @model_validator(mode="after")
    def _source_needs(self) -> "DataConfig":
        if self.source != "synthetic" and self.path is None:
            raise ValueError(f"source '{self.source}' needs data.path (or --data FILE)")
        if self.source == "csv" and not self.label:
            raise ValueError("a CSV source needs data.label, the name of the label column (or --label COLUMN)")
        return self


class ModelConfig(_Strict):
    activation: Literal["relu", "elu", "gelu", "tanh", "selu"] = "relu"


class TrainingConfig(_Strict):
    epochs: int = Field(30, ge=1, le=10_000)
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    # hparams.batch_size is per replica (global = batch_size × replicas) or the global batch itself.
    batch_scope: Literal["per_replica", "global"] = "per_replica"
    # Mixed precision on GPU trials (CPU trials stay float32); the output layer is always float32.
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"


class VariantConfig(_Strict):
    kind: VariantKind
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    epochs: int | None = Field(None, ge=1, le=10_000)
    params: ParamOverrides = ParamOverrides()

    @property
    def label(self) -> str:
        return self.name or self.kind


class SearchConfig(_Strict):
    enabled: bool = True
    samples: int = Field(2, ge=1, le=1000)
    metric: Literal["val_loss", "val_accuracy"] = "val_loss"
    mode: Literal["min", "max"] | None = None

    @property
    def resolved_mode(self) -> str:
        return self.mode or ("min" if self.metric.endswith("loss") else "max")


class SchedulerConfig(_Strict):
    type: Literal["asha", "none"] = "asha"
    grace_period: int = Field(5, ge=1)
    reduction_factor: float = Field(3, gt=1)


class ResourcesConfig(_Strict):
    gpus: int | None = Field(None, ge=0)  # None: every GPU the machine or cluster has
    gpus_per_trial: int | None = Field(None, ge=1)  # None: 1 where there are GPUs
    cpus_per_trial: float = Field(1, gt=0)
    cpu_replicas: int = Field(1, ge=1, le=64)  # ≥2: MirroredStrategy over logical CPUs (development, CI)
    address: str | None = None


class OutputConfig(_Strict):
    runs_dir: Path = Path("runs")
    checkpoints_to_keep: int = Field(2, ge=1)
    tensorboard: bool = True  # per-trial logs and HParams under runs/<name>/tensorboard/
    histograms: bool = False  # weight histograms every epoch (bigger logs)


class FailureConfig(_Strict):
    max_retries: int = Field(2, ge=0, le=100)  # a trial whose process dies restarts from its last checkpoint


def _default_variants() -> list[VariantConfig]:
    return [VariantConfig(kind=k) for k in VARIANT_KINDS]


class ExperimentConfig(_Strict):
    name: str = Field("experiment", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    seed: int = Field(0, ge=0)
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    hparams: HParams = HParams()
    variants: list[VariantConfig] = Field(default_factory=_default_variants, min_length=1)
    search: SearchConfig = SearchConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    resources: ResourcesConfig = ResourcesConfig()
    failure: FailureConfig = FailureConfig()
    output: OutputConfig = OutputConfig()

    @model_validator(mode="after")
    def _unique_variant_names(self) -> "ExperimentConfig":
        labels = [v.label for v in self.variants]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"variant names must be unique; give each a distinct `name`: {dupes}")
        return self


# ---- loading -------------------------------------------------------------------------------


def _format_validation_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-after"))
    # pydantic puts the union member names in the location of union errors; keep the user's keys.
    path = ".".join(p for p in path.split(".") if p not in {"LogUniform", "Uniform", "Choice", "float", "int", "list[float]", "list[int]"} and not p.startswith(("union[", "tagged-union")))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return ConfigError(f"{path or '<root>'}: {msg}{more} in {source}", "fix the value in the YAML file or with --set KEY=VALUE")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.c=value` -> (["a", "b", "c"], value parsed as YAML, so numbers and lists keep their type)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or any(not part for part in key.strip().split(".")):
        raise ConfigError(f"--set {text!r} is not KEY=VALUE", "write it like --set training.epochs=30")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def apply_override(raw: dict, path: list[str], value: Any) -> None:
    node: Any = raw
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"--set {'.'.join(path)}: no list item {part!r}", f"there are {len(node)} items, numbered from 0")
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {'.'.join(path)}: {'.'.join(path[:i])} is not a section", "check the key path")
        node = node.setdefault(part, {})
    last = path[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"--set {'.'.join(path)}: no list item {last!r}", f"there are {len(node)} items, numbered from 0")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {'.'.join(path)}: {'.'.join(path[:-1])} is not a section", "check the key path")


def read_yaml(path: Path) -> dict:
    if path.is_dir():
        raise ConfigError(f"config path {str(path)!r} is a folder, not a file", "pass a YAML file, e.g. --config configs/quickstart.yaml")
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} not found", "pass an existing YAML file, e.g. --config configs/quickstart.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", "fix the YAML syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}", "check the file's permissions and encoding") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of sections at its top level", "see configs/quickstart.yaml")
    return raw


def build_config(raw: dict, source: str = "config") -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(err, source) from None


def load_config(path: Path | None, overrides: list[tuple[list[str], Any]] = ()) -> ExperimentConfig:
    """Read `path` (or the built-in defaults), apply overrides in order, validate."""
    raw = read_yaml(path) if path is not None else {}
    defaults = ExperimentConfig().model_dump(mode="json", exclude_none=True)
    for keys, value in overrides:
        if keys[0] not in raw and isinstance(defaults.get(keys[0]), list):
            raw[keys[0]] = defaults[keys[0]]  # `--set variants.0.epochs=5` edits the default list
        apply_override(raw, keys, value)
    return build_config(raw, str(path) if path else "the built-in defaults")


def to_yaml(config: ExperimentConfig) -> str:
    """The resolved config, exactly what ran, readable by `load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
