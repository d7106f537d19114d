"""gg-train: train regularization variants side by side and evaluate the winner on data no choice was made on."""

__version__ = "0.2.0"
