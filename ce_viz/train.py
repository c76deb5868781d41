"""Training a classifier on 2-D points, with backprop written out from ``p − y``.

NumPy only. Two models, each row ``x`` a point and the weights stored ``(out, in)`` so
that a layer is ``o = W x + b`` as on the blackboard:

* ``"linear"``, softmax regression: ``o = W x + b``.
* ``"mlp"``, one hidden layer: ``z = W1 x + b1``, ``h = act(z)`` (tanh or ReLU),
  ``o = W2 h + b2``.

The objective over a batch of ``n`` points is the mean per-point loss plus
``l2 / 2`` times the sum of the squared *weights* (the biases are not penalised: shifting a
boundary costs nothing, only tilting it steeply does). The per-point loss is on
``p = softmax(o / T)`` against the label-smoothed one-hot target ``y``:

* ``"ce"``: the cross-entropy, ``∂L/∂o = (p − y) / T`` (the core's ``grad_logits``).
* ``"mse"``: ``Σ_k (p_k − y_k)²``, ``∂L/∂o = 2 J (p − y)`` with the softmax's Jacobian
  ``J = (diag p − p pᵀ) / T`` (``theory.mse_loss_and_grad_for``, the "why" view's MSE): near
  zero when ``p`` is confidently wrong, so such points learn slowly.

Backward: ``∂L/∂W = (∂L/∂o)ᵀ x`` summed over the batch, ``∂L/∂b = ∂L/∂o``,
``∂L/∂x = Wᵀ ∂L/∂o``; through the hidden layer ``δ = W2ᵀ ∂L/∂o ⊙ act′(z)``.
Training is reproducible: the initial weights and the mini-batch order come from
``numpy.random.default_rng(config.seed)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ce_viz._checks import (
    CEVizError,
    check_positive,
    check_smoothing,
    check_step_count,
    check_temperature,
    is_index,
)
from ce_viz.core import grad_logits, loss_and_grad_for, softmax, target_distribution, top_class
from ce_viz.layer import LossName
from ce_viz.theory import mse_grad, mse_loss_and_grad_for

__all__ = [
    "ACTIVATIONS",
    "FRAME_SPACINGS",
    "LOSSES",
    "MAX_SNAPSHOTS",
    "MAX_STEPS",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "MODELS",
    "Layer",
    "Pull",
    "TrainConfig",
    "Training",
    "check_config",
    "forward_logits",
    "gradients",
    "grid_probabilities",
    "init_params",
    "minibatches",
    "objective",
    "point_pull",
    "snapshot_pulls",
    "snapshot_regions",
    "snapshot_steps",
    "targets",
    "train",
]

FloatArray = NDArray[np.float64]

#: The most training steps.
MAX_STEPS = 500
#: The hidden layer's width, fewest and most units.
MIN_WIDTH, MAX_WIDTH = 2, 32
#: The most parameter snapshots a training run keeps (animation frames).
MAX_SNAPSHOTS = 25
#: The spacings, in steps, between the snapshots kept (``snapshot_steps``): round numbers,
#: the last keeping ``MAX_STEPS`` within ``MAX_SNAPSHOTS`` (the default 100 steps: every
#: 5th, 21 frames).
FRAME_SPACINGS = (1, 2, 3, 4, 5, 10, 15, 20, 25)
MODELS = ("linear", "mlp")
ACTIVATIONS = ("tanh", "relu")
LOSSES = ("ce", "mse")


class Layer(NamedTuple):
    """One layer's weights ``W`` (out, in) and biases ``b`` (out,)."""

    W: FloatArray
    b: FloatArray


Params = tuple[Layer, ...]


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting. ``batch`` 0 means full batch; ``width`` and ``activation``
    are the hidden layer's (used by ``"mlp"`` only, checked always)."""

    model: str = "linear"
    width: int = 8
    activation: str = "tanh"
    lr: float = 0.5
    steps: int = 100
    batch: int = 0
    l2: float = 0.0
    smoothing: float = 0.0
    T: float = 1.0
    loss: LossName = "ce"
    seed: int = 0


def _choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise CEVizError(f"the {what} must be one of {', '.join(allowed)}, got {value!r}")


def check_config(config: TrainConfig) -> TrainConfig:
    """The config, unchanged, or a ``CEVizError`` naming its first bad setting.

    >>> check_config(TrainConfig(width=0))
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the hidden width must be a whole number from 2 to 32, got 0
    """
    _choice(config.model, MODELS, "model")
    _choice(config.activation, ACTIVATIONS, "activation")
    _choice(config.loss, LOSSES, "loss")
    if not is_index(config.width) or not MIN_WIDTH <= config.width <= MAX_WIDTH:
        raise CEVizError(
            f"the hidden width must be a whole number from {MIN_WIDTH} to {MAX_WIDTH}, "
            f"got {config.width!r}"
        )
    if check_step_count(config.steps) > MAX_STEPS:
        raise CEVizError(f"the training steps must be at most {MAX_STEPS}, got {config.steps}")
    if not is_index(config.batch) or config.batch < 0:
        raise CEVizError(f"the batch size must be 0 (full batch) or more, got {config.batch!r}")
    l2 = float(config.l2) if isinstance(config.l2, (int, float)) else np.nan
    if not (np.isfinite(l2) and l2 >= 0.0):
        raise CEVizError(f"the L2 strength must be 0 or more, got {config.l2!r}")
    check_positive(config.lr, "the learning rate")
    check_smoothing(config.smoothing)
    check_temperature(config.T)
    return config


def init_params(config: TrainConfig, K: int, rng: np.random.Generator) -> Params:
    """Initial parameters: weights normal with variance 1 / fan-in (linear: 0.01), biases 0."""
    if config.model == "linear":
        return (Layer(0.1 * rng.standard_normal((K, 2)), np.zeros(K)),)
    H = config.width
    W1 = rng.standard_normal((H, 2)) / np.sqrt(2.0)
    W2 = rng.standard_normal((K, H)) / np.sqrt(H)
    return (Layer(W1, np.zeros(H)), Layer(W2, np.zeros(K)))


def targets(labels: NDArray[np.intp], K: int, smoothing: float) -> FloatArray:
    """The label-smoothed one-hot targets (n, K), from the core's ``target_distribution``."""
    table = np.stack([target_distribution(K, k, smoothing=smoothing) for k in range(K)])
    return table[labels]


class _Pass(NamedTuple):
    """The forward pass: the hidden pre-activations and activations (None for linear)."""

    z: FloatArray | None
    h: FloatArray | None
    o: FloatArray


def _dense(X: FloatArray, layer: Layer) -> FloatArray:
    """``X Wᵀ + b`` for rows ``X`` (..., n, in); a stack of layers, ``W`` (s, out, in) and
    ``b`` (s, out), gives one result per layer (s, n, out)."""
    W, b = layer.W, layer.b
    if W.ndim == 3 and X.ndim == 2:
        # A stack on the same rows: one matrix product (out·s, in) @ (in, n), several times
        # faster than s products with an inner dimension of 2, stored output by output
        # (a view (s, n, out) of an (out, s, n) array): a pass over one output's values,
        # as ``core.top_class`` makes, reads contiguous memory.
        s, out, _ = W.shape
        o = (W.transpose(1, 0, 2).reshape(out * s, -1) @ X.T).reshape(out, s, len(X))
        o += b.T[:, :, None]
        return o.transpose(1, 2, 0)
    return X @ np.swapaxes(W, -1, -2) + b[..., None, :]


def _forward(params: Params, X: FloatArray, activation: str) -> _Pass:
    if len(params) == 1:
        return _Pass(None, None, _dense(X, params[0]))
    z = _dense(X, params[0])
    h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
    return _Pass(z, h, _dense(h, params[1]))


def forward_logits(params: Params, X: FloatArray, activation: str = "tanh") -> FloatArray:
    """The logits ``o`` (n, K) of the points ``X`` (n, 2)."""
    return _forward(params, np.asarray(X, dtype=np.float64), activation).o


LossFn = Callable[[FloatArray], tuple[FloatArray, FloatArray]]


def _loss_fn(Y: FloatArray, config: TrainConfig) -> LossFn:
    """The function from the logits ``o`` (n, K) to each point's loss (n,) and its
    ``∂L_i/∂o`` (n, K) against the targets ``Y``, from one softmax and ``p − y``; ``Y`` and
    T are checked once, when it is made (a training loop calls it every step)."""
    if config.loss == "ce":
        return loss_and_grad_for(Y, config.T)
    return mse_loss_and_grad_for(Y, config.T)


def _losses_and_grad_o(
    o: FloatArray, Y: FloatArray, config: TrainConfig
) -> tuple[FloatArray, FloatArray]:
    """Each point's loss (n,) and its ``∂L_i/∂o`` (n, K): :func:`_loss_fn` made and called
    once."""
    return _loss_fn(Y, config)(o)


def _penalty(params: Params, l2: float) -> float:
    if l2 == 0.0:
        return 0.0
    return 0.5 * l2 * sum(float(np.vdot(layer.W, layer.W)) for layer in params)


def objective(params: Params, X: FloatArray, Y: FloatArray, config: TrainConfig) -> float:
    """The mean loss over the points plus ``l2 / 2 · Σ ‖W‖²`` (weights only)."""
    o = _forward(params, X, config.activation).o
    return float(_losses_and_grad_o(o, Y, config)[0].mean()) + _penalty(params, config.l2)


def _weight_grad(G: FloatArray, inputs: FloatArray, W: FloatArray, l2: float) -> FloatArray:
    """``Gᵀ · inputs`` plus the L2 term ``l2 · W`` (not added when L2 is off)."""
    grad = G.T @ inputs
    if l2 != 0.0:
        grad += l2 * W
    return grad


def _param_grads(
    params: Params, X: FloatArray, fwd: _Pass, G: FloatArray, config: TrainConfig
) -> tuple[Params, FloatArray | None]:
    """The parameters' gradients for the output gradients ``G`` (n, K), and a hidden
    layer's ``δ`` (n, H) (None for the linear model)."""
    if fwd.h is None:
        return (Layer(_weight_grad(G, X, params[0].W, config.l2), G.sum(axis=0)),), None
    (W1, _), (W2, _) = params
    back = G @ W2
    delta = back * (1.0 - fwd.h**2 if config.activation == "tanh" else fwd.z > 0.0)
    grads = (
        Layer(_weight_grad(delta, X, W1, config.l2), delta.sum(axis=0)),
        Layer(_weight_grad(G, fwd.h, W2, config.l2), G.sum(axis=0)),
    )
    return grads, delta


def _backward(
    params: Params, X: FloatArray, fwd: _Pass, G: FloatArray, config: TrainConfig
) -> tuple[Params, FloatArray]:
    """The parameters' gradients for the output gradients ``G`` (n, K), and ``∂/∂x`` (n, 2)."""
    grads, delta = _param_grads(params, X, fwd, G, config)
    into_x = G if delta is None else delta  # what the first layer's weights pass back
    return grads, into_x @ params[0].W


def gradients(
    params: Params, X: FloatArray, Y: FloatArray, config: TrainConfig
) -> tuple[float, Params]:
    """The :func:`objective` and its gradient with respect to every parameter.

    >>> p = (Layer(np.zeros((2, 2)), np.zeros(2)),)
    >>> loss, g = gradients(p, np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]]), TrainConfig())
    >>> round(loss, 6), g[0].W.tolist(), g[0].b.tolist()
    (0.693147, [[-0.5, -1.0], [0.5, 1.0]], [-0.5, 0.5])
    """
    fwd = _forward(params, X, config.activation)
    losses, G = _losses_and_grad_o(fwd.o, Y, config)
    loss = float(losses.mean()) + _penalty(params, config.l2)
    return loss, _param_grads(params, X, fwd, G / len(X), config)[0]


def _batch_gradients(params: Params, X: FloatArray, Y: FloatArray, config: TrainConfig) -> Params:
    """:func:`gradients` without the objective: what a mini-batch's step needs (the
    history's loss is the whole data set's), from ``∂L/∂o`` alone."""
    fwd = _forward(params, X, config.activation)
    grad_o = grad_logits if config.loss == "ce" else mse_grad
    return _param_grads(params, X, fwd, grad_o(fwd.o, Y, config.T) / len(X), config)[0]


@dataclass(frozen=True)
class Training:
    """A training run: the objective on the whole data set and the accuracy after each
    step (``steps + 1`` entries, the first before training), the final parameters, and
    parameter snapshots after the steps in ``snapshot_steps`` (at most ``MAX_SNAPSHOTS``,
    a round number of steps apart, the first 0 and the last ``steps``)."""

    config: TrainConfig
    loss: FloatArray
    accuracy: FloatArray
    params: Params
    snapshot_steps: NDArray[np.intp]
    snapshots: tuple[Params, ...]


def snapshot_steps(steps: int) -> NDArray[np.intp]:
    """The steps whose parameters are kept: every ``spacing``-th step from 0, and the last,
    ``spacing`` the smallest of ``FRAME_SPACINGS`` that keeps at most ``MAX_SNAPSHOTS``.
    Round spacings, so that the animation's slider reads "step 45", not "step 46".

    >>> snapshot_steps(3).tolist(), snapshot_steps(100)[:4].tolist(), len(snapshot_steps(100))
    ([0, 1, 2, 3], [0, 5, 10, 15], 21)
    >>> snapshot_steps(490)[-3:].tolist(), len(snapshot_steps(500))
    ([450, 475, 490], 21)
    """
    spacing = next(
        (s for s in FRAME_SPACINGS if -(-steps // s) + 1 <= MAX_SNAPSHOTS), FRAME_SPACINGS[-1]
    )
    return np.unique(np.append(np.arange(0, steps + 1, spacing), steps)).astype(np.intp)


def minibatches(n: int, size: int, rng: np.random.Generator) -> Iterator[NDArray[np.intp] | None]:
    """The rows of each step's batch, endlessly: None (the whole data set) when ``size`` is
    0 or at least ``n``; else each epoch a fresh shuffle from ``rng`` cut into batches of
    ``size`` rows, the last one shorter when ``size`` does not divide ``n``.

    >>> from itertools import islice
    >>> epoch = list(islice(minibatches(5, 2, np.random.default_rng(0)), 3))
    >>> [len(b) for b in epoch], sorted(np.concatenate(epoch).tolist())
    ([2, 2, 1], [0, 1, 2, 3, 4])
    """
    while True:
        if size == 0 or size >= n:
            yield None
            continue
        order = rng.permutation(n)
        for start in range(0, n, size):
            yield order[start : start + size]


def train(X: FloatArray, labels: NDArray[np.intp], K: int, config: TrainConfig) -> Training:
    """Gradient descent on the :func:`objective`, full batch or mini-batches of
    ``config.batch`` points, reshuffled every epoch (see :func:`minibatches`).

    >>> from ce_viz.datasets import make_dataset
    >>> d = make_dataset("blobs", n=60, K=3, seed=0)
    >>> run = train(d.X, d.labels, d.K, TrainConfig(steps=50))
    >>> bool(run.loss[-1] < run.loss[0]), float(run.accuracy[-1])
    (True, 1.0)
    """
    config = check_config(config)
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.intp)
    rng = np.random.default_rng(config.seed)
    params = init_params(config, K, rng)
    Y = targets(labels, K, config.smoothing)
    keep = snapshot_steps(config.steps)
    kept = set(keep.tolist())
    loss = np.empty(config.steps + 1)
    accuracy = np.empty(config.steps + 1)
    snapshots = []
    batches = minibatches(len(X), config.batch, rng)
    whole = _loss_fn(Y, config)
    n = len(X)
    for step in range(config.steps + 1):
        fwd = _forward(params, X, config.activation)
        losses, G = whole(fwd.o)
        loss[step] = float(losses.sum()) / n + _penalty(params, config.l2)
        accuracy[step] = np.count_nonzero(fwd.o.argmax(axis=1) == labels) / n
        if step in kept:
            snapshots.append(params)  # never changed in place: each step makes new arrays
        if step == config.steps:
            break
        rows = next(batches)
        if rows is None:  # full batch: the gradient from the pass just made
            grads = _param_grads(params, X, fwd, G / n, config)[0]
        else:
            grads = _batch_gradients(params, X[rows], Y[rows], config)
        params = tuple(
            Layer(W - config.lr * gW, b - config.lr * gb)
            for (W, b), (gW, gb) in zip(params, grads, strict=True)
        )
    return Training(config, loss, accuracy, params, keep, tuple(snapshots))


def grid_probabilities(
    params: Params, config: TrainConfig, xs: FloatArray, ys: FloatArray
) -> FloatArray:
    """``p = softmax(o / T)`` at every grid point: shape (len(ys), len(xs), K), row ``i``
    at ``ys[i]``, for the decision regions.

    >>> p = (Layer(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.zeros(2)),)
    >>> grid_probabilities(p, TrainConfig(), np.array([-1.0, 0.0, 1.0]), np.zeros(1))[0, :, 0]
    array([0.11920292, 0.5       , 0.88079708])
    """
    gx, gy = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    p = softmax(_forward(params, points, config.activation).o, config.T)
    return p.reshape(*gx.shape, -1)


#: The most numbers a layer's output may hold when snapshots are evaluated together: about
#: a MB of temporaries, whatever the width (a 60 x 60 grid: 13 snapshots of the linear
#: model a go, 5 of a hidden layer of 8, 1 of 32). Small enough to stay in the CPU's cache
#: and out of fresh pages: ``python -m bench train`` times the scene with 400,000 beside
#: it (how much this saves depends on what the allocator kept from the step before).
STACK_CELLS = 150_000


def _stacked(run: Training, rows: int) -> Iterator[Params]:
    """The run's snapshots stacked layer by layer (``W`` (s, out, in)), a few at a time so
    that ``rows`` points through the widest layer stay under ``STACK_CELLS`` numbers."""
    widest = max(layer.W.shape[0] for layer in run.params)
    size = max(1, STACK_CELLS // (rows * widest))
    for start in range(0, len(run.snapshots), size):
        chunk = run.snapshots[start : start + size]
        yield tuple(
            Layer(np.stack([s[i].W for s in chunk]), np.stack([s[i].b for s in chunk]))
            for i in range(len(run.params))
        )


def snapshot_regions(
    run: Training, xs: FloatArray, ys: FloatArray
) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """The predicted class and its probability (``core.top_class``) at every grid point, at
    every snapshot of ``run``: what shading the decision regions needs, the top probability
    in float32 (ample for a shade). Shapes (snapshots, len(ys), len(xs)), row ``i`` at
    ``ys[i]``; at each snapshot what :func:`grid_probabilities` gives, its arg-max and max.

    >>> from ce_viz.datasets import make_dataset
    >>> d = make_dataset("blobs", n=30, K=3, seed=0)
    >>> run = train(d.X, d.labels, d.K, TrainConfig(steps=4))
    >>> [a.shape for a in snapshot_regions(run, np.zeros(2), np.zeros(3))]
    [(5, 3, 2), (5, 3, 2)]
    """
    gx, gy = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    config = run.config
    tops, sure = [], []
    for stack in _stacked(run, len(points)):
        top, p_top = top_class(_forward(stack, points, config.activation).o, config.T)
        tops.append(top.astype(np.uint8))
        sure.append(p_top.astype(np.float32))
    shape = (len(run.snapshots), *gx.shape)
    return np.concatenate(tops).reshape(shape), np.concatenate(sure).reshape(shape)


def snapshot_pulls(run: Training, X: FloatArray, labels: NDArray[np.intp], K: int) -> FloatArray:
    """Each point's pull ``Σ_k |p_k − y_k|`` (``Pull.size``) at every snapshot of ``run``:
    shape (snapshots, n)."""
    X = np.asarray(X, dtype=np.float64)
    config = run.config
    Y = targets(np.asarray(labels, dtype=np.intp), K, config.smoothing)
    return np.concatenate(
        [
            np.abs(softmax(_forward(stack, X, config.activation).o, config.T) - Y).sum(axis=-1)
            for stack in _stacked(run, len(X))
        ]
    )


@dataclass(frozen=True)
class Pull:
    """Each point's pull on the model: ``p − y`` (n, K), its size ``Σ_k |p_k − y_k|`` (n,),
    and ``∂L_i/∂x`` (n, 2), the direction in which its own loss grows fastest."""

    residual: FloatArray
    size: FloatArray
    dx: FloatArray


def point_pull(
    params: Params, X: FloatArray, labels: NDArray[np.intp], K: int, config: TrainConfig
) -> Pull:
    """Each point's :class:`Pull`: its own loss's gradient, not divided by ``n``.

    >>> p = (Layer(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.zeros(2)),)
    >>> pull = point_pull(p, np.zeros((1, 2)), np.array([0]), 2, TrainConfig())
    >>> pull.residual.tolist(), pull.size.tolist(), pull.dx.tolist()
    ([[-0.5, 0.5]], [1.0], [[-1.0, 0.0]])
    """
    X = np.asarray(X, dtype=np.float64)
    Y = targets(np.asarray(labels, dtype=np.intp), K, config.smoothing)
    fwd = _forward(params, X, config.activation)
    residual = softmax(fwd.o, config.T) - Y
    dx = _backward(params, X, fwd, _losses_and_grad_o(fwd.o, Y, config)[1], config)[1]
    return Pull(residual, np.abs(residual).sum(axis=1), dx)
