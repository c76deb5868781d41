""" "Check my work", an exercise: the problem on the page, blank boxes for the p, L and
∂L/∂o a student works out on paper, each typed number marked (a wrong one named by its
slip), and the exact answers only on request."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from ce_viz.changes import new_problem
from ce_viz.check import LABELS, Verdict, check_work, count_problem
from ce_viz.fmt import escape_markdown, fmt, fmt_short, subscript, url_number
from ce_viz.state import (
    PROBLEM_RANGE,
    TOL_RANGE,
    AppState,
    parse_answer,
    parse_answers,
    problem_in_force,
)
from ce_viz.views import session

#: The "Show the answers" switch: this session's only, and off again for a new problem.
REVEAL_KEY = "check_reveal"
VECTORS = ("my_p", "my_grad")
SHOWN_AS = {"p": "p", "L": "L", "dL/do": "∂L/∂o"}


def render(state: AppState) -> None:
    """Draw the check view for ``state``."""
    st.subheader("Check my work")
    _problem(state)
    _answer_boxes(state)
    verdicts = check_work(
        state.o(), state.y_vector(), state.T, state.my_p, state.my_loss, state.my_grad, state.tol
    )
    _summary(state, verdicts)
    reveal = st.toggle(
        "Show the answers",
        key=REVEAL_KEY,
        help="The exact values, for when you are done (or stuck).",
    )
    _table(state, verdicts, reveal)


def _problem(state: AppState) -> None:
    """The problem, written out to be worked on paper, and the "New problem" button."""
    names = state.class_names
    k = state.true_class
    title = f"Problem {state.problem}" if problem_in_force(state) else "The problem"
    given = [
        f"the logits **o = ({', '.join(fmt_short(v) for v in state.logits)})**",
        f"the true class **k = {k}**" + (f" ({escape_markdown(names[k])})" if state.names else ""),
    ]
    if state.y is not None:
        given[1] = f"the soft target **y = ({', '.join(fmt_short(v) for v in state.y)})**"
    if state.T != 1:
        given.append(f"the temperature **T = {fmt_short(state.T)}**")
    if state.smoothing:
        given.append(
            f"label smoothing **ε = {fmt_short(state.smoothing)}** (so y becomes (1 − ε)·y + ε/K)"
        )
    softmax = "softmax(o)" if state.T == 1 else "softmax(o / T)"
    loss = "−ln pₖ" if state.y is None and not state.smoothing else "−Σ yᵢ ln pᵢ"
    with st.container(border=True, key="check_problem"):
        st.markdown(
            f"**{title}.** Given {', '.join(given[:-1])} and {given[-1]}.  \n"
            f"Work out on paper the probabilities **p** = {softmax}, the loss **L** = {loss} "
            "and the gradient **∂L/∂o**, then type them below: each number is marked once "
            "you have typed it."
        )
        st.button(
            "New problem",
            key="new_problem",
            icon=":material/casino:",
            on_click=_on_new_problem,
            help="New logits and a new true class. The link holds the problem's number, "
            "so everyone who opens it gets this same problem.",
        )


def _on_new_problem() -> None:
    # A fresh seed from the system's randomness: no global random state is touched.
    session.apply(new_problem, random.SystemRandom().randint(*PROBLEM_RANGE))
    for field in LABELS:
        session.set_error(field, ())
    session.forget(REVEAL_KEY)


def _answer_boxes(state: AppState) -> None:
    """The boxes for p, L, ∂L/∂o and the tolerance, each with what is wrong with it."""
    K = state.K
    cols = st.columns([2, 1, 2, 1])
    with cols[0]:
        _answer_box("my_p", ", ".join(f"p{subscript(i)}" for i in range(K)))
        _count_note(count_problem(LABELS["my_p"], state.my_p, K))
    with cols[1]:
        _answer_box("my_loss", "L")
    with cols[2]:
        _answer_box("my_grad", ", ".join(f"∂L/∂o{subscript(i)}" for i in range(K)))
        _count_note(count_problem(LABELS["my_grad"], state.my_grad, K))
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


def _answer_box(field: str, placeholder: str) -> None:
    """A text box for one answer; bad text is named by the box's label, under it."""
    if session.error(field) is None:
        value = getattr(session.state(), field)
        if value is None:
            shown = ""
        elif field in VECTORS:
            shown = ", ".join(url_number(v) for v in value)
        else:
            shown = url_number(value)
        session.seed(f"{field}_text", shown)
    st.text_input(
        LABELS[field],
        key=f"{field}_text",
        placeholder=placeholder,
        on_change=_on_answer,
        args=(field,),
        help="Comma-separated, one value per class, class 0 first." if field in VECTORS else None,
    )
    message = session.error(field)
    if message:
        st.warning(escape_markdown(message), icon=":material/edit:")


def _on_answer(field: str) -> None:
    text = session.value(f"{field}_text") or ""
    parse = parse_answers if field in VECTORS else parse_answer
    parsed = parse(text, LABELS[field])
    session.set_error(field, parsed.messages)
    # Bad text, like a blank box, leaves no answer: no old verdict stands for it.
    session.update(**{field: parsed.value})


def _count_note(message: str | None) -> None:
    if message:
        st.warning(escape_markdown(message), icon=":material/format_list_numbered:")


def _summary(state: AppState, verdicts: list[Verdict]) -> None:
    """How many numbers are answered, and for those that need another look, the slips."""
    answered = [v for v in verdicts if v.ok is not None]
    wrong = [v for v in answered if not v.ok]
    if not answered:
        return
    if wrong:
        head = f"{len(wrong)} of the {len(answered)} numbers you typed need another look."
        st.warning("\n".join([head, "", *_slip_lines(state, wrong)]), icon=":material/search:")
    elif len(answered) == len(verdicts):
        st.success(f"All {len(verdicts)} numbers are right.", icon=":material/check:")
    else:
        st.success(
            f"The {len(answered)} numbers you typed are right; {len(verdicts) - len(answered)} "
            "to go.",
            icon=":material/check:",
        )


def _label(v: Verdict, state: AppState) -> str:
    """How the table and the notes name a number: p₁, L, ∂L/∂o₁ (with the class's name)."""
    if v.index is None:
        return "L"
    name = f" ({state.class_names[v.index]})" if state.names else ""
    return f"{SHOWN_AS[v.quantity]}{subscript(v.index)}{name}"


def _verdict_text(v: Verdict) -> str:
    if v.ok is None:
        return "not answered yet"
    return "✓ right" if v.ok else "✗ wrong"


def _table(state: AppState, verdicts: list[Verdict], reveal: bool) -> None:
    """Every number of the problem: the student's, its verdict, the exact value when the
    answers are shown, and the slip (last: on a phone it may scroll; the notes above have
    it too)."""
    columns = {
        "number": [_label(v, state) for v in verdicts],
        "yours": ["" if v.given is None else fmt_short(v.given) for v in verdicts],
        "verdict": [_verdict_text(v) for v in verdicts],
    }
    if reveal:
        columns["exact"] = [fmt(v.correct) for v in verdicts]
    columns["slip"] = [
        "" if v.ok is not False else (v.slip.name if v.slip else "no common slip") for v in verdicts
    ]
    small = st.column_config.TextColumn(width="small")
    st.dataframe(
        pd.DataFrame(columns),
        hide_index=True,
        width="stretch",
        key="check_table",
        column_config={
            "number": small,
            "yours": small,
            "exact": small,
            "slip": st.column_config.TextColumn(width="medium"),
        },
    )


def _slip_lines(state: AppState, wrong: list[Verdict]) -> list[str]:
    """Each slip found, once, as a markdown list item: the numbers that show it and what
    went wrong."""
    found: dict[str, list[Verdict]] = {}
    for v in wrong:
        found.setdefault(v.slip.name if v.slip else "", []).append(v)
    lines = []
    for name, shown in found.items():
        which = escape_markdown(", ".join(_label(v, state) for v in shown))
        slip = shown[0].slip
        if slip is None:
            name, why = "No common slip", "none of the usual mistakes gives this; recheck the "
            why += "working step by step."
        else:
            why = slip.why
        lines.append(f"- **{escape_markdown(name)}** ({which}): {escape_markdown(why)}")
    return lines
