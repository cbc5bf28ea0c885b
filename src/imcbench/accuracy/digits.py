"""End-to-end accuracy on real data without downloads: scikit-learn's bundled ``digits`` (8x8 images).

Two small networks are trained on the spot (fixed seeds and split, a few seconds on 2 cores): an MLP
(scikit-learn's ``MLPClassifier``, 64-64-10, ReLU) and a tiny CNN trained in numpy with SGD
(conv 3x3 1->8, conv 3x3 8->16, 2x2 average pool, fully connected 256->10). Inference then runs every
layer's matrix-vector products through the macro's noise model (:mod:`imcbench.accuracy.montecarlo`):
convolutions as im2col products whose dot-product length is C*FY*FX, biases and activations in
digital float. Each layer's input clip is calibrated on training images (a high quantile of its
float inputs), its weight clip is max |w|, and its ADC ranges are calibrated on the same images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from imcbench import results as vocab
from imcbench.accuracy.montecarlo import calibrate, matvec, program
from imcbench.accuracy.noise import CLIP_SIGMA_CHOICES, MvmConfig
from imcbench.accuracy.operands import Distribution, OperandModel

SPLIT_SEED = 0  # train/test split of the 1797 images
TRAIN_SEED = 0  # weight initialisation and SGD order
TEST_FRACTION = 0.25
CALIBRATION_IMAGES = 128  # training images used to set input clips and ADC ranges
INPUT_CLIP_QUANTILE = 0.999  # layer input clip: this quantile of the float inputs (assumption)
CNN_EPOCHS = 12
CNN_BATCH = 32
CNN_LEARNING_RATE = 0.05
CNN_MOMENTUM = 0.9
MODELS = ("mlp", "cnn")

# IBM aihwkit 1.2, PCM noise model read one hour after programming, MLP on the same digits data
# (as reported in imcbench issue 9): test accuracy by ADC bits, and in floating point.
AIHWKIT_MLP_ACCURACY = {4: 0.84, 6: 0.94, 8: 0.95}
AIHWKIT_MLP_FLOAT_ACCURACY = 0.95


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """One MVM layer: ``weight`` (N x K, N = C*FY*FX for a convolution in im2col order), ``bias`` (K)."""

    name: str
    kind: str  # "conv" (3x3, stride 1, padding 1, on 8x8 maps) or "fc"
    weight: np.ndarray
    bias: np.ndarray
    relu: bool = True
    pool_after: bool = False  # 2x2 average pooling after the activation

    @property
    def dot_length(self) -> int:
        return self.weight.shape[0]


@dataclass(frozen=True, eq=False)
class DigitsModel:
    name: str
    layers: tuple[DenseLayer, ...]
    float_accuracy: float = field(default=float("nan"))


@dataclass(frozen=True, eq=False)
class DigitsData:
    x_train: np.ndarray  # (n, 8, 8) in [0, 1]
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=1)
def load_data() -> DigitsData:
    """The bundled digits images scaled to [0, 1], split with a fixed seed (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images / 16.0
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=TEST_FRACTION,
                                              random_state=SPLIT_SEED, stratify=digits.target)
    return DigitsData(x_tr, y_tr, x_te, y_te)


# -- forward pass with a pluggable matrix-vector product ------------------------------------------
Mvm = Callable[[int, np.ndarray], np.ndarray]


def im2col(maps: np.ndarray) -> np.ndarray:
    """(B, 8, 8, C) -> (B*64, 9*C) patches of a 3x3, stride 1, zero-padded convolution."""
    b, h, w, c = maps.shape
    padded = np.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # B,h,w,C,3,3
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(b * h * w, 9 * c)


def _pool(maps: np.ndarray) -> np.ndarray:
    b, h, w, c = maps.shape
    return maps.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def forward(model: DigitsModel, images: np.ndarray, mvm: Mvm | None = None,
            record: list | None = None) -> np.ndarray:
    """Logits of ``images`` (B, 8, 8); ``mvm(i, x)`` replaces layer i's ``x @ W`` (default exact).

    ``record``, when given, receives every layer's MVM input (for calibration).
    """
    mvm = mvm or (lambda i, x: x @ model.layers[i].weight)
    act = images[..., None]  # (B, 8, 8, 1)
    batch = images.shape[0]
    for i, layer in enumerate(model.layers):
        x = im2col(act) if layer.kind == "conv" else act.reshape(batch, -1)
        if record is not None:
            record.append(x)
        y = mvm(i, x) + layer.bias
        if layer.relu:
            y = np.maximum(y, 0.0)
        act = y.reshape(batch, 8, 8, -1) if layer.kind == "conv" else y
        if layer.pool_after:
            act = _pool(act)
    return act


def accuracy(model: DigitsModel, images, labels, mvm: Mvm | None = None) -> float:
    return float(np.mean(forward(model, images, mvm).argmax(axis=1) == labels))


# -- training -------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def train_mlp() -> DigitsModel:
    """scikit-learn MLP 64-64-10 (ReLU, Adam), fixed seed; about one second."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    data = load_data()
    clf = MLPClassifier(hidden_layer_sizes=(64,), activation="relu", max_iter=300, random_state=TRAIN_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.x_train.reshape(len(data.x_train), -1), data.y_train)
    layers = (DenseLayer("fc1", "fc", clf.coefs_[0], clf.intercepts_[0]),
              DenseLayer("fc2", "fc", clf.coefs_[1], clf.intercepts_[1], relu=False))
    model = DigitsModel("mlp", layers)
    return DigitsModel("mlp", layers, accuracy(model, data.x_test, data.y_test))


@lru_cache(maxsize=1)
def train_cnn() -> DigitsModel:
    """The tiny CNN trained with SGD + momentum on cross-entropy, fixed seed; a few seconds."""
    data = load_data()
    rng = np.random.default_rng(TRAIN_SEED)
    shapes = [(9, 8), (72, 16), (256, 10)]
    weights = [rng.standard_normal(s) * np.sqrt(2.0 / s[0]) for s in shapes]
    biases = [np.zeros(s[1]) for s in shapes]
    velocity = [np.zeros_like(p) for p in weights + biases]
    x, y = data.x_train, data.y_train
    for _ in range(CNN_EPOCHS):
        order = rng.permutation(len(x))
        for start in range(0, len(x), CNN_BATCH):
            idx = order[start:start + CNN_BATCH]
            grads = _cnn_gradients(weights, biases, x[idx], y[idx])
            for k, (param, grad) in enumerate(zip(weights + biases, grads)):
                velocity[k] = CNN_MOMENTUM * velocity[k] - CNN_LEARNING_RATE * grad
                param += velocity[k]
    model = _cnn_model(weights, biases)
    return DigitsModel("cnn", model.layers, accuracy(model, data.x_test, data.y_test))


def _cnn_model(weights, biases) -> DigitsModel:
    return DigitsModel("cnn", (
        DenseLayer("conv1", "conv", weights[0], biases[0]),
        DenseLayer("conv2", "conv", weights[1], biases[1], pool_after=True),
        DenseLayer("fc", "fc", weights[2], biases[2], relu=False)))


def _cnn_gradients(weights, biases, images, labels):
    """Cross-entropy gradients of the CNN (backpropagation through im2col, ReLU and pooling)."""
    b = images.shape[0]
    cols1 = im2col(images[..., None])
    z1 = cols1 @ weights[0] + biases[0]
    a1 = np.maximum(z1, 0).reshape(b, 8, 8, 8)
    cols2 = im2col(a1)
    z2 = cols2 @ weights[1] + biases[1]
    a2 = np.maximum(z2, 0).reshape(b, 8, 8, 16)
    flat = _pool(a2).reshape(b, -1)
    logits = flat @ weights[2] + biases[2]
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    d_logits = (prob - np.eye(10)[labels]) / b
    g_w3, g_b3 = flat.T @ d_logits, d_logits.sum(axis=0)
    d_pool = (d_logits @ weights[2].T).reshape(b, 4, 4, 16)
    d_a2 = np.repeat(np.repeat(d_pool, 2, axis=1), 2, axis=2) / 4.0
    d_z2 = (d_a2.reshape(-1, 16)) * (z2 > 0)
    g_w2, g_b2 = cols2.T @ d_z2, d_z2.sum(axis=0)
    d_a1 = _col2im(d_z2 @ weights[1].T, b, 8)
    d_z1 = d_a1.reshape(-1, 8) * (z1 > 0)
    g_w1, g_b1 = cols1.T @ d_z1, d_z1.sum(axis=0)
    return [g_w1, g_w2, g_w3, g_b1, g_b2, g_b3]


def _col2im(d_cols: np.ndarray, batch: int, channels: int) -> np.ndarray:
    """Adjoint of :func:`im2col`: scatter-add patch gradients back onto (B, 8, 8, C) maps."""
    patches = d_cols.reshape(batch, 8, 8, 3, 3, channels)
    padded = np.zeros((batch, 10, 10, channels))
    for dy in range(3):  # nine kernel offsets, each a vectorized slab
        for dx in range(3):
            padded[:, dy:dy + 8, dx:dx + 8] += patches[:, :, :, dy, dx]
    return padded[:, 1:9, 1:9]


def trained_model(name: str) -> DigitsModel:
    if name not in MODELS:
        from imcbench.errors import ImcbenchError

        raise ImcbenchError(f"digits model {name!r} is not known; use one of {', '.join(MODELS)}")
    return train_mlp() if name == "mlp" else train_cnn()


# -- inference through the macro model ----------------------------------------------------------
def analog_accuracy(model: DigitsModel, config: MvmConfig, *, seed: int = 0, test_images: int | None = None,
                    choose_clip: bool = True) -> float:
    """Test accuracy with every layer's MVM computed by ``config``'s macro (seeded Monte Carlo).

    ``choose_clip``: with a calibrated ADC range, each layer takes the range (in sigmas, from
    ``CLIP_SIGMA_CHOICES``) that maximises its analytic SQNR on its calibration statistics.
    """
    data = load_data()
    rng = np.random.default_rng(seed)
    calib_inputs: list[np.ndarray] = []
    forward(model, data.x_train[:CALIBRATION_IMAGES], record=calib_inputs)
    programmed = []
    for layer, x_cal in zip(model.layers, calib_inputs):
        clip = float(np.quantile(x_cal, INPUT_CLIP_QUANTILE)) or float(x_cal.max()) or 1.0
        layer_config = _best_clip(config, layer, x_cal, clip) if choose_clip else config
        pm = program(layer.weight, layer_config, input_clip=clip, rng=rng)
        programmed.append(calibrate(pm, x_cal, rng) if config.is_aimc else pm)
    images, labels = data.x_test, data.y_test
    if test_images is not None:
        images, labels = images[:test_images], labels[:test_images]
    return accuracy(model, images, labels, lambda i, x: matvec(programmed[i], x, rng))


def _best_clip(config: MvmConfig, layer: DenseLayer, x_cal: np.ndarray, input_clip: float) -> MvmConfig:
    """``config`` with the calibrated ADC range that maximises the layer's analytic SQNR."""
    if not config.is_aimc or config.adc_range != "calibrated":
        return config
    stats = OperandModel(Distribution.from_samples(x_cal), Distribution.from_samples(layer.weight),
                         input_clip, float(np.abs(layer.weight).max() or 1.0))
    sqnr = [config.with_(clip_sigma=k).sqnr_db(layer.dot_length, stats) for k in CLIP_SIGMA_CHOICES]
    return config.with_(clip_sigma=CLIP_SIGMA_CHOICES[int(np.argmax(sqnr))])


@dataclass(frozen=True)
class AccuracyPoint(vocab.ResultMixin):
    model: str
    adc_bits: int
    accuracy: float
    rows: int
    read_noise: float
    adc_range: str

    def to_dict(self) -> dict:
        return {"model": self.model, "adc_bits": self.adc_bits, "accuracy": self.accuracy, "rows": self.rows,
                "read_noise": self.read_noise, "adc_range": self.adc_range}


def accuracy_vs_adc_bits(config: MvmConfig, adc_bits=range(2, 11), models=MODELS, *, seed: int = 0,
                         test_images: int | None = None) -> list[AccuracyPoint]:
    """Accuracy of each digits model at each ADC resolution, other settings from ``config``."""
    points = []
    for name in models:
        model = trained_model(name)
        for bits in adc_bits:
            acc = analog_accuracy(model, config.with_(adc_bits=float(bits)), seed=seed, test_images=test_images)
            points.append(AccuracyPoint(name, int(bits), acc, config.rows, config.read_noise, config.adc_range))
    return points


def float_accuracies(models=MODELS) -> dict[str, float]:
    return {name: trained_model(name).float_accuracy for name in models}
