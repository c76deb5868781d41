"""The numbers behind the landscape and simplex views' charts, from the state.

Each function takes the ``AppState`` (and the evaluated sample) and returns the arrays a
chart draws, so the views only place widgets and figures. NumPy only: no Streamlit, no
Plotly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ce_viz.analysis import Evaluation
from ce_viz.landscape import (
    Descent,
    descend,
    descend_relative,
    descent_field,
    draws_absolute,
    entropy,
    field_values,
    free_mask,
    grid_values,
    logit_gap,
    logit_gap_change,
    loss_change_grid,
    loss_change_slice,
    loss_grid,
    loss_slice,
    optimal_logit_gap,
    tangent_line,
)
from ce_viz.state import AppState

__all__ = ["DescentCurves", "Plane", "Slice", "descent_curves", "descent_run", "plane", "slice_"]

FloatArray = np.ndarray
#: Grid sizes: enough for a smooth picture, small enough to send (float32) in ~40 kB.
GRID_N = 101
FIELD_N = 13
SLICE_N = 301


def drawn_relative(state: AppState) -> bool:
    """Whether the state's logits are too large to draw at their own values, so the
    landscape and its descent are drawn as moves from them (see ``draws_absolute``)."""
    return not draws_absolute(state.o())


def descent_run(state: AppState) -> Descent:
    """The gradient-descent run the landscape and simplex views draw, from the state's
    learning rate, steps and mode (the plotted plane only, or all logits); measured from
    its start (``relative``) when the logits are too large to draw. Not cached: 50 steps
    take about 0.6 ms, less than a cache's miss, and every logit edit is a miss."""
    free = free_mask(state.K, state.plane) if state.descent == "plane" else None
    run = descend_relative if drawn_relative(state) else descend
    return run(state.o(), state.y_vector(), state.lr, state.steps, state.T, free)


@dataclass(frozen=True)
class Plane:
    """What the landscape figure draws over the logits ``axes`` (see :func:`plane`)."""

    axes: tuple[int, int]
    a_values: FloatArray
    b_values: FloatArray
    loss: FloatArray  # (len(a_values), len(b_values)): the loss, or L - L0 when relative
    current: tuple[float, float]
    current_loss: float
    descent_step: tuple[float, float]  # -dL/do along the two axes
    path: FloatArray  # (steps + 1, 2)
    path_losses: FloatArray
    field: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None
    origin: tuple[float, float, float] | None  # the logits and L0, when drawn relative


def plane(
    state: AppState, result: Evaluation, run: Descent, axes: tuple[int, int], field: bool
) -> Plane:
    """The loss over the logits ``axes``, its grid covering the descent path: at the
    logits' own values, or for a ``relative`` run as moves from them; with the arrow
    field on a coarser grid when ``field``. Not cached: a 101 x 101 grid takes about
    0.2 ms, less than a cache's miss."""
    i, j = axes
    o, y, T = result.logits, result.y, state.T
    current, current_loss = ((0.0, 0.0), 0.0) if run.relative else ((o[i], o[j]), result.loss)
    a = grid_values(current[0], state.span, GRID_N, include=run.path[:, i])
    b = grid_values(current[1], state.span, GRID_N, include=run.path[:, j])
    arrows = None
    if field:
        fa, fb = field_values(a, FIELD_N), field_values(b, FIELD_N)
        arrows = (fa, fb, *descent_field(o, y, (i, j), fa, fb, T, relative=run.relative))
    grid = loss_change_grid if run.relative else loss_grid
    return Plane(
        axes=(i, j),
        a_values=a,
        b_values=b,
        loss=grid(o, y, (i, j), a, b, T),
        current=(float(current[0]), float(current[1])),
        current_loss=float(current_loss),
        descent_step=(-float(result.grad[i]), -float(result.grad[j])),
        path=run.path[:, [i, j]],
        path_losses=run.losses,
        field=arrows,
        origin=(float(o[i]), float(o[j]), result.loss) if run.relative else None,
    )


@dataclass(frozen=True)
class DescentCurves:
    """The loss and the logit gap by step (see :func:`descent_curves`)."""

    steps: FloatArray
    losses: FloatArray
    gaps: FloatArray  # o_k - max other o_j, or its change when relative
    min_loss: float  # H(y): the lowest loss any logits reach
    optimal_gap: float  # the gap at the minimum; inf without one
    start_gap: float
    origin: tuple[float, float] | None  # L0 and the start gap, when relative


def descent_curves(state: AppState, result: Evaluation, run: Descent) -> DescentCurves:
    """The descent chart's curves: the loss and the gap at each step, with the floor and,
    for a smoothed hard target with every logit free, the gap at the minimum."""
    k = state.true_class
    gap = float(logit_gap(result.logits, k))
    gaps = logit_gap_change(result.logits, run.path, k) if run.relative else logit_gap(run.path, k)
    optimal = (
        optimal_logit_gap(state.K, state.smoothing)
        if state.y is None and state.descent == "all"
        else float("inf")
    )
    return DescentCurves(
        steps=run.step_numbers,
        losses=run.losses,
        gaps=gaps,
        min_loss=entropy(result.y),
        optimal_gap=optimal,
        start_gap=gap,
        origin=(result.loss, gap) if run.relative else None,
    )


@dataclass(frozen=True)
class Slice:
    """The loss along one logit and its tangent (see :func:`slice_`)."""

    j: int
    values: FloatArray
    losses: FloatArray
    current: float
    current_loss: float
    slope: float  # dL/do_j = (p_j - y_j)/T
    tangent: tuple[FloatArray, FloatArray]
    origin: tuple[float, float] | None  # o_j and L0, when drawn relative


def slice_(state: AppState, result: Evaluation) -> Slice:
    """The loss as logit ``state.slice_class`` varies across the span, and its tangent:
    at the logit's own values, or as moves from it when the logits are too large."""
    j = state.slice_class
    o, y, T = result.logits, result.y, state.T
    slope = float(result.grad[j])
    relative = drawn_relative(state)
    current, current_loss = (0.0, 0.0) if relative else (float(o[j]), result.loss)
    values = grid_values(current, state.span, SLICE_N)
    losses = (loss_change_slice if relative else loss_slice)(o, y, j, values, T)
    return Slice(
        j=j,
        values=values,
        losses=losses,
        current=current,
        current_loss=current_loss,
        slope=slope,
        tangent=tangent_line(current, current_loss, slope, state.span / 3),
        origin=(float(o[j]), result.loss) if relative else None,
    )
