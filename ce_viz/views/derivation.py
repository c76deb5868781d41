"""The "Derivation" view: the seed's derivation of ∂L/∂o = p − y, step by step, with the
current numbers, then a finite-difference check of the result.

Unlike the seed it writes the softmax with the logits in the exponent (e^{o_j}, not e^j),
derivatives as ∂/∂o, the loss from unrounded p, and calls the result the gradient with
respect to the logits o, not p.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ce_viz.analysis import FD_STEPS, Evaluation, fd_check, loss_from_rounded, step_choices
from ce_viz.figures import fd_error_figure
from ce_viz.fmt import fmt, latex_document, tex, tex_over_t, tex_vector
from ce_viz.state import H_RANGE, AppState
from ce_viz.views import session
from ce_viz.views.common import cached_fd_sweep, chart, evaluate_state

#: A check whose largest relative error is below this counts as agreeing.
FD_PASS = 1e-6
#: How many of the per-class gradients share one row of the derivation.
ROW = 5


def aligned(*rows: str) -> str:
    r"""Equations one under another, lined up at their ``&``: a long formula split at its
    '=' on purpose, rather than wider than the page (KaTeX never breaks a display formula).

    >>> aligned("a &= 1", "b &= 2")
    '\\begin{aligned}a &= 1\\\\ b &= 2\\end{aligned}'
    """
    return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"


class LatexLog:
    """The derivation as a list of lines: each equation, with the text that leads into it
    and the captions after it. Nothing is drawn until :meth:`show`, so a lecturer can
    reveal it one equation at a time; ``equations`` is every equation, for the download."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, source: str) -> None:
        self.lines.append(("latex", source))

    def text(self, body: str) -> None:
        """Markdown that leads into the next equation."""
        self.lines.append(("text", body))

    def caption(self, body: str) -> None:
        """A note on the equation before it."""
        self.lines.append(("caption", body))

    @property
    def equations(self) -> list[str]:
        """Every equation's LaTeX source, in order."""
        return [body for kind, body in self.lines if kind == "latex"]

    def show(self, count: int) -> None:
        """Draw the first ``count`` equations, with their text and captions (all if 0)."""
        shown = 0
        for kind, body in self.lines:
            if count and shown == count and kind != "caption":
                return
            if kind == "latex":
                st.latex(body)
                shown += 1
            elif kind == "text":
                st.markdown(body)
            else:
                st.caption(body)


def _one_hot_steps(latex: LatexLog, result: Evaluation, k: int, T: float) -> None:
    p = result.p
    over_t = "" if T == 1 else "/T"
    scale = tex_over_t(T)
    latex.text(
        f"**3. The true class ${{k = {k}}}$.** Only ${{-\\log p_k}}$ depends on $o_k$ through its "
        "numerator and denominator, so use the quotient rule:"
    )
    latex(
        r"\frac{\partial p_k}{\partial o_k}"
        rf"= {scale}\frac{{e^{{o_k{over_t}}}\sum_i e^{{o_i{over_t}}} - e^{{o_k{over_t}}}"
        rf"e^{{o_k{over_t}}}}}{{\left(\sum_i e^{{o_i{over_t}}}\right)^2}}"
        rf"= {scale}\left(p_k - p_k^2\right)"
    )
    latex(
        r"\frac{\partial L}{\partial o_k} = -\frac{1}{p_k}\frac{\partial p_k}{\partial o_k}"
        rf"= {scale}\left(p_k - 1\right)"
        + (
            rf"= {tex(p[k])} - 1 = {tex(result.grad[k])}"
            if T == 1
            else rf"= \frac{{{tex(p[k])} - 1}}{{{tex(T, 3)}}} = {tex(result.grad[k])}"
        )
    )
    others = [j for j in range(len(p)) if j != k]
    latex.text(
        "**4. Every other class $j \\ne k$.** Now $e^{o_k}$ is a constant and only the "
        "denominator moves:"
    )
    latex(
        r"\frac{\partial p_k}{\partial o_j}"
        rf"= -{scale}\frac{{e^{{o_k{over_t}}} e^{{o_j{over_t}}}}}"
        rf"{{\left(\sum_i e^{{o_i{over_t}}}\right)^2}} = -{scale} p_k p_j"
        r"\quad\Longrightarrow\quad"
        r"\frac{\partial L}{\partial o_j} = -\frac{1}{p_k}\frac{\partial p_k}{\partial o_j}"
        rf"= {scale}p_j"
    )
    per_class = [
        rf"\frac{{\partial L}}{{\partial o_{{{j}}}}} = {tex(result.grad[j])}" for j in others
    ]
    # Five to a row: at K = 20 one row would be three screens wide.
    rows = [r",\quad ".join(per_class[i : i + ROW]) for i in range(0, len(per_class), ROW)]
    latex(r"\begin{gathered}" + r",\\[0.4em] ".join(rows) + r"\end{gathered}")


def _general_step(latex: LatexLog, result: Evaluation, T: float) -> None:
    scale = tex_over_t(T)
    latex.text(
        "**3. Any target.** With ${\\log p_j = o_j/T - \\log\\sum_i e^{o_i/T}}$, "
        "${\\partial \\log p_j / \\partial o_i = (\\delta_{ij} - p_i)/T}$, and because "
        "${\\sum_j y_j = 1}$:"
    )
    latex(
        r"\frac{\partial L}{\partial o_i} = -\sum_j y_j \frac{\partial \log p_j}{\partial o_i}"
        rf"= -{scale}\sum_j y_j\left(\delta_{{ij}} - p_i\right)"
        rf"= {scale}\left(p_i \sum_j y_j - y_i\right) = {scale}\left(p_i - y_i\right)"
    )


def render(state: AppState) -> None:
    """Draw the derivation view for ``state``."""
    result = evaluate_state(state)
    latex = _derivation(state, result)
    st.subheader("Deriving ∂L/∂o = p − y")
    latex.show(_reveal_controls(state, len(latex.equations)))
    _download_and_slips(latex)
    _numerical_check(state, result)


def _on_reveal(count: int) -> None:
    session.update(reveal=count)


def _reveal_controls(state: AppState, total: int) -> int:
    """First / Previous / Next / Show all, for a lecturer who talks through the derivation
    one line at a time (``reveal=`` in the link); returns how many lines to show, 0 for
    all. A reveal past the last line shows them all, and says so by line number."""
    count = min(state.reveal, total) if state.reveal else total
    # A presenter's clicker sends Page Down and Page Up; at a desk those keys scroll.
    keys = ("PageUp", "PageDown") if state.present else (None, None)
    with st.container(horizontal=True, vertical_alignment="center", key="reveal_row"):
        buttons = (
            ("First line", ":material/first_page:", 1, count <= 1, None),
            ("Previous", ":material/navigate_before:", count - 1, count <= 1, keys[0]),
            ("Next", ":material/navigate_next:", count + 1, count >= total, keys[1]),
            ("Show all", ":material/unfold_more:", 0, not state.reveal, None),
        )
        for label, icon, target, disabled, key in buttons:
            st.button(
                label,
                icon=icon,
                key=f"reveal_{label.split()[0].lower()}",
                on_click=_on_reveal,
                args=(target,),
                disabled=disabled,
                shortcut=key,
            )
        st.caption(
            f"Line {count} of {total}" if state.reveal else f"All {total} lines shown",
            help="Step through the derivation one equation at a time; the link keeps the "
            "step (reveal=).",
        )
    return count if state.reveal else 0


def _derivation(state: AppState, result: Evaluation) -> LatexLog:
    """The five steps with the state's numbers; returns every equation shown."""
    T = state.T
    k = state.true_class
    one_hot = state.y is None and state.smoothing == 0
    over_t = "" if T == 1 else "/T"

    latex = LatexLog()
    latex.text("**1. Softmax** turns the logits $o$ into probabilities:")
    latex(
        rf"p_j = \frac{{e^{{o_j{over_t}}}}}{{\sum_i e^{{o_i{over_t}}}}}:\qquad "
        + aligned(f"o &= {tex_vector(result.logits, None)}", f"p &= {tex_vector(result.p)}")
    )
    latex.text("**2. Cross-entropy** against the target $y$:")
    if one_hot:
        latex(
            aligned(
                f"y &= {tex_vector(result.y, 0)}",
                r"L &= -\sum_i y_i \log p_i = -\log p_k"
                rf"= -\log {tex(result.p[k])} = {tex(result.loss)}",
            )
        )
        rounded, rounded_loss = loss_from_rounded(result.p[k])
        latex.caption(
            "Computed from the unrounded p. Rounding p to three decimals first would give "
            f"−log {rounded:.3f} = {fmt(rounded_loss)}, not {fmt(result.loss)}: the slip by "
            "which the textbook derivation (below) got 1.406 instead of 1.4076."
            if rounded > 0
            else "Computed from the unrounded p."
        )
        _one_hot_steps(latex, result, k, T)
    else:
        latex(
            aligned(
                f"y &= {tex_vector(result.y)}",
                rf"L &= -\sum_i y_i \log p_i = {tex(result.loss)}",
            )
        )
        _general_step(latex, result, T)
    latex.text(
        "**5. Together**: the gradient of the loss **with respect to the logits $o$** "
        "(not with respect to $p$):"
    )
    scale = tex_over_t(T)
    latex(
        rf"\frac{{\partial L}}{{\partial o}} = {scale}(p - y)"
        rf"= {tex_vector(result.grad)}"
    )
    return latex


def _download_and_slips(latex: LatexLog) -> None:
    """The equations as a LaTeX file, and the textbook derivation with what it got wrong."""
    st.download_button(
        "Download LaTeX",
        data=latex_document(latex.equations, "Deriving $\\partial L/\\partial o = p - y$"),
        file_name="ce-viz-derivation.tex",
        mime="application/x-tex",
        icon=":material/download:",
        key="download_tex",
        on_click="ignore",
        help="These equations with your numbers, as a LaTeX document to paste into slides.",
    )
    with st.expander("The textbook derivation this started from, and its slips"):
        st.markdown(
            "A widely copied blog-style derivation, *Calculate gradient of cross entropy "
            "loss*, works the same example: logits ${o = (2, 3, 4)}$, true class 1, "
            "${p = (0.090, 0.245, 0.665)}$. It reaches the right rule, ${p_k - 1}$ for the true "
            "class and $p_j$ for the others, but these lines of it slip:"
        )
        for written in SEED_LINES:
            st.latex(written)
        st.markdown(
            "- Softmax was written ${p_j = e^j / \\sum_i e^i}$; the exponent is the logit, "
            "$e^{o_j}$.\n"
            "- Derivatives were written $\\partial/o_k$; they are $\\partial/\\partial o_k$.\n"
            "- The loss −log(0.245) = 1.406 used p rounded to three decimals; from the exact "
            "p it is 1.4076.\n"
            "- The true-class entry is 0.245 − 1 = **−0.755**; it printed −0.775.\n"
            "- It calls the final vector the gradient with respect to p; it is the gradient "
            "with respect to the **logits o**. (With respect to p it would be −y/p.)"
        )


#: The seed derivation's slipped lines, as it wrote them.
SEED_LINES = (
    r"p_j = \dfrac{e^j}{\sum_i e^i}",
    r"\dfrac{\partial L}{\partial o_k} = \dfrac{\partial}{o_k}\big(-\log(p_k)\big)",
    r"L = -\log(0.245) = 1.406",
    r"\text{gradients (w.r.t. } p\text{)} = \boxed{0.090}\ \boxed{-0.775}\ \boxed{0.665}",
)


def _numerical_check(state: AppState, result: Evaluation) -> None:
    """Central differences against the analytic gradient, and the error curve over h."""
    T = state.T
    st.subheader("Check it numerically")
    st.markdown(
        "Central differences, ${\\dfrac{L(o + h e_i) - L(o - h e_i)}{2h}}$, against the "
        "analytic ${(p - y)/T}$. Their agreement is the derivation, verified."
    )
    h = fd_step_picker(state)
    check = fd_check(result.logits, result.y, T, h)
    agree = check.max_rel_error < FD_PASS
    table = pd.DataFrame(
        {
            "class": list(state.class_names),
            "analytic ∂L/∂o": check.analytic,
            "central difference": check.numerical,
            "relative error": check.rel_error,
        }
    )
    left, right = st.columns([1, 1])
    with left:
        st.metric(
            "Largest relative error",
            f"{check.max_rel_error:.2e}",
            delta="agree" if agree else "disagree",
            delta_color="normal" if agree else "inverse",
            delta_arrow="off",
            help=f"Agreement means below {FD_PASS:.0e}.",
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "analytic ∂L/∂o": st.column_config.NumberColumn(format="%.10f"),
                "central difference": st.column_config.NumberColumn(format="%.10f"),
                "relative error": st.column_config.NumberColumn(format="%.2e"),
            },
            key="fd_table",
        )
    with right:
        errors = cached_fd_sweep(state.logits, tuple(result.y), T)
        chart(
            fd_error_figure(FD_STEPS, errors, h, check.max_rel_error),
            key="fd_chart",
            alt="Log-log plot of the finite-difference error against the step h.",
        )
        st.caption(
            "Too large an h and the O(h²) truncation error dominates; too small and "
            "floating-point rounding, growing like 1/h, takes over."
        )


def fd_step_picker(state: AppState) -> float:
    """A slider over powers of ten for the finite-difference step ``h``."""
    st.select_slider(
        "Finite-difference step h",
        options=step_choices(state.h, *H_RANGE),
        format_func=lambda h: f"{h:.0e}",
        **session.bound("h"),
    )
    return state.h
