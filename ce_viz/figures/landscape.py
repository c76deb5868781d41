"""Figures of the loss landscape: the surface over two logits, a 1-D slice with its tangent,
and the loss and logit gap along a gradient-descent run.

Each can be drawn at the logits' own values or, given an ``origin``, relative to the current
logits: moves ``Δo`` on the axes and the change ``L − L₀`` of the loss. The arrays go to the
browser as float32, which keeps about 7 digits: beyond ``ABSOLUTE_LIMIT`` a logit and a
small move from it are one number there, so the views draw relative (see
:func:`draws_absolute`), with the moves and changes from the relative functions of
``ce_viz.landscape``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.core import CEVizError
from ce_viz.figures.style import (
    AXIS_TITLE_CHARS,
    FOOT_LEGEND,
    PALETTE,
    PATH_LEGEND,
    VIRIDIS,
    Spec,
    arrow,
    axis,
    base_layout,
    figure,
    path_traces,
    play_controls,
    short_label,
)
from ce_viz.fmt import fmt, fmt_signed, plotly_text
from ce_viz.landscape import ABSOLUTE_LIMIT, draws_absolute
from ce_viz.scenes import LandscapeData, SliceData

__all__ = [
    "ABSOLUTE_LIMIT",
    "LandscapeData",
    "SliceData",
    "descent_figure",
    "draws_absolute",
    "landscape_figure",
    "slice_figure",
]

#: A picture needs no more: the arrays go to the browser as float32.
_F32 = np.float32
#: The animation shows at most this many moves along the path (every other step of the
#: default 50): each frame costs the server about 0.06 ms a rerun to build and send, and
#: the path itself draws every step.
MAX_FRAMES = 25
#: The play controls, in pixels below the plot area: the buttons clear the x axis's
#: labels and title, and the slider (its readout on top, at the right) starts under the
#: buttons, so that neither covers the other on any width.
BUTTONS_BELOW = 92
SLIDER_BELOW = 138
#: What the controls take below the plot area; the legend goes under them.
CONTROLS_BELOW = 204
#: The contours' hover is at every HOVER_EVERY-th grid point (26 x 26 of the 101 x 101).
HOVER_EVERY = 4
#: The opacity of a loss surface the descent path does not run on (``others_move``).
FADED = 0.4


def _f32(values: ArrayLike) -> np.ndarray:
    """``values`` as float32 for the browser; a value beyond float32's range is a bug in the
    caller (a landscape of huge logits is drawn relative to them), never a silent inf."""
    v = np.asarray(values, dtype=np.float64)
    if np.any(np.abs(v[np.isfinite(v)]) > np.finfo(_F32).max):
        raise CEVizError(
            "a value beyond float32's range was to be drawn; draw huge logits relative to "
            "the current ones (see draws_absolute)"
        )
    return v.astype(_F32)


def frame_steps(steps: int) -> np.ndarray:
    """The step numbers the animation shows: all of them, or ``MAX_FRAMES`` spread evenly.

    >>> frame_steps(3).tolist(), frame_steps(50)[:4].tolist(), len(frame_steps(500))
    ([0, 1, 2, 3], [0, 2, 4, 6], 26)
    """
    count = min(steps + 1, MAX_FRAMES + 1)
    return np.unique(np.linspace(0, steps, count).round().astype(int))


def _field_trace(field_a: np.ndarray, field_b: np.ndarray, u: np.ndarray, v: np.ndarray) -> Spec:
    """Arrows of the descent field, one segment each, scaled together to fit their cells."""
    cell = min(
        np.ptp(field_a) / max(len(field_a) - 1, 1), np.ptp(field_b) / max(len(field_b) - 1, 1)
    )
    longest = float(np.max(np.hypot(u, v)))
    scale = 0.85 * cell / longest if longest > 0 else 0.0
    A, B = np.meshgrid(field_a, field_b, indexing="ij")
    x0, y0 = A.ravel(), B.ravel()
    x1, y1 = x0 + scale * u.ravel(), y0 + scale * v.ravel()
    nan = np.full_like(x0, np.nan)
    xs = np.column_stack([x0, x1, nan]).ravel()
    ys = np.column_stack([y0, y1, nan]).ravel()
    sizes = np.tile([0, 9, 0], x0.size)
    return {
        "type": "scatter",
        "x": _f32(xs),
        "y": _f32(ys),
        "mode": "lines+markers",
        "line": {"color": PALETTE["arrows"], "width": 1.5},
        "marker": {"symbol": "arrow", "angleref": "previous", "size": sizes, "color": "white"},
        "name": f"white arrows: −∇L × {scale:.3g}",
        "hoverinfo": "skip",
        "meta": {"scale": scale},
    }


def landscape_figure(data: LandscapeData) -> go.Figure:
    """The loss over the plane of two logits, with the current point and −∇L drawn to scale;
    see :class:`LandscapeData` for what is drawn.

    The figure is laid out for a column about half a wide page across: the play controls
    go below the axis title, the legend below them.
    """
    loss_name = "L" if data.origin is None else "L − L₀"
    if data.surface:
        traces = _surface_traces(data, _loss_trace(data, loss_name))
        plot = _scene(*plane_titles(data), loss_name)
    else:
        traces = plane_traces(data)
        plot = plane_axes(data)
    legend: Spec = {"orientation": "h", "x": 0.0, "y": -CONTROLS_BELOW / PLOT_HEIGHT}
    frames: list[Spec] = []
    controls: Spec = {}
    if data.path is not None and data.path_losses is not None:
        p, pl = _f32(data.path), _f32(data.path_losses)
        if data.surface:
            traces += _surface_path_traces(p, pl)
        else:
            legend |= PATH_LEGEND
        steps = frame_steps(len(p) - 1)
        moves = {"x": p[steps, 0], "y": p[steps, 1]} | ({"z": pl[steps]} if data.surface else {})
        frames, names = position_frames(steps, [(len(traces) - 1, traces[-1]["type"], moves)])
        below = (BUTTONS_BELOW, SLIDER_BELOW)
        controls = play_controls(names, PLOT_HEIGHT, below, redraw=data.surface)
    layout = base_layout(
        _title(data),
        height=PLOT_HEIGHT + PLOT_MARGIN_T + PLOT_MARGIN_B,
        uirevision=data.uirevision,
        margin={"t": PLOT_MARGIN_T, "b": PLOT_MARGIN_B, "r": 20},
        legend=legend,
        **controls,
        **plot,
    )
    if data.others_move:
        layout["title"] = {**layout["title"], "subtitle": {"text": OTHERS_MOVE_NOTE}}
    return figure(traces, layout, frames)


#: The landscape's plot area and the margin under it, for the play controls and the legend.
PLOT_HEIGHT = 410
PLOT_MARGIN_T = 90
PLOT_MARGIN_B = 260


def _title(data: LandscapeData) -> str:
    """The chart's title."""
    if data.origin is not None:
        return "Change of the loss over two logits"
    return "Loss over two logits, the others held fixed"


#: Under the title when the descent moves logits that the (faded) contours hold fixed.
OTHERS_MOVE_NOTE = (
    "Faded: drawn with the other logits at their start. Descent moves them too,<br>"
    "so the path need not cross these contours at right angles."
)


def plane_titles(data: LandscapeData) -> tuple[str, str]:
    """The plane's axis titles: the logits' names, shortened, with Δ when relative."""
    delta = "" if data.origin is None else "Δ"
    x_title, y_title = (delta + short_label(t, AXIS_TITLE_CHARS) for t in data.labels)
    return x_title, y_title


def plane_traces(data: LandscapeData) -> list[Spec]:
    """The plane's traces, on the axes ``x`` and ``y``: the filled contours, the descent
    field if given, the current point and, with a path, the path and last the marker that
    the animation moves."""
    loss_name = "L" if data.origin is None else "L − L₀"
    traces = _contour_traces(data, _loss_trace(data, loss_name))
    if data.path is not None and data.path_losses is not None:
        traces += _contour_path_traces(_f32(data.path), data.path_losses, loss_name)
    return traces


def position_frames(
    steps: np.ndarray, movers: list[tuple[int, str, dict[str, np.ndarray]]]
) -> tuple[list[Spec], list[str]]:
    """Animation frames, one per step of ``steps``, each moving only the traces ``movers``
    lists: ``(trace index, trace type, {coordinate: value at each step})``; and the frames'
    names, the step numbers."""
    names = [str(int(s)) for s in steps]
    # Each frame moves a marker to one step. Its coordinates go as plain floats, the
    # float32 values exactly: a one-element array per coordinate cost ~0.2 ms a frame,
    # as graph_objects validates frames in full and Streamlit encodes every array.
    columns = [
        (kind, {axis: np.asarray(v).tolist() for axis, v in moves.items()})
        for _, kind, moves in movers
    ]
    indices = [index for index, _, _ in movers]
    frames = [
        {
            "data": [
                {"type": kind, **{axis: [values[n]] for axis, values in coords.items()}}
                for kind, coords in columns
            ],
            "traces": indices,
            "name": name,
        }
        for n, name in enumerate(names)
    ]
    return frames, names


def _loss_trace(data: LandscapeData, loss_name: str) -> Spec:
    """What the contour and the surface of the loss share: the grid, z, colours and hover."""
    delta = "" if data.origin is None else "Δ"
    return {
        "x": _f32(data.a_values),
        "y": _f32(data.b_values),
        "z": _f32(data.loss).T,  # Plotly wants z[row = b][column = a]
        "colorscale": VIRIDIS,
        "colorbar": {"title": {"text": loss_name}},
        "hovertemplate": (
            f"{delta}%{{meta[0]}} = %{{x:.3f}}<br>{delta}%{{meta[1]}} = %{{y:.3f}}<br>"
            f"{loss_name} = %{{z:.4f}}<extra></extra>"
        ),
        # The whole labels go in through meta: a "%{" in a class name stays text.
        "meta": [plotly_text(t) for t in data.labels],
        "name": f"loss {loss_name}",
    }


def _current_name(origin: tuple[float, float, float] | None) -> str:
    """The current point's legend entry: with an origin, the logits and the loss there."""
    if origin is None:
        return "current logits"
    # Two lines: the values of 1e300 logits would run off a phone's legend on one.
    return f"current logits {fmt(origin[0], 3)}, {fmt(origin[1], 3)}<br>L₀ = {fmt(origin[2])}"


def _surface_traces(data: LandscapeData, loss: Spec) -> list[Spec]:
    """The loss as a 3-D surface, the tangent plane's drop along −∇L, the current point."""
    ca, cb = data.current
    ua, ub = data.descent_step
    return [
        {"type": "surface", **loss, "opacity": FADED if data.others_move else 0.95},
        {
            "type": "scatter3d",
            "x": [ca, ca + ua],
            "y": [cb, cb + ub],
            # The tangent plane's drop along −∇L is |∇L|² per unit step.
            "z": [data.current_loss, data.current_loss - (ua * ua + ub * ub)],
            "mode": "lines",
            "line": {"color": PALETTE["lower"], "width": 8},
            "name": "−∇L (tangent)",
        },
        {
            "type": "scatter3d",
            "x": [ca],
            "y": [cb],
            "z": [data.current_loss],
            "mode": "markers",
            "name": _current_name(data.origin),
            "marker": {"size": 6, "color": "white", "line": {"color": "black", "width": 2}},
        },
    ]


def _filled_contours(data: LandscapeData, loss: Spec) -> list[Spec]:
    """The loss as filled contours drawn on a carpet (the first trace), the carpet, and an
    unseen grid for their hover.

    Why a carpet: when Play moves a marker without redrawing the figure, Plotly takes off
    the screen every trace on the axes that it cannot animate and that is not on a carpet
    (plotly.js issue 4491): a ``contour`` trace vanished at the first frame, and redrawing
    each frame instead blanked it every frame. A ``contourcarpet`` is drawn again with
    each frame. Its carpet is the plane itself, spanned by its four corners (a straight
    map from the logits to the axes), so it costs four numbers; the hover, which a
    contourcarpet lacks, comes from every fourth grid point as an unseen marker.
    """
    a0, a1 = (float(v) for v in loss["x"][[0, -1]])
    b0, b1 = (float(v) for v in loss["y"][[0, -1]])
    hidden = {"showgrid": False, "showline": False, "showticklabels": "none", "smoothing": 0}
    contours: Spec = {"showlabels": True, "labelfont": {"size": 12, "color": "white"}}
    levels: Spec = {"ncontours": 24}
    if data.levels is not None:
        start, end, size = data.levels
        contours |= {"start": start, "end": end, "size": size}
        levels = {"autocontour": False}
    every = slice(None, None, HOVER_EVERY)
    A, B = np.meshgrid(loss["x"][every], loss["y"][every])
    return [
        {
            "type": "contourcarpet",
            "carpet": "plane",
            "a": loss["x"],
            "b": loss["y"],
            "z": loss["z"],
            "colorscale": loss["colorscale"],
            "colorbar": loss["colorbar"],
            "name": loss["name"],
            **levels,
            "contours": contours,
            "line": {"width": 0.5},
            # Faded when the descent moves logits these contours hold fixed: the path does
            # not run on this surface.
            "opacity": FADED if data.others_move else 1.0,
        },
        {
            "type": "carpet",
            "carpet": "plane",
            "name": "the plane",
            "a": [a0, a1],
            "b": [b0, b1],
            "x": [[a0, a1], [a0, a1]],
            "y": [[b0, b0], [b1, b1]],
            "aaxis": hidden,
            "baxis": hidden,
        },
        {
            "type": "scatter",
            "x": A.ravel(),
            "y": B.ravel(),
            "customdata": loss["z"][every, every].ravel(),
            "mode": "markers",
            "marker": {"size": 10, "opacity": 0},
            "hovertemplate": loss["hovertemplate"].replace("%{z:", "%{customdata:"),
            "meta": loss["meta"],
            "name": loss["name"],
            "showlegend": False,
        },
    ]


def _contour_traces(data: LandscapeData, loss: Spec) -> list[Spec]:
    """The loss as filled contours, the descent field if given, a legend entry for the
    arrow (drawn as an annotation) and the current point."""
    traces = _filled_contours(data, loss)
    if data.field is not None:
        traces.append(_field_trace(*(np.asarray(f, dtype=np.float64) for f in data.field)))
    ca, cb = data.current
    return [
        *traces,
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "line": {"color": PALETTE["lower"], "width": 4},
            "name": "−∇L at the current point",
        },
        {
            "type": "scatter",
            "x": [ca],
            "y": [cb],
            "mode": "markers",
            "name": _current_name(data.origin),
            "marker": {
                "size": 14,
                "color": "white",
                "symbol": "circle",
                "line": {"color": "black", "width": 2},
            },
        },
    ]


def _surface_path_traces(path: np.ndarray, losses: np.ndarray) -> list[Spec]:
    """The descent run over the surface, at the height of its losses, and the marker the
    animation moves, at its start."""
    return [
        {
            "type": "scatter3d",
            "x": path[:, 0],
            "y": path[:, 1],
            "z": losses,
            "mode": "lines",
            "name": "descent path",
            "line": {"color": PALETTE["y"], "width": 6},
        },
        {
            "type": "scatter3d",
            "x": path[:1, 0],
            "y": path[:1, 1],
            "z": losses[:1],
            "mode": "markers",
            "name": "descent position",
            "marker": {"size": 7, "color": PALETTE["y"], "line": {"color": "black", "width": 2}},
        },
    ]


def _contour_path_traces(path: np.ndarray, losses: ArrayLike, loss_name: str) -> list[Spec]:
    """The descent run over the contours, each step's number and loss in the hover (the
    run's own loss, also where the contours hold other logits fixed), and the marker the
    animation moves, at its start. The layout's legend must include ``PATH_LEGEND``."""
    return [
        *path_traces(
            "scatter",
            f"step %{{customdata[0]}}<br>{loss_name} = %{{customdata[1]:.4f}}<extra></extra>",
            np.column_stack([np.arange(len(path)), _f32(losses)]).astype(_F32),
            x=path[:, 0],
            y=path[:, 1],
        ),
        {
            "type": "scatter",
            "x": path[:1, 0],
            "y": path[:1, 1],
            "mode": "markers",
            "name": "descent position",
            "marker": {
                "size": 13,
                "color": PALETTE["y"],
                "symbol": "diamond",
                "line": {"color": "black", "width": 1.5},
            },
        },
    ]


def _scene(x_title: str, y_title: str, loss_name: str) -> Spec:
    """The layout's 3-D scene for the surface: a cube, its axes titled."""
    return {
        "scene": {
            "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": y_title}},
            "zaxis": {"title": {"text": loss_name}},
            "aspectmode": "cube",
        }
    }


def plane_axes(data: LandscapeData) -> Spec:
    """The layout's axes ``x`` and ``y`` for the contours, at equal scales so that −∇L meets
    the contours at right angles (the axes shrink to fit), and the arrow −∇L from the
    current point."""
    a, b = _f32(data.a_values), _f32(data.b_values)
    x_title, y_title = plane_titles(data)
    ca, cb = data.current
    ua, ub = data.descent_step
    return {
        "xaxis": axis(
            title={"text": x_title}, range=[float(a[0]), float(a[-1])], constrain="domain"
        ),
        "yaxis": axis(
            title={"text": y_title},
            range=[float(b[0]), float(b[-1])],
            scaleanchor="x",
            constrain="domain",
            # A column narrower than tall shrinks the plot: keep it up, clear of the
            # controls.
            constraintoward="top",
        ),
        # −∇L from the current point, to the axes' (equal) scale.
        "annotations": [arrow((ca, cb), (ca + ua, cb + ub), PALETTE["lower"], width=4, size=0.9)],
    }


def slice_figure(data: SliceData) -> go.Figure:
    """The loss along one logit, with the tangent at the current value; see
    :class:`SliceData` for what is drawn."""
    origin = data.origin
    delta = "" if origin is None else "Δ"
    loss_name = "L" if origin is None else "L − L₀"
    name = short_label(data.label, AXIS_TITLE_CHARS)
    value = data.current if origin is None else origin[0]
    traces = [
        {
            "type": "scatter",
            "x": _f32(data.values),
            "y": _f32(data.losses),
            "mode": "lines",
            "name": f"loss {loss_name}",
            "line": {"color": PALETTE["p"], "width": 4},
            "meta": [plotly_text(data.label)],
            "hovertemplate": f"{delta}%{{meta[0]}} = %{{x:.3f}}<br>{loss_name} = %{{y:.4f}}"
            "<extra></extra>",
        },
        {
            "type": "scatter",
            "x": _f32(data.tangent[0]),
            "y": _f32(data.tangent[1]),
            "mode": "lines",
            "name": f"tangent, slope ∂L/∂o = {fmt_signed(data.slope)}",
            "line": {"color": PALETTE["lower"], "width": 3, "dash": "dash"},
        },
        {
            "type": "scatter",
            "x": [data.current],
            "y": [data.current_loss],
            "mode": "markers",
            "name": f"current value {fmt(value, 3)}"
            + ("" if origin is None else f", L₀ = {fmt(origin[1])}"),
            "marker": {"size": 14, "color": "white", "line": {"color": "black", "width": 2}},
        },
    ]
    layout = base_layout(
        f"Slice along {name}: the slope is p − y",
        height=440,
        xaxis=axis(title={"text": delta + name}, automargin=True),
        yaxis=(
            axis(title={"text": "loss L"}, rangemode="tozero")
            if origin is None
            else axis(title={"text": "change of the loss, L − L₀"})
        ),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)


def descent_figure(
    steps: ArrayLike,
    losses: ArrayLike,
    gaps: ArrayLike,
    min_loss: float,
    optimal_gap: float,
    origin: tuple[float, float] | None = None,
) -> go.Figure:
    """Loss and logit gap against the step: do they settle, or run away?

    Parameters
    ----------
    steps, losses, gaps : array_like, shape (n,)
        Step numbers, the loss at each, and the margin ``o_k − max_{j≠k} o_j``.
    min_loss : float
        The lowest loss any logits reach, ``H(y)``: 0 for a hard target.
    optimal_gap : float
        The margin at the minimum; ``inf`` when there is none (a hard target).
    origin : (float, float), optional
        The loss ``L₀`` and the gap at step 0 when ``losses`` and ``gaps`` hold the changes
        from them. The floor and the optimal gap are then left out: they lie as far off
        as the logits.
    """
    s = np.asarray(steps)
    traces = _descent_traces(s, _f32(losses), _f32(gaps), min_loss, optimal_gap, origin)
    return figure(traces, _descent_layout(origin))


def _descent_traces(
    s: np.ndarray,
    losses: np.ndarray,
    gaps: np.ndarray,
    min_loss: float,
    optimal_gap: float,
    origin: tuple[float, float] | None,
) -> list[Spec]:
    """The loss on the left axis and the gap on the right one (yaxis2), over one x axis;
    without an origin, each with its reference line: the floor H(y), the optimal gap if
    finite."""
    loss_name = "loss L" if origin is None else "change of the loss, L − L₀"
    gap_name = "logit gap oₖ − max oⱼ" if origin is None else "change of the logit gap"
    left = {"type": "scatter", "mode": "lines", "xaxis": "x", "yaxis": "y"}
    right = {**left, "yaxis": "y2"}
    traces = [
        {
            **left,
            "x": s,
            "y": losses,
            "name": loss_name if origin is None else f"{loss_name} (L₀ = {fmt(origin[0])})",
            "line": {"color": PALETTE["p"], "width": 4},
        }
    ]
    if origin is None:
        traces.append(
            {
                **left,
                "x": [s[0], s[-1]],
                "y": [min_loss, min_loss],
                "name": f"lowest possible loss H(y) = {fmt(min_loss)}",
                "line": {"color": PALETTE["p"], "width": 2, "dash": "dot"},
            }
        )
    traces.append(
        {
            **right,
            "x": s,
            "y": gaps,
            "name": gap_name if origin is None else f"{gap_name} (from {fmt(origin[1], 3)})",
            "line": {"color": PALETTE["y"], "width": 4},
        }
    )
    if origin is None and np.isfinite(optimal_gap):
        traces.append(
            {
                **right,
                "x": [s[0], s[-1]],
                "y": [optimal_gap, optimal_gap],
                "name": f"gap at the minimum = {fmt(optimal_gap, 3)}",
                "line": {"color": PALETTE["y"], "width": 2, "dash": "dot"},
            }
        )
    return traces


def _descent_layout(origin: tuple[float, float] | None) -> Spec:
    """The descent chart's layout: the step across, the loss up the left, the gap up the
    right; with an origin, their changes."""
    return base_layout(
        "Gradient descent: loss and logit gap by step",
        height=460,
        # The domain leaves the right axis its room, as make_subplots(secondary_y) does.
        xaxis=axis(title={"text": "step"}, automargin=True, anchor="y", domain=[0.0, 0.94]),
        # Each y axis in its curve's colour, title and numbers: which scale is whose.
        yaxis=axis(
            anchor="x",
            domain=[0.0, 1.0],
            tickfont={"color": PALETTE["p"]},
            title={
                "text": "loss L" if origin is None else "L − L₀",
                "font": {"color": PALETTE["p"]},
            },
            **({"rangemode": "tozero"} if origin is None else {}),
        ),
        yaxis2=axis(
            title={
                "text": "logit gap" if origin is None else "change of the gap",
                "font": {"color": PALETTE["y"]},
            },
            tickfont={"color": PALETTE["y"]},
            anchor="x",
            overlaying="y",
            side="right",
            showgrid=False,
            tickmode="auto",
        ),
        legend=FOOT_LEGEND,
    )
