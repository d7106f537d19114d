"""What runs inside a Ray worker: the trial loop and everything it needs.

`spec` (what a trial receives), `fitting` (compile, targets, class weights), `loop` (the epoch loop
over a `Reporter`), `checkpoint` (the one checkpoint format), `distribute` (devices and
`tf.distribute`), `board` (the per-trial TensorBoard writer), and `tune_adapter`, the one module
here that imports Ray. Nothing in this package imports the driver's config.
"""
