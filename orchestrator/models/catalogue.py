"""The catalogue of regularization variants: which regularizers each kind switches on.

This is the one list of variant kinds. The config validates `variants[].kind` against it, the
search resolves each kind's hyperparameters from it (`models.variants`), and the builders read the
resolved values (`l2 == 0`: no kernel regularizer, dropout 0: no Dropout layer, patience 0: no
early stopping), so `baseline` really has none of them. A new kind is one line here.

A leaf module: it imports nothing from gg-train, so the config can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    l2: bool = False
    dropout: bool = False
    early_stopping: bool = False
    augment: bool = False  # random flips/rotations/zooms/shifts of the training images (images only)
    summary: str = ""

    def uses(self) -> set[str]:
        """The hyperparameters this recipe reads; the others are switched off (`SWITCHED_OFF`)."""
        used = {"learning_rate", "hidden", "batch_size", "class_weight"}
        if self.l2:
            used.add("l2")
        if self.dropout:
            used.add("dropout")
        if self.early_stopping:
            used.add("patience")
        if self.augment:
            used.add("augment")
        return used


CATALOGUE: dict[str, Recipe] = {
    "baseline": Recipe(summary="no regularization: the network is free to memorize the training set"),
    "l2": Recipe(l2=True, summary="L2 weight decay on the hidden layers' kernels (the output's, with no hidden layer)"),
    "dropout": Recipe(dropout=True, summary="dropout after each hidden layer (on the inputs, with no hidden layer)"),
    "early_stopping": Recipe(early_stopping=True, summary="stop when validation loss stops improving, keep the best weights"),
    "dropout_early_stopping": Recipe(dropout=True, early_stopping=True, summary="dropout plus early stopping"),
    "l2_dropout": Recipe(l2=True, dropout=True, summary="L2 weight decay plus dropout"),
    "augmentation": Recipe(augment=True, summary="random rotations, zooms and shifts of the training images"),
    "augmentation_dropout_early_stopping": Recipe(augment=True, dropout=True, early_stopping=True,
                                                  summary="augmentation plus dropout plus early stopping"),
}
VARIANT_KINDS: tuple[str, ...] = tuple(CATALOGUE)
# Kinds that only mean something for images; the default variant list adds them for image data.
IMAGE_KINDS: tuple[str, ...] = tuple(k for k, r in CATALOGUE.items() if r.augment)
TABLE_KINDS: tuple[str, ...] = tuple(k for k in VARIANT_KINDS if k not in IMAGE_KINDS)

# Model-specific values (`model.params`, the CNN family's capacity) travel in a trial's config as
# param_<name> (`models.variants` puts them there, `train.spec.TrialSpec` takes them out).
PARAM_PREFIX = "param_"

# What an unused hyperparameter is set to: the regularizer is simply absent.
SWITCHED_OFF: dict[str, object] = {"l2": 0.0, "dropout": 0.0, "patience": 0, "augment": 0.0}
