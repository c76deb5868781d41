"""The "Jacobian" view: how each probability moves with each logit, the chain rule that
turns ``-y/p`` into ``p - y``, and why the loss is convex in the logits."""

from __future__ import annotations

import streamlit as st

from ce_viz.analysis import Evaluation
from ce_viz.core import FloatArray
from ce_viz.figures import jacobian_figure
from ce_viz.fmt import fmt, named_values, tex, tex_over_t, tex_vector
from ce_viz.state import AppState
from ce_viz.theory import chain_rule, hessian_eigenvalues
from ce_viz.views.common import chart, evaluate_state

#: How many eigenvalues share one row.
ROW = 5
#: Up to this many classes the chain rule's vectors fit beside the heatmap.
BESIDE_MAX_K = 5


def render(state: AppState) -> None:
    """Draw the Jacobian view for ``state``."""
    result = evaluate_state(state)
    _jacobian_and_chain_rule(state, result)
    _hessian(state, result)


def _jacobian_and_chain_rule(state: AppState, result: Evaluation) -> None:
    """The Jacobian's heatmap, and the chain rule through it with the state's numbers."""
    T = state.T
    dl_dp, J, product = chain_rule(result.logits, result.y, T)
    scale = tex_over_t(T)
    st.subheader("The softmax Jacobian")
    st.markdown(
        "Raising one logit $o_j$ raises its own probability and takes probability from every "
        "other class in proportion to its size: ${\\partial p_i/\\partial o_j = "
        "(p_i\\,\\delta_{ij} - p_i p_j)/T}$. The diagonal is positive, everything else "
        "negative, and each row and column sums to 0 because ${\\sum_i p_i = 1}$ always."
    )
    # Beside the heatmap while the vectors fit half the page; below it, full width, after.
    left, right = st.columns([1.1, 1]) if state.K <= BESIDE_MAX_K else (st.container(),) * 2
    with left:
        chart(
            jacobian_figure(J, state.class_names),
            key="jacobian_chart",
            alt="Heatmap of the softmax Jacobian with its values in the cells; its diagonal "
            f"∂pᵢ/∂oᵢ: {named_values(state.class_names, J.diagonal())}.",
        )
    with right:
        _chain_rule(dl_dp, product)

    st.markdown("Written out, the $1/p_i$ cancels and only ${\\sum_i y_i = 1}$ is used:")
    st.latex(
        r"\begin{aligned}\left(J^\top \frac{\partial L}{\partial p}\right)_j"
        rf"&= {scale}\sum_i \left(p_i\delta_{{ij}} - p_i p_j\right)"
        r"\left(-\frac{y_i}{p_i}\right)"
        rf"\\ &= {scale}\Big(p_j \sum_i y_i - y_j\Big) = {scale}(p_j - y_j)\end{{aligned}}"
    )


def _chain_rule(dl_dp: FloatArray, product: FloatArray) -> None:
    """-y/p, and Jᵀ times it: p - y."""
    st.markdown("**The chain rule, with your numbers.** The loss sees the logits only through $p$:")
    # One block, the two vectors lined up under each other at their '=' (a vector too
    # wide for the page scrolls inside its block; KaTeX never wraps a display formula).
    st.latex(
        r"\begin{aligned}\frac{\partial L}{\partial p} &= -\frac{y}{p} = "
        + tex_vector(dl_dp)
        + r"\\ \frac{\partial L}{\partial o} = J^\top\frac{\partial L}{\partial p} &= "
        + tex_vector(product)
        + r"\end{aligned}"
    )
    st.caption(
        "The 1/p in ∂L/∂p cancels against the p in the Jacobian: that is why the "
        "gradient with respect to the logits is so simple, for a one-hot target and a "
        "soft one alike (only Σ y = 1 is used)."
    )


def _hessian(state: AppState, result: Evaluation) -> None:
    """The same matrix over T as the Hessian: convexity, and its eigenvalues."""
    eigenvalues = hessian_eigenvalues(result.logits, state.T)
    st.subheader("The same matrix is the Hessian")
    st.markdown(
        "Differentiate ${\\partial L/\\partial o = (p - y)/T}$ once more: $y$ is constant, so the "
        "Hessian of the loss is ${J/T = (\\mathrm{diag}(p) - pp^\\top)/T^2}$, whatever the "
        "target. It is positive semi-definite ($v^\\top H v$ is the variance of $v$ under "
        "$p$, divided by $T^2$), so **the loss is convex in the logits**: gradient descent "
        "on $o$ has no bad local minima to fall into."
    )
    values = [tex(float(v), 4, scientific=False) for v in eigenvalues]
    # Five to a row, lined up: at K = 20 one row would be wider than the page.
    rows = [r",\ ".join(values[i : i + ROW]) for i in range(0, len(values), ROW)]
    st.latex(
        r"\begin{aligned}\text{eigenvalues of } H &= "
        + r",\\ &\phantom{=}\ ".join(rows)
        + r"\end{aligned}"
    )
    st.caption(
        f"The smallest, {fmt(float(eigenvalues[0]), 4, scientific=False)}, belongs to the "
        "direction (1, 1, …, 1): "
        "adding the same constant to every logit changes nothing, so the loss is flat that "
        "way."
    )
