"""What the compiled epoch (`epochs.EpochRunner`) trains: a network's forward pass, its penalty, its
trainable weights and its optimizer.

`KerasNet` is any Keras model run as Keras runs it (user builders, saved models, the CNN): its
dropout rates and L2 strengths are constants of its layers, so each trial traces its own step.

`TunableNet` is a built-in family (the MLP, the CNN) with its hyperparameters held in variables
that the compiled step reads: the learning rate (the optimizer's own variable), the L2 strength,
and one dropout rate per place a Dropout can stand (`Layout`: after each hidden layer of the MLP,
on the inputs of its linear rung, before and after the CNN's dense layer), each with its own
random stream. Every trial of one architecture then runs the step traced for the first
(`engines`). A rate of 0 passes its input through untouched, as a missing Dropout layer does. Its
weights live in a plain Keras model with neither Dropout layers nor regularizers; the trial's own
model (what checkpoints and the export hold, built by `build.build_for_trial` with the real
layers) takes them over (`engines.Engine.write_into`).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Layout:
    """Where a built-in family's regularizers stand, by layer name: a Dropout after each layer of
    `drop_after` (the trial's own model names it `dropout_names[i]`), L2 on the kernels of `penalized`."""

    drop_after: tuple[str, ...]
    dropout_names: tuple[str, ...]
    penalized: tuple[str, ...]


def layout(model_kind: str, model) -> Layout:
    """The layout of `models.mlp.build_model` or `models.cnn.build_cnn`, read off the bare model."""
    names = [layer.name for layer in model.layers]
    if model_kind == "cnn":
        pooled = "flatten" if "flatten" in names else "global_pool"
        convs = tuple(n for n in names if n.startswith("conv_"))
        return Layout((pooled, "dense_0"), ("dropout_0", "dropout_1"), (*convs, "dense_0"))
    dense = tuple(n for n in names if n.startswith("dense_"))
    if not dense:  # the linear rung: dropout on the scaled inputs, L2 on the output
        return Layout(("scaling",), ("input_dropout",), ("output",))
    return Layout(dense, tuple(f"dropout_{i}" for i in range(len(dense))), dense)


class TunableNet(_Net):
    """A built-in family's forward pass with its dropout rates and L2 strength as variables."""

    def __init__(self, model, model_kind: str, strategy) -> None:
        """`model`: the family's compiled model built with l2=0 and dropout=0, in `strategy`'s scope."""
        import keras
        import tensorflow as tf

        self.model, self.layout = model, layout(model_kind, model)
        self.layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        self.place = {name: i for i, name in enumerate(self.layout.drop_after)}
        places = len(self.layout.drop_after)
        with strategy.scope():
            self.rates = [tf.Variable(0.0, trainable=False, name=f"dropout_rate_{i}") for i in range(places)]
            self.l2 = tf.Variable(0.0, trainable=False, name="l2")
            self.streams = [keras.random.SeedGenerator(0) for _ in range(places)]
            model.optimizer.build(model.trainable_variables)

    def forward(self, x, training: bool):
        h = x
        for layer in self.layers:  # the bare models are chains
            h = layer(h, training=training)  # augmentation acts only when training, as in the trial's model
            if layer.name in self.place:
                h = self._dropped(h, self.place[layer.name], training)
        return h

    def penalty(self):
        import tensorflow as tf

        kernels = [self.model.get_layer(name).kernel for name in self.layout.penalized]
        return self.l2 * tf.add_n([tf.reduce_sum(tf.square(kernel)) for kernel in kernels])

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
    return net if isinstance(net, (KerasNet, TunableNet)) else KerasNet(net)
