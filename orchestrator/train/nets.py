"""What the compiled epoch (`epochs.EpochRunner`) trains: a network's forward pass, its penalty, its
trainable weights and its optimizer.

`KerasNet` is any Keras model run as Keras runs it (user builders, saved models, the CNN): its
dropout rates and L2 strengths are constants of its layers, so each trial traces its own step.

`MlpNet` is the built-in MLP with its hyperparameters held in variables that the compiled step
reads: the learning rate (the optimizer's own variable), the L2 strength, and one dropout rate per
place a Dropout can stand (after each hidden layer; on the inputs of the linear rung), each with
its own random stream. Every trial of one architecture then runs the step traced for the first
(`engines`). A rate of 0 passes its input through untouched, as a missing Dropout layer does. Its
weights live in a plain Keras model with neither Dropout layers nor regularizers; the trial's own
model (what checkpoints and the export hold, built by `build.build_for_trial` with the real
layers) takes them over (`engines.MlpEngine.write_into`).
"""

from __future__ import annotations

from orchestrator.train import replica_dropout


class _Net:
    """What both nets train through: their Keras model's weights and optimizer."""

    model = None

    @property
    def optimizer(self):
        return self.model.optimizer

    @property
    def trainable_variables(self) -> list:
        return self.model.trainable_variables


class KerasNet(_Net):
    """A Keras model as the epoch pass trains it: `model(x, training)` and `model.losses`."""

    def __init__(self, model) -> None:
        self.model = model

    def forward(self, x, training: bool):
        return self.model(x, training=training)

    def penalty(self):
        """The regularizers' sum, or None when the model has none."""
        import tensorflow as tf

        return tf.add_n(self.model.losses) if self.model.losses else None

    def build_optimizer(self, strategy) -> None:
        """Its variables exist before the first trace; a restored checkpoint's keeps its moments."""
        if not self.model.optimizer.built:
            with strategy.scope():
                self.model.optimizer.build(self.model.trainable_variables)


class MlpNet(_Net):
    """The built-in MLP's forward pass with dropout rates and the L2 strength as variables."""

    def __init__(self, model, hidden: tuple[int, ...], strategy) -> None:
        """`model`: a compiled `models.mlp.build_model` with l2=0 and dropout=0, built in `strategy`'s scope."""
        import keras
        import tensorflow as tf

        self.model, self.linear = model, not hidden
        self.scaling, self.output = model.get_layer("scaling"), model.get_layer("output")
        self.dense = [model.get_layer(f"dense_{i}") for i in range(len(hidden))]
        places = 1 if self.linear else len(hidden)
        with strategy.scope():
            self.rates = [tf.Variable(0.0, trainable=False, name=f"dropout_rate_{i}") for i in range(places)]
            self.l2 = tf.Variable(0.0, trainable=False, name="l2")
            self.streams = [keras.random.SeedGenerator(0) for _ in range(places)]
            model.optimizer.build(model.trainable_variables)

    @property
    def penalized(self) -> list:
        """The kernels the L2 strength applies to (as `models.mlp.build_model` puts its regularizers)."""
        return [self.output.kernel] if self.linear else [layer.kernel for layer in self.dense]

    def forward(self, x, training: bool):
        h = self.scaling(x)
        if self.linear:
            h = self._dropped(h, 0, training)
        for place, layer in enumerate(self.dense):
            h = self._dropped(layer(h), place, training)
        return self.output(h)

    def penalty(self):
        import tensorflow as tf

        return self.l2 * tf.add_n([tf.reduce_sum(tf.square(kernel)) for kernel in self.penalized])

    def build_optimizer(self, strategy) -> None:
        """Built with the network (`__init__`)."""

    def _dropped(self, h, place: int, training: bool):
        if not training:
            return h
        import tensorflow as tf

        rate, stream = self.rates[place], self.streams[place]
        return tf.cond(rate > 0, lambda: replica_dropout.variable_rate_dropout(h, rate, stream), lambda: h)


def as_net(net):
    """A net as given, or a Keras model wrapped in a `KerasNet`."""
    return net if isinstance(net, (KerasNet, MlpNet)) else KerasNet(net)
