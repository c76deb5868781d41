"""The "Why it works" view: cross-entropy against MSE, temperature and distillation, label
smoothing, numerical stability, and the binary case, each with the current numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ce_viz.figures import (
    ce_vs_mse_figure,
    distillation_figure,
    draws_absolute,
    smoothing_figure,
    temperature_figure,
    temperature_gradient_figure,
)
from ce_viz.fmt import escape_markdown, fmt, fmt_short, fmt_sig, logit_label, subscript, tex
from ce_viz.landscape import grid_values, optimal_gaps, optimal_logit_gap
from ce_viz.state import WHY_TABS, AppState
from ce_viz.theory import (
    BIG_SHIFT,
    DISTILL_TEMPERATURES,
    SMOOTHING_VALUES,
    TEMPERATURES,
    alt_ce_vs_mse,
    alt_distillation,
    alt_smoothing,
    alt_temperature,
    alt_temperature_gradient,
    binary_case,
    distillation_grad_norms,
    gradient_sweep,
    overflow_thresholds,
    stability,
    temperature_gradient,
    temperature_sweep,
    value_nearest,
)
from ce_viz.views import session
from ce_viz.views.common import MORE_SETTINGS, chart, evaluate_state

SWEEP_N = 241
#: The sweep runs this far either side of the true class's logit.
SWEEP_HALF = 15.0


def render(state: AppState) -> None:
    """Draw the "why" view for ``state``."""
    st.subheader("Why it works")
    result = evaluate_state(state)
    sections = {
        "mse": lambda: _ce_vs_mse(state, result),
        "temperature": lambda: _temperature(state, result),
        "smoothing": lambda: _smoothing(state),
        "stability": lambda: _stability(state),
        "binary": lambda: _binary(state),
    }
    tabs = st.tabs(list(WHY_TABS.values()), **session.bound_tabs("why"))
    for tab, name in zip(tabs, WHY_TABS, strict=True):
        with tab:
            if tab.open:  # only the open tab is built (tab= in the link names it)
                sections[name]()


def _ce_vs_mse(state: AppState, result) -> None:
    k = state.true_class
    o_k = result.logits[k]
    # A logit too large to draw at its own value is swept by moves from it.
    relative = not draws_absolute(o_k)
    centre = 0.0 if relative else o_k
    values = grid_values(centre, SWEEP_HALF, SWEEP_N)
    ce, mse = gradient_sweep(result.logits, result.y, k, values, state.T, relative=relative)
    st.markdown(
        "Sweep the true class's logit $o_k$ with the others fixed. Cross-entropy's gradient "
        "$(p_k - y_k)/T$ is largest exactly when the model is confidently wrong. Squared "
        "error on the probabilities has the gradient"
    )
    # Displayed, not inline (an inline formula this long breaks across lines), in two rows
    # that each fit a phone's width.
    st.latex(
        r"\begin{aligned}&\frac{\partial}{\partial o_k} \sum_i (p_i - y_i)^2 \\"
        r" &\quad= \frac{2p_k}{T}\Big[(p_k - y_k) - \sum_j p_j (p_j - y_j)\Big]\end{aligned}"
    )
    st.markdown(
        "The factor $p_k$ makes it **vanish** when $p_k \\to 0$, so a confidently wrong model "
        "barely learns."
    )
    label = logit_label(k, state.class_names[k])
    here = (abs(result.grad[k]), value_nearest(values, mse, centre))
    chart(
        ce_vs_mse_figure(
            values, ce, mse, centre, label, origin=o_k if relative else None, T=state.T
        ),
        key="ce_mse_chart",
        alt=alt_ce_vs_mse(
            label,
            f"{fmt_short(o_k)} − {fmt_short(SWEEP_HALF)}" if relative else fmt_short(values[0]),
            ce,
            mse,
            here,
        ),
    )
    at = 0  # the most wrong end of the sweep
    where = f"{tex(o_k, None)} - {tex(SWEEP_HALF, None)}" if relative else fmt_short(values[at])
    st.info(
        f"At $o_k = {where}$ (confidently wrong): cross-entropy pushes with "
        f"{fmt(ce[at])}, MSE with {fmt(mse[at])}. At your logits: {fmt(here[0])} "
        f"against {fmt(here[1])}."
    )


def _temperature(state: AppState, result) -> None:
    names = state.class_names
    st.markdown(
        "Dividing the logits by $T$ before the softmax **sharpens** $p$ for $T < 1$ and "
        "**flattens** it for $T > 1$. The chain rule through $o/T$ divides the gradient by "
        f"$T$: here $\\partial L/\\partial o = (p - y)/T$ with $T = {fmt_short(state.T)}$."
    )
    sweep = temperature_sweep(result.logits, TEMPERATURES)
    chart(
        temperature_figure(TEMPERATURES, sweep, names, state.T),
        key="temperature_chart",
        alt=alt_temperature(names, TEMPERATURES, sweep, state.T, result.p),
    )
    g = temperature_gradient(result.logits, result.y, state.T)
    st.markdown(
        "**The gradient scales like $1/T$.** Its size $\\lVert \\partial L/\\partial o "
        "\\rVert = \\lVert p - y \\rVert / T$ for your logits at every $T$, beside a line "
        "that falls exactly like $1/T$. Where the curve leaves the line, $p$ itself is "
        "changing with $T$; where it runs along it ($p$ settled, e.g. flat at large $T$), "
        "the $1/T$ of the chain rule is all that is left."
    )
    chart(
        temperature_gradient_figure(g.temperatures, g.norms, g.reference, g.T, g.norm, g.anchor),
        key="temperature_gradient_chart",
        alt=alt_temperature_gradient(g),
    )
    if g.norm == 0:
        st.caption(
            f"At your T = {fmt_short(state.T)} the gradient is exactly 0 in float64 (p equals "
            "y to the last bit), which a log axis cannot show: the 1/T line goes through "
            f"T = {fmt_sig(g.anchor)} instead."
        )
    unscaled = distillation_grad_norms(result.logits, DISTILL_TEMPERATURES, scaled=False)
    scaled = distillation_grad_norms(result.logits, DISTILL_TEMPERATURES)
    st.markdown(
        "**Distillation.** A student learns from a teacher's softened $p_t = "
        "\\mathrm{softmax}(o_t/T)$. The soft-target gradient is $(p_s - p_t)/T$, and "
        "$p_s - p_t$ itself shrinks like $1/T$, so that gradient fades like $1/T^2$. "
        "Multiplying the soft-target loss by $T^2$ multiplies its gradient by $T^2$ too, "
        "which keeps its pull steady as $T$ changes. (Teacher: your logits; student: all "
        "zeros.)"
    )
    chart(
        distillation_figure(DISTILL_TEMPERATURES, unscaled, scaled),
        key="distillation_chart",
        alt=alt_distillation(DISTILL_TEMPERATURES, unscaled, scaled),
    )


def _smoothing(state: AppState) -> None:
    K, eps = state.K, state.smoothing
    gaps = optimal_gaps(K, SMOOTHING_VALUES)
    current = optimal_logit_gap(K, eps) if eps > 0 else float("inf")
    st.markdown(
        "With a one-hot target the gradient $p_k - 1$ is negative at *every* finite logit, "
        "so gradient descent never stops: the loss reaches 0 only as the logit gap goes to "
        "infinity. Label smoothing, $y \\leftarrow (1 - \\varepsilon)y + \\varepsilon/K$, "
        "puts the minimum at $p = y$, where the gap is finite:"
    )
    st.latex(
        r"o_k - o_j = \log\frac{1 - \varepsilon + \varepsilon/K}{\varepsilon/K}"
        + (rf" = {fmt(current, 3)}\quad(K = {K},\ \varepsilon = {fmt_short(eps)})" if eps else "")
    )
    chart(
        smoothing_figure(SMOOTHING_VALUES, gaps, eps, current),
        key="smoothing_chart",
        alt=alt_smoothing(SMOOTHING_VALUES, gaps, K, eps, current),
    )
    if eps == 0:
        st.caption(f"Set ε > 0 (sidebar: {MORE_SETTINGS}) to mark your own value.")


def _stability(state: AppState) -> None:
    shown = stability(state.o(), state.y_vector(), state.T)
    thresholds = overflow_thresholds()
    st.markdown(
        f"Softmax as written, $e^{{o_i}}/\\sum_j e^{{o_j}}$, overflows once a logit passes "
        f"about {fmt(thresholds['float64'], 1)} in float64. Add {fmt_short(BIG_SHIFT)} "
        "to your logits: the naive formula gives NaN, while subtracting the largest logit "
        "first (log-sum-exp) gives the right answer, the same as before the shift, because "
        "softmax ignores a constant added to every logit."
    )
    table = pd.DataFrame(
        {
            "class": list(state.class_names),
            "logit + 1000": shown.shifted,
            # As text: a data grid would show NaN as "None", and the point is that it is NaN.
            "naive e^o / Σ e^o": [fmt(v) for v in shown.naive],
            "stable softmax": shown.stable,
            "softmax of your logits": shown.unshifted,
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="stability_table")
    st.markdown("Where `exp` overflows, by floating-point type:")
    st.dataframe(
        pd.DataFrame(
            {"type": list(thresholds), "e^x overflows near x =": list(thresholds.values())}
        ),
        hide_index=True,
        key="threshold_table",
    )
    st.caption(
        "The stable form also gives log p directly as (oᵢ − m) − log Σ e^(oⱼ − m), so the "
        "loss of a confident wrong answer is a large finite number, never log 0: your "
        f"logits + 1000 still give L = {fmt(shown.loss)}, "
        f"log p = {', '.join(fmt(v, 3) for v in shown.log_p)}."
    )


def _binary(state: AppState) -> None:
    names = state.class_names
    case = binary_case(state.o(), state.y_vector())
    k, j, z, t = case.pair.k, case.pair.j, case.pair.z, case.pair.t
    sk, sj = subscript(k), subscript(j)
    if state.K > 2:
        which = (
            f"Take the true class $k = {k}$ ({escape_markdown(names[k])}) and its strongest "
            f"rival, the other class with the largest logit, $j = {j}$ "
            f"({escape_markdown(names[j])}). Restricted to these two, the target renormalised "
            "over the pair is $t = y_k/(y_k + y_j)$"
        )
    else:
        which = (
            f"Here the true class is $k = {k}$ ({escape_markdown(names[k])}) and the other is "
            f"$j = {j}$ ({escape_markdown(names[j])}), with target $t = y_k$"
        )
    st.markdown(
        "With two classes, softmax is the logistic sigmoid of the logit difference and "
        "cross-entropy is binary cross-entropy: "
        "$p_k = e^{o_k}/(e^{o_j} + e^{o_k}) = \\sigma(o_k - o_j)$, and the gradient "
        "$p_k - t$ is $\\sigma(z) - t$. "
        + which
        + f". So $z = o_k - o_j = {fmt_short(z)}$ and $t = {fmt(t)}$ (at $T = 1$):"
    )
    rows = pd.DataFrame(
        {
            "quantity": [
                f"p{sk} = e^o{sk} / (e^o{sj} + e^o{sk})",
                "σ(z)",
                "cross-entropy",
                "binary cross-entropy",
                f"∂L/∂o{sk} = p{sk} − t",
                "σ(z) − t",
            ],
            "value": [
                case.p_k,
                case.sigmoid_z,
                case.loss,
                case.bce,
                case.grad_k,
                case.sigmoid_grad,
            ],
        }
    )
    st.dataframe(
        rows,
        hide_index=True,
        key="binary_table",
        column_config={"value": st.column_config.NumberColumn(format="%.12f")},
    )
