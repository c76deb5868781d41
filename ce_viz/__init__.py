"""ce-viz: see why the gradient of softmax + cross-entropy is p - y.

The NumPy core is importable without Streamlit or Plotly::

    >>> from ce_viz import softmax, grad_logits, target_distribution
    >>> y = target_distribution(3, target=1)
    >>> grad_logits([2.0, 3.0, 4.0], y).round(3)
    array([ 0.09 , -0.755,  0.665])
"""

from ce_viz.core import (
    CEVizError,
    complement_probabilities,
    cross_entropy,
    grad_logits,
    log_softmax,
    numerical_grad,
    relative_error,
    softmax,
    softmax_jacobian,
    target_distribution,
)

__all__ = [
    "CEVizError",
    "complement_probabilities",
    "cross_entropy",
    "grad_logits",
    "log_softmax",
    "numerical_grad",
    "relative_error",
    "softmax",
    "softmax_jacobian",
    "target_distribution",
]
