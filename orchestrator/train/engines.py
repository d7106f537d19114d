"""A warm worker's traced steps, kept per architecture: the next trial of an architecture the worker
has trained costs its arithmetic, not a new trace.

Tracing a trial's training and validation passes costs 0.6-1 s, more than many epochs of a small
model, and every trace leaves TensorFlow graph objects behind that no `clear_session` frees (a few
MB a trial). So trials of a built-in family (the MLP, the CNN) that share an architecture (input
shape, layer sizes, the CNN's filters, depth, kernel, dense width and augmentation, classes,
activation, scaling statistics, batch size, optimizer kind, precision, devices) share one
`Engine`: one `nets.TunableNet` and one `epochs.EpochRunner` traced once. A trial hands it its own
hyperparameters (learning rate, L2 strength, dropout rates: variables the step reads) and its
starting point: the weights, random streams and optimizer state of the trial's own model, freshly
built under the trial's seed or restored from its checkpoint, exactly what a fresh process would
start from; `write_into` gives them back to that model before a checkpoint is written. The trial's
model stays the plain Keras model (real Dropout layers, L2 regularizers) that checkpoints, the
evaluation and the export hold; it loads in safe mode with no custom objects.

At most `MAX_ENGINES` architectures are kept, the least recently used dropped first. User builders
and saved models trace per trial (`nets.KerasNet`: their regularizers are whatever their code
builds), as do multi-worker trials, whose Ray Train workers live for one trial.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict

import numpy as np

from orchestrator.train.spec import TrialSetup, TrialSpec

MAX_ENGINES = 16  # a search over the hidden ladder and a few batch sizes fits: no trace is dropped
_ENGINES: OrderedDict[tuple, "Engine"] = OrderedDict()
_STRATEGIES: dict[tuple, object] = {}


def cacheable(setup: TrialSetup) -> bool:
    """Whether this experiment's trials train on engines: the built-in families on one worker each."""
    return setup.model_kind in ("mlp", "cnn") and setup.workers == 1


def seed_keeping_traces(seed: int) -> None:
    """What `keras.utils.set_random_seed` does, less TensorFlow's global seed: setting that clears
    TensorFlow's kernel cache, so every traced function is instantiated and optimized again (0.4 s
    a trial), and `keras.backend.clear_session` clears the same cache. Nothing of a built-in trial
    draws from TensorFlow's global seed: its initializers seed from Python's `random`, its dropout
    and augmentation from their streams, its row order from (seed, epoch). Keras' global state (the seed, its
    global SeedGenerator) is reset as `set_random_seed` resets it; layer-name counters keep
    counting, which changes no number (tests/train/test_reuse.py)."""
    import random

    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)


def strategy_for(setup: TrialSetup):
    """One strategy per device layout for the worker's cached engines (their variables live in it);
    a new one per trial otherwise, as before."""
    from orchestrator.train import distribute

    if not cacheable(setup):
        return distribute.make_strategy(setup.gpus, setup.cpu_replicas, setup.workers)
    key = (setup.gpus, setup.cpu_replicas)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = distribute.make_strategy(setup.gpus, setup.cpu_replicas, setup.workers)
    return _STRATEGIES[key]


def architecture(spec: TrialSpec, setup: TrialSetup, input_shape: tuple, precision: str, global_batch: int) -> tuple:
    """What a traced step is specific to; everything else of a trial is a value the step reads."""
    scaling = hashlib.sha256(np.asarray(setup.mean, np.float64).tobytes() + np.asarray(setup.variance, np.float64).tobytes())
    return (setup.model_kind, tuple(input_shape), tuple(spec.hidden), spec.augment, tuple(sorted(spec.params.items())),
            setup.n_classes, setup.activation, scaling.hexdigest(), global_batch, setup.optimizer, precision, setup.gpus,
            setup.cpu_replicas)


def engine_for(spec: TrialSpec, setup: TrialSetup, input_shape: tuple, strategy, precision: str, global_batch: int):
    """The worker's engine for this trial's architecture: kept, or built now (and the oldest dropped)."""
    key = architecture(spec, setup, input_shape, precision, global_batch)
    engine = _ENGINES.pop(key, None)
    if engine is None:
        engine = Engine(spec, setup, input_shape, strategy, global_batch)
    _ENGINES[key] = engine
    while len(_ENGINES) > MAX_ENGINES:
        _ENGINES.popitem(last=False)
    return engine


class Engine:
    """One architecture's network and compiled passes, re-armed for each trial."""

    def __init__(self, spec: TrialSpec, setup: TrialSetup, input_shape: tuple, strategy, global_batch: int) -> None:
        from orchestrator.train.build import build_for_trial
        from orchestrator.train.epochs import EpochRunner
        from orchestrator.train.fitting import compile_model
        from orchestrator.train.nets import TunableNet

        with strategy.scope():  # the family's model without its Dropout layers and regularizers
            model = build_for_trial(dataclasses.replace(spec, l2=0.0, dropout=0.0), setup, tuple(input_shape))
            compile_model(model, n_classes=setup.n_classes, optimizer=setup.optimizer, learning_rate=spec.learning_rate)
        self.kind, self.strategy = setup.model_kind, strategy
        self.net = TunableNet(model, setup.model_kind, strategy)
        self.runner = EpochRunner(self.net, strategy, n_classes=setup.n_classes, global_batch=global_batch)
        self._fresh_optimizer = [v.numpy() for v in self.net.optimizer.variables]
        self.trials = 0
        self.checkpoint_cost: float | None = None  # seconds to write this architecture's checkpoint (`cadence`)

    def start(self, spec: TrialSpec, trial_model, optimizer_state: list | None = None) -> None:
        """Arm the engine with this trial's hyperparameters and its model's weights and random
        streams (dropout, augmentation); the optimizer's state from its checkpoint, or a fresh one's."""
        net = self.net
        net.model.set_weights(trial_model.get_weights())
        for theirs, ours in _stream_pairs(trial_model, net):
            ours.assign(theirs.value if theirs is not None else np.zeros(2, np.int64))
        for variable, rate in zip(net.rates, self._rates(spec, len(net.rates)), strict=True):
            variable.assign(rate)
        net.l2.assign(spec.l2)
        for variable, value in zip(net.optimizer.variables, optimizer_state or self._fresh_optimizer, strict=True):
            variable.assign(value)
        net.optimizer.learning_rate = spec.learning_rate
        self.trials += 1

    def write_into(self, trial_model) -> list[np.ndarray]:
        """The trained weights and random streams back into the trial's own model (before it is
        checkpointed); returns the optimizer's state, which the checkpoint keeps beside it."""
        net = self.net
        trial_model.set_weights(net.model.get_weights())
        for theirs, ours in _stream_pairs(trial_model, net):
            if theirs is not None:
                theirs.assign(ours.value)
        return [np.asarray(v.numpy()) for v in net.optimizer.variables]

    def _rates(self, spec: TrialSpec, places: int) -> list[float]:
        """One rate per place: the MLP's per layer (`mlp.dropout_rates`), the CNN's one rate at both."""
        from orchestrator.models.mlp import dropout_rates

        return dropout_rates(spec.dropout, places) if self.kind == "mlp" else [spec.dropout_rate] * places


def _stream_pairs(trial_model, net) -> list[tuple]:
    """(the trial model's random-stream variable or None, the engine's) for every stream: each
    dropout place (None where the trial's rate is 0 and it has no Dropout layer), then the
    augmentation layers both models have."""
    present = {layer.name: layer for layer in trial_model.layers}
    pairs = [(present[name].seed_generator.state if name in present else None, stream.state)
             for name, stream in zip(net.layout.dropout_names, net.streams)]
    for ours in net.model.layers:
        mine = [v for v in ours.variables if "seed_generator_state" in v.path]
        if mine:
            theirs = [v for v in trial_model.get_layer(ours.name).variables if "seed_generator_state" in v.path]
            pairs += list(zip(theirs, mine, strict=True))
    return pairs
