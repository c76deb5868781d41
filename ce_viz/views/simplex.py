"""The "Simplex" view: every possible p for three classes is a point of a triangle. The loss
over it, the target's corner, the current p and gradient descent's path, beside the same
path in logit space."""

from __future__ import annotations

import streamlit as st

from ce_viz.analysis import Evaluation
from ce_viz.figures import landscape_figure, simplex_figure
from ce_viz.fmt import escape_markdown, fmt, logit_label
from ce_viz.landscape import Descent
from ce_viz.scenes import descent_run, plane
from ce_viz.state import AppState
from ce_viz.theory import (
    restrict,
    restricted_softmax,
    share,
    simplex_grid,
    simplex_losses,
    simplex_problem,
)
from ce_viz.views import session
from ce_viz.views.common import chart, evaluate_state, show_error

#: The triangular grid's resolution: about 1,700 points inside the simplex.
SIMPLEX_N = 60


def render(state: AppState) -> None:
    """Draw the simplex view for ``state``."""
    st.subheader("The probability simplex")
    if state.K < 3:
        st.info("The simplex needs three classes: set K to 3 or more in the sidebar.")
        return
    st.markdown(
        "Softmax maps every logit vector to a point of the simplex, the triangle of "
        "probabilities that sum to 1. For a one-hot target the loss $-\\log p_k$ depends "
        "only on the distance from the opposite edge, so its contours are the lines "
        "$p_k = $ const; gradient descent heads for the target's corner and reaches it only "
        "at infinite logits."
    )
    trio_picker(state)
    trio = list(state.simplex_classes)
    result = evaluate_state(state)
    problem = simplex_problem(result.logits, result.y, trio, state.class_names, state.T)
    if problem is not None:
        st.warning(escape_markdown(problem), icon=":material/warning:")
        return
    run = descent_run(state)
    points = simplex_grid(SIMPLEX_N)
    y3 = restrict(result.y, trio)
    names = [state.class_names[i] for i in trio]
    left, right = st.columns([1.1, 1])
    with left:
        chart(
            simplex_figure(
                points,
                simplex_losses(points, y3),
                names,
                y3,
                restricted_softmax(result.logits, trio, state.T),
                restricted_softmax(result.logits, trio, state.T, offsets=run.path)
                if run.relative
                else restricted_softmax(run.path, trio, state.T),
            ),
            key="simplex_chart",
            alt="A ternary plot of the probability simplex coloured by the loss, with the "
            "target, the current probabilities and the descent path.",
        )
    with right:
        chart(
            landscape_figure(plane(state, result, run, (trio[0], trio[1]), field=False)),
            key="simplex_logit_chart",
            alt="The same descent path in logit space, over the loss contours.",
        )
    _notes(state, result, run, trio)


def _notes(state: AppState, result: Evaluation, run: Descent, trio: list[int]) -> None:
    """What the triangle holds when K > 3, and where the descent and its plane come from."""
    if state.K > 3:
        st.caption(
            f"With K = {state.K}, the triangle shows the three classes' share of the "
            f"probability, renormalised (now {fmt(share(result.p, trio))} of it), and "
            "the loss restricted to them; the other logits stay where they are."
        )
    st.caption(
        f"Descent: {state.steps} steps at learning rate {state.lr}, as set on the loss "
        "landscape view. Logit space (right) is the plane of the first two chosen classes"
        + (
            ", drawn as moves Δo from the current logits, which are too large to draw at "
            "their own values (see the loss landscape view)."
            if run.relative
            else "."
        )
    )


def _on_trio() -> None:
    chosen = sorted(int(c) for c in session.value("trio"))
    if len(chosen) == 3:
        session.set_error("trio", ())
        session.update(trio=(chosen[0], chosen[1], chosen[2]))
    else:
        session.set_error("trio", ("Pick exactly three classes for the simplex.",))


def trio_picker(state: AppState) -> None:
    """Choose the simplex's three classes; a choice of more or fewer is named, not used."""
    names = state.class_names
    if session.error("trio") is None:
        session.seed("trio", list(state.simplex_classes))
    st.multiselect(
        "Three classes",
        options=list(range(state.K)),
        format_func=lambda i: logit_label(i, names[i]),
        max_selections=3,
        key="trio",
        on_change=_on_trio,
    )
    show_error("trio")
