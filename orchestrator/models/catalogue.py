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
        return used


CATALOGUE: dict[str, Recipe] = {
    "baseline": Recipe(summary="no regularization: the network is free to memorize the training set"),
    "l2": Recipe(l2=True, summary="L2 weight decay on the hidden layers' kernels"),
    "dropout": Recipe(dropout=True, summary="dropout after each hidden layer"),
    "early_stopping": Recipe(early_stopping=True, summary="stop when validation loss stops improving, keep the best weights"),
    "dropout_early_stopping": Recipe(dropout=True, early_stopping=True, summary="dropout plus early stopping"),
    "l2_dropout": Recipe(l2=True, dropout=True, summary="L2 weight decay plus dropout"),
}
VARIANT_KINDS: tuple[str, ...] = tuple(CATALOGUE)

# What an unused hyperparameter is set to: the regularizer is simply absent.
SWITCHED_OFF: dict[str, object] = {"l2": 0.0, "dropout": 0.0, "patience": 0}
