"""Page pieces every view uses: placing a chart, and the cached computations."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ce_viz.analysis import Result, evaluate, fd_sweep
from ce_viz.figures import PLOTLY_CONFIG, draws_absolute, for_projector
from ce_viz.fmt import escape_markdown
from ce_viz.landscape import Descent, descend, descend_relative
from ce_viz.state import AppState
from ce_viz.views import session

#: The sidebar expander with the settings most links leave at their defaults (views name
#: it when they point there).
MORE_SETTINGS = "Temperature, smoothing, names"
#: Every cache here is bounded by age and, through its entry count and the limits on its
#: inputs (K <= 20, at most 500 steps, a 101 x 101 grid), by bytes: a few MB in all, shared
#: by every session.
CACHE_TTL = "1h"
#: The steps at which the finite-difference error curve is drawn.
H_SWEEP = np.logspace(-12, -1, 23)


def chart(fig: go.Figure, key: str, alt: str) -> None:
    """Place a figure full-width, with the shared mode bar and a text alternative; in
    presentation mode its type is scaled up for a projector."""
    if session.state().present:
        fig = for_projector(fig)
    st.plotly_chart(fig, config=PLOTLY_CONFIG, width="stretch", key=key, alt=alt)


def evaluate_state(state: AppState) -> Result:
    """``p``, the loss and the gradient for the state's logits and target."""
    return evaluate(state.o(), state.y_vector(), state.T)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)  # 64 x 23 floats
def cached_fd_sweep(logits: tuple[float, ...], y: tuple[float, ...], T: float) -> np.ndarray:
    """The finite-difference error curve over ``H_SWEEP``, cached per sample."""
    return fd_sweep(np.array(logits), np.array(y), T, H_SWEEP)


def drawn_relative(state: AppState) -> bool:
    """Whether the state's logits are too large to draw at their own values, so the
    landscape and its descent are drawn as moves from them (see ``draws_absolute``)."""
    return not draws_absolute(state.o())


def descent_run(state: AppState) -> Descent:
    """The gradient-descent run the landscape and simplex views draw, from the state's
    learning rate, steps and mode (the plotted plane only, or all logits); measured from
    its start (``relative``) when the logits are too large to draw."""
    free = np.isin(np.arange(state.K), state.plane) if state.descent == "plane" else None
    # Not cached: 50 steps take about 0.6 ms, less than st.cache_data's hashing and copying
    # on a miss, and every logit edit is a miss.
    run = descend_relative if drawn_relative(state) else descend
    return run(state.o(), state.y_vector(), state.lr, state.steps, state.T, free)


def show_error(field: str) -> None:
    """Say what was wrong with the text typed for ``field``, under its box."""
    message = session.error(field)
    if message:
        st.error(escape_markdown(message), icon=":material/error:")
