"""The numbers behind the landscape and simplex views' charts, from the state.

Each function takes the ``AppState`` (and the evaluated sample) and returns what a chart
draws: :class:`LandscapeData` and :class:`SliceData` are the inputs of
``ce_viz.figures``' landscape and slice figures, so the views only place widgets and
figures. NumPy only: no Streamlit, no Plotly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from ce_viz.analysis import Evaluation
from ce_viz.core import FloatArray
from ce_viz.fmt import logit_label
from ce_viz.landscape import (
    Descent,
    contour_levels,
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
from ce_viz.theory import (
    restrict,
    restricted_softmax,
    simplex_grid,
    simplex_losses,
    simplex_sheet,
    trio_loss,
)

__all__ = [
    "DescentCurves",
    "LandscapeData",
    "SimplexData",
    "SliceData",
    "descent_curves",
    "descent_run",
    "drawn_relative",
    "plane",
    "simplex_scene",
    "slice_",
]

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


@dataclass(frozen=True, kw_only=True)
class LandscapeData:
    """What :func:`landscape_figure` draws: the loss over the plane of two logits, the
    current point and −∇L there, and optionally a descent run and the descent field.

    Attributes
    ----------
    a_values, b_values : array_like, shapes (n_a,), (n_b,)
        The grid along the horizontal (a) and vertical (b) logit.
    loss : array_like, shape (n_a, n_b)
        ``loss[i, j]`` at ``(a_values[i], b_values[j])``, as ``loss_grid`` returns it.
    labels : (str, str)
        Axis titles, plain text: shortened on the axes, whole in the hover.
    current : (float, float)
        The current ``(o_a, o_b)``; ``current_loss`` the loss there.
    descent_step : (float, float)
        ``(-dL/do_a, -dL/do_b)`` at the current point: the arrow, in logit units.
    path, path_losses : array_like, shapes (steps + 1, 2) and (steps + 1,), optional
        A gradient-descent run in the plane, animated with play, pause and a step slider.
    field : (field_a, field_b, u, v), optional
        A coarse grid and the descent field on it, shapes (m_a,), (m_b,), (m_a, m_b) twice.
    surface : bool
        Draw a 3-D surface instead of filled contours (the field is then left out).
    uirevision : str
        Plotly's ``uirevision``: zoom and camera are kept while it stays the same.
    origin : (float, float, float), optional
        The current ``(o_a, o_b)`` and loss ``L₀`` when everything else is measured from
        them: the grid, ``current`` (then (0, 0)) and the path hold moves ``Δo``, and
        ``loss``, ``current_loss`` and ``path_losses`` the change ``L − L₀``.
    others_move : bool
        The descent moves logits that the surface holds fixed, so the path does not run on
        it: the surface is drawn faded, and the figure says why.
    levels : (float, float, float), optional
        The contours' ``(start, end, size)``, when another chart shares their colours.
    """

    a_values: ArrayLike
    b_values: ArrayLike
    loss: ArrayLike
    labels: tuple[str, str]
    current: tuple[float, float]
    current_loss: float
    descent_step: tuple[float, float]
    path: ArrayLike | None = None
    path_losses: ArrayLike | None = None
    field: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None
    surface: bool = False
    uirevision: str = "landscape"
    origin: tuple[float, float, float] | None = None
    others_move: bool = False
    levels: tuple[float, float, float] | None = None


def plane(
    state: AppState,
    result: Evaluation,
    run: Descent,
    axes: tuple[int, int],
    field: bool,
    surface: bool = False,
) -> LandscapeData:
    """The loss over the logits ``axes``, its grid covering the descent path: at the
    logits' own values, or for a ``relative`` run as moves from them; with the arrow
    field on a coarser grid when ``field`` (and not ``surface``). Not cached: a 101 x 101
    grid takes about 0.2 ms, less than a cache's miss."""
    i, j = axes
    o, y, T = result.logits, result.y, state.T
    current, current_loss = ((0.0, 0.0), 0.0) if run.relative else ((o[i], o[j]), result.loss)
    a = grid_values(current[0], state.span, GRID_N, include=run.path[:, i])
    b = grid_values(current[1], state.span, GRID_N, include=run.path[:, j])
    arrows = None
    if field and not surface:
        fa, fb = field_values(a, FIELD_N), field_values(b, FIELD_N)
        arrows = (fa, fb, *descent_field(o, y, (i, j), fa, fb, T, relative=run.relative))
    grid = loss_change_grid if run.relative else loss_grid
    names = state.class_names
    return LandscapeData(
        a_values=a,
        b_values=b,
        loss=grid(o, y, (i, j), a, b, T),
        labels=(logit_label(i, names[i]), logit_label(j, names[j])),
        current=(float(current[0]), float(current[1])),
        current_loss=float(current_loss),
        descent_step=(-float(result.grad[i]), -float(result.grad[j])),
        path=run.path[:, [i, j]],
        path_losses=run.losses,
        field=arrows,
        surface=surface,
        uirevision=f"landscape-{i}-{j}-{int(surface)}-{int(run.relative)}",
        origin=(float(o[i]), float(o[j]), result.loss) if run.relative else None,
        others_move=state.descent == "all" and state.K > 2 and state.steps > 0,
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


@dataclass(frozen=True, kw_only=True)
class SliceData:
    """What :func:`slice_figure` draws: the loss along one logit and its tangent.

    Attributes
    ----------
    values, losses : array_like, shape (n,)
        The logit's values and the loss at each.
    label : str
        The logit's name, plain text: shortened in the titles, whole in the hover.
    current, current_loss : float
        The current value and the loss there.
    slope : float
        ``dL/do_j`` at the current value: the tangent's slope, ``(p_j - y_j)/T``.
    tangent : (array_like, array_like)
        Points of the tangent line.
    origin : (float, float), optional
        The current value and loss when ``values``, ``current`` and the tangent's x hold
        moves ``Δo`` from them and ``losses``, ``current_loss`` and its y the change
        ``L − L₀``.
    """

    values: ArrayLike
    losses: ArrayLike
    label: str
    current: float
    current_loss: float
    slope: float
    tangent: tuple[ArrayLike, ArrayLike]
    origin: tuple[float, float] | None = None


def slice_(state: AppState, result: Evaluation) -> SliceData:
    """The loss as logit ``state.slice_class`` varies across the span, and its tangent:
    at the logit's own values, or as moves from it when the logits are too large."""
    j = state.slice_class
    o, y, T = result.logits, result.y, state.T
    slope = float(result.grad[j])
    relative = drawn_relative(state)
    current, current_loss = (0.0, 0.0) if relative else (float(o[j]), result.loss)
    values = grid_values(current, state.span, SLICE_N)
    losses = (loss_change_slice if relative else loss_slice)(o, y, j, values, T)
    return SliceData(
        values=values,
        losses=losses,
        label=logit_label(j, state.class_names[j]),
        current=current,
        current_loss=current_loss,
        slope=slope,
        tangent=tangent_line(current, current_loss, slope, state.span / 3),
        origin=(float(o[j]), result.loss) if relative else None,
    )


#: The simplex's loss is drawn from a 61 x 61 sheet (~15 kB as float32); its hover is on
#: a coarser grid of ~400 points.
SIMPLEX_N = 60
SIMPLEX_HOVER_N = 30


@dataclass(frozen=True, kw_only=True)
class SimplexData:
    """What :func:`simplex_figure` draws: the triangle of p over three classes, filled by
    the loss, beside the plane of the first two classes' logits, with one descent run
    on both.

    Attributes
    ----------
    sheet : (array_like, array_like, array_like)
        ``a``, ``s`` and the loss over the triangle (see ``theory.simplex_sheet``), the
        loss capped two levels above the last (where it is infinite on an edge) so the top
        band fills to the edges.
    levels : (float, float, float)
        The triangle's contour levels ``(start, end, size)``.
    shared : bool
        The triangle's levels are the plane's: one colour scale for both panels. Not when
        the plane shows the change ``L − L₀`` or a range of losses the triangle never
        reaches; the triangle then has a colour bar of its own.
    hover_points, hover_losses : array_like, shapes (h, 3), (h,)
        Points inside the triangle and the loss there, for the hover.
    names : (str, str, str)
        The corners' classes, plain text.
    target, current : array_like, shape (3,)
        The target and the current p, renormalised over the three classes.
    path : array_like, shape (steps + 1, 3)
        p at each step of the descent run.
    current_loss, final_loss : float
        The loss over the three classes at the current p and at the run's last step.
    plane : LandscapeData
        The plane of the first two classes' logits, its levels set when ``shared``.
    """

    sheet: tuple[FloatArray, FloatArray, FloatArray]
    levels: tuple[float, float, float]
    shared: bool
    hover_points: FloatArray
    hover_losses: FloatArray
    names: tuple[str, str, str]
    target: FloatArray
    current: FloatArray
    path: FloatArray
    current_loss: float
    final_loss: float
    plane: LandscapeData


def simplex_scene(
    state: AppState, result: Evaluation, run: Descent, trio: tuple[int, int, int]
) -> SimplexData:
    """The simplex of the classes ``trio`` and the plane of the first two, with the run on
    both. Their colour scale is one when the plane draws losses the triangle holds too:
    the same levels cut the plane's contours and the triangle's."""
    o, T = result.logits, state.T
    y3 = restrict(result.y, trio)
    # The plane the descent moves, when it is two of the three; else the first two, with the
    # contours marked as holding logits that the run moves.
    on_plane = state.descent == "plane" and set(state.plane) <= set(trio)
    axes = state.plane if on_plane else (trio[0], trio[1])
    shown = plane(state, result, run, axes, field=False)
    if not on_plane and run.step_numbers.size > 1:
        shown = replace(shown, others_move=True)
    hover = simplex_grid(SIMPLEX_HOVER_N)
    hover_losses = simplex_losses(hover, y3)
    start, end, size = contour_levels(shown.loss)
    shared = not run.relative and start - size <= float(np.median(hover_losses)) <= end + size
    # Shared, the levels run up to the triangle's highest loss, not the plane's: the plane's
    # far corner, where no descent goes, fills with the top colour, and both panels keep
    # their contrast where the loss is low.
    low, high = float(np.min(hover_losses)), float(np.max(hover_losses))
    levels = contour_levels([min(start, low), min(end, high)] if shared else [low, high])
    path = (
        restricted_softmax(o, trio, T, offsets=run.path)
        if run.relative
        else restricted_softmax(run.path, trio, T)
    )
    current = restricted_softmax(o, trio, T)
    a, s, loss = simplex_sheet(SIMPLEX_N, y3)
    names = state.class_names
    return SimplexData(
        sheet=(a, s, np.minimum(loss, levels[1] + 2 * levels[2])),
        levels=levels,
        shared=shared,
        hover_points=hover,
        hover_losses=hover_losses,
        names=(names[trio[0]], names[trio[1]], names[trio[2]]),
        target=y3,
        current=current,
        path=path,
        current_loss=float(trio_loss(current, y3)),
        final_loss=float(trio_loss(path[-1], y3)),
        plane=replace(shown, levels=levels) if shared else shown,
    )
