"""Tests for ce_viz.train: every gradient against central finite differences, gradient
descent against an independent optimiser (scipy's L-BFGS-B on the same objective written
out here), reproducibility from the seed, and the named errors of a bad config."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from itertools import islice

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from ce_viz.core import CEVizError, numerical_grad
from ce_viz.datasets import make_dataset
from ce_viz.train import (
    MAX_SNAPSHOTS,
    MAX_STEPS,
    Layer,
    TrainConfig,
    gradients,
    grid_probabilities,
    init_params,
    minibatches,
    objective,
    point_pull,
    snapshot_pulls,
    snapshot_regions,
    snapshot_steps,
    targets,
    train,
)

#: Central-difference step: truncation ~h², rounding ~1e-16/h, both far below 1e-7.
H = 1e-5


def _problem(config: TrainConfig, n: int = 12, K: int = 3, seed: int = 4):
    """Random points, labels and parameters (biases non-zero) for a gradient check."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.5, size=(n, 2))
    labels = rng.integers(0, K, size=n)
    params = tuple(
        Layer(W, rng.normal(0.0, 0.5, size=b.shape)) for W, b in init_params(config, K, rng)
    )
    return X, labels, params, targets(labels, K, config.smoothing)


def _numeric(params, X, Y, config):
    """The objective's gradient by central differences, one array at a time."""
    out = []
    for i, layer in enumerate(params):
        pair = []
        for j, array in enumerate(layer):

            def f(a, i=i, j=j):
                layers = list(params)
                parts = list(layers[i])
                parts[j] = a
                layers[i] = Layer(*parts)
                return objective(tuple(layers), X, Y, config)

            pair.append(numerical_grad(f, array, eps=H))
        out.append(pair)
    return out


def _rel(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(np.linalg.norm(approx - exact) / np.linalg.norm(exact))


CASES = [
    TrainConfig(model=model, activation=act, loss=loss, T=T, smoothing=eps, l2=l2, width=5)
    for model, act, loss, (T, eps, l2) in itertools.product(
        ["linear", "mlp"],
        ["tanh", "relu"],
        ["ce", "mse"],
        [(1.0, 0.0, 0.0), (0.7, 0.1, 0.3), (2.5, 0.25, 0.05)],
    )
    if model == "mlp" or act == "tanh"
]


@pytest.mark.parametrize("config", CASES, ids=repr)
def test_every_parameter_gradient_matches_central_differences(config: TrainConfig) -> None:
    """Backprop from p − y agrees with finite differences to a relative error ≤ 1e-7 (by
    array, in the 2-norm), for both models, both activations, CE and MSE, T ≠ 1, smoothing
    and L2."""
    X, _, params, Y = _problem(config)
    if config.model == "mlp" and config.activation == "relu":
        z = X @ params[0].W.T + params[0].b
        assert np.abs(z).min() > 1e-3  # away from the kink: the step moves z by < 1e-4
    loss, grads = gradients(params, X, Y, config)
    assert loss == pytest.approx(objective(params, X, Y, config), rel=1e-15)
    numeric = _numeric(params, X, Y, config)
    for layer, pair in zip(grads, numeric, strict=True):
        for exact, approx in zip(layer, pair, strict=True):
            assert _rel(approx, exact) <= 1e-7


@pytest.mark.parametrize("config", CASES, ids=repr)
def test_each_points_input_gradient_matches_central_differences(config: TrainConfig) -> None:
    """∂L_i/∂x, each point's pull, is the gradient of that point's own loss (no L2), for
    every case: both models and activations, CE and MSE, T ≠ 1, smoothing and L2."""
    X, labels, params, _ = _problem(config, n=5)
    pull = point_pull(params, X, labels, 3, config)
    plain = replace(config, l2=0.0)
    for i in range(len(X)):
        y = targets(labels[i : i + 1], 3, config.smoothing)
        numeric = numerical_grad(
            lambda x, y=y: objective(params, x[None, :], y, plain), X[i], eps=H
        )
        assert _rel(numeric, pull.dx[i]) <= 1e-7
    p = grid_probabilities(params, config, X[:, 0], X[:1, 1])[0]
    assert np.allclose(pull.residual[0], p[0] - targets(labels[:1], 3, config.smoothing)[0])
    assert np.allclose(pull.size, np.abs(pull.residual).sum(axis=1))


def _reference(theta, X, Y, K, l2, T):
    """The regularised multinomial logistic objective and its gradient, written out."""
    W, b = theta[: 2 * K].reshape(K, 2), theta[2 * K :]
    s = (X @ W.T + b) / T
    lse = logsumexp(s, axis=1)
    f = float(np.mean(lse - (Y * s).sum(axis=1))) + 0.5 * l2 * float((W**2).sum())
    G = (np.exp(s - lse[:, None]) - Y) / (T * len(X))
    return f, np.concatenate([(G.T @ X + l2 * W).ravel(), G.sum(axis=0)])


@pytest.mark.parametrize(("T", "eps"), [(1.0, 0.0), (2.0, 0.1)])
def test_full_batch_descent_with_l2_reaches_the_lbfgs_minimum(T: float, eps: float) -> None:
    """Full-batch gradient descent on softmax regression with L2 ends within 1e-6 of the
    minimum that L-BFGS-B finds for the same objective."""
    start = time.perf_counter()
    data = make_dataset("overlapping", n=200, K=3, seed=7)
    X = (data.X - data.X.mean(axis=0)) / data.X.std(axis=0)
    config = TrainConfig(model="linear", lr=2.0, steps=MAX_STEPS, l2=0.1, T=T, smoothing=eps)
    run = train(X, data.labels, data.K, config)
    Y = targets(data.labels, data.K, eps)
    best = minimize(
        _reference,
        np.zeros(3 * data.K),
        args=(X, Y, data.K, 0.1, T),
        jac=True,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 1000},
    )
    theta = np.concatenate([run.params[0].W.ravel(), run.params[0].b])
    assert _reference(theta, X, Y, data.K, 0.1, T)[0] == pytest.approx(run.loss[-1], abs=1e-12)
    assert abs(run.loss[-1] - best.fun) <= 1e-6
    assert run.loss[-1] >= best.fun - 1e-9
    assert run.loss[0] - best.fun > 0.1  # it had a long way to go
    assert time.perf_counter() - start < 2.0


def test_training_is_reproducible_from_its_seed() -> None:
    """The same seed gives bit-identical runs (mini-batches included); another seed differs."""
    data = make_dataset("moons", n=100, K=2, seed=3)
    config = TrainConfig(model="mlp", width=6, activation="relu", steps=40, batch=16, seed=5)
    a, b = (train(data.X, data.labels, data.K, config) for _ in range(2))
    c = train(data.X, data.labels, data.K, replace(config, seed=6))
    assert np.array_equal(a.loss, b.loss)
    assert np.array_equal(a.accuracy, b.accuracy)
    for pa, pb in zip(a.params, b.params, strict=True):
        assert np.array_equal(pa.W, pb.W)
        assert np.array_equal(pa.b, pb.b)
    assert not np.array_equal(a.loss, c.loss)


@pytest.mark.parametrize(
    ("steps", "kept"),
    [
        (1, [0, 1]),
        (7, list(range(8))),
        (24, list(range(25))),
        (25, [*range(0, 25, 2), 25]),
        (50, [*range(0, 49, 3), 50]),
        (100, list(range(0, 101, 5))),
        (490, [*range(0, 476, 25), 490]),
        (500, list(range(0, 501, 25))),
    ],
)
def test_snapshots_are_a_round_number_of_steps_apart(steps: int, kept: list[int]) -> None:
    """The frames are every 1, 2, 3, 4, 5, 10, 15, 20 or 25 steps (the smallest that keeps
    at most 25), and the last step: the slider reads "step 45", never "step 46"."""
    assert snapshot_steps(steps).tolist() == kept


def test_every_step_count_keeps_at_most_25_frames_from_0_to_the_last() -> None:
    """For every step count a link allows: frames from 0 to the last step, at most
    MAX_SNAPSHOTS of them, evenly spaced but for a shorter last gap, and at least 14 from
    24 steps on (a spacing at most 2.5 times the least that fits)."""
    for steps in range(1, MAX_STEPS + 1):
        kept = snapshot_steps(steps)
        gaps = np.diff(kept)
        assert kept[0] == 0, steps
        assert kept[-1] == steps, steps
        assert len(kept) <= MAX_SNAPSHOTS, steps
        assert np.all(gaps[:-1] == gaps[0]), steps
        assert 0 < gaps[-1] <= gaps[0], steps
        assert len(kept) >= min(steps + 1, 14), steps


def test_a_run_records_every_step_and_evenly_spread_snapshots() -> None:
    """steps + 1 losses and accuracies, snapshots every 15 steps from step 0 to the last
    (300 steps: 20 would keep 16, 10 would keep 31, over 25), the last the final
    parameters, and the first the parameters the loss at step 0 was measured at."""
    data = make_dataset("blobs", n=90, K=3, seed=1)
    config = TrainConfig(model="mlp", width=4, steps=300, lr=0.3)
    run = train(data.X, data.labels, data.K, config)
    assert run.loss.shape == run.accuracy.shape == (301,)
    steps = run.snapshot_steps
    assert steps.tolist() == list(range(0, 301, 15))
    assert len(run.snapshots) == 21
    Y = targets(data.labels, 3, 0.0)
    for step, params in zip(steps, run.snapshots, strict=True):
        assert objective(params, data.X, Y, config) == pytest.approx(run.loss[step], rel=1e-12)
    assert all(np.array_equal(s.W, p.W) for s, p in zip(run.snapshots[-1], run.params, strict=True))
    assert run.loss[-1] < 0.5 * run.loss[0]
    assert run.accuracy[-1] > 0.9


def test_mse_learns_slowly_on_a_confidently_wrong_point() -> None:
    """A point the model is sure is the wrong class pulls hard under cross-entropy and
    hardly at all under MSE on p: the point of the loss switch."""
    params = (Layer(np.array([[8.0, 0.0], [-8.0, 0.0]]), np.zeros(2)),)
    X, labels = np.array([[1.0, 0.0]]), np.array([1])
    ce = point_pull(params, X, labels, 2, TrainConfig(loss="ce"))
    mse = point_pull(params, X, labels, 2, TrainConfig(loss="mse"))
    assert ce.size[0] == mse.size[0] > 1.99  # the same p − y
    assert np.linalg.norm(mse.dx) < 1e-5 * np.linalg.norm(ce.dx)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "mlp", "width": 0}, "the hidden width must be a whole number from 2 to 32"),
        ({"width": 33}, "the hidden width must be a whole number from 2 to 32, got 33"),
        ({"steps": MAX_STEPS + 1}, "the training steps must be at most 500"),
        ({"loss": "hinge"}, "the loss must be one of ce, mse"),
        ({"activation": "gelu"}, "the activation must be one of tanh, relu"),
        ({"l2": -0.1}, "the L2 strength must be 0 or more"),
        ({"batch": -1}, "the batch size must be 0"),
        ({"lr": 0.0}, "the learning rate"),
    ],
)
def test_a_bad_setting_is_a_named_error(change: dict, message: str) -> None:
    data = make_dataset("blobs", n=20, K=2)
    with pytest.raises(CEVizError, match=message):
        train(data.X, data.labels, 2, replace(TrainConfig(), **change))


def test_minibatches_cover_every_point_once_an_epoch_in_a_new_order() -> None:
    """Each epoch's batches partition the rows; the next epoch is shuffled afresh."""
    batches = list(islice(minibatches(10, 4, np.random.default_rng(1)), 6))
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    first, second = np.concatenate(batches[:3]), np.concatenate(batches[3:])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))
    assert not np.array_equal(first, second)
    assert next(minibatches(10, 0, np.random.default_rng(1))) is None
    assert next(minibatches(10, 10, np.random.default_rng(1))) is None


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_a_minibatch_step_follows_that_batchs_gradient(case: TrainConfig) -> None:
    """One step of size-8 batches moves every parameter by −lr times the gradient of the
    objective (its loss, T, smoothing and L2) on the rows that minibatches draws from the
    run's generator, after the initial weights: for every case, and not the whole data's
    step."""
    data = make_dataset("blobs", n=40, K=3, seed=2)
    config = replace(case, steps=1, batch=8, lr=0.3, seed=11)
    run = train(data.X, data.labels, data.K, config)
    rng = np.random.default_rng(11)
    params = init_params(config, 3, rng)
    rows = next(minibatches(40, 8, rng))
    Y = targets(data.labels, 3, config.smoothing)
    _, grads = gradients(params, data.X[rows], Y[rows], config)
    full = gradients(params, data.X, Y, config)[1]
    for moved, start, grad, whole in zip(run.params, params, grads, full, strict=True):
        for after, before, g, g_all in zip(moved, start, grad, whole, strict=True):
            np.testing.assert_allclose(after, before - 0.3 * g, rtol=0, atol=1e-15)
            assert not np.allclose(after, before - 0.3 * g_all)


@pytest.mark.parametrize(("K", "smoothing"), [(2, 0.0), (3, 0.1), (5, 0.25)])
def test_targets_are_one_hot_smoothed_towards_uniform(K: int, smoothing: float) -> None:
    """Each row of the training's targets is (1 − ε)·one-hot + ε/K: the label's class
    1 − ε + ε/K, every other ε/K; each row sums to 1."""
    labels = np.arange(K)[::-1]
    Y = targets(labels, K, smoothing)
    for row, label in zip(Y, labels, strict=True):
        assert row[label] == pytest.approx(1.0 - smoothing + smoothing / K, abs=1e-15)
        others = np.delete(row, label)
        np.testing.assert_allclose(others, smoothing / K, rtol=0, atol=1e-15)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(steps=30),
        TrainConfig(model="mlp", width=32, activation="relu", steps=30, T=0.5, smoothing=0.1),
        TrainConfig(model="mlp", width=5, steps=7, loss="mse"),
    ],
    ids=["linear", "mlp-relu-32", "mlp-mse"],
)
def test_snapshots_evaluated_together_match_each_alone(config: TrainConfig) -> None:
    """snapshot_regions and snapshot_pulls, which stack the snapshots (a few at a
    time for a wide layer), give what grid_probabilities and point_pull give for each
    snapshot on its own."""
    d = make_dataset("moons", n=90, K=3, seed=2)
    run = train(d.X, d.labels, d.K, config)
    xs, ys = np.linspace(-2.0, 3.0, 61), np.linspace(-1.5, 2.0, 47)
    top, p_top = snapshot_regions(run, xs, ys)
    pulls = snapshot_pulls(run, d.X, d.labels, d.K)
    assert top.shape == p_top.shape == (len(run.snapshots), len(ys), len(xs))
    assert (top.dtype, p_top.dtype) == (np.uint8, np.float32)
    assert pulls.shape == (len(run.snapshots), d.n)
    for m, params in enumerate(run.snapshots):
        alone = grid_probabilities(params, config, xs, ys)
        # The stacked product may round a logit's last bit differently: a near-tie's class
        # may flip only where its two probabilities agree to float32.
        flipped = top[m] != alone.argmax(axis=-1)
        assert flipped.mean() < 1e-3
        gap = np.sort(alone, axis=-1)[..., -1] - np.sort(alone, axis=-1)[..., -2]
        assert np.all(gap[flipped] < 1e-12)
        np.testing.assert_allclose(p_top[m], alone.max(axis=-1), rtol=2e-7, atol=1e-7)
        size = point_pull(params, d.X, d.labels, d.K, config).size
        np.testing.assert_allclose(pulls[m], size, rtol=1e-13, atol=1e-15)


def test_the_mse_objective_is_the_mean_of_the_sum_of_squares() -> None:
    """Under MSE the objective is the mean over the points of Σ (p − y)², the why view's
    MSE (a softmax written here), plus the L2 term; not ½ Σ, the training's own MSE
    before the app had one."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 2))
    labels = rng.integers(0, 3, size=30)
    params = (Layer(rng.normal(size=(3, 2)), rng.normal(size=3)),)
    config = TrainConfig(loss="mse", T=0.7, smoothing=0.1, l2=0.01)
    Y = targets(labels, 3, 0.1)
    o = (X @ params[0].W.T + params[0].b) / 0.7
    p = np.exp(o - o.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    want = np.mean(np.sum((p - Y) ** 2, axis=1)) + 0.005 * np.sum(params[0].W ** 2)
    assert objective(params, X, Y, config) == pytest.approx(want, rel=1e-13)
