"""The experiment config: `domains` (hyperparameters and search domains), `schema` (the typed
sections and their defaults), `loading` (YAML, `--set`, validation). Import from here."""

from orchestrator.config.domains import (
    Choice,
    Domain,
    HParams,
    LogUniform,
    ModelParam,
    ParamOverrides,
    Uniform,
    domain_values,
)
from orchestrator.config.loading import (
    apply_override,
    build_config,
    load_config,
    parse_override,
    read_yaml,
    to_yaml,
)
from orchestrator.config.schema import (
    DataConfig,
    DiagnosisConfig,
    ExperimentConfig,
    FailureConfig,
    ModelConfig,
    OutputConfig,
    ResourcesConfig,
    SchedulerConfig,
    SearchConfig,
    SplitConfig,
    SyntheticConfig,
    TrainingConfig,
    VariantConfig,
)
from orchestrator.models.catalogue import VARIANT_KINDS

__all__ = [
    "Choice", "DataConfig", "DiagnosisConfig", "Domain", "ExperimentConfig", "FailureConfig", "HParams", "LogUniform", "ModelConfig", "ModelParam",
    "OutputConfig", "ParamOverrides", "ResourcesConfig", "SchedulerConfig", "SearchConfig", "SplitConfig",
    "SyntheticConfig", "TrainingConfig", "Uniform", "VARIANT_KINDS", "VariantConfig", "apply_override",
    "build_config", "domain_values", "load_config", "parse_override", "read_yaml", "to_yaml",
]
