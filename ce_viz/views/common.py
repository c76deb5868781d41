"""Page pieces every view uses: placing a chart, and the cached computations."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st
from threadpoolctl import threadpool_limits

from ce_viz.analysis import FD_STEPS, Evaluation, evaluate, fd_sweep
from ce_viz.core import CEVizError, FloatArray
from ce_viz.datasets import Dataset
from ce_viz.figures import (
    PLOTLY_CONFIG,
    PRESENTATION_SCALE,
    REGIONS_HEIGHT,
    REGIONS_PHONE_HEIGHT,
    computation_graph_figure,
    for_projector,
    grad_o_name,
    outer_product_figure,
    product_text,
    regions_animation,
)
from ce_viz.fmt import escape_markdown, fmt, named_values
from ce_viz.layer import HiddenLayerPass, LinearPass
from ce_viz.scenes import TrainScene, train_scene, training_work
from ce_viz.state import T_RANGE, AppState, to_query
from ce_viz.views import session

#: The sidebar expander with the settings most links leave at their defaults (views name
#: it when they point there).
MORE_SETTINGS = "Temperature, smoothing, names"
#: Every cache here is bounded by age and, through its entry count and the limits on its
#: inputs (K <= 20, at most 500 steps, a 101 x 101 grid), by bytes: a few MB in all, shared
#: by every session.
CACHE_TTL = "1h"
#: A projected chart's tallest: a 1080-pixel screen less the tabs above it. A computation
#: graph may be taller (the page scrolls): its rows must not run together.
PROJECTED_HEIGHT = 820
GRAPH_PROJECTED_HEIGHT = 1400
#: Whether this session's browser is a phone, once known.
_PHONE = "on_phone"


def _style(name: str) -> str:
    """A style sheet beside this file, without its comments and runs of white space, in a
    style element: read once per process, not once per rerun."""
    text = (Path(__file__).parent / name).read_text(encoding="utf-8")
    return "<style>" + " ".join(re.sub(r"/\*.*?\*/", " ", text, flags=re.S).split()) + "</style>"


#: ``page.css`` on every page (mostly for phones); ``present.css`` in presentation mode.
PAGE_STYLE = _style("page.css")
PRESENT_STYLE = _style("present.css")


@st.cache_resource(max_entries=1, ttl=CACHE_TTL, show_spinner=False)
def one_blas_thread() -> threadpool_limits:
    """Limit NumPy's BLAS (OpenBLAS) to one thread, once for the server's process.

    One server serves a whole class, and its products are small (a 60 x 60 grid, a few
    hundred points): on several threads, OpenBLAS's helpers spin after each product,
    waiting for more, and that waiting was half of the CPU of a rerun that trains, and of
    whatever reran next in the process (``python -m bench train 10`` without this: a
    retrain 64.7 ms, the minimal app beside it 7.8 ms; with it, 32.3 and 3.8 ms). The
    sessions are the parallel work; the limit stays for the process's life (the cache's
    hour only makes a later rerun set it again, which changes nothing)."""
    return threadpool_limits(limits=1, user_api="blas")


def page_style(present: bool) -> None:
    """Put the page's style sheets on the page (Streamlit sends style-only HTML to a
    container that takes no space)."""
    st.html(PAGE_STYLE + PRESENT_STYLE if present else PAGE_STYLE)


def chart(
    fig: go.Figure, key: str, alt: str, max_height: int = PROJECTED_HEIGHT, **selection: Any
) -> None:
    """Place a figure full-width, with the shared mode bar and a text alternative; in
    presentation mode its type is scaled up for a projector and its height up to
    ``max_height``. ``selection``: what ``st.plotly_chart`` takes to make the chart
    selectable (``on_select``, ``selection_mode``)."""
    if session.state().present:
        fig = for_projector(fig, max_height)
    st.plotly_chart(fig, config=PLOTLY_CONFIG, width="stretch", key=key, alt=alt, **selection)


def graph_chart(step: LinearPass | HiddenLayerPass, key: str, whose: str = "") -> None:
    """A layer's computation graph (``figures.computation_graph_figure``), its text
    alternative naming o, p, L and ∂L/∂x (``whose``: "of point 5", say). In presentation
    mode its columns, set in pixels, are spread for the larger type, and it keeps its full
    height: at one screen's height the hidden layer's eleven rows ran into one another."""
    present = session.state().present
    fig = computation_graph_figure(step, PRESENTATION_SCALE if present else 1.0)
    out = step.output if isinstance(step, HiddenLayerPass) else step
    alt = (
        f"Computation graph {whose} from x to the loss, forward values down and gradients "
        f"up: o = {', '.join(fmt(v) for v in out.o)}; p = {', '.join(fmt(v) for v in out.p)}; "
        f"L = {fmt(out.loss)}; ∂L/∂x = {', '.join(fmt(v) for v in step.grad_x)}."
    )
    chart(fig, key, " ".join(alt.split()), max_height=GRAPH_PROJECTED_HEIGHT)


def outer_chart(step: LinearPass, names: Sequence[str], key: str, first_input: int = 0) -> None:
    """A linear layer's ∂L/∂W = (p − y) xᵀ (under MSE, (2J(p − y)) xᵀ) as a heatmap with
    its factors on the axes, the inputs named from ``first_input`` (x₀, ... or x₁, ...)."""
    factor = grad_o_name(step)
    chart(
        outer_product_figure(step.grad_W, step.grad_o, step.x, names, factor, first_input),
        key,
        f"Heatmap of ∂L/∂W = {product_text('', factor, ' xᵀ')}, one row per class: rows "
        f"scaled by {factor} = {named_values(names, step.grad_o)}; columns by x = "
        f"{', '.join(fmt(v) for v in step.x)}.",
    )


def link_to(state: AppState) -> str:
    """The link that opens ``state``: this app's address and the state's own query."""
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?{urlencode(to_query(state), safe=',')}"


def gradient_link(sample: AppState, label: str) -> None:
    """A button that opens ``sample`` (a state on the gradient view) through the share
    link's own builder, which writes each logit exactly."""
    st.link_button(
        label,
        link_to(sample),
        icon=":material/open_in_new:",
        help="The gradient view with these logits, the true class, T, ε and the names.",
    )


def on_phone() -> bool:
    """Whether the browser says it is a phone ("Mobi" in its user agent, as browsers'
    own documentation recommends testing). Read once per session: building the request's
    headers cost about a tenth of the gradient view's rerun (py-spy)."""
    known = session.kept(_PHONE)
    if known is None:
        known = "Mobi" in (st.context.headers.get("User-Agent") or "")
        session.keep(_PHONE, known)
    return known


def evaluate_state(state: AppState) -> Evaluation:
    """``p``, the loss and the gradient for the state's logits and target."""
    return evaluate(state.o(), state.y_vector(), state.T)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)  # 64 x 23 floats
def cached_fd_sweep(logits: tuple[float, ...], y: tuple[float, ...], T: float) -> FloatArray:
    """The finite-difference error curve over ``analysis.FD_STEPS``, cached per sample."""
    return fd_sweep(logits, y, T, FD_STEPS)


#: The settings a training run depends on: the sample's logits and the other views'
#: settings are not among them, so changing those does not train again.
TRAIN_FIELDS = (
    *("train_data", "train_seed", "train_n", "train_classes", "model", "width"),
    *("activation", "train_lr", "train_steps", "batch", "l2", "loss", "smoothing", "T"),
)


# A run of 1,000 points x 500 steps takes 0.25 s (linear) to 1.3 s (width 32, mini-batches).
# Kept as objects (cache_resource), shared by every session and never changed: a hit
# costs nothing, where unpickling a copy (cache_data) cost ~2 ms a rerun. An entry is at
# most ~1 MB (each frame's top class and its probability on the grid, and the pulls):
# 16 entries, at most ~16 MB.
@st.cache_resource(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def _cached_training(settings: tuple[object, ...], data: Dataset | None) -> TrainScene:
    return train_scene(AppState(**dict(zip(TRAIN_FIELDS, settings, strict=True))), data)


def _training_key(state: AppState) -> tuple[object, ...]:
    return tuple(getattr(state, name) for name in TRAIN_FIELDS)


#: A training this long (``scenes.training_work``, about 0.2 s) says "Training…" while it
#: runs. A spinner costs a timer thread on every call, about 2 ms of a 35 ms rerun that
#: trains, and Streamlit shows it only after half a second: a shorter one never needs it.
SPINNER_WORK = 2_000_000


def training(state: AppState, data: Dataset | None = None) -> TrainScene:
    """The state's training run and what its charts draw, cached per training settings (and
    per uploaded data set ``data``; None: the state's preset data)."""
    points = None if data is None else len(data.X)
    long = training_work(state, points) >= SPINNER_WORK
    with st.spinner("Training…") if long else contextlib.nullcontext():
        return _cached_training(_training_key(state), data)


# The animated regions: at most 25 frames of PNG images, ~0.1 MB. Building it (PNGs, the figure)
# costs about half of what the training does; a rerun that does not train again (a point
# picked, presentation mode) reuses it. A phone's is its own entry (a shorter figure).
@st.cache_resource(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def _cached_regions(settings: tuple[object, ...], data: Dataset | None, height: int) -> go.Figure:
    scene = _cached_training(settings, data)
    if scene.regions is None or scene.frames is None:
        raise CEVizError("the training diverged: there are no regions to draw")
    return regions_animation(scene.regions, scene.frames, height)


def regions_chart(state: AppState, data: Dataset | None = None) -> go.Figure:
    """The animated decision regions of :func:`training`'s run (which must not have
    diverged), built once per training settings and data, and for phones once more, its
    square plot as tall as a phone leaves it wide."""
    height = REGIONS_PHONE_HEIGHT if on_phone() else REGIONS_HEIGHT
    return _cached_regions(_training_key(state), data, height)


def show_error(field: str) -> None:
    """Say what was wrong with the text typed for ``field``, under its box."""
    message = session.error(field)
    if message:
        st.error(escape_markdown(message), icon=":material/error:")


def temperature_input(where: Any, help_text: str) -> None:
    """The temperature T's box, bound to the state, placed in ``where`` (``st``, a column,
    the sidebar): the one-sample sidebar and the batch view each have one."""
    where.number_input(
        "Temperature T",
        min_value=T_RANGE[0],
        max_value=T_RANGE[1],
        step=0.1,
        format="%g",
        help=help_text,
        **session.bound("T"),
    )
