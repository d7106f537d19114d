"""The experiment config: one typed, frozen object, validated on load, every default in this file.

A YAML file gives the values, `--set a.b=c` and the CLI's flags override them (`config.loading`),
and pydantic rejects unknown keys and out-of-range values with the key's dotted path, so a typo
never trains silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from orchestrator.config.domains import HParams, ModelParam, ParamOverrides, Strict, layers_problem
from orchestrator.models.catalogue import TABLE_KINDS, VARIANT_KINDS
from orchestrator.names import (
    CONFIG_NAME_MAX,
    EXPERIMENT_NAME_PATTERN,
    VARIANT_NAME_PATTERN,
)


class SyntheticConfig(Strict):
    n_samples: int = Field(500, ge=30)  # rows of the built-in synthetic table (scikit-learn make_classification)
    n_features: int = Field(10, ge=2)  # its columns
    n_informative: int = Field(4, ge=1)  # columns that carry the label; the rest are noise
    label_noise: float = Field(0.2, ge=0, lt=0.5)  # share of labels flipped at random (what a model can memorize)
    class_sep: float = Field(1.0, gt=0)  # how far apart the classes lie: larger is easier
    positive_share: float | None = Field(None, gt=0, lt=1)  # e.g. 0.05: an imbalanced problem

    @model_validator(mode="after")
    def _informative_fit(self) -> "SyntheticConfig":
        if self.n_informative > self.n_features:
            raise ValueError("n_informative must not exceed n_features")
        return self


class SplitConfig(Strict):
    train: float = Field(0.6, gt=0, lt=1)  # share of rows the trials train on
    val: float = Field(0.2, gt=0, lt=1)  # share the trials are compared on (the winner is chosen on it alone)
    test: float = Field(0.2, gt=0, lt=1)  # held out: only the winner is scored on it, once

    @model_validator(mode="after")
    def _sums_to_one(self) -> "SplitConfig":
        if abs(self.train + self.val + self.test - 1.0) > 1e-6:
            raise ValueError(f"train + val + test must be 1, got {self.train + self.val + self.test:g}")
        return self


class DataConfig(Strict):
    # csv / parquet: a table (numbers, booleans, text, empty cells: encoded inside the model, `data.table`);
    # npz: X as rows of numbers, or as images (n, H, W[, C]); images: a folder with one sub-folder per class.
    source: Literal["synthetic", "csv", "parquet", "npz", "images"] = "synthetic"
    path: Path | None = None  # the table (CSV, Parquet), the .npz or the image folder (`--data`)
    label: str | None = None  # the label column of a table (`--label`)
    # csv / parquet: the user's own test file (`launch --test-data`), the held-out split as given; train
    # and validation are then split from `path` alone (`data.test_file`).
    test_path: Path | None = None
    image_size: tuple[int, int] | None = None  # images: (height, width) to resize to; None: the most common size
    # An image folder whose decoded pixels exceed this stays on disk: trials and the driver decode it
    # batch by batch, every epoch (data/image_files.py), instead of holding it in memory.
    image_memory_mb: float = Field(2048, gt=0)
    synthetic: SyntheticConfig = SyntheticConfig()
    split: SplitConfig = SplitConfig()

    def absolute(self) -> "DataConfig":
        """The data and test file paths made absolute, so that `gg-train resume` works from any directory."""
        paths = {k: getattr(self, k).resolve() for k in ("path", "test_path") if getattr(self, k) is not None}
        return self.model_copy(update=paths)

    @model_validator(mode="after")
    def _source_needs(self) -> "DataConfig":
        if self.source != "synthetic" and self.path is None:
            raise ValueError(f"source '{self.source}' needs data.path (or --data FILE)")
        if self.source in ("csv", "parquet") and not self.label:
            raise ValueError(f"a {self.source.upper() if self.source == 'csv' else self.source.capitalize()} source needs data.label, the name of the label column (or --label COLUMN)")
        if self.test_path is not None and self.source not in ("csv", "parquet"):
            raise ValueError(f"data.test_path (--test-data) takes a CSV or Parquet table; a {self.source} source has no test file (an NPZ gives X_test/y_test)")
        if self.image_size is not None and min(self.image_size) < 1:
            raise ValueError("image_size must be two positive numbers (height, width)")
        return self


class ModelConfig(Strict):
    activation: Literal["relu", "elu", "gelu", "tanh", "selu"] = "relu"  # the built-in networks' hidden activation
    # auto: the CNN family for images, the MLP for tables; a builder or a saved model replaces both.
    family: Literal["auto", "mlp", "cnn"] = "auto"
    builder: str | None = None  # "path/to/models.py:build" or "package.module:build" (models/builder.py)
    file: Path | None = None  # a saved .keras model: its architecture is trained afresh (models/saved.py)
    # Model-specific values, each fixed or a search domain, handed to a builder as spec.params (and to
    # the CNN family: filters, depth, kernel_size, dense); searched like the hyperparameters.
    params: dict[str, ModelParam] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> "ModelConfig":
        if self.builder and self.file:
            raise ValueError("give model.builder or model.file, not both")
        if self.builder and ":" not in self.builder:
            raise ValueError(f"model.builder {self.builder!r} must name a function: path/to/models.py:build or package.module:build")
        if self.file is not None and self.file.suffix != ".keras":
            raise ValueError(f"model.file {str(self.file)!r} must be a .keras file (saved with model.save('name.keras'))")
        bad = [k for k in self.params if not k.isidentifier() or k in HParams.model_fields]
        if bad:
            raise ValueError(f"model.params names must be identifiers other than the hyperparameters' "
                             f"({', '.join(HParams.model_fields)}), got {bad}")
        return self

    @property
    def kind(self) -> str:
        """Which builds the trials' models: 'builder', 'file', 'cnn' or 'mlp' ('auto' stays until the data is known)."""
        return "builder" if self.builder else "file" if self.file is not None else self.family


class TrainingConfig(Strict):
    epochs: int = Field(30, ge=1, le=10_000)  # each trial's epochs, unless its variant says otherwise (`--epochs`)
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"  # every trial's optimizer; the learning rate is a hyperparameter
    # hparams.batch_size is per replica (global = batch_size × replicas) or the global batch itself.
    batch_scope: Literal["per_replica", "global"] = "per_replica"
    # Mixed precision on GPU trials (CPU trials stay float32); the output layer is always float32.
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"


class VariantConfig(Strict):
    kind: Literal[VARIANT_KINDS]  # the catalogue's kinds (models/catalogue.py)
    name: str | None = Field(None, pattern=VARIANT_NAME_PATTERN)  # its label in tables and folders; None: its kind
    epochs: int | None = Field(None, ge=1, le=10_000)  # this variant's epochs; None: training.epochs
    params: ParamOverrides = ParamOverrides()

    @property
    def label(self) -> str:
        return self.name or self.kind


# The default capacity ladder (`search.hidden_ladder`): linear, one small layer, then the classic sizes.
HIDDEN_LADDER = ((), (16,), (64, 32), (128, 64), (256, 128))


class SearchConfig(Strict):
    enabled: bool = True  # false: every trial trains the fixed `hparams` values (samples then differ by seed only)
    samples: int = Field(2, ge=1, le=1000)  # trials per variant, each with its own draw (`--samples`)
    # random: independent draws per variant (seeded); tpe: Optuna's TPE, one study per variant
    # (tuning/tpe.py), which pays off from about 10 trials per variant.
    algorithm: Literal["random", "tpe"] = "random"
    # None: `val_loss`, or `val_balanced_loss` when a variant can train with class_weight 'balanced'
    # (models.variants.selection): unweighted loss favours class_weight 'none' by construction.
    metric: Literal["val_loss", "val_balanced_loss", "val_pr_auc", "val_accuracy"] | None = None
    mode: Literal["min", "max"] | None = None  # None: what the metric needs (min for losses)
    # auto: when the class_imbalance check warns, every variant trained without class weights gets
    # a twin `<name>_balanced` with class_weight 'balanced', and (unless `metric` is set) trials are
    # judged by the minority class's PR-AUC (two classes) or the class-balanced loss
    # (models.variants.with_balanced_twins).
    class_weighting: Literal["auto", "off"] = "auto"
    # The built-in MLP's capacity ladder: each trial draws its hidden layers from these rungs, from no
    # hidden layer (a regularized linear model) and small widths up, so a network as simple as the
    # data needs can win; the capacity sentence compares the rungs within the winner's recipe.
    hidden_ladder: list[list[int]] = Field(default_factory=lambda: [list(r) for r in HIDDEN_LADDER], min_length=1)

    @field_validator("hidden_ladder")
    @classmethod
    def _rungs(cls, value: list[list[int]]) -> list[list[int]]:
        for rung in value:
            problem = layers_problem(rung)
            if problem:
                raise ValueError(f"each rung {problem}, got {rung!r}")
        return value

    @field_validator("class_weighting", mode="before")
    @classmethod
    def _yaml_off(cls, value):
        """YAML 1.1 reads a bare `off` as false: `class_weighting: off` means "off", as the README writes it."""
        return "off" if value is False else value

    @property
    def resolved_mode(self) -> str:
        return self.mode or ("min" if (self.metric or "val_loss").endswith("loss") else "max")


class SchedulerConfig(Strict):
    type: Literal["asha", "none"] = "asha"  # asha: weak trials stop early, compared within their variant
    grace_period: int = Field(5, ge=1)  # epochs every trial gets before ASHA may stop it
    reduction_factor: float = Field(3, gt=1)  # at each rung, about 1 in this many trials continues


class ResourcesConfig(Strict):
    gpus: int | None = Field(None, ge=0)  # None: every GPU the machine or cluster has
    # None: 1 where there are GPUs. A share below 1 packs trials onto a GPU (0.25: four per GPU), each
    # capped to its share of the GPU's memory; 1 or more must be whole GPUs.
    gpus_per_trial: float | None = Field(None, gt=0, le=64)
    cpus_per_trial: float = Field(1, gt=0)  # CPUs Ray reserves for each trial
    cpu_replicas: int = Field(1, ge=1, le=64)  # ≥2: MirroredStrategy over logical CPUs (development, CI)
    # ≥2: each trial trains on this many Ray Train workers (each with cpus_per_trial CPUs and
    # gpus_per_trial GPUs, spread over nodes) under MultiWorkerMirroredStrategy.
    workers_per_trial: int = Field(1, ge=1, le=64)
    address: str | None = None  # a Ray cluster to join (`--address`); None: a local Ray

    @model_validator(mode="after")
    def _whole_or_share(self) -> "ResourcesConfig":
        share = self.gpus_per_trial
        if share is not None and share >= 1 and share != int(share):
            raise ValueError(f"gpus_per_trial {share:g} must be a whole number of GPUs, or a share of one below 1 (e.g. 0.25)")
        if share is not None and share < 1 and share < 0.01:
            raise ValueError(f"gpus_per_trial {share:g} is below 0.01 of a GPU, too little to hold a model")
        if self.workers_per_trial > 1 and self.cpu_replicas > 1:
            raise ValueError("workers_per_trial and cpu_replicas both split a trial: use one (each worker is one replica)")
        if self.workers_per_trial > 1 and share is not None and share < 1:
            raise ValueError("workers_per_trial needs whole GPUs per worker: a trial that spans workers does not share a GPU")
        return self


class OutputConfig(Strict):
    runs_dir: Path = Path("runs")  # experiments go to <runs_dir>/<name>/ (`--runs-dir`)
    # Where trials keep checkpoints and TensorBoard logs on a cluster of several nodes: s3://BUCKET/PATH,
    # gs://BUCKET/PATH or an absolute folder every node mounts. None: the experiment folder (one machine).
    storage: str | None = None
    checkpoints_to_keep: int = Field(2, ge=1)  # per trial; the newest kept
    # A trial checkpoints at ASHA's rung epochs, at its end, every `checkpoint_every` epochs ("auto":
    # whenever training since the last one cost 10× writing it, so checkpoints stay under ~10% of a
    # trial's time) and whenever `checkpoint_seconds` passed without one. A retried trial replays the
    # epochs since its last checkpoint to the same result.
    checkpoint_every: Annotated[int, Field(ge=1)] | Literal["auto"] = "auto"
    checkpoint_seconds: float = Field(60.0, gt=0)  # with checkpoint_every auto: at most this long between checkpoints
    tensorboard: bool = True  # per-trial logs and HParams under runs/<name>/tensorboard/
    histograms: bool = False  # weight histograms every epoch (bigger logs)
    # Who may read what an experiment writes (its folder, checkpoints, logs, model): "private" (the
    # default) is you only (0700/0600); "group" lets your group read but not write (0750/0640), for
    # teams on shared storage; "inherit" keeps your umask. Never group-writable: resume unpickles Tune's state.
    permissions: Literal["private", "group", "inherit"] = "private"
    # An MLflow tracking URI (http(s)://HOST:PORT, sqlite:////ABSOLUTE/PATH.db or file:///FOLDER): one MLflow run
    # per trial, the winner tagged with its test metrics, the report and the model (report/tracking.py).
    mlflow: str | None = None

    @model_validator(mode="after")
    def _storage_is_shared(self) -> "OutputConfig":
        where = self.storage
        if where is None:
            return self
        if "://" in where:
            scheme, _, rest = where.partition("://")
            if scheme not in ("s3", "gs") or not rest.strip("/"):
                raise ValueError(f"storage {where} must be s3://BUCKET/PATH, gs://BUCKET/PATH or an absolute folder")
        elif not Path(where).is_absolute():
            raise ValueError(f"storage {where} must be an absolute folder that every node mounts at the same path (or s3://, gs://)")
        return self


class DiagnosisConfig(Strict):
    # Would more data help? The winner's recipe retrained on these fractions of the training split
    # (extra trials in the same experiment; the full split is always retrained too).
    learning_curve: bool = True
    # Does the winner need its size? With the learning curve on, the built-in MLP's winning recipe is
    # also retrained on all training rows at every other rung of search.hidden_ladder (same run, same
    # seed, validation only), and the capacity sentence concludes from those (results/capacity.py).
    capacity_ladder: bool = True
    curve_fractions: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75], min_length=1, max_length=10)

    @model_validator(mode="after")
    def _fractions_below_one(self) -> "DiagnosisConfig":
        if any(not 0 < f < 1 for f in self.curve_fractions):
            raise ValueError("curve_fractions must lie strictly between 0 and 1 (the full training split is always a point of its own)")
        return self


class FailureConfig(Strict):
    max_retries: int = Field(2, ge=0, le=100)  # a trial whose process dies restarts from its last checkpoint


def _default_variants() -> list[VariantConfig]:
    """Every kind that applies to tables; image data adds the augmentation kinds (`launch`)."""
    return [VariantConfig(kind=k) for k in TABLE_KINDS]


class ExperimentConfig(Strict):
    name: str = Field("experiment", pattern=EXPERIMENT_NAME_PATTERN, max_length=CONFIG_NAME_MAX)
    # numpy and scikit-learn take seeds below 2**32; TPE adds the variant's index (tuning/tpe.py)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    hparams: HParams = HParams()
    variants: list[VariantConfig] = Field(default_factory=_default_variants, min_length=1)
    search: SearchConfig = SearchConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    resources: ResourcesConfig = ResourcesConfig()
    failure: FailureConfig = FailureConfig()
    diagnosis: DiagnosisConfig = DiagnosisConfig()
    output: OutputConfig = OutputConfig()

    @model_validator(mode="after")
    def _unique_variant_names(self) -> "ExperimentConfig":
        labels = [v.label for v in self.variants]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"variant names must be unique; give each a distinct `name`: {dupes}")
        return self
