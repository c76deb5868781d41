"""The "Loss landscape" view: the loss over two logits with −∇L drawn to scale, the
descent field, gradient descent you can play, and a 1-D slice with its tangent."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ce_viz.analysis import Evaluation
from ce_viz.changes import pick_axis
from ce_viz.figures import descent_figure, landscape_figure, slice_figure
from ce_viz.fmt import fmt, fmt_short, fmt_signed, logit_label
from ce_viz.landscape import ABSOLUTE_LIMIT, optimal_logit_gap
from ce_viz.scenes import (
    DescentCurves,
    descent_curves,
    descent_run,
    drawn_relative,
    plane,
    slice_,
)
from ce_viz.state import (
    DESCENT_MODES,
    LANDSCAPE_TABS,
    LR_RANGE,
    PLOTS,
    SPAN_RANGE,
    STEPS_RANGE,
    AppState,
)
from ce_viz.views import session
from ce_viz.views.common import MORE_SETTINGS, chart, evaluate_state

PLOT_LABELS = {"contour": "Contours", "surface": "3-D surface"}
DESCENT_LABELS = {"plane": "the two plotted logits", "all": "all logits"}
#: The descent's number boxes, in px: "0.05" or "500" and the step buttons, and on a phone
#: (390 px) the two side by side.
BOX_WIDTH = 160


def render(state: AppState) -> None:
    """Draw the landscape view."""
    st.subheader("The loss landscape")
    st.markdown(
        "The loss over two logits, with every other logit held where it is. The arrow is "
        "$-\\nabla L$ at the current logits, to scale: it always points downhill, and its "
        "components are $y_a - p_a$ and $y_b - p_b$ (divided by $T$)."
    )
    result = evaluate_state(state)
    if drawn_relative(state):
        st.info(
            f"**Measured from the current logits.** Past ±{fmt_short(ABSOLUTE_LIMIT)}, "
            "float32, which carries the charts to the browser, cannot tell a logit from a "
            "small move away from it (past about 10¹⁶ neither can float64). So the charts "
            "below show the moves Δo from the current logits and the change of the loss, "
            "L − L₀, which ce-viz works out from log p without ever adding a move to a "
            f"logit. Here L₀ = {fmt(result.loss)}.",
            icon=":material/straighten:",
        )
    # Two tabs, each filling the screen; only the open one is built (part= in the link).
    plane_tab, slice_tab = st.tabs(list(LANDSCAPE_TABS.values()), **session.bound_tabs("landscape"))
    with plane_tab:
        if plane_tab.open:
            _plane_and_descent()
    with slice_tab:
        if slice_tab.open:
            _slice(state, result)


@st.fragment
def _plane_and_descent() -> None:
    """The plane and the descent run: their controls rerun only this part of the page."""
    state: AppState = session.state()
    # Smaller on a projector (views/present.css): the plane then starts on the first screen.
    with st.container(key="landscape_controls"):
        # Two rows, each a horizontal container: this fragment reruns at every edit, and
        # columns send a block of their own for each setting.
        row = st.container(horizontal=True, vertical_alignment="bottom")
        axis_pickers(state, row)
        row.segmented_control(
            "Plot",
            options=list(PLOTS),
            format_func=PLOT_LABELS.__getitem__,
            required=True,
            **session.bound("plot"),
        )
        row.toggle(
            "Arrow field",
            help="−∇L on a coarse grid (contour plot only).",
            disabled=state.plot == "surface",
            **session.bound("arrows"),
        )
        row.slider("Range ± around o", *SPAN_RANGE, step=0.5, **session.bound("span"))
        row = st.container(horizontal=True, vertical_alignment="bottom")
        row.number_input(
            "Learning rate",
            *LR_RANGE,
            step=0.1,
            format="%g",
            width=BOX_WIDTH,
            **session.bound("lr"),
            help="Each step: o ← o − lr · ∂L/∂o",
        )
        row.number_input("Steps", *STEPS_RANGE, step=10, width=BOX_WIDTH, **session.bound("steps"))
        row.segmented_control(
            "Descent moves",
            options=list(DESCENT_MODES),
            required=True,
            format_func=DESCENT_LABELS.__getitem__,
            **session.bound("descent"),
            help="With only the two plotted logits free, the path lies on the surface drawn.",
        )
    state = session.state()  # a fragment reruns alone: it reads the state at its start
    _plane_and_curves(state)
    session.end_fragment()


def _plane_and_curves(state: AppState) -> None:
    """The plane with the descent path, beside the loss and the gap by step."""
    result = evaluate_state(state)
    run = descent_run(state)
    curves = descent_curves(state, result, run)
    # Side by side: the square plane would otherwise leave a wide screen half empty, and a
    # lecturer can point at the path and its loss curve at once. Phones stack the two.
    plane_col, descent_col = st.columns([1.15, 1])
    with plane_col:
        chart(
            landscape_figure(
                plane(state, result, run, state.plane, state.arrows, state.plot == "surface")
            ),
            key="landscape_chart",
            alt="The loss over two logits, with the current point, the negative gradient "
            "arrow and the gradient-descent path.",
        )
        if state.descent == "all":
            st.caption(
                "All logits move, so the path is the descent projected on this plane; the "
                "surface is drawn with the other logits at their starting values."
            )
    with descent_col:
        chart(
            descent_figure(
                curves.steps,
                curves.losses,
                curves.gaps,
                curves.min_loss,
                curves.optimal_gap,
                origin=curves.origin,
            ),
            key="descent_chart",
            alt="Loss and logit gap against the gradient-descent step: the loss goes from "
            f"{fmt(curves.losses[0])} to {fmt(curves.losses[-1])} in {state.steps} steps, the "
            f"gap from {fmt(curves.gaps[0])} to {fmt(curves.gaps[-1])}.",
        )
        if run.relative:
            _relative_story(state, curves, result.loss)
        else:
            _descent_story(state, curves)


def _descent_story(state: AppState, curves: DescentCurves) -> None:
    """Say in words what the run shows: divergence with a hard target, a floor with smoothing."""
    if state.steps == 0:
        st.info("Set a number of steps to run gradient descent.")
        return
    first, last, gaps = curves.losses[0], curves.losses[-1], curves.gaps
    if state.y is None and state.smoothing == 0:
        st.info(
            f"**Hard target.** In {state.steps} steps the loss fell from {fmt(first)} to "
            f"{fmt(last)} while the logit gap grew from {fmt(gaps[0], 2)} to {fmt(gaps[-1], 2)}. "
            "It never reaches 0: that takes pₖ = 1, which needs an infinite gap, so the "
            "logits keep growing. Label smoothing (ε > 0, in the sidebar under "
            f"{MORE_SETTINGS}) gives the loss a finite minimum."
        )
    else:
        gap_note = ""
        if state.y is None and state.descent == "all":
            gap_note = (
                f" The gap heads for log((1 − ε + ε/K)/(ε/K)) = "
                f"{fmt(optimal_logit_gap(state.K, state.smoothing), 3)}, where p = y."
            )
        st.info(
            f"**Soft or smoothed target.** The loss settles: {fmt(first)} → {fmt(last)}, "
            f"never below H(y) = {fmt(curves.min_loss)}, the entropy of the target. The logits "
            f"stay finite (gap {fmt(gaps[-1], 3)})." + gap_note
        )


def _relative_story(state: AppState, curves: DescentCurves, start_loss: float) -> None:
    """What a run measured from its start shows: how far the loss and the gap moved."""
    if state.steps == 0:
        st.info("Set a number of steps to run gradient descent.")
        return
    if state.y is None and state.smoothing == 0:
        floor = "With a hard target the loss never reaches 0: that takes pₖ = 1, an infinite gap."
    else:
        floor = f"It never falls below H(y) = {fmt(curves.min_loss)}, the entropy of the target."
    st.info(
        f"**Measured from the start.** In {state.steps} steps the loss changed by "
        f"{fmt_signed(curves.losses[-1])} from L₀ = {fmt(start_loss)}, and the logit gap by "
        f"{fmt_signed(curves.gaps[-1], 2)} from {fmt(curves.start_gap, 2)}. {floor}"
    )


def _slice(state: AppState, result: Evaluation) -> None:
    """The loss along one logit and its tangent, whose slope is the derivation's p_j − y_j."""
    names = state.class_names
    st.selectbox(
        "Logit to vary",
        width=360,
        options=list(range(state.K)),
        format_func=lambda c: logit_label(c, names[c]),
        **session.bound("slice_axis", shown=state.slice_class),
    )
    shown = slice_(state, result)
    j, T, y = state.slice_class, state.T, result.y
    chart(
        slice_figure(shown),
        key="slice_chart",
        alt=f"The loss as {shown.label} varies, with its tangent at the current value, of "
        f"slope {fmt(shown.slope)}.",
    )
    slope = shown.slope
    scale = "" if T == 1 else f" ÷ T = ({fmt(result.p[j])} − {fmt(y[j])}) ÷ {fmt_short(T)}"
    st.markdown(
        f"Slope of the tangent: $\\partial L/\\partial o_{{{j}}} = p_{{{j}}} - y_{{{j}}}$"
        + (f" = {fmt(result.p[j])} − {fmt(y[j])}" if T == 1 else scale)
        + f" = **{fmt(slope)}**. The derivation's result, drawn: where $p_j$ is below its "
        "target the slope is negative and raising the logit lowers the loss."
    )


def _on_axis(which: int) -> None:
    session.apply(pick_axis, which, int(session.value(f"axis_{which}")))


def axis_pickers(state: AppState, row: Any) -> None:
    """Two selectors for the landscape's plane, side by side in ``row``."""
    names = state.class_names
    for which, label in enumerate(("Horizontal axis", "Vertical axis")):
        session.seed(f"axis_{which}", state.plane[which])
        row.selectbox(
            label,
            options=list(range(state.K)),
            format_func=lambda i: logit_label(i, names[i]),
            key=f"axis_{which}",
            on_change=_on_axis,
            args=(which,),
        )
