"""The 8x8 handwritten digits that scikit-learn ships, and a softmax-regression model of them.

The data (1797 images of 64 pixels, each 0..16, labels 0..9) is vendored in
``ce_viz/data/digits.npz`` (see ``ce_viz/data/README.md`` for its source and licence), so
scikit-learn is not needed to run the app. It is read once per process.

The model is ``o = W x + b`` with ``x`` the 64 pixels scaled to [0, 1], trained on all the
digits by full-batch gradient descent with heavy-ball momentum on the mean cross-entropy plus
``(l2 / 2) ||W||^2``, from zero weights and for a fixed number of steps: deterministic, with
no random numbers at all. Its gradient is ``(P - Y)^T X / N + l2 W``, the ``p - y`` of
:mod:`ce_viz.core` summed over the digits. It is trained once per process.

NumPy only. The products use ``np.einsum``, not BLAS: for matrices this small a threaded
BLAS on a busy machine is several times slower than one core.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ce_viz._checks import CEVizError, is_index
from ce_viz.core import cross_entropy, grad_logits
from ce_viz.layer import LinearPass, linear_layer

__all__ = [
    "CLASSES",
    "DATA_FILE",
    "SIDE",
    "DigitEvaluation",
    "DigitModel",
    "Digits",
    "digit_model",
    "evaluate_digit",
    "load_digits",
    "objective",
    "train_softmax_regression",
]

FloatArray = NDArray[np.float64]

#: The vendored data: ``pixels`` (1797, 64) and ``labels`` (1797,), both uint8.
DATA_FILE = Path(__file__).resolve().parent / "data" / "digits.npz"
SIDE = 8  # each image is SIDE x SIDE pixels
CLASSES = 10
MAX_PIXEL = 16  # pixels count the ink in a 4x4 block: 0..16

#: The model's training settings: full batch, fixed steps, from zero weights.
STEPS = 120
LEARNING_RATE = 1.0
MOMENTUM = 0.9
L2 = 1e-3


@dataclass(frozen=True)
class Digits:
    """The digits: ``pixels`` (n, 64) uint8 in 0..16 and ``labels`` (n,) uint8 in 0..9,
    read-only."""

    pixels: NDArray[np.uint8]
    labels: NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def images(self) -> NDArray[np.uint8]:
        """The pixels as (n, 8, 8) images, row by row from the top."""
        return self.pixels.reshape(-1, SIDE, SIDE)

    @property
    def features(self) -> FloatArray:
        """The pixels scaled to [0, 1], (n, 64): the model's inputs."""
        return self.pixels / float(MAX_PIXEL)


@functools.cache
def load_digits() -> Digits:
    """The vendored digits, read once per process.

    >>> d = load_digits()
    >>> len(d), d.images.shape, int(d.pixels.max()), sorted(set(d.labels.tolist()))
    (1797, (1797, 8, 8), 16, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    with np.load(DATA_FILE) as data:
        pixels, labels = data["pixels"], data["labels"]
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return Digits(pixels=pixels, labels=labels)


def objective(
    W: FloatArray, b: FloatArray, X: FloatArray, Y: FloatArray, l2: float
) -> tuple[float, FloatArray, FloatArray]:
    """The regularised mean cross-entropy ``mean_n L(W x_n + b, y_n) + (l2/2) ||W||^2`` and
    its gradients with respect to ``W`` and ``b``.

    >>> X, Y = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])
    >>> loss, gW, gb = objective(np.zeros((2, 2)), np.zeros(2), X, Y, l2=0.0)
    >>> round(loss, 4), gW.tolist(), gb.tolist()  # log 2; p - y = (-1/2, 1/2)
    (0.6931, [[-0.5, 0.0], [0.5, 0.0]], [-0.5, 0.5])

    Parameters
    ----------
    W : ndarray, shape (K, D)
    b : ndarray, shape (K,)
    X : ndarray, shape (N, D)
        The inputs, one row per sample.
    Y : ndarray, shape (N, K)
        The target distributions.
    l2 : float
        The weight decay, ``>= 0`` (the biases are not decayed).
    """
    logits, grad_W, grad_b = _logits_and_gradients(W, b, X, Y, l2)
    loss = float(np.mean(cross_entropy(logits, Y))) + 0.5 * l2 * float(np.sum(W * W))
    return loss, grad_W, grad_b


def _logits_and_gradients(
    W: FloatArray, b: FloatArray, X: FloatArray, Y: FloatArray, l2: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The logits ``W x_n + b`` (N, K) and :func:`objective`'s gradients with respect to
    ``W`` and ``b``, from ``p − y``: what a training step needs (it never reads the loss)."""
    logits = np.einsum("nd,kd->nk", X, W) + b
    G = grad_logits(logits, Y) / len(X)
    return logits, np.einsum("nk,nd->kd", G, X) + l2 * W, G.sum(axis=0)


def train_softmax_regression(
    X: FloatArray,
    labels: NDArray[np.integer],
    steps: int = STEPS,
    lr: float = LEARNING_RATE,
    l2: float = L2,
    momentum: float = MOMENTUM,
) -> tuple[FloatArray, FloatArray]:
    """``W`` (K, D) and ``b`` (K,) after ``steps`` of full-batch gradient descent with
    heavy-ball momentum from zero, on the objective of :func:`objective` (``K`` = 10).

    The loss itself is not evaluated while training: each step needs only ``p - y``.

    >>> W, b = train_softmax_regression(np.eye(10), np.arange(10), steps=50)
    >>> bool((np.argmax(np.eye(10) @ W.T + b, axis=1) == np.arange(10)).all())
    True
    """
    N = len(X)
    Y = np.zeros((N, CLASSES))
    Y[np.arange(N), labels] = 1.0
    W, b = np.zeros((CLASSES, X.shape[1])), np.zeros(CLASSES)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _ in range(steps):
        _, grad_W, grad_b = _logits_and_gradients(W, b, X, Y, l2)
        vW = momentum * vW - lr * grad_W
        vb = momentum * vb - lr * grad_b
        W += vW
        b += vb
    return W, b


@dataclass(frozen=True)
class DigitModel:
    """The trained softmax regression: ``W`` (10, 64), ``b`` (10,), each digit's prediction,
    the training accuracy and the final regularised loss."""

    W: FloatArray
    b: FloatArray
    predicted: NDArray[np.intp]
    accuracy: float
    loss: float

    def wrong(self) -> NDArray[np.intp]:
        """The indices of the digits the model gets wrong, in order."""
        return np.flatnonzero(self.predicted != load_digits().labels)


@functools.cache
def digit_model() -> DigitModel:
    """The softmax regression trained on every digit, once per process.

    >>> m = digit_model()
    >>> m.W.shape, m.accuracy > 0.95, len(m.wrong()) == round((1 - m.accuracy) * 1797)
    ((10, 64), True, True)
    """
    d = load_digits()
    X = d.features
    W, b = train_softmax_regression(X, d.labels)
    Y = np.eye(CLASSES)[d.labels]
    loss = objective(W, b, X, Y, L2)[0]
    predicted = np.argmax(np.einsum("nd,kd->nk", X, W) + b, axis=1)
    for a in (W, b, predicted):
        a.setflags(write=False)
    accuracy = float(np.mean(predicted == d.labels))
    return DigitModel(W=W, b=b, predicted=predicted, accuracy=accuracy, loss=loss)


@dataclass(frozen=True)
class DigitEvaluation:
    """One digit through the model. ``grad_images[j]`` is row ``j`` of ``dL/dW`` as an 8x8
    image: ``-(1 - p_k) x`` for the true class ``k``, ``+p_j x`` for every other ``j``."""

    index: int
    label: int
    predicted: int
    image: FloatArray  # (8, 8), in [0, 1]
    layer: LinearPass  # logits o, p, p - y (grad_o), dL/dW (10, 64), the loss

    @property
    def logits(self) -> FloatArray:
        return self.layer.o

    @property
    def p(self) -> FloatArray:
        return self.layer.p

    @property
    def p_minus_y(self) -> FloatArray:
        return self.layer.grad_o

    @property
    def grad_images(self) -> FloatArray:
        """``dL/dW`` as ten 8x8 images, (10, 8, 8)."""
        return self.layer.grad_W.reshape(CLASSES, SIDE, SIDE)

    @property
    def correct(self) -> bool:
        return self.predicted == self.label


def evaluate_digit(index: int) -> DigitEvaluation:
    """Digit ``index`` through the trained model: its image, logits, ``p``, ``p - y`` and
    ``dL/dW`` (at ``T = 1``, no smoothing: as the model was trained).

    >>> e = evaluate_digit(0)
    >>> e.label, e.grad_images.shape, bool(abs(e.p_minus_y.sum()) < 1e-12)
    (0, (10, 8, 8), True)
    >>> evaluate_digit(1797)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the digit index must be a whole number in 0..1796, got 1797
    """
    d = load_digits()
    if not (is_index(index) and 0 <= index < len(d)):
        raise CEVizError(
            f"the digit index must be a whole number in 0..{len(d) - 1}, got {index!r}"
        )
    model = digit_model()
    x = d.features[index]
    layer = linear_layer(x, model.W, model.b, int(d.labels[index]))
    return DigitEvaluation(
        index=int(index),
        label=int(d.labels[index]),
        predicted=int(model.predicted[index]),
        image=x.reshape(SIDE, SIDE),
        layer=layer,
    )
