"""The "Simplex" view: every possible p for three classes is a point of a triangle. The loss
over it, the target's corner, the current p and gradient descent's path, beside the same
path in logit space."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ce_viz.analysis import Evaluation
from ce_viz.figures import landscape_figure, simplex_figure
from ce_viz.fmt import escape_markdown, fmt, logit_label
from ce_viz.landscape import Descent
from ce_viz.scenes import SimplexData, descent_run, simplex_scene
from ce_viz.state import AppState
from ce_viz.theory import share, simplex_problem
from ce_viz.views import session
from ce_viz.views.common import chart, evaluate_state, show_error


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
        "at infinite logits. Play moves p on the triangle and the logits on the plane "
        "together."
    )
    trio_picker(state)
    trio = state.simplex_classes
    result = evaluate_state(state)
    problem = simplex_problem(result.logits, result.y, list(trio), state.class_names, state.T)
    if problem is not None:
        st.warning(escape_markdown(problem), icon=":material/warning:")
        return
    run = descent_run(state)
    scene = simplex_scene(state, result, run, trio)
    figure = simplex_figure(scene, landscape_figure(scene.plane))
    chart(figure, key="simplex_chart", alt=_alt(state, scene, trio))
    _notes(state, result, run, list(trio), scene)


def _alt(state: AppState, scene: SimplexData, trio: tuple[int, int, int]) -> str:
    """The chart's text alternative: the corners, the target, p and the loss before and
    after the descent, and what the plane beside it shows."""
    labels = [logit_label(i, state.class_names[i]) for i in trio]

    def p_text(p: Sequence[float]) -> str:
        return ", ".join(fmt(v, 3) for v in p)

    corner = [i for i, v in enumerate(scene.target) if v == 1.0]
    target = (
        f"the corner of {labels[corner[0]]}" if corner else f"the point ({p_text(scene.target)})"
    )
    return (
        f"Left: the probability simplex of {labels[0]}, {labels[1]} and {labels[2]}, filled "
        f"by the loss L{' on the colour scale of the plane beside it' if scene.shared else ''}"
        f". The target y is {target}. The current p is ({p_text(scene.current)}), where "
        f"L = {fmt(scene.current_loss)}; after {state.steps} steps of gradient descent p is "
        f"({p_text(scene.path[-1])}) and L = {fmt(scene.final_loss)}. Right: the loss over "
        f"the logits of {' and '.join(scene.plane.labels)}, with the same descent path."
    )


def _notes(
    state: AppState, result: Evaluation, run: Descent, trio: list[int], scene: SimplexData
) -> None:
    """What the triangle holds when K > 3, where the descent and its plane come from, and
    why the two panels have two colour scales when they do."""
    if state.K > 3:
        st.caption(
            f"With K = {state.K}, the triangle shows the three classes' share of the "
            f"probability, renormalised (now {fmt(share(result.p, trio))} of it), and "
            "the loss restricted to them; the other logits stay where they are."
        )
    if not scene.shared:
        st.caption(
            "Each panel has its own colour scale: the plane "
            + (
                "shows the change of the loss L − L₀, the triangle the loss L itself."
                if run.relative
                else "shows losses far from those the triangle holds."
            )
        )
    st.caption(
        f"Descent: {state.steps} steps at learning rate {state.lr}, as set on the loss "
        "landscape view. Logit space (right) is the plane of "
        + " and ".join(scene.plane.labels)
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
