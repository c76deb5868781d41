"""The probability simplex of three classes beside the plane of two of their logits: the
loss filling both, the target, p and one descent run that Play moves on both."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ce_viz.figures.style import (
    FONT_SIZE,
    PALETTE,
    PATH_LEGEND,
    VIRIDIS,
    Spec,
    base_layout,
    figure,
    path_traces,
    short_label,
)
from ce_viz.fmt import plotly_text
from ce_viz.scenes import SimplexData
from ce_viz.theory import SIMPLEX_HEIGHT, simplex_xy

__all__ = ["simplex_figure"]

_F32 = np.float32
#: The grid lines p = 0.2, 0.4, 0.6, 0.8 of each class, across the triangle.
_TICKS = (0.2, 0.4, 0.6, 0.8)
#: The triangle's axes (x2, y2) around the unit triangle, room for the corner labels.
_RANGE_X = [-0.12, 1.12]
_RANGE_Y = [-0.16, SIMPLEX_HEIGHT + 0.12]


def simplex_figure(data: SimplexData, plane: go.Figure) -> go.Figure:
    """The simplex (left, axes x2 and y2) and the logit plane (right, axes x and y) in one
    figure, so that Play moves p on the triangle and the logits on the plane together;
    see :class:`SimplexData` for what is drawn. ``plane`` is the landscape figure of
    ``data.plane``: its traces, axes, play controls and frames are taken over, each frame
    moving the triangle's p too.

    The triangle is filled by the loss in bands, coloured as the plane's filled contours
    are when ``data.shared`` (one colour bar, the plane's), and drawn on plain axes rather
    than Plotly's ternary ones: Plotly moves a marker without redrawing only on x/y axes,
    and a redraw blanks the plane's filled contours.
    """
    spec = plane.to_dict()
    traces = list(spec["data"])
    traces += _bands(data)
    traces += _hover(data)
    traces += _frame_traces()
    px, py = simplex_xy(data.path)
    # The plane's path already has the legend entry "descent path": one is enough.
    traces += [
        {**t, "showlegend": False}
        for t in path_traces(
            "scatter",
            "step %{customdata}<extra></extra>",
            np.arange(len(px)),
            x=px.astype(_F32),
            y=py.astype(_F32),
            xaxis="x2",
            yaxis="y2",
        )
    ]
    traces += _markers(data)
    moving = len(traces) - 1
    x, y = px.astype(_F32).tolist(), py.astype(_F32).tolist()
    frames = [
        {
            **frame,
            "data": [
                {"type": "scatter", "x": [x[int(frame["name"])]], "y": [y[int(frame["name"])]]},
                *frame["data"],
            ],
            "traces": [moving, *frame["traces"]],
        }
        for frame in spec.get("frames", [])
    ]
    return figure(traces, _layout(data, spec["layout"]), frames)


def _bands(data: SimplexData) -> list[Spec]:
    """The loss over the triangle as filled contours at the plane's levels, so one colour
    means one loss on both panels; drawn on a carpet that is the triangle (its four
    corners carry the map exactly, see ``theory.simplex_sheet``), which Play also keeps.
    With a scale of its own, the triangle shows its own colour bar."""
    a, s, loss = data.sheet
    start, end, size = data.levels
    top = float(np.sqrt(3.0) / 2.0)
    hidden = {"showgrid": False, "showline": False, "showticklabels": "none", "smoothing": 0}
    field: Spec = {
        "type": "contourcarpet",
        "carpet": "triangle",
        "a": np.asarray(a, dtype=_F32),
        "b": np.asarray(s, dtype=_F32),
        "z": np.asarray(loss, dtype=_F32),
        "autocontour": False,
        "contours": {"start": start, "end": end, "size": size},
        "colorscale": VIRIDIS,
        "line": {"width": 0.5},
        "name": "loss L on the triangle",
        "showscale": not data.shared,
    }
    if not data.shared:
        field["colorbar"] = {"title": {"text": "L on the<br>triangle"}, "x": 0.38}
    return [
        field,
        {
            "type": "carpet",
            "carpet": "triangle",
            "name": "the simplex",
            "a": [0.0, 1.0],
            "b": [0.0, 1.0],
            # (a, s) = (0, 0), (1, 0) / (0, 1), (1, 1): corners c and a / b and a.
            "x": [[1.0, 0.5], [0.0, 0.5]],
            "y": [[0.0, top], [0.0, top]],
            "xaxis": "x2",
            "yaxis": "y2",
            "aaxis": hidden,
            "baxis": hidden,
        },
    ]


def _hover(data: SimplexData) -> list[Spec]:
    """Unseen points over the triangle whose hover tells p of each class and the loss."""
    q = np.asarray(data.hover_points, dtype=np.float64)
    x, y = simplex_xy(q)
    return [
        {
            "type": "scatter",
            "x": x.astype(_F32),
            "y": y.astype(_F32),
            "xaxis": "x2",
            "yaxis": "y2",
            "customdata": np.column_stack([q, data.hover_losses]).astype(_F32),
            "mode": "markers",
            "marker": {"size": 12, "opacity": 0},
            "meta": [plotly_text(n) for n in data.names],
            "hovertemplate": "p(%{meta[0]}) = %{customdata[0]:.3f}<br>"
            "p(%{meta[1]}) = %{customdata[1]:.3f}<br>p(%{meta[2]}) = %{customdata[2]:.3f}"
            "<br>L = %{customdata[3]:.4f}<extra></extra>",
            "name": "loss L",
            "showlegend": False,
        }
    ]


def _frame_traces() -> list[Spec]:
    """The triangle's edges and its grid lines p = 0.2 … 0.8 of each class."""
    corners = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 0, 0]])
    ex, ey = simplex_xy(corners)
    lines = []
    for k in range(3):
        for t in _TICKS:
            # From the edge where the next class is 0 to the edge where the one after is.
            ends = np.zeros((2, 3))
            ends[:, k] = t
            ends[0, (k + 1) % 3] = 1 - t
            ends[1, (k + 2) % 3] = 1 - t
            lines.append(ends)
    gx, gy = simplex_xy(np.concatenate([np.vstack([e, [np.nan] * 3]) for e in lines]))
    common = {"xaxis": "x2", "yaxis": "y2", "mode": "lines", "hoverinfo": "skip"}
    return [
        {
            **common,
            "type": "scatter",
            "x": gx.astype(_F32),
            "y": gy.astype(_F32),
            "line": {"color": PALETTE["arrows"], "width": 0.6, "dash": "dot"},
            "showlegend": False,
        },
        {
            **common,
            "type": "scatter",
            "x": ex,
            "y": ey,
            "line": {"color": PALETTE["neutral"], "width": 1.5},
            "showlegend": False,
        },
    ]


def _markers(data: SimplexData) -> list[Spec]:
    """The target, a big star (at a corner when one-hot), the current p, and last the p
    that Play moves along the run."""
    tx, ty = simplex_xy(np.asarray(data.target, dtype=np.float64))
    cx, cy = simplex_xy(np.asarray(data.current, dtype=np.float64))
    common = {"type": "scatter", "xaxis": "x2", "yaxis": "y2", "mode": "markers"}
    return [
        {
            **common,
            "x": [float(tx)],
            "y": [float(ty)],
            "name": "target y",
            "cliponaxis": False,
            "marker": {
                "symbol": "star",
                "size": 34,
                "color": PALETTE["y"],
                "line": {"color": "black", "width": 2},
            },
        },
        {
            **common,
            "x": [float(cx)],
            "y": [float(cy)],
            "name": "current p",
            "marker": {"size": 15, "color": "white", "line": {"color": "black", "width": 2}},
        },
        {
            **common,
            "x": [float(cx)],
            "y": [float(cy)],
            "name": "p during descent",
            "showlegend": False,
            "marker": {
                "size": 13,
                "color": PALETTE["y"],
                "symbol": "diamond",
                "line": {"color": "black", "width": 1.5},
            },
        },
    ]


def _corner_labels(names: tuple[str, str, str]) -> list[Spec]:
    """Each corner named, shortened (the hover names it whole)."""
    # The bottom names run inwards from their corners: on a narrow screen they stay on it.
    spots = [
        (0.5, SIMPLEX_HEIGHT, "center", "bottom"),
        (_RANGE_X[0], 0.0, "left", "top"),
        (_RANGE_X[1], 0.0, "right", "top"),
    ]
    return [
        {
            "x": x,
            "y": y,
            "xref": "x2",
            "yref": "y2",
            "text": short_label(name),
            "showarrow": False,
            "xanchor": xanchor,
            "yanchor": yanchor,
            "yshift": 8 if yanchor == "bottom" else -12,
            "font": {"size": FONT_SIZE},
        }
        for (x, y, xanchor, yanchor), name in zip(spots, names, strict=True)
    ]


def _layout(data: SimplexData, plane: Spec) -> Spec:
    """Two panels side by side: the triangle at the left, the plane (its axes, arrow, play
    controls and, if any, the note under the title, from ``plane``) at the right, the
    legend under both."""
    # Apart enough for the plane's tick labels and axis title on a phone.
    left, right = ([0.0, 0.36], [0.58, 0.9]) if not data.shared else ([0.0, 0.42], [0.58, 0.9])
    hidden = {"visible": False, "fixedrange": True}
    title = "Where p can be, and the same descent in logit space"
    layout = base_layout(
        title,
        height=plane["height"],
        uirevision="simplex",
        margin={**plane["margin"], "l": 20},
        legend={**plane["legend"], **PATH_LEGEND},
        xaxis={**plane["xaxis"], "domain": right},
        yaxis=plane["yaxis"],
        xaxis2={**hidden, "domain": left, "range": _RANGE_X, "anchor": "y2"},
        yaxis2={
            **hidden,
            "domain": [0.0, 1.0],
            "range": _RANGE_Y,
            "anchor": "x2",
            "scaleanchor": "x2",
            "constrain": "domain",
            "constraintoward": "top",
        },
    )
    for key in ("updatemenus", "sliders"):
        if key in plane:
            layout[key] = plane[key]
    layout["title"] = {**plane["title"], "text": title}
    layout["annotations"] = [*plane.get("annotations", []), *_corner_labels(data.names)]
    return layout
