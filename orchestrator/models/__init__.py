"""Models: the regularization catalogue, the builders, and what a model's outputs mean.

Nothing here imports Keras at module level: the config validates variant kinds against the
catalogue without loading TensorFlow.
"""
