"""What the driver does after the trials: select on validation only (`selection`), evaluate the
chosen checkpoints once on held-out data (`evaluation`, `metrics`), say why test accuracy is what it
is (`diagnosis`), export the winner and prove it in a fresh process (`export`, `export_check`), and
score new labelled data with it (`new_data`). Never imports Ray; TensorFlow only inside functions.
"""
