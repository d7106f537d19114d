"""An epoch as one compiled call: the trial's training and validation data live in TensorFlow once,
and each epoch is a `tf.function` over them (a loop over batches inside the graph), not a Keras
`fit` call, whose per-epoch machinery costs 50 times the arithmetic of a small model.

What `fit` gave and this keeps:
- the row order of epoch e is a stateless shuffle keyed on (seed, e), so a trial restarted at
  epoch k trains on exactly the batches an uninterrupted one would have;
- class weights as Keras applies them (the row's loss × its class's weight, mean over the batch);
- the reported losses are the cross-entropy alone; the objective adds the L2 penalty;
- under a `MirroredStrategy` (K GPUs, or CPU replicas) each replica takes its slice of the global
  batch and the optimizer sums the gradients, so K replicas train like one at the same global
  batch; a loop of our own also runs under `MultiWorkerMirroredStrategy`, where `fit` does not;
- mixed precision: the optimizer's loss scaling (a `LossScaleOptimizer` under `mixed_float16`);
- dropout draws its masks from the layers' seed generators, whose state the checkpoint keeps, and
  under several replicas each draws its rows of the global batch's mask (`replica_dropout`), so K
  replicas drop what one would.

Images too large to hold (`data.image_files.ImageFiles`) stream instead: each epoch is a tf.data
pipeline that decodes the batches in parallel while the compiled step trains, in the same row
order (the same stateless shuffle), so a streamed trial trains on exactly the batches an
in-memory one would.
"""

from __future__ import annotations

import contextlib

import numpy as np

from orchestrator.train import replica_dropout

_VAL_CHUNK = 8192  # rows per inference pass over the validation set
_STREAM_VAL_BATCH = 512  # images per inference pass when they are decoded from disk


class EpochRunner:
    """Compiled train and validation passes for one network, traced once and reused for every
    trial bound to it: the rows are arguments of the compiled passes (any number of rows, one
    trace), not constants captured in them, so a warm worker's next trial of the same
    architecture (`engines`) trains without tracing again."""

    def __init__(self, net, strategy, *, n_classes: int, global_batch: int, train: tuple | None = None,
                 val: tuple | None = None):
        """`net`: a `nets.KerasNet` or `nets.TunableNet` (a Keras model is wrapped in a KerasNet).
        `train`: (x, y targets, per-row weights); `val`: (x, y targets, per-row balanced weights)."""
        import tensorflow as tf

        from orchestrator.train.nets import as_net

        self.tf, self.net, self.strategy = tf, as_net(net), strategy
        self.binary, self.global_batch = n_classes == 2, int(global_batch)
        self.replicated = strategy.num_replicas_in_sync > 1
        if self.replicated:
            replica_dropout.install()
        self.net.build_optimizer(strategy)  # its variables exist before the first trace
        self._train = self._validate = None  # traced at the first bind, for the data's column shapes
        self._calls: dict = {}  # their concrete functions, by name
        # streamed images: one call a batch, and one per validation chunk
        self._step = tf.function(self._distributed_step, autograph=False)
        self._chunk = tf.function(self._val_chunk, autograph=False)
        if train is not None and val is not None:
            self.bind(train, val)

    def bind(self, train: tuple, val: tuple) -> "EpochRunner":
        """This trial's rows, as tensors on the host (every replica gathers its batches from there);
        images on disk stay there and are decoded per epoch (`_train_streamed`)."""
        tf = self.tf
        from orchestrator.data.image_files import is_on_disk

        self.train_files, self.val_files = (part[0] if is_on_disk(part[0]) else None for part in (train, val))
        with tf.device("/cpu:0"):
            self.train_data = tuple(a if is_on_disk(a) else tf.convert_to_tensor(np.asarray(a)) for a in train)
            self.val_data = tuple(a if is_on_disk(a) else tf.convert_to_tensor(np.asarray(a)) for a in val)
        # autograph=False: the loops are explicit `tf.while_loop`s, and converting Keras' own code on
        # every trace would cost more than many epochs of a small model. The signatures leave the
        # number of rows open, so a learning-curve subset reuses the trace of the full split.
        # Each is called through its one concrete function (`_calls`): a tf.function's call matches
        # its arguments to a trace first, which cost 0.25 ms a call, a tenth of a 300-row epoch.
        if self._train is None and self.train_files is None:
            self._train = tf.function(self._train_epoch, autograph=False, input_signature=[
                tf.TensorSpec([2], tf.int64), *_row_specs(self.train_data)])
            self._calls["train"] = self._train.get_concrete_function()
        if self._validate is None and self.val_files is None:
            self._validate = tf.function(self._validation_pass, autograph=False, input_signature=_row_specs(self.val_data))
            self._calls["validate"] = self._validate.get_concrete_function()
        return self

    def train(self, seed: int, epoch: int) -> dict[str, float]:
        """One epoch of training; the running means over it, as `fit` reports them (dropout on)."""
        seed_pair = self.tf.constant([seed, epoch], dtype=self.tf.int64)
        sums = self._train_streamed(seed_pair) if self.train_files is not None else self._calls["train"](seed_pair, *self.train_data)
        objective, xent, correct, rows = sums.numpy()
        return {"objective": objective / rows, "xent": xent / rows, "accuracy": correct / rows}

    def validate(self) -> tuple[dict[str, float], np.ndarray]:
        """Inference-mode metrics on validation, and its class probabilities (n, K)."""
        sums, proba = self._validate_streamed() if self.val_files is not None else self._calls["validate"](*self.val_data)
        xent, weighted, weights, correct, rows, penalty = sums.numpy()
        metrics = {"val_xent": xent / rows, "val_bxent": weighted / weights, "val_accuracy": correct / rows,
                   "val_objective": weighted / weights + penalty}  # as Keras' val_loss with the balanced weights
        proba = proba.numpy().astype(np.float64)
        return metrics, (np.hstack([1.0 - proba, proba]) if self.binary else proba)

    # -- compiled parts ----------------------------------------------------------------------

    def _row_losses(self, y, p):
        import keras

        if self.binary:
            return keras.losses.binary_crossentropy(y, p)
        return keras.losses.sparse_categorical_crossentropy(y, p)

    def _correct(self, y, p):
        tf = self.tf
        if self.binary:
            return tf.reduce_sum(tf.cast(tf.equal(tf.cast(p > 0.5, y.dtype), y), tf.float32))
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(p, axis=-1, output_type=y.dtype), y), tf.float32))

    def _shard(self, tensors):
        """This replica's contiguous slice of a global batch (replica order is row order), the
        number of replicas, and where the slice starts."""
        tf = self.tf
        context = tf.distribute.get_replica_context()
        replicas, me = context.num_replicas_in_sync, context.replica_id_in_sync_group
        rows = tf.shape(tensors[0])[0]
        per = (rows + replicas - 1) // replicas
        start = tf.minimum(me * per, rows)
        end = tf.minimum(start + per, rows)
        return tuple(t[start:end] for t in tensors), replicas, start

    def _train_step(self, x, y, w):
        tf, net = self.tf, self.net
        global_rows = tf.cast(tf.shape(y)[0], tf.float32)
        (xs, ys, ws), replicas, start = self._shard((x, y, w))
        masks = replica_dropout.rows_of_global_batch(start, tf.shape(y)[0]) if self.replicated else contextlib.nullcontext()
        with tf.GradientTape() as tape, masks:
            p = net.forward(xs, training=True)
            per_row = self._row_losses(ys, p)
            loss = tf.reduce_sum(per_row * ws) / global_rows  # the replicas' losses sum to the batch's mean
            penalty = net.penalty()
            if penalty is not None:
                loss += penalty / replicas  # the penalty, once over all replicas
            scaled = net.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, net.trainable_variables)
        net.optimizer.apply(grads, net.trainable_variables)
        return tf.stack([loss * global_rows, tf.reduce_sum(per_row), self._correct(ys, p),
                         tf.cast(tf.shape(ys)[0], tf.float32)])

    def _train_epoch(self, seed_pair, x, y, w):
        tf = self.tf
        n = tf.shape(y)[0]
        order = tf.argsort(tf.random.stateless_uniform([n], seed=seed_pair))
        batches = (n + self.global_batch - 1) // self.global_batch

        def batch(i, sums):
            rows = order[i * self.global_batch:tf.minimum((i + 1) * self.global_batch, n)]
            return i + 1, sums + self._distributed_step(tf.gather(x, rows), tf.gather(y, rows), tf.gather(w, rows))

        return tf.while_loop(lambda i, _: i < batches, batch, (tf.constant(0), tf.zeros([4], tf.float64)))[1]

    def _distributed_step(self, x, y, w):
        """One global batch over the replicas; the sums of its (objective, xent, correct, rows)."""
        tf = self.tf
        per_replica = self.strategy.run(self._train_step, args=(x, y, w))
        return tf.cast(self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None), tf.float64)  # exact past 2^24

    def _streamed(self, files, y, w, order, batch: int):
        """(images, (targets, weights)) batches in `order`, the images decoded from disk as they go."""
        tf = self.tf
        labels = tf.data.Dataset.from_tensor_slices((tf.gather(y, order), tf.gather(w, order))).batch(batch)
        return tf.data.Dataset.zip((files[order.numpy()].dataset(batch), labels))

    def _train_streamed(self, seed_pair):
        """The epoch of `_train_epoch` (same stateless row order) with batches decoded from disk."""
        tf = self.tf
        _, y, w = self.train_data
        order = tf.argsort(tf.random.stateless_uniform([len(self.train_files)], seed=seed_pair))
        sums = tf.zeros([4], tf.float64)
        for x, (yb, wb) in self._streamed(self.train_files, y, w, order, self.global_batch):
            sums += self._step(x, yb, wb)
        return sums

    def _val_step(self, x, y, w):
        tf = self.tf
        (xs, ys, ws), _, _ = self._shard((x, y, w))
        p = self.net.forward(xs, training=False)
        per_row = self._row_losses(ys, p)
        sums = tf.stack([tf.reduce_sum(per_row), tf.reduce_sum(per_row * ws), tf.reduce_sum(ws), self._correct(ys, p),
                         tf.cast(tf.shape(ys)[0], tf.float32)])
        return sums, p

    def _validation_pass(self, x, y, w):
        tf = self.tf
        n = tf.shape(y)[0]
        chunks = (n + _VAL_CHUNK - 1) // _VAL_CHUNK

        def chunk(i, sums, probas):
            start, end = i * _VAL_CHUNK, tf.minimum((i + 1) * _VAL_CHUNK, n)
            part, p = self._val_chunk(x[start:end], y[start:end], w[start:end])
            return i + 1, sums + part, probas.write(i, p)

        start = (tf.constant(0), tf.zeros([5], tf.float64), tf.TensorArray(tf.float32, size=chunks, infer_shape=False))
        _, sums, probas = tf.while_loop(lambda i, *_: i < chunks, chunk, start)
        return self._with_penalty(sums), probas.concat()

    def _val_chunk(self, x, y, w):
        """(sums, probabilities in row order) of one validation chunk over the replicas."""
        tf = self.tf
        part, p = self.strategy.run(self._val_step, args=(x, y, w))
        return tf.cast(self.strategy.reduce(tf.distribute.ReduceOp.SUM, part, axis=None), tf.float64), self._gathered(p)

    def _with_penalty(self, sums):
        tf = self.tf
        penalty = self.net.penalty()
        penalty = tf.constant(0.0) if penalty is None else penalty
        return tf.concat([sums, [tf.cast(penalty, tf.float64)]], axis=0)

    def _validate_streamed(self):
        """`_validation_pass` over validation images decoded from disk, chunk by chunk."""
        tf = self.tf
        _, y, w = self.val_data
        sums, probas = tf.zeros([5], tf.float64), []
        for x, (yb, wb) in self._streamed(self.val_files, y, w, tf.range(len(self.val_files)), _STREAM_VAL_BATCH):
            part, p = self._chunk(x, yb, wb)
            sums, probas = sums + part, probas + [p]
        return self._with_penalty(sums), tf.concat(probas, axis=0)

    def _gathered(self, per_replica):
        """Per-replica rows back in row order (the identity for one replica)."""
        if self.strategy.num_replicas_in_sync == 1:
            return self.strategy.experimental_local_results(per_replica)[0]
        return self.strategy.gather(per_replica, axis=0)


def _row_specs(tensors: tuple) -> list:
    """TensorSpecs of these row tensors with the number of rows left open."""
    import tensorflow as tf

    return [tf.TensorSpec([None, *t.shape[1:]], t.dtype) for t in tensors]
