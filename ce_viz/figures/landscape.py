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
    FONT_SIZE,
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


def _animation(labels: list[str]) -> Spec:
    """Play and pause buttons and a step slider that move one trace along the path: the
    layout's ``updatemenus`` and ``sliders``, for frames named ``labels``."""
    play = {
        "frame": {"duration": 100, "redraw": True},  # 26 frames: 2.6 s
        "fromcurrent": True,
        "transition": {"duration": 0},
    }
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    # One options object for every step: a copy of the figure copies it once, not per step.
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.16,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 10, "t": 10},
                "showactive": False,
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
                ],
            }
        ],
        "sliders": [
            {
                "active": 0,
                "x": 0.2,
                "len": 0.8,
                "y": -0.13,
                "yanchor": "top",
                # Grey reads on light and dark pages; at the right end it clears the buttons.
                "currentvalue": {
                    "prefix": "step ",
                    "xanchor": "right",
                    "font": {"size": FONT_SIZE, "color": PALETTE["readout"]},
                },
                "pad": {"t": 30},
                # Up to 26 positions: the tick labels would overlap, the readout says it.
                "ticklen": 0,
                "font": {"color": PALETTE["clear"]},
                "steps": [
                    {"label": label, "method": "animate", "args": [[label], jump]}
                    for label in labels
                ],
            }
        ],
    }


def landscape_figure(data: LandscapeData) -> go.Figure:
    """The loss over the plane of two logits, with the current point and −∇L drawn to scale;
    see :class:`LandscapeData` for what is drawn.

    The figure is laid out for a column about half a wide page across: the legend goes
    below the plot, and the play controls below the axis title.
    """
    a, b = _f32(data.a_values), _f32(data.b_values)
    loss_name = "L" if data.origin is None else "L − L₀"
    loss = _loss_trace(data, a, b, loss_name)
    traces = _surface_traces(data, loss) if data.surface else _contour_traces(data, loss)
    legend: Spec = {"orientation": "h", "x": 0.0, "y": -0.45, "yanchor": "top"}
    frames: list[Spec] = []
    controls: Spec = {}
    if data.path is not None and data.path_losses is not None:
        p, pl = _f32(data.path), _f32(data.path_losses)
        if data.surface:
            traces += _surface_path_traces(p, pl)
        else:
            traces += _contour_path_traces(p)
            legend |= PATH_LEGEND
        frames, steps = _position_frames(traces, p, pl if data.surface else None)
        controls = _animation(steps)
    delta = "" if data.origin is None else "Δ"
    x_title, y_title = (delta + short_label(t, AXIS_TITLE_CHARS) for t in data.labels)
    plot = (
        _scene(x_title, y_title, loss_name)
        if data.surface
        else _plane(data, (a, b), x_title, y_title)
    )
    layout = base_layout(
        "Loss over two logits, the others held fixed"
        if data.origin is None
        else "Change of the loss over two logits",
        height=700,
        uirevision=data.uirevision,
        margin={"b": 230, "r": 20},
        legend=legend,
        **controls,
        **plot,
    )
    return figure(traces, layout, frames)


def _loss_trace(data: LandscapeData, a: np.ndarray, b: np.ndarray, loss_name: str) -> Spec:
    """What the contour and the surface of the loss share: the grid, z, colours and hover."""
    delta = "" if data.origin is None else "Δ"
    return {
        "x": a,
        "y": b,
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
        {"type": "surface", **loss, "opacity": 0.95},
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


def _contour_traces(data: LandscapeData, loss: Spec) -> list[Spec]:
    """The loss as filled contours, the descent field if given, a legend entry for the
    arrow (drawn as an annotation) and the current point."""
    traces: list[Spec] = [
        {
            "type": "contour",
            **loss,
            "ncontours": 24,
            "contours": {"showlabels": True, "labelfont": {"size": 12, "color": "white"}},
            "line": {"width": 0.5},
        }
    ]
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


def _contour_path_traces(path: np.ndarray) -> list[Spec]:
    """The descent run over the contours, its steps in the hover, and the marker the
    animation moves, at its start. The layout's legend must include ``PATH_LEGEND``."""
    return [
        *path_traces(
            "scatter",
            "step %{customdata}<extra></extra>",
            np.arange(len(path)),
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


def _position_frames(
    traces: list[Spec], path: np.ndarray, heights: np.ndarray | None
) -> tuple[list[Spec], list[str]]:
    """Frames that move the last of ``traces`` (the descent position) along ``path``, and
    up to ``heights`` on a surface, at the steps :func:`frame_steps` picks; and their names,
    the step numbers."""
    steps = frame_steps(len(path) - 1)
    position = len(traces) - 1
    names = [str(int(s)) for s in steps]
    # Each frame moves the marker to one step. Its coordinates go as plain floats, the
    # float32 values exactly: a one-element array per coordinate cost ~0.2 ms a frame,
    # as graph_objects validates frames in full and Streamlit encodes every array.
    moves = [{"x": [xa], "y": [xb]} for xa, xb in path[steps].tolist()]
    if heights is not None:
        for move, height in zip(moves, heights[steps].tolist(), strict=True):
            move["z"] = [height]
    kind = traces[position]["type"]
    frames = [
        {"data": [{"type": kind, **move}], "traces": [position], "name": name}
        for move, name in zip(moves, names, strict=True)
    ]
    return frames, names


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


def _plane(
    data: LandscapeData, grid: tuple[np.ndarray, np.ndarray], x_title: str, y_title: str
) -> Spec:
    """The layout's axes for the contours, at equal scales so that −∇L meets the contours at
    right angles (the axes shrink to fit), and the arrow −∇L from the current point."""
    a, b = grid
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
