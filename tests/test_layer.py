"""Tests for ce_viz.layer: one layer back from the logits.

Every gradient is checked against central finite differences of a loss written here
independently (a log-sum-exp in NumPy, not ce_viz.core), at float64, to a relative error of
at most 1e-7, with a temperature T != 1 and label smoothing > 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from ce_viz.core import CEVizError
from ce_viz.layer import (
    HiddenWeights,
    example_hidden_weights,
    example_weights,
    hidden_layer,
    linear_layer,
)

RTOL = 1e-7
STEP = 1e-5


def reference_loss(o: np.ndarray, y: np.ndarray, T: float) -> float:
    """Cross-entropy of softmax(o / T) against y, by log-sum-exp."""
    s = o / T
    m = s.max()
    return float(m + np.log(np.exp(s - m).sum()) - y @ s)


def smoothed(k: int, K: int, eps: float) -> np.ndarray:
    """One-hot at k, mixed with the uniform distribution."""
    y = np.full(K, eps / K)
    y[k] += 1.0 - eps
    return y


def central_differences(f: Callable[[np.ndarray], float], at: np.ndarray) -> np.ndarray:
    """The gradient of f at ``at`` by central differences, one entry at a time."""
    a = np.array(at, dtype=np.float64)
    grad = np.empty_like(a)
    for i in np.ndindex(a.shape):
        saved = a[i]
        a[i] = saved + STEP
        up = f(a)
        a[i] = saved - STEP
        down = f(a)
        a[i] = saved
        grad[i] = (up - down) / (2 * STEP)
    return grad


def assert_close(analytic: np.ndarray, numeric: np.ndarray) -> None:
    """Relative error at most RTOL, entry by entry. An exact zero (a dead ReLU unit's row,
    or the column of its zero output) must be an exact zero of the differences too; the
    other entries are well away from 0, so their relative error means something."""
    assert analytic.shape == numeric.shape
    zero = analytic == 0
    assert np.all(numeric[zero] == 0)
    assert np.all(np.abs(analytic[~zero]) > 1e-4), "an entry near 0 would test little"
    assert zero.mean() <= 0.5
    err = np.abs(analytic[~zero] - numeric[~zero]) / np.abs(numeric[~zero])
    assert err.max() <= RTOL, err.max()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(15)


# (T, smoothing, target): a class index or a soft target
LINEAR_CASES = [(1.0, 0.0, 2), (0.7, 0.1, 0), (2.5, 0.3, 3), (1.3, 0.2, [0.1, 0.2, 0.3, 0.4])]


@pytest.mark.parametrize(("T", "eps", "target"), LINEAR_CASES)
def test_linear_layer_gradients_match_central_differences(
    rng: np.random.Generator, T: float, eps: float, target: int | list[float]
) -> None:
    K, D = 4, 5
    x, W, b = rng.normal(size=D), rng.normal(size=(K, D)), rng.normal(size=K)
    if isinstance(target, int):
        y = smoothed(target, K, eps)
    else:
        y = (1 - eps) * np.array(target) + eps / K
    r = linear_layer(x, W, b, target, T=T, smoothing=eps)
    np.testing.assert_allclose(r.y, y, rtol=1e-15)
    assert r.loss == pytest.approx(reference_loss(W @ x + b, y, T), rel=1e-13)
    assert_close(r.grad_W, central_differences(lambda w: reference_loss(w @ x + b, y, T), W))
    assert_close(r.grad_b, central_differences(lambda c: reference_loss(W @ x + c, y, T), b))
    assert_close(r.grad_x, central_differences(lambda v: reference_loss(W @ v + b, y, T), x))
    assert_close(r.grad_o, central_differences(lambda o: reference_loss(o, y, T), W @ x + b))


def test_linear_layer_forward_values(rng: np.random.Generator) -> None:
    """o = W x + b and p = softmax(o / T), written out."""
    x, W, b = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=4)
    r = linear_layer(x, W, b, 1, T=0.5)
    o = W @ x + b
    np.testing.assert_allclose(r.o, o, rtol=1e-15)
    e = np.exp(2 * (o - o.max()))
    np.testing.assert_allclose(r.p, e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(r.grad_o, (r.p - r.y) / 0.5, rtol=1e-13)


def test_grad_w_is_the_outer_product_one_row_per_class(rng: np.random.Generator) -> None:
    """Row k of dL/dW is (dL/do)_k times x: rank one, and the rows sum to 0 (p - y sums
    to 0)."""
    x, W, b = rng.normal(size=6), rng.normal(size=(3, 6)), rng.normal(size=3)
    r = linear_layer(x, W, b, 0, T=1.7, smoothing=0.1)
    for k in range(3):
        np.testing.assert_allclose(r.grad_W[k], r.grad_o[k] * x, rtol=1e-15)
    assert np.linalg.matrix_rank(r.grad_W) == 1
    assert np.abs(r.grad_W.sum(axis=0)).max() < 1e-15


HIDDEN_CASES = [("tanh", 1.0, 0.0), ("tanh", 0.6, 0.2), ("relu", 1.0, 0.0), ("relu", 2.2, 0.15)]


def hidden_case(rng: np.random.Generator, activation: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """A sample and weights; for ReLU every pre-activation is at least 0.1 from the kink,
    with some units dead and some alive."""
    D, H, K = 3, 6, 4
    x = rng.normal(size=D)
    W1, b1 = rng.normal(size=(H, D)), rng.normal(size=H)
    if activation == "relu":  # z = W1 x + b1 set: three alive units, three dead
        b1 = np.array([1.0, -1.0, 0.5, -0.7, 0.3, -0.2]) - W1 @ x
    return x, [W1, b1, rng.normal(size=(K, H)), rng.normal(size=K)]


def sigma(z: np.ndarray, activation: str) -> np.ndarray:
    return np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)


@pytest.mark.parametrize(("activation", "T", "eps"), HIDDEN_CASES)
def test_hidden_layer_gradients_match_central_differences(
    rng: np.random.Generator, activation: str, T: float, eps: float
) -> None:
    x, params = hidden_case(rng, activation)
    y = smoothed(1, 4, eps)

    def loss(v: np.ndarray, ps: list[np.ndarray]) -> float:
        W1, b1, W2, b2 = ps
        return reference_loss(W2 @ sigma(W1 @ v + b1, activation) + b2, y, T)

    r = hidden_layer(x, HiddenWeights(*params), 1, activation, T=T, smoothing=eps)
    assert r.loss == pytest.approx(loss(x, params), rel=1e-13)
    analytic = [r.grad_W1, r.grad_b1, r.output.grad_W, r.output.grad_b]
    for i, grad in enumerate(analytic):

        def f(a: np.ndarray, i: int = i) -> float:
            return loss(x, [a if j == i else p for j, p in enumerate(params)])

        assert_close(grad, central_differences(f, params[i]))
    assert_close(r.grad_x, central_differences(lambda v: loss(v, params), x))
    np.testing.assert_allclose(r.delta, r.grad_b1, rtol=0)


def test_hidden_layer_delta_is_the_backpropagated_error(rng: np.random.Generator) -> None:
    """delta = W2^T (p - y)/T * sigma'(z), with tanh' = 1 - tanh^2, written out."""
    x, (W1, b1, W2, b2) = hidden_case(rng, "tanh")
    r = hidden_layer(x, HiddenWeights(W1, b1, W2, b2), 3, "tanh", T=1.5)
    z = W1 @ x + b1
    o = W2 @ np.tanh(z) + b2
    e = np.exp((o - o.max()) / 1.5)
    p = e / e.sum()
    g = (p - np.eye(4)[3]) / 1.5
    np.testing.assert_allclose(r.z, z, rtol=1e-15)
    np.testing.assert_allclose(r.output.o, o, rtol=1e-14)
    np.testing.assert_allclose(r.delta, (W2.T @ g) * (1 - np.tanh(z) ** 2), rtol=1e-12)


def test_relu_dead_units_pass_no_gradient(rng: np.random.Generator) -> None:
    x, params = hidden_case(rng, "relu")
    r = hidden_layer(x, HiddenWeights(*params), 0, "relu")
    dead = r.z < 0
    assert dead.sum() == 3
    assert np.all(r.h[dead] == 0)
    assert np.all(r.delta[dead] == 0)
    assert np.all(r.delta[~dead] == r.output.grad_x[~dead])


def test_results_are_frozen(rng: np.random.Generator) -> None:
    r = linear_layer([1.0, 2.0], np.eye(2), [0.0, 0.0], 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.loss = 0.0  # type: ignore[misc]


GOOD_W = np.eye(3, 2)
BAD_LINEAR = [
    (([1.0, float("nan")], GOOD_W, [0, 0, 0], 0), "the input x must be finite, got nan"),
    (([[1.0, 2.0]], GOOD_W, [0, 0, 0], 0), r"the input x must be a 1-D vector"),
    (([], np.zeros((3, 0)), [0, 0, 0], 0), r"the input x must be a 1-D vector"),
    (([1.0, 2.0], np.eye(3), [0, 0, 0], 0), r"the weights W must be a matrix of 2 columns"),
    (([1.0, 2.0], [1.0, 2.0], [0, 0, 0], 0), r"the weights W must be a matrix of 2 columns"),
    (([1.0, 2.0], [[1.0, 2.0]], [0], 0), "the number of classes K must be at least 2"),
    (([1.0, 2.0], GOOD_W, [0, 0], 0), r"the bias b must have shape \(3,\)"),
    (([1.0, 2.0], GOOD_W, [0, 0, np.inf], 0), "the bias b must be finite, got inf"),
    (([1.0, 2.0], [[1, "a"], [0, 1], [1, 1]], [0, 0, 0], 0), "the weights W must hold numbers"),
    (([1.0, 2.0], GOOD_W, [0, 0, 0], 3), r"the target class must be in 0\.\.2, got 3"),
]


@pytest.mark.parametrize(("args", "message"), BAD_LINEAR)
def test_linear_layer_names_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(CEVizError, match=message):
        linear_layer(*args)


def test_linear_layer_names_bad_temperature_and_smoothing() -> None:
    with pytest.raises(CEVizError, match="temperature T must be a finite number > 0"):
        linear_layer([1.0], [[1.0], [2.0]], [0, 0], 0, T=0.0)
    with pytest.raises(CEVizError, match=r"smoothing eps must be in \[0, 1\)"):
        linear_layer([1.0], [[1.0], [2.0]], [0, 0], 0, smoothing=1.0)


def weights(**change: object) -> HiddenWeights:
    """Good weights for D = 2, H = 3, K = 2, with some replaced."""
    good = {"W1": np.ones((3, 2)), "b1": np.zeros(3), "W2": np.ones((2, 3)), "b2": np.zeros(2)}
    return HiddenWeights(**{**good, **change})  # type: ignore[arg-type]


BAD_HIDDEN = [
    (weights(W1=np.zeros((0, 2)), W2=np.zeros((2, 0))), "tanh", "width must be at least 1, got 0"),
    (weights(W1=np.ones((3, 5))), "tanh", "the hidden weights W1 must be a matrix of 2 columns"),
    (weights(b1=[0.0, np.nan, 0.0]), "tanh", "the hidden bias b1 must be finite, got nan"),
    (weights(W2=np.ones((2, 4))), "tanh", "the output weights W2 must be a matrix of 3 columns"),
    (weights(b2=np.zeros(3)), "tanh", r"the output bias b2 must have shape \(2,\)"),
    (weights(), "sigmoid", "the activation must be one of tanh, relu, got 'sigmoid'"),
]


@pytest.mark.parametrize(("w", "activation", "message"), BAD_HIDDEN)
def test_hidden_layer_names_bad_input(w: HiddenWeights, activation: str, message: str) -> None:
    with pytest.raises(CEVizError, match=message):
        hidden_layer([1.0, 2.0], w, 0, activation)  # type: ignore[arg-type]


def test_example_weights_are_fixed_readable_and_sized() -> None:
    """The page's example weights: the same on every call, one decimal, the asked shapes,
    and different classes get different rows (a fixed seed, not zeros)."""
    W, b = example_weights(4, 3)
    again = example_weights(4, 3)
    assert W.shape == (4, 3)
    assert b.shape == (4,)
    assert np.array_equal(W, again[0])
    assert np.array_equal(b, again[1])
    assert np.allclose(W * 10, np.round(W * 10), rtol=0, atol=1e-9)
    assert np.allclose(b * 10, np.round(b * 10), rtol=0, atol=1e-9)
    assert len({tuple(row) for row in W}) == 4
    w = example_hidden_weights(3, 3, width=1)
    assert [np.shape(a) for a in w] == [(1, 3), (1,), (3, 1), (3,)]


def test_example_weights_name_bad_sizes() -> None:
    """A width of 0 or no features is refused with a message naming it."""
    with pytest.raises(CEVizError, match="width must be at least 1, got 0"):
        example_hidden_weights(3, 3, width=0)
    with pytest.raises(CEVizError, match="at least 1 feature, got D = 0"):
        example_weights(3, 0)


def assert_close_as_vectors(analytic: np.ndarray, numeric: np.ndarray) -> None:
    """Relative error at most RTOL as vectors, ‖a − n‖ / ‖n‖: MSE's gradients have entries
    near 0 wherever p is sure (its factor p_i), which entry by entry would test little."""
    assert analytic.shape == numeric.shape
    assert np.linalg.norm(numeric) > 1e-3
    err = np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric)
    assert err <= RTOL, err


def reference_mse(o: np.ndarray, y: np.ndarray, T: float) -> float:
    """Σ (softmax(o / T) − y)², with the softmax written here (not ce_viz's)."""
    e = np.exp((o - o.max()) / T)
    return float(np.sum((e / e.sum() - y) ** 2))


@pytest.mark.parametrize(("T", "eps", "target"), LINEAR_CASES)
def test_linear_layer_under_mse_matches_central_differences(
    rng: np.random.Generator, T: float, eps: float, target: int | list[float]
) -> None:
    """With loss="mse" (a training under MSE, followed one layer back) every gradient is
    that of Σ (p − y)², the "why" view's MSE, and ∂L/∂o is 2J(p − y): p − y is the same
    as under cross-entropy, the gradients are not."""
    K, D = 4, 5
    x, W, b = rng.normal(size=D), rng.normal(size=(K, D)), rng.normal(size=K)
    r = linear_layer(x, W, b, target, T=T, smoothing=eps, loss="mse")
    ce = linear_layer(x, W, b, target, T=T, smoothing=eps)
    y = r.y
    assert r.loss_name == "mse"
    assert r.loss == pytest.approx(reference_mse(W @ x + b, y, T), rel=1e-13)
    assert_close_as_vectors(
        r.grad_W, central_differences(lambda w: reference_mse(w @ x + b, y, T), W)
    )
    assert_close_as_vectors(
        r.grad_b, central_differences(lambda c: reference_mse(W @ x + c, y, T), b)
    )
    assert_close_as_vectors(
        r.grad_x, central_differences(lambda v: reference_mse(W @ v + b, y, T), x)
    )
    assert_close_as_vectors(
        r.grad_o, central_differences(lambda o: reference_mse(o, y, T), W @ x + b)
    )
    J = (np.diag(r.p) - np.outer(r.p, r.p)) / T
    np.testing.assert_allclose(r.grad_o, 2 * J @ (r.p - y), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(r.residual, ce.residual)
    np.testing.assert_allclose(ce.grad_o, ce.residual / T, rtol=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_hidden_layer_under_mse_matches_central_differences(
    rng: np.random.Generator, activation: str
) -> None:
    """One hidden layer under MSE: δ and every gradient are those of Σ (p − y)²."""
    x, params = hidden_case(rng, activation)
    y = smoothed(2, 4, 0.1)

    def loss(v: np.ndarray, ps: list[np.ndarray]) -> float:
        W1, b1, W2, b2 = ps
        return reference_mse(W2 @ sigma(W1 @ v + b1, activation) + b2, y, 0.8)

    r = hidden_layer(x, HiddenWeights(*params), 2, activation, T=0.8, smoothing=0.1, loss="mse")
    assert r.output.loss_name == "mse"
    assert r.loss == pytest.approx(loss(x, params), rel=1e-13)
    for i, grad in enumerate([r.grad_W1, r.grad_b1, r.output.grad_W, r.output.grad_b]):

        def f(a: np.ndarray, i: int = i) -> float:
            return loss(x, [a if j == i else p for j, p in enumerate(params)])

        assert_close_as_vectors(grad, central_differences(f, params[i]))
    assert_close_as_vectors(r.grad_x, central_differences(lambda v: loss(v, params), x))


def test_an_unknown_loss_is_named() -> None:
    with pytest.raises(CEVizError, match="the loss must be one of ce, mse, got 'hinge'"):
        linear_layer([1.0, 2.0], GOOD_W, [0, 0, 0], 0, loss="hinge")  # type: ignore[arg-type]
