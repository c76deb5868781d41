"""The numbers behind the landscape and simplex views' charts, from the state.

Each function takes the ``AppState`` (and the evaluated sample) and returns what a chart
draws: :class:`LandscapeData` and :class:`SliceData` are the inputs of
``ce_viz.figures``' landscape and slice figures, so the views only place widgets and
figures. NumPy only: no Streamlit, no Plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from ce_viz.analysis import Evaluation
from ce_viz.core import CEVizError, FloatArray
from ce_viz.datasets import Dataset, make_dataset
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
from ce_viz.layer import HiddenLayerPass, HiddenWeights, LinearPass, hidden_layer, linear_layer
from ce_viz.state import AppState
from ce_viz.theory import (
    restrict,
    restricted_softmax,
    simplex_grid,
    simplex_losses,
    simplex_sheet,
    trio_loss,
)
from ce_viz.train import (
    TrainConfig,
    Training,
    check_config,
    gradients,
    snapshot_pulls,
    snapshot_regions,
    targets,
    train,
)

__all__ = [
    "DescentCurves",
    "LandscapeData",
    "RegionsData",
    "RegionsFrames",
    "SimplexData",
    "SliceData",
    "TrainScene",
    "descent_curves",
    "descent_run",
    "drawn_relative",
    "plane",
    "point_pass",
    "simplex_scene",
    "slice_",
    "train_config",
    "train_dataset",
    "train_grid",
    "train_scene",
    "training_work",
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


# --------------------------------------------------------------------------------------
# "Watch it learn": a training run and what its charts draw
# --------------------------------------------------------------------------------------

#: The animated regions' grid: 25 frames of 60 x 60 cells with 1,000 points stay under 1 MB.
TRAIN_GRID_N = 60
#: The grid reaches this share of the data's widest extent beyond it on every side.
TRAIN_GRID_MARGIN = 0.12


@dataclass(frozen=True)
class RegionsData:
    """What the decision-region figure draws.

    xs, ys : (nx,), (ny,) the evenly spaced grid the probabilities were computed on; the
        axes span it at one scale, so a grid as tall as it is wide fills a phone's width.
    top, p_top : (ny, nx) the predicted class at the grid and its probability, row ``i``
        at ``ys[i]`` (``train.grid_probabilities``' arg-max and max).
    X, labels : (n, 2) the points and (n,) their labels in 0..K-1.
    names : the K class names.
    pull : (n,) each point's Σ_k |p_k − y_k| (``train.point_pull(...).size``).
    flipped : the index of the point whose label was changed, ringed; None for none.
    loss : the training's loss, "ce" or "mse". Under cross-entropy Σ|p − y| is what a
        point passes back, its pull; under MSE on p it passes back 2J(p − y), which all but
        vanishes where p is sure, so there the size is only its error.
    """

    xs: np.ndarray
    ys: np.ndarray
    top: np.ndarray
    p_top: np.ndarray
    X: np.ndarray
    labels: np.ndarray
    names: Sequence[str]
    pull: np.ndarray
    flipped: int | None = None
    loss: str = "ce"


@dataclass(frozen=True)
class RegionsFrames:
    """The regions as training goes: at each of ``steps`` (m,) the grid's predicted class
    ``top`` and its probability ``p_top`` (m, ny, nx; ``train.snapshot_regions``) and the
    points' pulls ``pull`` (m, n), on the grid and points of the :class:`RegionsData` they
    animate."""

    steps: np.ndarray
    top: np.ndarray
    p_top: np.ndarray
    pull: np.ndarray


@dataclass(frozen=True)
class TrainScene:
    """A training run on the state's data and what its charts draw.

    ``regions`` and ``frames`` are None when the training diverged (a loss that is not
    finite); ``W`` and ``W_grad`` (K, 2) are the linear model's final weights and the
    objective's gradient there, None for the hidden-layer model. ``steps`` (steps + 1,) are
    the history's steps, ``x_range`` and ``y_range`` the grid's span.
    """

    data: Dataset
    run: Training
    steps: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    regions: RegionsData | None
    frames: RegionsFrames | None
    W: FloatArray | None
    W_grad: FloatArray | None

    @property
    def diverged(self) -> bool:
        """Whether the loss stopped being a finite number."""
        return self.regions is None

    @property
    def largest_pull(self) -> tuple[int, float]:
        """The point pulling hardest at the end, and its pull Σ|p − y| (-1, 0 if diverged)."""
        if self.regions is None:
            return -1, 0.0
        index = int(np.argmax(self.regions.pull))
        return index, float(self.regions.pull[index])


def train_config(state: AppState) -> TrainConfig:
    """The state's training settings; T and smoothing are the sample's (the sidebar's).

    >>> train_config(AppState(model="mlp", train_lr=0.1)).model, train_config(AppState()).lr
    ('mlp', 0.5)
    """
    return TrainConfig(
        model="linear" if state.model == "softmax" else "mlp",
        width=state.width,
        activation=state.activation,
        lr=state.train_lr,
        steps=state.train_steps,
        batch=state.batch,
        l2=state.l2,
        smoothing=state.smoothing,
        T=state.T,
        loss=state.loss,
        seed=state.train_seed,
    )


def training_work(state: AppState, points: int | None = None) -> int:
    """How much a training of the state's settings computes, in point-steps through the
    widest layer: points (``points``, or the state's preset's) x steps x the widest layer's
    units: about 100 ns each on the reference machine (the default link's 60,000 take
    7 ms; the 16 million of the largest a link allows, 1,000 x 500 x 32, about 1.3 s).

    >>> training_work(AppState()), training_work(AppState(model="mlp", width=32), 1000)
    (60000, 3200000)
    """
    n = state.train_n if points is None else points
    widest = max(state.width, state.train_classes) if state.model == "mlp" else state.train_classes
    return n * state.train_steps * widest


def train_dataset(state: AppState) -> Dataset:
    """The state's data set: its preset's points, drawn from its seed.

    >>> train_dataset(AppState(train_n=40, train_classes=4)).X.shape
    (40, 2)
    """
    return make_dataset(state.train_data, state.train_n, state.train_classes, state.train_seed)


def train_grid(X: ArrayLike, n: int = TRAIN_GRID_N) -> tuple[FloatArray, FloatArray]:
    """A square ``n`` x ``n`` grid round the points ``X`` (m, 2), centred on their box and a
    margin wider than its longer side, so the axes keep one scale and fill a square.

    >>> xs, ys = train_grid([[0.0, 0.0], [2.0, 1.0]], n=3)
    >>> np.round(xs, 6).tolist(), float(ys[1])
    ([-0.24, 1.0, 2.24], 0.5)
    """
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    centre = (lo + hi) / 2
    half = float(np.max(hi - lo)) * (0.5 + TRAIN_GRID_MARGIN) or 1.0
    return (
        np.linspace(centre[0] - half, centre[0] + half, n),
        np.linspace(centre[1] - half, centre[1] + half, n),
    )


def _frames(
    data: Dataset, run: Training, xs: FloatArray, ys: FloatArray
) -> tuple[RegionsData, RegionsFrames]:
    """The regions and pulls at every snapshot, the last one the still picture."""
    top, p_top = snapshot_regions(run, xs, ys)
    pull = snapshot_pulls(run, data.X, data.labels, data.K)
    regions = RegionsData(
        xs,
        ys,
        top[-1],
        p_top[-1],
        data.X,
        data.labels,
        data.names,
        pull[-1],
        data.flipped,
        run.config.loss,
    )
    return regions, RegionsFrames(run.snapshot_steps, top, p_top, pull)


def train_scene(state: AppState, data: Dataset | None = None) -> TrainScene:
    """Train the state's model on ``data`` (an uploaded data set), or when None on the
    state's preset data, and gather what the charts draw.

    Raises ``CEVizError`` naming the first bad setting (``train.check_config``), or saying
    that the training diverged (logits past float64's range).

    >>> scene = train_scene(AppState(train_n=60, train_steps=20))
    >>> scene.frames.p_top.shape, scene.W.shape, scene.diverged
    ((21, 60, 60), (3, 2), False)
    """
    data = train_dataset(state) if data is None else data
    config = check_config(train_config(state))
    try:  # the settings are fine: an overflow means the weights left float64's range
        with np.errstate(over="raise", invalid="raise"):
            run = train(data.X, data.labels, data.K, config)
    except (CEVizError, FloatingPointError) as exc:
        raise CEVizError(
            "the training diverged (its numbers grew past float64's range); lower the "
            "learning rate or raise T"
        ) from exc
    xs, ys = train_grid(data.X)
    ranges = ((float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1])))
    steps = np.arange(len(run.loss))
    if not np.all(np.isfinite(run.loss)):
        return TrainScene(data, run, steps, *ranges, None, None, None, None)
    regions, frames = _frames(data, run, xs, ys)
    W = W_grad = None
    if run.config.model == "linear":
        Y = targets(data.labels, data.K, run.config.smoothing)
        W = run.params[0].W
        W_grad = gradients(run.params, data.X, Y, run.config)[1][0].W
    return TrainScene(data, run, steps, *ranges, regions, frames, W, W_grad)


def point_pass(scene: TrainScene, i: int) -> LinearPass | HiddenLayerPass:
    """Point ``i`` of the scene's data forward and back through the trained model (its
    final weights), at the run's T, smoothing, activation and loss: one layer back for it.

    >>> scene = train_scene(AppState(train_n=30, train_steps=5))
    >>> step = point_pass(scene, 0)
    >>> step.o.shape, bool(abs(step.grad_o.sum()) < 1e-12)
    ((3,), True)
    """
    config, params = scene.run.config, scene.run.params
    x, k = scene.data.X[i], int(scene.data.labels[i])
    if len(params) == 1:
        return linear_layer(x, params[0].W, params[0].b, k, config.T, config.smoothing, config.loss)
    weights = HiddenWeights(params[0].W, params[0].b, params[1].W, params[1].b)
    return hidden_layer(x, weights, k, config.activation, config.T, config.smoothing, config.loss)
