"""Figures of one layer back from the logits: the computation graph with its forward values
and backward gradients, the outer product ``dL/dW = (p - y) x^T``, and the 8x8 digits with
their ``dL/dW`` as ten images.

No mathematics here: every number drawn is one passed in (the passes of :mod:`ce_viz.layer`,
the digits of :mod:`ce_viz.digits`), arranged and formatted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    DIVERGING,
    DIVERGING_CLEAR,
    FONT_SIZE,
    PALETTE,
    Spec,
    axis,
    base_layout,
    figure,
    short_label,
    spelled_out,
)
from ce_viz.fmt import MINUS, fmt, subscript
from ce_viz.layer import HiddenLayerPass, LinearPass

__all__ = [
    "computation_graph_figure",
    "digit_gradient_figure",
    "digit_image_figure",
    "grad_o_name",
    "outer_product_figure",
    "product_text",
]

#: A vector on a graph node shows its first few entries, then how many there are.
SHOWN_ENTRIES = 3
#: The graph's text: small enough for a 390-pixel phone, never under 12 px.
GRAPH_FONT = FONT_SIZE - 2
#: The outer product writes its values in the cells up to this many columns.
MAX_CELL_TEXT_COLUMNS = 12
#: The digit's ink, white paper to black (Plotly's own "Greys", spelled out: plotly.js
#: knows that name with its ends the other way round).
GREYS = spelled_out(plotly.colors.sequential.Greys)

# --------------------------------------------------------------------------------------
# The computation graph
# --------------------------------------------------------------------------------------

#: Columns of the graph, in pixels from the plot's left edge, the same on a phone and on a
#: wide screen: side inputs (W, b and y), the chain, the text; the forward and backward
#: arrows run this far either side of the chain.
SIDE_PX, CHAIN_PX, TEXT_PX, ARROW_PX = 34, 90, 110, 7
#: Vertical room per row of the graph, in pixels.
GRAPH_ROW_PX = 60


def short_vector(values: ArrayLike) -> str:
    """A vector, compactly: its first entries to two decimals, then how many in all.

    >>> short_vector([0.5, -1.25, 2.0, 3.0])
    '[0.50, −1.25, 2.00, …] (4)'
    >>> short_vector([0.5, -1.0])
    '[0.50, −1.00]'
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    shown = ", ".join(fmt(float(a), 2, scientific=False) for a in v[:SHOWN_ENTRIES])
    return f"[{shown}, …] ({v.size})" if v.size > SHOWN_ENTRIES else f"[{shown}]"


def _full_vector(values: ArrayLike) -> str:
    """Every entry (up to 64) to four decimals, for a hover."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return "[" + ", ".join(fmt(float(a), 4, scientific=False) for a in v[:64]) + "]"


#: A box's label in a colour that reads as text on light and dark pages alike.
_TEXT = {
    PALETTE["p"]: PALETTE["p_text"],
    PALETTE["y"]: PALETTE["y_text"],
    PALETTE["lower"]: PALETTE["lower_text"],
}


def _node(label: str, row: float, column: int, colour: str, pad: int = 5) -> Spec:
    """A box on the graph at ``row`` (rows go down), ``column`` pixels from the left, in
    ``colour``, its label in that colour's text shade (``_TEXT``), which reads on light
    and dark pages alike."""
    return {
        "x": 0,
        "xshift": column,
        "xanchor": "center",
        "y": row,
        "xref": "paper",
        "yref": "y",
        "text": f"<b>{label}</b>",
        "showarrow": False,
        "font": {"size": GRAPH_FONT + 2, "color": _TEXT.get(colour, colour)},
        "bordercolor": colour,
        "borderwidth": 2,
        "borderpad": pad,
        "bgcolor": PALETTE["clear"],
    }


def _text(lines: Sequence[str], row: float, column: int, colour: str, hover: str = "") -> Spec:
    """Lines of text left-aligned at ``row``, ``column`` pixels from the left, in
    ``colour``'s text shade (``_TEXT``); a line starting "↓" (a forward step) in grey."""
    note: Spec = {
        "x": 0,
        "xshift": column,
        "y": row,
        "xref": "paper",
        "yref": "y",
        "xanchor": "left",
        "align": "left",
        "text": "<br>".join(
            f"<span style='color:{PALETTE['readout']}'>{line}</span>" if line[0] == "↓" else line
            for line in lines
        ),
        "showarrow": False,
        "font": {"size": GRAPH_FONT, "color": _TEXT.get(colour, colour)},
    }
    if hover:
        note["hovertext"] = hover
    return note


def _side_input(label: str, row: float, column: int, colour: str, pad: int) -> Spec:
    """A side input's box, a row above and to the left of the chain's node at ``row``,
    pointing at it. (An arrow with its tail in pixels lost its sideways offset in
    plotly.js, and one in axis units stretches with the screen.)"""
    return _node(f"{label} ↘", row - 1, column, colour, pad)


def _edge(tail: tuple[int, float], head: tuple[int, float], colour: str, gap: int) -> Spec:
    """An arrow between two nodes, stopping ``gap`` pixels short of their centres: each end
    is (pixels from the left, row)."""
    return {
        "x": 0,
        "xshift": head[0],
        "y": head[1],
        "ax": tail[0] - head[0],
        "ay": tail[1],
        "xref": "paper",
        "yref": "y",
        "axref": "pixel",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.2,
        "arrowwidth": 2.5,
        "arrowcolor": colour,
        "standoff": gap,
        "startstandoff": gap,
        "text": "",
    }


#: One step of the chain: the node's name, its value's text, its value (for the hover),
#: the side input feeding it (or ""), and the lines on the edge into it, backward first.
_Step = tuple[str, str, ArrayLike, str, list[str], ArrayLike | None]


def grad_o_name(step: LinearPass) -> str:
    """How ∂L/∂o is written for ``step``'s loss: ``p − y`` (``(p − y)/T`` at T ≠ 1) under
    cross-entropy, ``2J(p − y)`` (J = ∂p/∂o, which carries the 1/T) under MSE on p.

    >>> from ce_viz.layer import linear_layer
    >>> grad_o_name(linear_layer([1.0], [[1.0], [0.0]], [0.0, 0.0], 0, loss="mse"))
    '2J(p − y)'
    """
    if step.loss_name == "mse":
        return "2J(p − y)"
    return "p − y" if step.T == 1 else "(p − y)/T"


def product_text(left: str, g: str, right: str = "") -> str:
    """``left``, then ``g`` (a :func:`grad_o_name`), then ``right``, written once: a bare
    ``p − y`` in brackets, a ``/T`` moved to the end ("((p − y)/T) xᵀ" read badly).

    >>> product_text("", "p − y", " xᵀ"), product_text("Wᵀ", "(p − y)/T")
    ('(p − y) xᵀ', 'Wᵀ(p − y)/T')
    >>> product_text("", "(p − y)/T", " xᵀ"), product_text("W₂ᵀ", "2J(p − y)")
    ('(p − y) xᵀ/T', 'W₂ᵀ 2J(p − y)')
    """
    over_t = g.endswith("/T")
    core = g.removesuffix("/T")
    if core == "p − y":
        core = "(p − y)"
    gap = " " if left and not core.startswith("(") else ""
    return f"{left}{gap}{core}{right}" + ("/T" if over_t else "")


#: The loss under each name, as the graph's last edge writes it.
_LOSS_TEXT = {"ce": "L = −Σ y log p", "mse": "L = Σ (p − y)²"}


def _linear_steps(step: LinearPass, x_name: str) -> list[_Step]:
    """The chain of a linear layer: x → o (W, b) → p → L (y)."""
    g = grad_o_name(step)
    return [
        (x_name, f"{x_name} = " + short_vector(step.x), step.x, "", [], None),
        (
            "o",
            "o = " + short_vector(step.o),
            step.o,
            "W, b",
            [
                f"↑ ∂L/∂{x_name} = {product_text('Wᵀ', g)}",
                "   = " + short_vector(step.grad_x),
                f"↑ ∂L/∂W = {product_text('', g, f' {x_name}ᵀ')}, ∂L/∂b = {g}",
                f"↓ o = W{x_name} + b",
            ],
            step.grad_x,
        ),
        (
            "p",
            "p = " + short_vector(step.p),
            step.p,
            "",
            [
                f"↑ ∂L/∂o = {g}",
                "   = " + short_vector(step.grad_o),
                "↓ p = softmax(o)" if step.T == 1 else "↓ p = softmax(o/T)",
            ],
            step.grad_o,
        ),
        (
            "L",
            f"L = {fmt(step.loss, 4)}",
            [step.loss],
            "y",
            [f"↓ {_LOSS_TEXT[step.loss_name]}"],
            None,
        ),
    ]


def _hidden_steps(step: HiddenLayerPass) -> list[_Step]:
    """The chain of one hidden layer: x → z (W₁, b₁) → h (σ) → o (W₂, b₂) → p → L (y)."""
    out = step.output
    g = grad_o_name(out)
    sigma = "tanh" if step.activation == "tanh" else "ReLU"
    head = [
        ("x", "x = " + short_vector(step.x), step.x, "", [], None),
        (
            "z",
            "z = " + short_vector(step.z),
            step.z,
            "W₁, b₁",
            [
                "↑ ∂L/∂x = W₁ᵀδ",
                "   = " + short_vector(step.grad_x),
                "↑ ∂L/∂W₁ = δxᵀ, ∂L/∂b₁ = δ",
                "↓ z = W₁x + b₁",
            ],
            step.grad_x,
        ),
        (
            "h",
            "h = " + short_vector(step.h),
            step.h,
            "",
            [
                "↑ δ = ∂L/∂h ⊙ σ′(z)",
                "   = " + short_vector(step.delta),
                f"↓ h = {sigma}(z)",
                "↓ σ′(z) = " + short_vector(step.slope),
            ],
            step.delta,
        ),
        (
            "o",
            "o = " + short_vector(out.o),
            out.o,
            "W₂, b₂",
            [
                f"↑ ∂L/∂h = {product_text('W₂ᵀ', g)}",
                "   = " + short_vector(out.grad_x),
                f"↑ ∂L/∂W₂ = {product_text('', g, ' hᵀ')}, ∂L/∂b₂ = {g}",
                "↓ o = W₂h + b₂",
            ],
            out.grad_x,
        ),
    ]
    return head + _linear_steps(out, "h")[2:]


def computation_graph_figure(step: LinearPass | HiddenLayerPass, scale: float = 1.0) -> go.Figure:
    """The computation graph, top to bottom, forward values on the nodes and backward
    gradients on the edges: x → o = Wx + b → p = softmax(o) → L, with W, b and y feeding
    in from the side; for a :class:`HiddenLayerPass` the hidden layer z, h = σ(z) and its error
    δ come first.

    Forward arrows point down (grey), the gradients flow up beside them (orange). Each text
    shows a vector's first entries; hovering it shows them all. ``scale`` spreads the
    graph's columns (set in pixels) for type that much larger: ``figures.for_projector``
    grows the type and the height, not the pixel offsets.
    """
    hidden = isinstance(step, HiddenLayerPass)
    steps = _hidden_steps(step) if hidden else _linear_steps(step, "x")
    side, chain, text, arrow, gap, pad = (
        round(v * scale) for v in (SIDE_PX, CHAIN_PX, TEXT_PX, ARROW_PX, 16, 5)
    )
    notes: list[Spec] = []
    forward, backward = PALETTE["neutral"], PALETTE["lower"]
    for i, (name, value, raw, side_input, lines, grad) in enumerate(steps):
        row = 2.0 * i
        notes.append(_node(name, row, chain, PALETTE["p"], pad))
        notes.append(_text([value], row, text, PALETTE["p"], _full_vector(raw)))
        if i == 0:
            continue
        left, right = chain - arrow, chain + arrow
        notes.append(_edge((left, row - 2), (left, row), forward, gap))
        notes.append(_edge((right, row), (right, row - 2), backward, gap))
        hover = _full_vector(grad) if grad is not None else ""
        notes.append(_text(lines, row - 1, text, backward, hover))
        if side_input:
            notes.append(_side_input(side_input, row, side, PALETTE["y"], pad))
    rows = 2 * len(steps) - 1
    layout = base_layout(
        "Forward down, gradients up",
        height=70 + GRAPH_ROW_PX * rows,  # one row of the axis is GRAPH_ROW_PX
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis=axis(visible=False, fixedrange=True, range=[0, 1]),
        yaxis=axis(visible=False, fixedrange=True, range=[rows - 0.5, -0.5]),
        annotations=notes,
        showlegend=False,
    )
    return figure([], layout)


# --------------------------------------------------------------------------------------
# The outer product
# --------------------------------------------------------------------------------------


def outer_product_figure(
    grad_W: ArrayLike,
    grad_o: ArrayLike,
    x: ArrayLike,
    names: Sequence[str],
    factor: str = "p − y",
    first_input: int = 0,
) -> go.Figure:
    """``dL/dW = (dL/do) x^T`` as a heatmap: one row per class, labelled with its
    ``(dL/do)_k`` (``p_k - y_k`` under cross-entropy at T = 1), one column per input,
    labelled with its ``x_d``; centred on 0 with the signed scale of every figure. With at
    most ``MAX_CELL_TEXT_COLUMNS`` columns the values are written in the cells (two
    decimals, so that three columns fit a phone's width; the hover has four) and need no
    colour bar; with more, the colour bar reads them.

    Parameters
    ----------
    grad_W : array_like, shape (K, D)
    grad_o : array_like, shape (K,)
        ``dL/do``: ``(p - y)/T`` under cross-entropy, ``2 J (p - y)`` under MSE; the rows'
        factors.
    x : array_like, shape (D,)
        The input, the columns' factors.
    names : sequence of str, length K
    factor : str
        How the rows' factor ``dL/do`` is written in the title and on the rows' axis
        (:func:`grad_o_name`).
    first_input : int
        The first input's index in the columns' names: 0 (x₀, x₁, ...) for a vector, 1 for
        the training's points, whose coordinates are x1 and x2 on its charts and files.
    """
    G = np.asarray(grad_W, dtype=np.float64)
    g = np.asarray(grad_o, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    K, D = G.shape
    limit = float(np.max(np.abs(G))) or 1.0
    heatmap: Spec = {
        "type": "heatmap",
        "z": G,
        "x": list(range(D)),
        "y": list(range(K)),
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "colorscale": DIVERGING,
        "colorbar": {"title": {"text": "∂L/∂W"}, "thickness": 14},
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": "row %{y}, column %{x}<br>∂L/∂W = %{z:.4f}<extra></extra>",
    }
    if D <= MAX_CELL_TEXT_COLUMNS:
        heatmap["text"] = [[_signed_short(float(v)) for v in row] for row in G]
        heatmap["texttemplate"] = "%{text}"
        heatmap["textfont"] = {"size": 12 if D > 6 else 14}
        heatmap["showscale"] = False
    row_labels = [
        f"{short_label(n)}: {_signed_short(float(v))}" for n, v in zip(names, g, strict=True)
    ]
    # Two short lines a column, so that no label needs turning on a narrow screen.
    column_labels = [
        f"x{subscript(d)}<br>{fmt(float(v), 2, scientific=False)}"
        for d, v in enumerate(xs, start=first_input)
    ]
    step = -(-D // MAX_CELL_TEXT_COLUMNS)
    layout = base_layout(
        f"∂L/∂W = {product_text('', factor, ' xᵀ')}",
        height=max(300, 140 + 34 * K),
        xaxis=axis(
            tickmode="array",
            tickvals=list(range(0, D, step)),
            ticktext=column_labels[::step],
            autotickangles=[0, -30, -90],
            automargin=True,
            title={"text": "input x"},
        ),
        yaxis=axis(
            tickmode="array",
            tickvals=list(range(K)),
            ticktext=row_labels,
            autorange="reversed",
            automargin=True,
            title={"text": f"class: {factor}"},
        ),
        margin={"l": 10, "r": 10},
    )
    return figure([heatmap], layout)


# --------------------------------------------------------------------------------------
# The digits
# --------------------------------------------------------------------------------------


def _frame(suffix: str, shape: tuple[int, ...], colour: str, width: float) -> Spec:
    """A rectangle around an image drawn on the axes ``x{suffix}``, ``y{suffix}``."""
    return {
        "type": "rect",
        "xref": f"x{suffix}",
        "yref": f"y{suffix}",
        "x0": -0.5,
        "x1": shape[1] - 0.5,
        "y0": -0.5,
        "y1": shape[0] - 0.5,
        "line": {"color": colour, "width": width},
    }


def _grid_title(
    name: str, value: float, true: bool, domains: tuple[list[float], list[float]]
) -> Spec:
    """An image's title in the grid: its class (starred and bold if true) over its p - y."""
    text = f"{short_label(name)}{' ★' if true else ''}<br>{_signed_short(value)}"
    return {
        "text": f"<b>{text}</b>" if true else text,
        "xref": "paper",
        "yref": "paper",
        "x": sum(domains[0]) / 2,
        "xanchor": "center",
        "y": domains[1][1],
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": FONT_SIZE - 2},
    }


def _square_axes(n: int, x_domain: list[float], y_domain: list[float]) -> tuple[Spec, Spec]:
    """An image's axes: no ticks, rows down, square cells."""
    suffix = "" if n == 1 else str(n)
    common = {"visible": False, "fixedrange": True, "constrain": "domain"}
    x_axis = {**common, "domain": x_domain, "anchor": f"y{suffix}"}
    y_axis = {
        **common,
        "domain": y_domain,
        "anchor": f"x{suffix}",
        "autorange": "reversed",
        "scaleanchor": f"x{suffix}",
        "constraintoward": "top",  # on a narrow screen, close under its title
    }
    return x_axis, y_axis


def digit_image_figure(image: ArrayLike, label: int, predicted: int) -> go.Figure:
    """The 8x8 digit in grey, ink dark, rows from the top, square pixels; the title says
    its true class and what the model predicts."""
    img = np.asarray(image, dtype=np.float64)
    heatmap = {
        "type": "heatmap",
        "z": img,
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": GREYS,
        "showscale": False,  # no gaps: on a dark page they drew a dark grid on the paper
        "hovertemplate": "row %{y}, column %{x}<br>ink %{z:.3f}<extra></extra>",
    }
    x_axis, y_axis = _square_axes(1, [0.0, 1.0], [0.0, 1.0])
    frame = _frame("", img.shape, PALETTE["neutral"], 1)
    verdict = "correct" if label == predicted else "wrong"
    layout = base_layout(
        f"Digit {label}, predicted {predicted} ({verdict})",
        height=360,
        margin={"l": 10, "r": 10, "t": 64, "b": 10},
        xaxis=x_axis,
        yaxis=y_axis,
        shapes=[frame],
    )
    return figure([heatmap], layout)


#: The grid of the ten dL/dW images: 2 rows of 5.
GRID_ROWS, GRID_COLUMNS = 2, 5
#: Room above each image for its title, as a share of the figure's height.
GRID_TITLE = 0.14


def _grid_domains(j: int) -> tuple[list[float], list[float]]:
    """Image ``j``'s x and y domains in the 2×5 grid, with room for titles above."""
    row, column = divmod(j, GRID_COLUMNS)
    width = 1.0 / GRID_COLUMNS
    height = 1.0 / GRID_ROWS
    x0 = column * width + 0.01
    top = 1.0 - row * height - GRID_TITLE * 1.0
    return [x0, x0 + width - 0.02], [top - height + GRID_TITLE + 0.02, top]


def _signed_short(v: float) -> str:
    """Two decimals with a sign, short enough for a title over a small image; a number
    that two decimals would show as 0.00 keeps its first significant digit, in fixed
    decimals too (a cell reading "+0.00" looked exactly zero), and only zero reads 0.

    >>> _signed_short(-0.943), _signed_short(7.95e-4), _signed_short(-2.3e-6), _signed_short(0.0)
    ('−0.94', '+0.0008', '−0.000002', '0')
    """
    if v == 0:
        return "0"
    decimals = 2 if abs(v) >= 0.005 else min(-math.floor(math.log10(abs(v))), 9)
    text = f"{abs(v):.{decimals}f}"
    return (MINUS if v < 0 else "+") + text


#: The grid's height on a wide screen, where the images' height limits their size, and on
#: a phone, where its width does (at the wide height the two rows stood far apart).
GRID_HEIGHT, GRID_PHONE_HEIGHT = 640, 360


def digit_gradient_figure(
    grad_images: ArrayLike,
    grad_o: ArrayLike,
    label: int,
    names: Sequence[str] | None = None,
    height: int = GRID_HEIGHT,
) -> go.Figure:
    """``dL/dW`` as ten 8x8 images, one per class, in a 2×5 grid on one signed colour
    range symmetric about 0; each titled with its class and its ``p - y``, the true class
    starred and framed. The true class's image is ``-(1 - p_k) x``, every other ``+p_j x``.
    ``height`` in pixels: ``GRID_PHONE_HEIGHT`` for a phone's narrow screen.
    """
    images = np.asarray(grad_images, dtype=np.float64)
    g = np.asarray(grad_o, dtype=np.float64)
    labels = [str(j) for j in range(len(images))] if names is None else list(names)
    limit = float(np.max(np.abs(images))) or 1.0
    traces: list[Spec] = []
    layout_axes: Spec = {}
    notes: list[Spec] = []
    shapes: list[Spec] = []
    for j, img in enumerate(images):
        n = j + 1
        suffix = "" if n == 1 else str(n)
        x_domain, y_domain = _grid_domains(j)
        traces.append(
            {
                "type": "heatmap",
                "z": img.astype(np.float32),
                "coloraxis": "coloraxis",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "name": short_label(labels[j]),
                "hovertemplate": f"class {short_label(labels[j])}, row %{{y}}, column %{{x}}"
                "<br>∂L/∂W = %{z:.4f}<extra></extra>",
            }
        )
        x_axis, y_axis = _square_axes(n, x_domain, y_domain)
        layout_axes[f"xaxis{suffix}"], layout_axes[f"yaxis{suffix}"] = x_axis, y_axis
        true = j == label
        notes.append(_grid_title(labels[j], float(g[j]), true, (x_domain, y_domain)))
        # Every image framed: near zero it is the page itself (DIVERGING_CLEAR).
        shapes.append(
            _frame(suffix, img.shape, PALETTE["y"], 4)
            if true
            else _frame(suffix, img.shape, PALETTE["readout"], 1)
        )
    layout = base_layout(
        "∂L/∂W per class (p − y)",
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 90 if height >= GRID_HEIGHT else 70},
        coloraxis={
            "colorscale": DIVERGING_CLEAR,
            "cmin": -limit,
            "cmax": limit,
            "cmid": 0.0,
            "colorbar": {
                "title": {"text": "∂L/∂W", "side": "top"},
                "orientation": "h",
                "thickness": 12,
                "len": 0.6,
                "x": 0.5,
                "xanchor": "center",
                "y": -0.04,
                "yanchor": "top",
            },
        },
        annotations=notes,
        shapes=shapes,
        **layout_axes,
    )
    return figure(traces, layout)
