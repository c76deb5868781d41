"""The quick inputs above a single-sample view: all the logits in one box and the true
class, on the page itself.

On a phone the sidebar covers the page while it is open, so a student could not change
an input and watch the result at once; these sit between the view buttons and the view.
They show the same state as the sidebar's sliders and write through
``ce_viz.views.session`` like them. The widgets are built only while the expander is open
(on a phone it starts open), so a desk's reruns stay as cheap as before.
"""

from __future__ import annotations

import streamlit as st

from ce_viz.fmt import fmt_short, url_number
from ce_viz.state import LOGIT_LIMIT, AppState, parse_vector
from ce_viz.views import session
from ce_viz.views.common import on_phone, show_error

#: The views of one sample, whose result the quick inputs change.
VIEWS = ("gradient", "derivation", "landscape", "simplex", "jacobian", "why")
#: The error field, the text box's key, and what its text was last seeded from.
FIELD = "quick_logits"
_SEEDED_FROM = "quick_logits_seeded_from"


def _logits_text(logits: tuple[float, ...]) -> str:
    """The logits as the box shows them: exact, shortest, comma-separated."""
    return ", ".join(url_number(v) for v in logits)


def _on_logits() -> None:
    logits = session.state().logits
    text = session.value(FIELD) or ""
    kept = f" The logits stay {', '.join(fmt_short(v) for v in logits)}."
    if not text.strip():
        session.set_error(FIELD, ("The logits box is empty." + kept,))
        return
    parsed = parse_vector(text, "logits", -LOGIT_LIMIT, LOGIT_LIMIT, count=len(logits))
    if not parsed.ok:
        hint = (
            " (Change the number of classes K in the sidebar.)"
            if "given for" in parsed.messages[0]
            else ""
        )
        session.set_error(FIELD, (parsed.messages[0] + hint + kept,))
        return
    session.set_error(FIELD, ())
    session.update(logits=parsed.value)


def _on_target() -> None:
    session.update(target=int(session.value("quick_target")))


def _seed(state: AppState) -> None:
    """Show the state's logits in the box, unless it holds text being corrected for these
    very logits; a change made elsewhere (the sidebar, a preset) replaces that text."""
    if session.error(FIELD) is None or session.kept(_SEEDED_FROM) != state.logits:
        session.set_error(FIELD, ())
        session.seed(FIELD, _logits_text(state.logits))
    session.keep(_SEEDED_FROM, state.logits)
    session.seed("quick_target", state.target)


def quick_inputs(state: AppState) -> None:
    """The logits box and the true class, in an expander above the view."""
    with st.expander(
        "Logits o and true class k",
        icon=":material/edit:",
        expanded=on_phone(),
        key="quick_open",
        on_change="rerun",
    ) as box:
        if not box.open:
            return
        _seed(state)
        names = state.class_names
        left, right = st.columns([3, 2], vertical_alignment="top")
        left.text_input(
            "Logits o, comma-separated",
            key=FIELD,
            on_change=_on_logits,
            help=f"{state.K} numbers, one per class; press Enter to apply.",
        )
        if state.y is None:
            right.selectbox(
                "True class k",
                options=list(range(state.K)),
                format_func=lambda i: f"{i}: {names[i]}",
                key="quick_target",
                on_change=_on_target,
            )
        else:
            right.caption("A soft target y is set: change it in the sidebar.")
        show_error(FIELD)
