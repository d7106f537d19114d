"""Every threshold the doctor's verdicts use, with why it has its value: the one owner.

A verdict is `confirmed` only when its effect is both large (the gap below) and larger than chance
at the sizes involved (the confidence level below). Effects measured in accuracy are read on the
same rows before and after a correction, so a gap of ten points on a few hundred rows is far beyond
noise, while on 25 rows it is not, and the rule says `cannot_tell` there instead.
"""

from __future__ import annotations

from orchestrator.data import drift

# Two-sided 95% intervals (Wilson for a proportion): what "within what chance gives" means here.
CONFIDENCE = 0.95
# A test interval wider than ±0.10 cannot tell a good model from a mediocre one (25 rows give ±0.18).
SMALL_TEST_HALF_WIDTH = 0.10
# Train accuracy this far above test accuracy (after the mechanical corrections) is overfitting.
OVERFIT_GAP = 0.10
# The model fits its own training rows this far below what a reference model reaches on test:
# the model is too weak (or trained too briefly) for what the data allows.
UNDERFIT_GAP = 0.10
# A transform, a remapping of classes, a re-estimation of BatchNormalization statistics or the
# missing output activation must regain this much accuracy to be a cause; less is a side effect.
MECHANICAL_GAIN = 0.10
# label_mapping: on the training rows, the identity must be within this of the best assignment
# (the model was trained with the labels as they are spelled there).
IDENTITY_SLACK = 0.02
# Outputs count as probabilities within this tolerance: each in [0, 1], softmax rows summing to 1.
PROBABILITY_TOLERANCE = 1e-3
# class_imbalance: accuracy flatters the model when balanced accuracy lies this far below it on test.
IMBALANCE_ACCURACY_GAP = 0.10
# Rows the training-row examinations (transforms, inference mode, references) use at most: a
# uniform sample this large measures an accuracy to about ±0.01, and keeps 100,000 rows fast.
EXAMINED_TRAIN_ROWS = 5000
SEED = 0  # samples are fixed so the same files always give the same verdicts
# Images: logistic regression on the flattened pixels is a reference only up to this many values per
# image (32 x 32 gray, 8-bit digits, small icons: seconds), fitted on at most this many images.
IMAGE_REFERENCE_PIXELS = 1024
IMAGE_REFERENCE_ROWS = 5000
# A training image folder larger than this, decoded as uint8, is read as a uniform sample that fits
# (float32 in memory: four times this): its statistics, references and examinations need no more.
IMAGE_TRAIN_MB = 512
# covariate_shift: a classifier telling training rows from test rows with cross-validated ROC-AUC at
# least SHIFT_AUC (0.5 = indistinguishable) sees two populations (`data.drift` owns it: launch checks a
# given test file by the same rule)...
SHIFT_AUC = drift.SHIFT_AUC
# ...and the shift costs accuracy when the model scores this much lower on the test half least like
# training than on the half most like it.
SHIFT_ACCURACY_GAP = 0.10
# label_shift: the classes' shares differ by the data checks' LABEL_SHIFT_MAX, and the model's per-class
# accuracy, weighted by the test shares instead of the training ones, predicts at least this drop.
CLASS_MIX_ACCURACY_DROP = 0.05
# train_test_overlap: this share of test rows identical to training rows makes test scores partly recall.
OVERLAP_SHARE = 0.01
# unseen_categories: a model column holding whole numbers with at most this many distinct training
# values is a coded category (site, product, region)...
MAX_CODES = 20
# ...and codes never seen in training cost accuracy when the model scores this much lower on the test
# rows that hold one than on the rest (the same gap as a covariate shift's), beyond their interval.
UNSEEN_ACCURACY_GAP = SHIFT_ACCURACY_GAP
