"""The built-in CNN builder: hyperparameters in, an uncompiled `keras.Model` out (the caller compiles).

It is the image counterpart of `mlp.build_model`, with the same contract: the saved model takes raw
pixels (0..255; `Rescaling(1/255)` is the model's first real layer, so no preprocessing can be
forgotten at serving time), and each regularizer is off unless its hyperparameter asks for it
(`l2 == 0` means no kernel regularizer, `dropout == 0` no Dropout layer, `augment == 0` no
augmentation layers), so the baseline really is unregularized.

Augmentation is one knob, `augment`, a strength in [0, 1] that scales three transforms together:
rotation up to `augment * 0.25` of a full turn, zoom and translation up to `augment` of the image
size. `augment = 0.1` is then the classic MNIST recipe (about ±9°, ±10% zoom, ±10% shift). Keras'
random layers act only when training, so validation, test and the exported model see the images
unchanged. Horizontal flips are a separate switch (`flip`), off by default: digits and text are not
mirror-symmetric, and a flipped '2' is not a '2'. Filled-in borders are black (constant 0), which
adds no fake strokes to digits on a dark background, where edge reflection would.

The head flattens small feature maps and averages large ones: on an 8x8 digit every position of the
last 2x2 map matters (Flatten keeps where a stroke is; global averaging throws that away and costs
accuracy), while flattening a 56x56 map would put millions of weights into the first dense layer.
"""

from __future__ import annotations

# A last feature map of at most this many positions (8x8) is flattened, a larger one averaged:
# 32x32 CIFAR images at depth 2 flatten to 4,096 features, 64x64 would give 16,384 per dense unit.
FLATTEN_MAX_POSITIONS = 64
ROTATION_PER_AUGMENT = 0.25  # fraction of a full turn at augment = 1


def _check_args(input_shape, n_classes: int, filters: int, depth: int, kernel_size: int, augment: float) -> None:
    """Refuse what Keras would accept and train badly or fail on much later (zoom factors above 1)."""
    if len(input_shape) != 3 or min(int(d) for d in input_shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels) of positive sizes, got {tuple(input_shape)}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if filters < 1 or depth < 1 or kernel_size < 1:
        raise ValueError(f"filters, depth and kernel_size must be positive, got {filters}, {depth}, {kernel_size}")
    if not 0.0 <= augment <= 1.0:
        raise ValueError(f"augment is a strength in [0, 1], got {augment}")


def augmentation(x, augment: float, flip: bool):
    """Random rotation, zoom, translation (and flip): identity unless training, so inference is deterministic."""
    import keras

    fill = {"fill_mode": "constant", "fill_value": 0.0}
    if flip:
        x = keras.layers.RandomFlip("horizontal", name="augment_flip")(x)
    if augment > 0:
        x = keras.layers.RandomRotation(augment * ROTATION_PER_AUGMENT, name="augment_rotation", **fill)(x)
        x = keras.layers.RandomZoom(augment, augment, name="augment_zoom", **fill)(x)
        x = keras.layers.RandomTranslation(augment, augment, name="augment_translation", **fill)(x)
    return x


def _conv_blocks(x, *, height: int, width: int, filters: int, depth: int, kernel_size: int, regularizer):
    """depth x [Conv2D (filters doubling) -> MaxPooling2D while both sides are >= 2]; returns (x, h, w)."""
    import keras

    for i in range(depth):
        x = keras.layers.Conv2D(filters * 2**i, kernel_size, padding="same", activation="relu",
                                kernel_regularizer=regularizer(), name=f"conv_{i}")(x)
        if min(height, width) >= 2:  # an 8x8 input pools 8 -> 4 -> 2 -> 1 and then stops, so depth 4 works too
            x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
            height, width = height // 2, width // 2
    return x, height, width


def build_cnn(
    *,
    input_shape: tuple[int, int, int],
    n_classes: int,
    filters: int = 32,
    depth: int = 2,
    kernel_size: int = 3,
    l2: float = 0.0,
    dropout: float = 0.0,
    augment: float = 0.0,
    flip: bool = False,
    dense: int = 64,
):
    """pixels -> [augmentation] -> Rescaling(1/255) -> conv blocks -> Flatten or global average ->
    [Dropout] -> Dense (L2) -> [Dropout] -> sigmoid or softmax output; the model is named "gg_cnn"."""
    import keras

    _check_args(input_shape, n_classes, filters, depth, kernel_size, augment)
    height, width, channels = (int(d) for d in input_shape)

    def regularizer():
        return keras.regularizers.L2(l2) if l2 > 0 else None

    inputs = keras.Input(shape=(height, width, channels), dtype="float32", name="pixels")
    x = augmentation(inputs, float(augment), bool(flip))
    x = keras.layers.Rescaling(1.0 / 255.0, name="scaling")(x)
    x, height, width = _conv_blocks(x, height=height, width=width, filters=int(filters), depth=int(depth),
                                    kernel_size=int(kernel_size), regularizer=regularizer)
    if height * width <= FLATTEN_MAX_POSITIONS:
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dropout > 0:
        x = keras.layers.Dropout(float(dropout), name="dropout_0")(x)
    x = keras.layers.Dense(int(dense), activation="relu", kernel_regularizer=regularizer(), name="dense_0")(x)
    if dropout > 0:
        x = keras.layers.Dropout(float(dropout), name="dropout_1")(x)
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="output")(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax", dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="gg_cnn")
