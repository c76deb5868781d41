"""One layer back from the logits: the forward values and every gradient of a linear layer,
and of one hidden layer, for a single sample. NumPy only, pure.

The loss is the cross-entropy of :mod:`ce_viz.core`, with its temperature ``T`` and label
smoothing (or, for a training under MSE, the "why" view's MSE on p,
``theory.mse_loss_and_grad``, whose ``dL/do = 2 J (p - y)`` starts from the same
``p - y``), and everything behind the logits follows from its gradient ``dL/do`` (for
cross-entropy ``(p - y)/T``) by the chain rule:

* a linear layer ``o = W x + b``: ``dL/dW = (dL/do) x^T`` (an outer product, one row per
  class), ``dL/db = dL/do`` and ``dL/dx = W^T (dL/do)``;
* one hidden layer ``z = W1 x + b1``, ``h = sigma(z)``, ``o = W2 h + b2``: the output layer
  is the linear layer above with input ``h``, and the hidden error is
  ``delta = W2^T (dL/do) * sigma'(z)``, so ``dL/dW1 = delta x^T``, ``dL/db1 = delta`` and
  ``dL/dx = W1^T delta``.

The softmax, the loss and ``dL/do`` come from :mod:`ce_viz.core` (MSE's from
:mod:`ce_viz.theory`); the checks of the logits, the temperature and the target from
:mod:`ce_viz._checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._checks import CEVizError, check_finite, check_K, is_index
from ce_viz.core import cross_entropy, grad_logits, softmax, target_distribution
from ce_viz.theory import mse_loss_and_grad

__all__ = [
    "ACTIVATIONS",
    "EXAMPLE_SEED",
    "EXAMPLE_WIDTH",
    "HiddenLayerPass",
    "HiddenWeights",
    "LinearPass",
    "LossName",
    "example_hidden_weights",
    "example_weights",
    "hidden_layer",
    "linear_layer",
]

FloatArray = NDArray[np.float64]

Activation = Literal["tanh", "relu"]
#: The loss behind the logits: cross-entropy, or MSE on p.
LossName = Literal["ce", "mse"]

#: The hidden layer's activations, by name.
ACTIVATIONS: tuple[Activation, ...] = ("tanh", "relu")
#: The page's example layers: weights drawn from this seed, and the hidden layer's width.
EXAMPLE_SEED = 15
EXAMPLE_WIDTH = 4


@dataclass(frozen=True)
class LinearPass:
    """A linear layer ``o = W x + b`` under softmax + cross-entropy (``loss_name`` "ce") or
    MSE on p ("mse"), forward and backward.

    ``y`` is the target distribution after label smoothing; ``grad_o = (p - y) / T`` under
    cross-entropy, ``2 J (p - y)`` under MSE. Each ``grad_*`` has the shape of what it
    differentiates.
    """

    x: FloatArray  # (D,)
    y: FloatArray  # (K,)
    T: float
    o: FloatArray  # (K,) the logits
    p: FloatArray  # (K,) softmax(o / T)
    loss: float
    grad_o: FloatArray  # (K,)
    grad_W: FloatArray  # noqa: N815 (K, D): the names follow the mathematics
    grad_b: FloatArray  # (K,)
    grad_x: FloatArray  # (D,)
    loss_name: LossName = "ce"

    @property
    def residual(self) -> FloatArray:
        """``p - y``: where both losses' ``dL/do`` start (cross-entropy's is it, over T)."""
        return self.p - self.y


class HiddenWeights(NamedTuple):
    """The weights of one hidden layer and the output layer: ``W1`` (H, D), ``b1`` (H,),
    ``W2`` (K, H), ``b2`` (K,)."""

    W1: ArrayLike
    b1: ArrayLike
    W2: ArrayLike
    b2: ArrayLike


@dataclass(frozen=True)
class HiddenLayerPass:
    """One hidden layer ``z = W1 x + b1``, ``h = sigma(z)``, ``o = W2 h + b2``, forward and
    backward. ``output`` is the output layer's :class:`LinearPass` (its input is ``h``, so
    its ``grad_W`` is ``dL/dW2`` and its ``grad_x`` is ``dL/dh``)."""

    activation: Activation
    x: FloatArray  # (D,)
    z: FloatArray  # (H,)
    h: FloatArray  # (H,)
    slope: FloatArray  # (H,) sigma'(z)
    output: LinearPass
    delta: FloatArray  # (H,) dL/dz = W2^T (dL/do) * sigma'(z)
    grad_W1: FloatArray  # noqa: N815 (H, D)
    grad_b1: FloatArray  # (H,)
    grad_x: FloatArray  # (D,)

    @property
    def loss(self) -> float:
        """The loss (the cross-entropy, or MSE on p)."""
        return self.output.loss


def _array(values: ArrayLike, name: str, shape: tuple[int, ...]) -> FloatArray:
    """``values`` as a finite float array of exactly ``shape``; a CEVizError naming it."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"{name} must hold numbers only, got {values!r}") from exc
    if a.shape != shape:
        raise CEVizError(f"{name} must have shape {shape}, got shape {a.shape}")
    check_finite(a, name)
    return a


def _matrix(values: ArrayLike, name: str, columns: int) -> FloatArray:
    """``values`` as a finite float matrix with ``columns`` columns (any number of rows)."""
    shape = np.shape(values)
    if len(shape) != 2 or shape[1] != columns:
        raise CEVizError(f"{name} must be a matrix of {columns} columns, got shape {shape}")
    return _array(values, name, shape)


def _input(x: ArrayLike) -> FloatArray:
    """The sample ``x``: a finite 1-D vector of at least one feature."""
    shape = np.shape(x) if not isinstance(x, np.ndarray) else x.shape
    if len(shape) != 1 or shape[0] < 1:
        raise CEVizError(f"the input x must be a 1-D vector of at least 1 feature, got {shape}")
    return _array(x, "the input x", shape)


def _target(y: int | ArrayLike, K: int, smoothing: float) -> FloatArray:
    """The target distribution: a class index or a distribution over ``K`` classes, smoothed."""
    if is_index(y):
        return target_distribution(K, target=int(y), smoothing=smoothing)  # type: ignore[arg-type]
    return target_distribution(K, y=y, smoothing=smoothing)  # type: ignore[arg-type]


def linear_layer(
    x: ArrayLike,
    W: ArrayLike,
    b: ArrayLike,
    y: int | ArrayLike,
    T: float = 1.0,
    smoothing: float = 0.0,
    loss: LossName = "ce",
) -> LinearPass:
    """Forward and backward through ``o = W x + b`` and the cross-entropy of ``softmax(o/T)``
    (or, with ``loss="mse"``, its squared error ``Σ (p − y)²``).

    >>> r = linear_layer([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], y=0)
    >>> r.o.tolist(), r.grad_o.round(4).tolist()
    ([1.0, 2.0], [-0.7311, 0.7311])
    >>> r.grad_W.round(4).tolist()  # the outer product (p - y) x^T
    [[-0.7311, -1.4621], [0.7311, 1.4621]]
    >>> r.grad_x.round(4).tolist()  # W^T (p - y)
    [-0.7311, 0.7311]

    Parameters
    ----------
    x : array_like, shape (D,)
        One sample, ``D >= 1`` finite features.
    W : array_like, shape (K, D)
        The weights, one row per class, ``K >= 2``.
    b : array_like, shape (K,)
        The biases.
    y : int or array_like, shape (K,)
        The true class (0-based) or a target distribution.
    T : float
        The softmax temperature, ``T > 0``.
    smoothing : float
        Label smoothing ``eps`` in ``[0, 1)``, applied to ``y``.
    loss : {"ce", "mse"}
        Cross-entropy (``core``) or MSE on p (``theory.mse_loss_and_grad``).

    Returns
    -------
    LinearPass
    """
    xs = _input(x)
    Ws = _matrix(W, "the weights W", xs.size)
    K = check_K(len(Ws))
    bs = _array(b, "the bias b", (K,))
    target = _target(y, K, smoothing)
    o = Ws @ xs + bs
    if loss == "ce":
        value, grad_o = float(cross_entropy(o, target, T)), grad_logits(o, target, T)
    elif loss == "mse":
        mse, grad_o = mse_loss_and_grad(o, target, T)
        value = float(mse)
    else:
        raise CEVizError(f"the loss must be one of ce, mse, got {loss!r}")
    return LinearPass(
        x=xs,
        y=target,
        T=float(T),
        o=o,
        p=softmax(o, T),
        loss=value,
        grad_o=grad_o,
        grad_W=np.outer(grad_o, xs),
        grad_b=grad_o.copy(),
        grad_x=Ws.T @ grad_o,
        loss_name=loss,
    )


def _activate(z: FloatArray, activation: str) -> tuple[FloatArray, FloatArray]:
    """``sigma(z)`` and ``sigma'(z)``; ReLU's slope at the kink ``z = 0`` is taken as 0."""
    if activation == "tanh":
        h = np.tanh(z)
        return h, 1.0 - h * h
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    raise CEVizError(f"the activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")


def hidden_layer(
    x: ArrayLike,
    weights: HiddenWeights,
    y: int | ArrayLike,
    activation: Activation = "tanh",
    T: float = 1.0,
    smoothing: float = 0.0,
    loss: LossName = "ce",
) -> HiddenLayerPass:
    """Forward and backward through one hidden layer of ``tanh`` or ``relu`` units.

    >>> w = HiddenWeights(W1=[[1.0], [-1.0]], b1=[0.0, 0.0], W2=[[1.0, 0.0], [0.0, 1.0]],
    ...                   b2=[0.0, 0.0])
    >>> r = hidden_layer([2.0], w, y=0, activation="relu")
    >>> r.h.tolist(), r.slope.tolist()
    ([2.0, 0.0], [1.0, 0.0])
    >>> r.delta.round(4).tolist()  # W2^T (p - y) * relu'(z): the dead unit passes nothing
    [-0.1192, 0.0]

    Parameters
    ----------
    x : array_like, shape (D,)
        One sample.
    weights : HiddenWeights
        ``W1`` (H, D), ``b1`` (H,), ``W2`` (K, H), ``b2`` (K,), with width ``H >= 1``.
    y, T, smoothing, loss
        As in :func:`linear_layer`.
    activation : {"tanh", "relu"}

    Returns
    -------
    HiddenLayerPass
    """
    xs = _input(x)
    W1, b1, W2, b2 = weights
    W1s = _matrix(W1, "the hidden weights W1", xs.size)
    width = len(W1s)
    if width < 1:
        raise CEVizError(f"the hidden layer's width must be at least 1, got {width}")
    z = W1s @ xs + _array(b1, "the hidden bias b1", (width,))
    # The output layer's weights are checked here, so that a message names W2, not W.
    W2s = _matrix(W2, "the output weights W2", width)
    check_K(len(W2s))
    b2s = _array(b2, "the output bias b2", (len(W2s),))
    h, slope = _activate(z, activation)
    output = linear_layer(h, W2s, b2s, y, T, smoothing, loss)
    delta = output.grad_x * slope
    return HiddenLayerPass(
        activation=activation,
        x=xs,
        z=z,
        h=h,
        slope=slope,
        output=output,
        delta=delta,
        grad_W1=np.outer(delta, xs),
        grad_b1=delta.copy(),
        grad_x=W1s.T @ delta,
    )


def example_weights(K: int, D: int, seed: int = EXAMPLE_SEED) -> tuple[FloatArray, FloatArray]:
    """Fixed weights for the page's linear layer: ``W`` (K, D) and ``b`` (K,), standard
    normal draws from ``seed``, rounded to one decimal so that they can be read off the page
    and checked by hand. The same ``K``, ``D`` and seed always give the same weights.

    >>> W, b = example_weights(3, 2)
    >>> W.shape, b.shape, bool((W == W.round(1)).all())
    ((3, 2), (3,), True)
    """
    check_K(K)
    if D < 1:
        raise CEVizError(f"the input x must have at least 1 feature, got D = {D}")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((K, D)).round(1), rng.standard_normal(K).round(1)


def example_hidden_weights(
    K: int, D: int, width: int = EXAMPLE_WIDTH, seed: int = EXAMPLE_SEED
) -> HiddenWeights:
    """Fixed weights for the page's hidden-layer example, drawn and rounded as in
    :func:`example_weights`: ``W1`` (width, D), ``b1``, ``W2`` (K, width), ``b2``.

    >>> w = example_hidden_weights(3, 2)
    >>> [np.shape(a) for a in w]
    [(4, 2), (4,), (3, 4), (3,)]
    """
    if width < 1:
        raise CEVizError(f"the hidden layer's width must be at least 1, got {width}")
    W1, b1 = example_weights(max(width, 2), D, seed + 1)
    W1, b1 = W1[:width], b1[:width]
    W2, b2 = example_weights(K, width, seed)
    return HiddenWeights(W1=W1, b1=b1, W2=W2, b2=b2)
