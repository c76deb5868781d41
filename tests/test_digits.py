"""Tests for ce_viz.digits: the vendored 8x8 digits and the softmax regression trained on them.

The vendored copy is compared with scikit-learn's own (a development dependency); the model's
gradient with central differences of a loss written here; each digit's dL/dW with the
outer-product formula, from probabilities computed here with NumPy's exp.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sklearn.datasets

from ce_viz.core import CEVizError
from ce_viz.digits import (
    DATA_FILE,
    digit_model,
    evaluate_digit,
    load_digits,
    objective,
    train_softmax_regression,
)


def test_the_vendored_digits_are_scikit_learns_exactly() -> None:
    reference = sklearn.datasets.load_digits()
    d = load_digits()
    assert d.pixels.dtype == np.uint8
    assert d.labels.dtype == np.uint8
    assert d.pixels.shape == reference.data.shape == (1797, 64)
    assert np.array_equal(d.pixels.astype(np.float64), reference.data)
    assert np.array_equal(d.labels.astype(np.int64), reference.target)
    assert np.array_equal(d.images.astype(np.float64), reference.images)
    np.testing.assert_array_equal(d.features, reference.data / 16.0)


def test_the_vendored_file_is_small_and_documented() -> None:
    assert DATA_FILE.stat().st_size < 100_000
    readme = (DATA_FILE.parent / "README.md").read_text()
    for needed in ("BSD 3-Clause", "UCI", "Alpaydin", "load_digits"):
        assert needed in readme


def test_the_digits_are_read_once_and_read_only() -> None:
    assert load_digits() is load_digits()
    with pytest.raises(ValueError, match="read-only"):
        load_digits().pixels[0, 0] = 1


def reference_objective(W: np.ndarray, b: np.ndarray, X: np.ndarray, labels, l2: float) -> float:
    """Mean cross-entropy plus (l2/2)||W||^2, by log-sum-exp."""
    o = X @ W.T + b
    m = o.max(axis=1, keepdims=True)
    log_p = o - m - np.log(np.exp(o - m).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(X)), labels].mean() + 0.5 * l2 * (W * W).sum())


def test_the_training_gradient_matches_central_differences() -> None:
    rng = np.random.default_rng(15)
    d = load_digits()
    X, labels = d.features[:40], d.labels[:40]
    W, b, l2 = rng.normal(size=(10, 64)) * 0.3, rng.normal(size=10), 0.05
    loss, gW, gb = objective(W, b, X, np.eye(10)[labels], l2)
    assert loss == pytest.approx(reference_objective(W, b, X, labels, l2), rel=1e-13)
    # The five-point central difference: truncation O(h^4) ~ 1e-11, rounding ~ 1e-16 / h.
    h = 3e-3
    for grad, param in ((gW, W), (gb, b)):
        numeric = np.empty_like(param)
        for i in np.ndindex(param.shape):
            saved, values = param[i], []
            for k in (-2, -1, 1, 2):
                param[i] = saved + k * h
                values.append(reference_objective(W, b, X, labels, l2))
            param[i] = saved
            numeric[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
        assert np.all(np.abs(numeric) > 1e-5)  # the relative error below means something
        assert (np.abs(grad - numeric) / np.abs(numeric)).max() <= 1e-7


def test_each_training_step_is_the_checked_gradients_heavy_ball_step() -> None:
    """Two steps from zero weights move by −lr·∇ and then by momentum·(−lr·∇₀) − lr·∇₁,
    ∇ being :func:`objective`'s gradient (checked against finite differences above): the
    training loop takes no gradient of its own."""
    d = load_digits()
    X, labels, Y = d.features[:50], d.labels[:50], np.eye(10)[d.labels[:50]]
    lr, l2, momentum = 0.3, 0.01, 0.9
    W0, b0 = np.zeros((10, 64)), np.zeros(10)
    _, gW0, gb0 = objective(W0, b0, X, Y, l2)
    vW, vb = -lr * gW0, -lr * gb0
    W1, b1 = train_softmax_regression(X, labels, steps=1, lr=lr, l2=l2, momentum=momentum)
    np.testing.assert_array_equal(W1, W0 + vW)
    np.testing.assert_array_equal(b1, b0 + vb)
    _, gW1, gb1 = objective(W1, b1, X, Y, l2)
    W2, b2 = train_softmax_regression(X, labels, steps=2, lr=lr, l2=l2, momentum=momentum)
    np.testing.assert_array_equal(W2, W1 + (momentum * vW - lr * gW1))
    np.testing.assert_array_equal(b2, b1 + (momentum * vb - lr * gb1))


def test_training_is_reproducible_and_learns() -> None:
    d = load_digits()
    W1, b1 = train_softmax_regression(d.features, d.labels)
    W2, b2 = train_softmax_regression(d.features, d.labels)
    m = digit_model()
    assert np.array_equal(W1, W2)
    assert np.array_equal(b1, b2)
    assert np.array_equal(W1, m.W)
    assert np.array_equal(b1, m.b)
    predicted = np.argmax(d.features @ m.W.T + m.b, axis=1)
    assert m.accuracy == np.mean(predicted == d.labels)
    assert m.accuracy >= 0.97
    assert m.loss < 0.3 < np.log(10)  # from log 10 at zero weights
    assert m.loss == pytest.approx(reference_objective(m.W, m.b, d.features, d.labels, 1e-3))


def test_training_takes_well_under_a_second_of_cpu() -> None:
    """CPU time, not wall time, so that other work on the machine does not count."""
    d = load_digits()
    start = time.process_time()
    train_softmax_regression(d.features, d.labels)
    assert time.process_time() - start < 1.0


def test_the_gallery_of_wrong_digits() -> None:
    d, m = load_digits(), digit_model()
    wrong = m.wrong()
    expected = np.flatnonzero(np.argmax(d.features @ m.W.T + m.b, axis=1) != d.labels)
    assert np.array_equal(wrong, expected)
    assert 0 < len(wrong) < 0.03 * len(d)
    assert not evaluate_digit(int(wrong[0])).correct
    assert evaluate_digit(int(np.flatnonzero(m.predicted == d.labels)[0])).correct


@pytest.mark.parametrize("which", ["right", "wrong"])
def test_each_rows_gradient_pulls_the_true_class_and_pushes_the_rest(which: str) -> None:
    """Row k (the true class) of dL/dW is -(1 - p_k) x, every other row +p_j x."""
    d, m = load_digits(), digit_model()
    right = np.flatnonzero(m.predicted == d.labels)
    index = int(m.wrong()[0] if which == "wrong" else right[0])
    e = evaluate_digit(index)
    x = d.pixels[index] / 16.0
    logits = m.W @ x + m.b
    p = np.exp(logits - logits.max())
    p /= p.sum()
    k = int(d.labels[index])
    assert e.label == k
    assert e.correct == (which == "right")
    np.testing.assert_allclose(e.image, x.reshape(8, 8), rtol=0)
    np.testing.assert_allclose(e.logits, logits, rtol=1e-13)
    np.testing.assert_allclose(e.p, p, rtol=1e-12)
    np.testing.assert_allclose(e.p_minus_y, p - np.eye(10)[k], rtol=1e-12, atol=1e-16)
    for j in range(10):
        expected = -(1 - p[k]) * x if j == k else p[j] * x
        np.testing.assert_allclose(e.grad_images[j], expected.reshape(8, 8), rtol=1e-12)
    ink = x > 0
    assert np.all(e.grad_images[k].ravel()[ink] < 0)  # pulled toward the image
    others = np.delete(e.grad_images, k, axis=0).reshape(9, 64)
    assert np.all(others[:, ink] > 0)  # pushed away


@pytest.mark.parametrize("index", [1797, -1, 2.0, True, "3", None])
def test_a_bad_digit_index_is_named(index: object) -> None:
    with pytest.raises(CEVizError, match=r"the digit index must be a whole number in 0\.\.1796"):
        evaluate_digit(index)  # type: ignore[arg-type]
