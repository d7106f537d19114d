"""Before any trial starts: fit the config to the data, and try the user's model once on the driver.

A builder that cannot be imported, returns the wrong thing or has the wrong output width would
otherwise fail in every trial on every worker; here it is one line and exit 2 (`ModelError`). The
notes (a builder that ignores `spec.l2`, a saved model's own preprocessing) and, for a saved
model, the layers each variant changes go into the manifest and the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.config import ExperimentConfig, VariantConfig, domain_values
from orchestrator.errors import ConfigError
from orchestrator.models.catalogue import CATALOGUE, IMAGE_KINDS


def _absolute_refs(config: ExperimentConfig) -> ExperimentConfig:
    """A builder file or saved model named relative to here, made absolute: trials on other
    processes and a later `resume` from another directory find the same file."""
    model = config.model
    if model.builder:
        from orchestrator.models.builder import is_file_ref

        where, _, fn = model.builder.rpartition(":")
        if is_file_ref(where):
            model = model.model_copy(update={"builder": f"{Path(where).expanduser().resolve()}:{fn}"})
    if model.file is not None:
        model = model.model_copy(update={"file": model.file.expanduser().resolve()})
    return config.model_copy(update={"model": model})


def fit_to_data(config: ExperimentConfig, kind: str) -> ExperimentConfig:
    """The config to run on this data ('table' or 'images'): the model family resolved, the
    augmentation variants added to the default list for images and refused for tables."""
    config = _absolute_refs(config)
    if config.model.kind in ("cnn", "mlp") and (config.model.kind == "cnn") != (kind == "images"):
        raise ConfigError(f"model.family '{config.model.kind}' does not fit this data ({kind})",
                          "use model.family: auto (the CNN family for images, the MLP for tables)")
    update: dict[str, Any] = {}
    if config.model.family == "auto":
        update["model"] = config.model.model_copy(update={"family": "cnn" if kind == "images" else "mlp"})
    if kind == "images" and "variants" not in config.model_fields_set:
        update["variants"] = [*config.variants, *(VariantConfig(kind=k) for k in IMAGE_KINDS)]
    if kind != "images":
        augmenting = [v.label for v in config.variants if CATALOGUE[v.kind].augment]
        if augmenting:
            raise ConfigError(f"variants {augmenting} augment images, but the data is a table",
                              "remove them, or train on an image folder or an NPZ of images")
    return config.model_copy(update=update) if update else config


def _representative(value: Any) -> Any:
    """One concrete value of a fixed value or a domain (its first), to build the model once."""
    return domain_values(value)[0]


def _first_values(config: ExperimentConfig) -> dict[str, Any]:
    from orchestrator.models.variants import model_params

    return {k: _representative(v) for k, v in model_params(config).items()}


def _changes_per_variant(config: ExperimentConfig) -> dict[str, list[str]]:
    """For a saved model: what each variant changes in its architecture, named by layer."""
    from orchestrator.models.saved import rebuild
    from orchestrator.models.variants import resolve_params

    changes = {}
    for variant in config.variants:
        params = resolve_params(variant, config)
        l2, dropout = (_representative(params[k]) for k in ("l2", "dropout"))
        dropout = dropout[0] if isinstance(dropout, list) else dropout  # the MLP's per-layer list: one rate
        _, changes[variant.label] = rebuild(config.model.file, l2=float(l2), dropout=float(dropout))
    return changes


def check_model(config: ExperimentConfig, input_shape: tuple[int, ...], n_classes: int) -> dict:
    """{"kind", "notes", "changes"}: the user's model tried once (raises `ModelError`), or the built-in
    family named; a user's model also with "ref" and "source", its file's sha256 that resume compares."""
    kind = config.model.kind
    out: dict = {"kind": kind, "notes": [], "changes": {}}
    if kind == "builder":
        from orchestrator.models.builder import check_builder

        out["ref"] = config.model.builder
        out["notes"] = check_builder(config.model.builder, tuple(input_shape), n_classes, _first_values(config))
    elif kind == "file":
        from orchestrator.models.saved import check_saved_model

        out["ref"] = str(config.model.file)
        out["notes"] = check_saved_model(config.model.file, tuple(input_shape), n_classes)
        if len(input_shape) == 1 and not any("has its own" in n for n in out["notes"]):  # what `train.build.user_model` does
            out["notes"].append("no preprocessing layer of its own: gg-train puts a Normalization with the training "
                                "split's mean and variance in front")
        out["changes"] = _changes_per_variant(config)
    if kind in ("builder", "file"):
        from orchestrator.models.fingerprint import record

        out["source"] = record(config.model)
    return out


def prepare(config: ExperimentConfig, kind: str, input_shape: tuple[int, ...], n_classes: int) -> tuple[ExperimentConfig, dict]:
    """The config fitted to the data and the user's model tried once on the driver, before Ray
    starts (`launch`): a bad builder is one line, not a failure in every trial."""
    from orchestrator.models.variants import resolve_params

    config = fit_to_data(config, kind)
    for variant in config.variants:
        resolve_params(variant, config)  # e.g. model.params given to the MLP
    return config, check_model(config, input_shape, n_classes)
