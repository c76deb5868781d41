""" "Check my work": a student types the p, L and gradient they computed by hand; each number
is marked, with the right value and a hint that names the step that went wrong."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ce_viz.check import check_work, count_notes
from ce_viz.fmt import escape_markdown
from ce_viz.state import TOL_RANGE, AppState, parse_answers
from ce_viz.views import session
from ce_viz.views.common import evaluate_state, show_error


def render(state: AppState) -> None:
    """Draw the check view for ``state``."""
    st.subheader("Check my work")
    st.markdown(
        "Work out $p$, $L$ and $\\partial L/\\partial o$ for the logits in the sidebar by "
        "hand, type them in, and each number is marked. It starts with the numbers of a "
        "widely copied textbook derivation (its slips are on the derivation view) for "
        "logits (2, 3, 4) and true class 1, so you can see "
        "which of them hold up."
    )
    _answer_boxes()
    _verdicts(state)


def _answer_boxes() -> None:
    """The boxes for p, L, ∂L/∂o and the tolerance."""
    cols = st.columns([2, 1, 2, 1])
    with cols[0]:
        vector_input("Your p, comma-separated", "my_p")
    with cols[1]:
        st.number_input("Your loss L", format="%g", step=0.001, **session.bound("my_loss"))
    with cols[2]:
        vector_input("Your ∂L/∂o, comma-separated", "my_grad")
    with cols[3]:
        st.number_input(
            "Tolerance",
            *TOL_RANGE,
            format="%g",
            step=0.0001,
            help="How far from the exact value still counts as right; 0.0005 accepts "
            "answers correct to 3 decimals.",
            **session.bound("tol"),
        )


def _verdicts(state: AppState) -> None:
    """Each typed number marked right or wrong, with a hint for each wrong one."""
    result = evaluate_state(state)
    verdicts = check_work(
        result.logits, result.y, state.T, state.my_p, state.my_loss, state.my_grad, state.tol
    )
    notes = count_notes(state.K, state.my_p, state.my_grad)
    if notes:
        st.warning(
            "\n\n".join(escape_markdown(note) for note in notes),
            icon=":material/format_list_numbered:",
        )
    wrong = [v for v in verdicts if not v.ok]
    if wrong:
        st.error(
            f"{len(wrong)} of {len(verdicts)} numbers need another look.",
            icon=":material/close:",
        )
    else:
        st.success(f"All {len(verdicts)} numbers are right.", icon=":material/check:")
    names = state.class_names
    table = pd.DataFrame(
        {
            "quantity": [
                "L" if v.index is None else f"{v.quantity} [{names[v.index]}]" for v in verdicts
            ],
            "yours": [v.given for v in verdicts],
            "exact": [v.correct for v in verdicts],
            "verdict": ["✓ right" if v.ok else "✗ wrong" for v in verdicts],
            "hint": [v.hint for v in verdicts],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="check_table",
        column_config={
            "yours": st.column_config.NumberColumn(format="%.6g"),
            "exact": st.column_config.NumberColumn(format="%.6f"),
            "hint": st.column_config.TextColumn(width="large"),
        },
    )
    for v in wrong:
        label = "L" if v.index is None else f"{v.quantity} for class {v.index}"
        st.markdown(f"- **{label}**: {v.hint}")


def _on_vector(field: str) -> None:
    parsed = parse_answers(session.value(f"{field}_text"), field)
    session.set_error(field, parsed.messages)
    if parsed.ok:
        session.update(**{field: parsed.value})


def vector_input(label: str, field: str, hint: str | None = None) -> None:
    """A text box for a vector field of ``AppState``, comma-separated; bad text is named."""
    if session.error(field) is None:
        session.seed(f"{field}_text", ", ".join(f"{v:g}" for v in getattr(session.state(), field)))
    st.text_input(label, key=f"{field}_text", on_change=_on_vector, args=(field,), help=hint)
    show_error(field)
