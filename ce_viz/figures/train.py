"""Figures of a classifier learning on 2-D points: its decision regions shaded by how sure it
is, each point's pull on it, the linear model's weight vectors and their descent steps, and
the loss and accuracy by step.

Every number drawn is passed in, computed by ``ce_viz.train`` (``snapshot_regions``,
``point_pull``, ``train``); here they are only arranged. The regions are the layout's
image, a PNG of palette indices (:func:`region_shades` in :func:`region_palette`): a
60 x 60 grid of flat shades is about 2 kB, far less than a heatmap per class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    CLASS_COLOURS,
    FOOT_LEGEND,
    PALETTE,
    Spec,
    axis,
    base_layout,
    figure,
    merge,
    play_controls,
    png_uri,
    short_label,
)
from ce_viz.fmt import fmt_sig, plotly_text, round_number, subscript
from ce_viz.scenes import RegionsData, RegionsFrames

__all__ = [
    "REGIONS_HEIGHT",
    "REGIONS_PHONE_HEIGHT",
    "RegionsData",
    "RegionsFrames",
    "chosen_point_traces",
    "history_figure",
    "region_palette",
    "region_shades",
    "regions_animation",
    "regions_figure",
    "weights_figure",
]

_F32 = np.float32
#: A region's opacity where its class is only as likely as any other (p = 1/K), and where it
#: is certain (p = 1): the page shows through a guess, and the points stay readable on
#: the surest shade.
ALPHA_UNSURE, ALPHA_SURE = 0.06, 0.62
#: Shades of each class's colour: five classes fill the 256 entries of a PNG's palette, and
#: a step of opacity is about 3/255, too small to see.
SHADES = 51
#: What a point's size Σ|p − y| is, by the training's loss: under MSE on p it is not what
#: the point passes back (2J(p − y), small where p is sure), so not its pull.
SIZE_NAMES = {"ce": "pull", "mse": "error"}
#: A point's marker size, in pixels, at no pull (p = y) and the most, Σ|p − y| = 2.
PULL_SMALLEST, PULL_LARGEST = 5.0, 17.0
#: The largest Σ_k |p_k − y_k| can be: all of p on a class where y has none.
MOST_PULL = 2.0


def _rgb(colour: str) -> tuple[int, int, int]:
    """A "#rrggbb" colour as three bytes."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def region_palette(K: int) -> np.ndarray:
    """The regions' colours, ``SHADES`` a class (class ``k``'s from ``k · SHADES``): the
    class's colour (``CLASS_COLOURS``), its opacity in even steps from ``ALPHA_UNSURE`` to
    ``ALPHA_SURE``. RGBA bytes (K · SHADES, 4).

    >>> region_palette(2)[[0, SHADES - 1, SHADES], 3].tolist()
    [15, 158, 15]
    """
    alpha = np.round(255 * np.linspace(ALPHA_UNSURE, ALPHA_SURE, SHADES)).astype(np.uint8)
    palette = np.empty((K, SHADES, 4), dtype=np.uint8)
    palette[..., :3] = np.array([_rgb(c) for c in CLASS_COLOURS[:K]], dtype=np.uint8)[:, None]
    palette[..., 3] = alpha
    return palette.reshape(K * SHADES, 4)


def region_shades(top: ArrayLike, p_top: ArrayLike, K: int) -> np.ndarray:
    """Each grid cell's entry in :func:`region_palette` from its predicted class ``top``
    and that class's probability ``p_top``: the class's colour, opaque in step with the
    probability, from 1/K (a guess) to 1 (certain). Bytes, the shape of ``top``.

    >>> region_shades([0, 1, 1], [0.5, 0.75, 1.0], 2).tolist()
    [0, 76, 101]
    """
    sure = (np.asarray(p_top, dtype=np.float32) - 1.0 / K) * (K / (K - 1.0))
    shade = np.rint(np.clip(sure, 0.0, 1.0) * (SHADES - 1)).astype(np.uint8)
    return np.asarray(top, dtype=np.uint8) * np.uint8(SHADES) + shade


def pull_sizes(pull: ArrayLike) -> np.ndarray:
    """Marker sizes in pixels for pulls Σ|p − y| from 0 to 2, in step with the pull.

    >>> pull_sizes([0.0, 1.0, 2.0]).tolist()
    [5.0, 11.0, 17.0]
    """
    share = np.asarray(pull, dtype=np.float64) / MOST_PULL
    return (PULL_SMALLEST + (PULL_LARGEST - PULL_SMALLEST) * share).astype(_F32)


def _regions_image(xs: ArrayLike, ys: ArrayLike, shades: np.ndarray, palette: np.ndarray) -> Spec:
    """The shaded regions as a layout image (a PNG of the :func:`region_shades` ``shades``
    in their ``palette``, row ``i`` at ``ys[i]``), its cells centred on the grid, under the
    points.

    A layout image, not an ``image`` trace: Plotly's redraw of each animation frame takes
    every trace off the plot and puts it back, so an image trace was missing for about one
    screen refresh in sixteen during Play, a flicker on a projector (sampled on every
    animation frame in Chromium); a layout image stays on the plot while its source
    changes."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    dx = float(xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = float(ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    return {
        # An image's first row is its top: the grid's last row (highest y) goes first.
        "source": png_uri(shades[::-1], palette),
        "xref": "x",
        "yref": "y",
        "x": float(xs[0]) - dx / 2,
        "y": float(ys[-1]) + dy / 2,
        "sizex": dx * len(xs),
        "sizey": dy * len(ys),
        "xanchor": "left",
        "yanchor": "top",
        "sizing": "stretch",
        "layer": "below",
        "name": "decision regions",
    }


def _point_traces(data: RegionsData) -> list[Spec]:
    """The points, one trace (and legend entry) a class, sized by their pull."""
    X, labels = np.asarray(data.X, dtype=np.float64), np.asarray(data.labels)
    pull = np.asarray(data.pull, dtype=np.float64)
    traces = []
    for k, name in enumerate(data.names):
        mine = labels == k
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": X[mine, 0].astype(_F32),
                "y": X[mine, 1].astype(_F32),
                "customdata": pull[mine].astype(_F32),
                "name": short_label(name),
                "meta": [plotly_text(name)],
                "marker": {
                    "color": CLASS_COLOURS[k],
                    "size": pull_sizes(pull[mine]),
                    "line": {"color": PALETTE["halo"], "width": 1},
                },
                "hovertemplate": "label %{meta[0]}<br>x1 = %{x:.3f}, x2 = %{y:.3f}<br>"
                "Σ|p − y| = %{customdata:.3f}<extra></extra>",
            }
        )
    return traces


#: The chosen point's ring, in pixels across, and the white halo under it (line widths).
CHOSEN_RING, HALO_WIDTH = 30, 6
#: The mislabelled point's ring, in pixels across, and its line: wholly outside the chosen
#: point's ring and halo (the two are on one point in that story's panel).
RING_WIDTH = 3
MISLABELLED_RING = CHOSEN_RING + HALO_WIDTH + RING_WIDTH + 3


def _ring_trace(X: np.ndarray, index: int) -> Spec:
    """A ring round the mislabelled point, wider than the chosen point's rings and their
    white halo: that story's panel opens on this point, and a ring inside them was all but
    hidden."""
    return {
        "type": "scatter",
        "mode": "markers",
        "x": X[index : index + 1, 0].astype(_F32),
        "y": X[index : index + 1, 1].astype(_F32),
        "name": "mislabelled point",
        "marker": {
            "symbol": "circle-open",
            "size": MISLABELLED_RING,
            "color": PALETTE["lower"],
            "line": {"width": RING_WIDTH},
        },
        "hoverinfo": "skip",
    }


#: The chosen point's −∂L/∂x arrow, as a share of the x axis's span: a direction to read,
#: its size is in the panel below the chart.
ARROW_SHARE = 0.14


def chosen_point_traces(
    x: ArrayLike, grad_x: ArrayLike, x_range: Sequence[float], index: int
) -> list[Spec]:
    """The chosen point (index ``index``, at ``x`` (2,)) ringed, and an arrow from it along
    −∂L/∂x, ``grad_x`` (2,): the way the point would have to move to lower its own loss,
    into its class's region. The arrow is ``ARROW_SHARE`` of the x span long whatever
    the gradient's size; none when the gradient is 0."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad_x, dtype=np.float64)
    rings = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": x[:1].astype(_F32),
            "y": x[1:2].astype(_F32),
            "name": f"point {index}",
            "showlegend": False,
            "legendgroup": "chosen",
            "marker": {
                "symbol": "circle-open",
                "size": CHOSEN_RING,
                "color": colour,
                "line": {"width": width},
            },
            "hoverinfo": "skip",
        }
        for colour, width in ((PALETTE["halo"], HALO_WIDTH), (PALETTE["ink"], 2.5))
    ]
    # The legend's entry, a point of its own that is never drawn: a white disc ringed in
    # ink reads on a light and a dark page (the ink ring alone was lost on a dark one).
    rings.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [None],  # as the other views' legend-only entries
            "y": [None],
            "name": f"point {index}",
            "legendgroup": "chosen",
            "marker": {
                "symbol": "circle",
                "size": 14,
                "color": PALETTE["halo"],
                "line": {"color": PALETTE["ink"], "width": 2.5},
            },
            "hoverinfo": "skip",
        }
    )
    norm = float(np.hypot(*g))
    if not norm > 0:
        return rings
    head = x - ARROW_SHARE * (x_range[1] - x_range[0]) * g / norm
    step = _arrow_trace(x[None, :], head[None, :], PALETTE["lower"], "solid")
    name = "−∂L/∂x"  # beside "point i" in the legend: a short entry keeps it to one row
    # Its own legend group: in the ring's, a horizontal legend stacked it under the ring.
    return [*rings, {**step, "name": name, "legendgroup": "chosen-arrow", "hoverinfo": "skip"}]


def square_axes(x_range: Sequence[float], y_range: Sequence[float]) -> Spec:
    """The layout's x1 and x2 axes over the given ranges at one scale: a square grid cell
    stays square, and a direction (an arrow, a boundary's normal) keeps its angle."""
    return {
        "xaxis": axis(
            title={"text": "x1"},
            range=list(x_range),
            constrain="domain",
            zeroline=False,
            automargin=True,
        ),
        "yaxis": axis(
            title={"text": "x2"},
            range=list(y_range),
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
            zeroline=False,
        ),
    }


def _grid_edges(values: ArrayLike) -> list[float]:
    """The outer edges of an evenly spaced grid's first and last cells."""
    v = np.asarray(values, dtype=np.float64)
    half = (v[-1] - v[0]) / max(len(v) - 1, 1) / 2
    return [float(v[0] - half), float(v[-1] + half)]


#: The regions figure's height without Play controls, and on a phone: there the square plot
#: is as tall as a 390-pixel screen leaves it wide (358 px of chart less the side margins),
#: where the desk's height left bands of empty chart above and below it.
REGIONS_HEIGHT, REGIONS_PHONE_HEIGHT = 560, 434


def _regions_spec(data: RegionsData, height: int, image: Spec) -> tuple[list[Spec], Spec]:
    """:func:`regions_figure`'s traces and layout, as written (not yet a figure), with the
    regions' layout ``image`` (:func:`_regions_image`)."""
    traces = _point_traces(data)
    if data.flipped is not None:
        traces.append(_ring_trace(np.asarray(data.X, dtype=np.float64), data.flipped))
    layout = base_layout(
        "Decision regions",
        height=height,
        margin={"l": 60, "r": 16, "t": 112, "b": 40},
        legend=merge(FOOT_LEGEND, {"title": {"text": "label"}, "itemsizing": "constant"}),
        **square_axes(_grid_edges(data.xs), _grid_edges(data.ys)),
    )
    # No size of its own: Plotly sets it at 0.7 of the title's, on a projector too.
    layout["title"]["subtitle"] = {
        "text": "shade: predicted class, deeper = surer<br>dot size: its "
        f"{SIZE_NAMES[data.loss]} Σ|p − y|{', not its pull' if data.loss == 'mse' else ''}"
    }
    layout["images"] = [image]
    for name in ("xaxis", "yaxis"):  # grid lines would cross the image, which lies below them
        layout[name] = {**layout[name], "showgrid": False}
    return traces, layout


def regions_figure(data: RegionsData, height: int = REGIONS_HEIGHT) -> go.Figure:
    """The decision regions: each grid cell in its predicted class's colour, the surer the
    deeper; the points in their labels' colours, larger the more they pull (Σ|p − y|), the
    mislabelled one ringed. See :class:`RegionsData`."""
    K = len(data.names)
    shades = region_shades(data.top, data.p_top, K)
    image = _regions_image(data.xs, data.ys, shades, region_palette(K))
    return figure(*_regions_spec(data, height, image))


def _arrow_trace(tails: np.ndarray, heads: np.ndarray, colour: str, dash: str) -> Spec:
    """Arrows from each tail to its head: segments with an arrowhead marker at the head."""
    nan = np.full(len(tails), np.nan)
    xs = np.column_stack([tails[:, 0], heads[:, 0], nan]).ravel()
    ys = np.column_stack([tails[:, 1], heads[:, 1], nan]).ravel()
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": xs.astype(_F32),
        "y": ys.astype(_F32),
        "line": {"color": colour, "width": 4, "dash": dash},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": np.tile([0, 16, 0], len(tails)),
            "color": colour,
            "line": {"width": 0},
        },
    }


def weights_figure(
    W: ArrayLike,
    gradient: ArrayLike,
    names: Sequence[str],
    x_range: Sequence[float],
    y_range: Sequence[float],
) -> go.Figure:
    """The linear model's weight vectors, one arrow from the origin per class in its colour,
    and from each tip a dashed arrow along −∂L/∂w_k, where a descent step moves it.

    The descent arrows are drawn ``scale`` times their length (in the legend and the
    figure's ``meta``), a round 1, 2 or 5 times a power of ten (``fmt.round_number``: a
    lecturer reads "× 100", not "× 116"): the longest is at most half the longest weight
    vector (or half the axes' width when the weights are all 0) and over a fifth of it.
    The axes span ``x_range`` and ``y_range`` (the data's), grown to hold every arrow with
    its head.
    The legend names class ``k``'s arrows wₖ and −∂L/∂wₖ (w₀, w₁, ...), followed by the
    class's name when it is not just ``k`` ("w₀ · cat").
    """
    W, G = np.asarray(W, dtype=np.float64), np.asarray(gradient, dtype=np.float64)
    longest_g = float(np.max(np.hypot(G[:, 0], G[:, 1])))
    longest_w = float(np.max(np.hypot(W[:, 0], W[:, 1])))
    reach = longest_w if longest_w > 0 else (x_range[1] - x_range[0]) / 2
    scale = round_number(0.5 * reach / longest_g, up=False) if longest_g > 0 else 0.0
    heads = W - scale * G
    traces: list[Spec] = []
    for k, name in enumerate(names):
        colour = CLASS_COLOURS[k]
        w = _arrow_trace(np.zeros((1, 2)), W[k : k + 1], colour, "solid")
        step = _arrow_trace(W[k : k + 1], heads[k : k + 1], colour, "dash")
        short = short_label(name)
        named = "" if short == str(k) else f" · {short}"
        w |= {"name": f"w{subscript(k)}{named}", "legendgroup": str(k), "hoverinfo": "skip"}
        step |= {
            "name": f"−∂L/∂w{subscript(k)}{named}",
            "legendgroup": str(k),
            "hoverinfo": "skip",
        }
        traces += [w, step]
    tips = np.vstack([W, heads, np.zeros((1, 2))])
    # Room for the arrowheads, which reach past their tips (on moons they were cut off).
    pad = 0.06 * float(np.max(tips.max(axis=0) - tips.min(axis=0)))
    tips = np.vstack([tips.min(axis=0) - pad, tips.max(axis=0) + pad])
    layout = base_layout(
        "Weight vectors and their descent steps",
        height=560,
        meta={"scale": scale},
        margin={"l": 60, "r": 16, "t": 112, "b": 40},
        legend=FOOT_LEGEND,
        **square_axes(
            [min(x_range[0], tips[:, 0].min()), max(x_range[1], tips[:, 0].max())],
            [min(y_range[0], tips[:, 1].min()), max(y_range[1], tips[:, 1].max())],
        ),
    )
    layout["title"]["subtitle"] = {"text": f"solid: wₖ · dashed: −∂L/∂wₖ × {fmt_sig(scale)}"}
    return figure(traces, layout)


#: The history's axes end this share above their largest value (the loss's, 100 %).
HEADROOM = 1.02


def history_figure(
    steps: ArrayLike, loss: ArrayLike, accuracy: ArrayLike, loss_name: str = "loss"
) -> go.Figure:
    """The training loss (left axis) and accuracy (right axis, 0 to 100 %) by step, each
    axis in its curve's colour. The loss axis runs from 0 to ``HEADROOM`` times the largest
    finite loss drawn, as the accuracy's runs to ``HEADROOM``: the largest loss and 100 %
    sit at one height (with two autoranges, 100 % floated above the loss's top gridline).
    """
    s = np.asarray(steps)
    with np.errstate(over="ignore"):  # past float32's range a loss is drawn as inf
        losses = np.asarray(loss, dtype=np.float64).astype(_F32)
    finite = losses[np.isfinite(losses)]
    top = HEADROOM * float(finite.max()) if finite.size else 0.0
    loss_range = {"range": [0.0, top]} if top > 0 else {"rangemode": "tozero"}
    # No steps (train_steps=0): one point each, drawn as a whole marker (a line of one
    # point draws nothing; the axes' edge at step 0 cut it in half), on a step axis from 0
    # to 1 rather than Plotly's −1 to 1.
    one = len(s) == 1
    left = {"type": "scatter", "mode": "lines", "x": s, "xaxis": "x", "yaxis": "y"}
    if one:
        left.update(mode="markers", cliponaxis=False)
    traces = [
        {
            **left,
            "y": losses,
            "name": loss_name,
            "line": {"color": PALETTE["p"], "width": 4},
            "marker": {"color": PALETTE["p"], "size": 12},
        },
        {
            **left,
            "yaxis": "y2",
            "y": np.asarray(accuracy, dtype=np.float64).astype(_F32),
            "name": "accuracy",
            "line": {"color": PALETTE["y"], "width": 4},
            "marker": {"color": PALETTE["y"], "size": 12},
        },
    ]
    layout = base_layout(
        "Training: loss and accuracy by step",
        height=440,
        xaxis=axis(
            title={"text": "step"},
            automargin=True,
            anchor="y",
            domain=[0.0, 0.9],
            **({"range": [0, 1], "dtick": 1} if one else {}),
        ),
        yaxis=axis(
            anchor="x",
            **loss_range,
            tickfont={"color": PALETTE["p"]},
            title={"text": loss_name, "font": {"color": PALETTE["p"]}},
        ),
        yaxis2=axis(
            anchor="x",
            overlaying="y",
            side="right",
            showgrid=False,
            range=[0, HEADROOM],
            tickformat=".0%",
            dtick=0.25,
            tickfont={"color": PALETTE["y"]},
            title={"text": "accuracy", "font": {"color": PALETTE["y"]}},
        ),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)


#: The play controls, in pixels below the plot area: the buttons under the x axis's title,
#: the slider (its readout on the buttons' row, at the right) under them, the legend's top
#: under the slider's rail and its (clear) step labels, which reach about 195 px down, and
#: the room all of them add to the figure: the legend hangs from its top, so a phone's
#: extra row grows down into that room instead of up onto the slider.
BUTTONS_BELOW = 70
SLIDER_BELOW = 112
LEGEND_BELOW = 204
CONTROLS_HEIGHT = 230


def regions_animation(
    data: RegionsData, frames: RegionsFrames, height: int = REGIONS_HEIGHT
) -> go.Figure:
    """:func:`regions_figure` (``height`` without the controls) with Play and a step slider
    over ``frames``: each frame carries only what moves, the regions' image (a PNG, the
    layout's image) and the points' sizes. 25 frames (the most) of a 60 x 60 grid with 1,000 points
    are about 0.3 MB of JSON, most of it the sizes."""
    labels = np.asarray(data.labels)
    names = [str(int(s)) for s in frames.steps]
    K = len(data.names)
    shades = region_shades(frames.top, frames.p_top, K)  # every frame's at once
    palette = region_palette(K)
    sizes = pull_sizes(frames.pull)  # (frames, points)
    classes = [np.flatnonzero(labels == k) for k in range(K)]
    specs = [
        {
            "name": name,
            "traces": list(range(K)),
            "data": [
                {"type": "scatter", "marker": {"size": sizes[m, members]}} for members in classes
            ],
            "layout": {"images": [_regions_image(data.xs, data.ys, shades[m], palette)]},
        }
        for m, name in enumerate(names)
    ]
    # The still picture is the frame the slider starts at, the last: its image, not a copy.
    traces, layout = _regions_spec(data, height, specs[-1]["layout"]["images"][0])
    margin = {**layout["margin"], "b": layout["margin"]["b"] + CONTROLS_HEIGHT}
    plot_height = layout["height"] - margin["t"] - layout["margin"]["b"]
    layout = merge(
        layout,
        play_controls(
            names,
            plot_height,
            (BUTTONS_BELOW, SLIDER_BELOW),
            redraw=True,
            start=len(names) - 1,
            frame_ms=150,
        ),
        {
            "height": layout["height"] + CONTROLS_HEIGHT,
            "margin": margin,
            "legend": {
                "yref": "paper",
                "y": -LEGEND_BELOW / plot_height,
                "yanchor": "top",
                "title": {"side": "left"},
            },
        },
    )
    return figure(traces, layout, specs)
