"""The Plotly figures, inspected as objects: the numbers drawn are exactly the core's."""

from __future__ import annotations

import ast
import base64
import dataclasses
import html
import io
import json
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import pytest
from PIL import Image

from ce_viz.analysis import fd_check, fd_sweep
from ce_viz.core import grad_logits, softmax, softmax_jacobian, target_distribution
from ce_viz.figures import (
    PALETTE,
    PLOTLY_CONFIG,
    LandscapeData,
    SliceData,
    ce_vs_mse_figure,
    distillation_figure,
    fd_error_figure,
    gradient_figure,
    gradient_heatmap,
    jacobian_figure,
    probability_figure,
    simplex_figure,
    temperature_figure,
    temperature_gradient_figure,
)
from ce_viz.figures.style import (
    LABEL_CHARS,
    PATH_CASING,
    PATH_LEGEND,
    PATH_LINE,
    figure,
    for_projector,
    path_traces,
    png_uri,
    typed_array,
    with_traces,
)
from ce_viz.fmt import MINUS, plotly_text
from ce_viz.theory import gradient_sweep, temperature_gradient
from tests.plotted import plotted, png_pixels

# --------------------------------------------------------------------------------------
# Inputs, all computed by the core
# --------------------------------------------------------------------------------------


def _example(logits, k=None, y=None, T=1.0, smoothing=0.0):
    """(o, p, y, grad) for one sample, from the core."""
    o = np.array(logits, dtype=np.float64)
    y_vec = target_distribution(len(o), target=k, y=y, smoothing=smoothing)
    return o, softmax(o, T), y_vec, grad_logits(o, y_vec, T)


#: name → (class names, true class, core arguments)
EXAMPLES = {
    "seed": (["class 0", "class 1", "class 2"], 1, {"logits": [2.0, 3.0, 4.0], "k": 1}),
    "soft y, T=2": (
        ["cat", "dog", "bird", "fish"],
        1,
        {"logits": [0.5, -1.0, 3.0, 0.0], "y": [0.1, 0.6, 0.3, 0.0], "T": 2.0},
    ),
    "smoothing": (["a", "b", "c"], 0, {"logits": [1.0, 1.0, -2.0], "k": 0, "smoothing": 0.1}),
    "huge logits": (["a", "b"], 1, {"logits": [1e300, -1e300], "k": 1}),
    "zero components": (
        ["a", "b", "c", "d"],
        2,
        # p = 1/4 each, exactly: the first two components of p - y are exactly 0.
        {"logits": [0.0, 0.0, 0.0, 0.0], "y": [0.25, 0.25, 0.5, 0.0]},
    ),
}

SEED_LABELS = {0: "+0.0900", 1: MINUS + "0.7553", 2: "+0.6652"}

HOSTILE_NAMES = ["<b>cat</b>", "a & b", "<script>x</script>", "$x$"]


def _bars(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar"]


def _arrows(fig: go.Figure) -> list:
    return [a for a in fig.layout.annotations if a.showarrow]


def _bar_by_x(fig: go.Figure) -> dict[int, tuple[float, str, str]]:
    """Every bar of the gradient figure, by class: (value, text label, colour)."""
    found: dict[int, tuple[float, str, str]] = {}
    for trace in _bars(fig):
        xs = plotted(trace.x).tolist()
        ys = plotted(trace.y).astype(np.float64).tolist()
        texts = list(trace.text) if trace.text is not None else [None] * len(xs)
        assert len(xs) == len(ys) == len(texts)
        for x, y, text in zip(xs, ys, texts, strict=True):
            assert x not in found, f"class {x} drawn twice"
            found[int(x)] = (y, text, trace.marker.color)
    return found


# --------------------------------------------------------------------------------------
# probability_figure
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_probability_bars_are_exactly_p_and_outlines_exactly_y(name: str) -> None:
    """The filled bars' heights are p and the outline bars' heights are y, bit for bit."""
    names, k, args = EXAMPLES[name]
    _, p, y, _ = _example(**args)
    fig = probability_figure(names, p, y, k)
    filled, outline = _bars(fig)
    assert np.array_equal(plotted(filled.y), p)
    assert np.array_equal(plotted(outline.y), y)
    assert np.array_equal(plotted(filled.x), np.arange(len(names)))
    assert np.array_equal(plotted(outline.x), np.arange(len(names)))
    assert filled.marker.color == PALETTE["p"]
    assert outline.marker.line.color == PALETTE["y"]
    assert outline.marker.color == "rgba(0,0,0,0)"


def test_probability_tick_labels_escape_html_and_star_the_true_class() -> None:
    """Tick labels show names as plain text (HTML escaped) and star only the true class."""
    _, p, y, _ = _example([1.0, 2.0, 3.0, 4.0], k=2)
    fig = probability_figure(HOSTILE_NAMES, p, y, 2)
    assert tuple(fig.layout.xaxis.ticktext) == (
        "&lt;b&gt;cat&lt;/b&gt;",
        "a &amp; b",
        "&lt;script&gt;x&lt;/sc… ★",  # shortened, then escaped
        "$x$",
    )
    assert tuple(fig.layout.xaxis.tickvals) == (0, 1, 2, 3)
    for trace in _bars(fig):
        assert "<" not in "".join(trace.customdata)


def test_probability_without_true_class_stars_nothing() -> None:
    """With k=None no tick label is starred."""
    _, p, y, _ = _example([1.0, 2.0], y=[0.5, 0.5])
    fig = probability_figure(["a", "b"], p, y)
    assert not any("★" in label for label in fig.layout.xaxis.ticktext)


# --------------------------------------------------------------------------------------
# gradient_figure
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_gradient_bars_hold_exactly_the_gradient(name: str) -> None:
    """Each class has one bar whose height is its gradient component, bit for bit."""
    names, k, args = EXAMPLES[name]
    *_, g = _example(**args)
    bars = _bar_by_x(gradient_figure(names, g, k))
    assert sorted(bars) == list(range(len(g)))
    heights = np.array([bars[i][0] for i in range(len(g))])
    assert np.array_equal(heights, g)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_gradient_bars_are_coloured_by_sign(name: str) -> None:
    """Positive components are in the 'lower' colour, negative ones in the 'raise' colour."""
    names, k, args = EXAMPLES[name]
    *_, g = _example(**args)
    bars = _bar_by_x(gradient_figure(names, g, k))
    for i, gi in enumerate(g):
        if gi > 0:
            assert bars[i][2] == PALETTE["lower"]
        elif gi < 0:
            assert bars[i][2] == PALETTE["raise"]
    assert PALETTE["lower"] != PALETTE["raise"]


def test_gradient_traces_split_positive_and_negative() -> None:
    """The 'lower' trace holds exactly the positive components, in class order."""
    names, k, args = EXAMPLES["soft y, T=2"]
    *_, g = _example(**args)
    fig = gradient_figure(names, g, k)
    (lower,) = [t for t in _bars(fig) if t.marker.color == PALETTE["lower"]]
    (raise_,) = [t for t in _bars(fig) if t.marker.color == PALETTE["raise"]]
    assert np.array_equal(plotted(lower.y), g[g > 0])
    assert np.array_equal(plotted(lower.x), np.flatnonzero(g > 0))
    assert np.array_equal(plotted(raise_.y), g[g < 0])


def test_gradient_labels_carry_an_explicit_sign() -> None:
    """The seed example's bars read '+0.0900', '−0.7553' (U+2212) and '+0.6652'."""
    names, k, args = EXAMPLES["seed"]
    *_, g = _example(**args)
    bars = _bar_by_x(gradient_figure(names, g, k))
    assert {i: bars[i][1] for i in bars} == SEED_LABELS


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_nonzero_gradient_label_starts_with_a_sign(name: str) -> None:
    """Every bar label of a nonzero component starts with '+' or '−' matching its sign."""
    names, k, args = EXAMPLES[name]
    *_, g = _example(**args)
    bars = _bar_by_x(gradient_figure(names, g, k))
    for i, gi in enumerate(g):
        if gi != 0:
            assert bars[i][1][0] == ("+" if gi > 0 else MINUS), bars[i][1]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_one_descent_arrow_per_nonzero_component(name: str) -> None:
    """Each nonzero component gets one arrow from 0 to −g in data units; zeros get none."""
    names, k, args = EXAMPLES[name]
    *_, g = _example(**args)
    arrows = sorted(_arrows(gradient_figure(names, g, k)), key=lambda a: a.x)
    nonzero = np.flatnonzero(g != 0)
    assert len(arrows) == len(nonzero)
    for i, arrow in zip(nonzero, arrows, strict=True):
        assert (arrow.xref, arrow.yref, arrow.axref, arrow.ayref) == ("x", "y", "x", "y")
        assert arrow.ay == 0
        assert arrow.y == -g[i]
        assert arrow.ax == arrow.x
        assert round(arrow.x) == i
        assert arrow.arrowcolor == (PALETTE["lower"] if g[i] > 0 else PALETTE["raise"])


def test_zero_components_get_no_arrow() -> None:
    """In the example with two exact zeros only classes 2 and 3 have arrows."""
    names, k, args = EXAMPLES["zero components"]
    *_, g = _example(**args)
    assert np.array_equal(g == 0, [True, True, False, False])
    arrows = _arrows(gradient_figure(names, g, k))
    assert sorted(round(a.x) for a in arrows) == [2, 3]


def test_all_zero_gradient_has_no_arrows_and_a_finite_axis() -> None:
    """A gradient that is exactly zero draws no arrows and keeps a usable y range."""
    *_, g = _example([0.0, 0.0], y=[0.5, 0.5])
    assert not np.any(g)
    fig = gradient_figure(["a", "b"], g, None)
    assert _arrows(fig) == []
    low, high = fig.layout.yaxis.range
    assert np.all(np.isfinite([low, high]))
    assert low < 0 < high


def test_gradient_y_axis_holds_every_arrow() -> None:
    """The y range covers every bar and every arrow tip, so nothing is cut off."""
    names, k, args = EXAMPLES["soft y, T=2"]
    *_, g = _example(**args)
    low, high = gradient_figure(names, g, k).layout.yaxis.range
    assert low < -np.max(np.abs(g))
    assert high > np.max(np.abs(g))


def test_gradient_tick_labels_escape_html_and_star_the_true_class() -> None:
    """The gradient chart's class labels are escaped and the true class starred."""
    *_, g = _example([1.0, 2.0, 3.0, 4.0], k=0)
    ticks = tuple(gradient_figure(HOSTILE_NAMES, g, 0).layout.xaxis.ticktext)
    assert ticks[0] == "&lt;b&gt;cat&lt;/b&gt; ★"
    assert sum("★" in t for t in ticks) == 1
    assert not any("<" in t for t in ticks)


# --------------------------------------------------------------------------------------
# fd_error_figure
# --------------------------------------------------------------------------------------

SEED_O = np.array([2.0, 3.0, 4.0])
SEED_Y = target_distribution(3, target=1)
H_VALUES = np.logspace(-12, -1, 23)


def _fd_figure(h: float = 1e-5) -> tuple[go.Figure, np.ndarray, float]:
    errors = fd_sweep(SEED_O, SEED_Y, 1.0, H_VALUES)
    chosen = fd_check(SEED_O, SEED_Y, 1.0, h).max_rel_error
    return fd_error_figure(H_VALUES, errors, h, chosen), errors, chosen


def test_fd_figure_uses_log_axes() -> None:
    """Both axes of the step-size plot are logarithmic."""
    fig, _, _ = _fd_figure()
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.type == "log"


def test_fd_figure_draws_the_sweep_and_marks_the_chosen_h() -> None:
    """The line is the sweep, and a separate marker sits at (h, its error)."""
    fig, errors, chosen = _fd_figure(3e-4)
    line, marker = fig.data
    assert np.array_equal(plotted(line.x), H_VALUES)
    assert np.array_equal(plotted(line.y), errors)
    assert plotted(marker.x).tolist() == [3e-4]
    assert plotted(marker.y).tolist() == [chosen]
    assert marker.mode == "markers"


def test_fd_figure_keeps_exact_zeros_on_the_log_axis() -> None:
    """An error of exactly 0 is drawn at a small positive value, not lost from the log axis."""
    fig = fd_error_figure([1e-3, 1e-2], [0.0, 1e-6], 1e-3, 0.0)
    assert np.all(plotted(fig.data[0].y) > 0)
    assert np.all(plotted(fig.data[1].y) > 0)


# --------------------------------------------------------------------------------------
# Shared layout
# --------------------------------------------------------------------------------------


def _all_figures() -> list[tuple[str, Callable[[], go.Figure]]]:
    names, k, args = EXAMPLES["seed"]
    _, p, y, g = _example(**args)
    return [
        ("probability", lambda: probability_figure(names, p, y, k)),
        ("gradient", lambda: gradient_figure(names, g, k)),
        ("fd_error", lambda: _fd_figure()[0]),
    ]


FIGURES = _all_figures()


@pytest.mark.parametrize(("name", "build"), FIGURES, ids=[n for n, _ in FIGURES])
def test_figure_text_is_large_enough_to_project(name: str, build) -> None:
    """Body, title, hover and tick-label fonts are at least 16 px."""
    layout = build().layout
    assert layout.font.size >= 16
    assert layout.title.font.size >= 16
    assert layout.hoverlabel.font.size >= 16
    assert layout.xaxis.tickfont.size >= 16
    assert layout.yaxis.tickfont.size >= 16


@pytest.mark.parametrize(("name", "build"), FIGURES, ids=[n for n, _ in FIGURES])
def test_axis_titles_keep_their_projection_font(name: str, build) -> None:
    """Every axis title that has text keeps an explicit font of at least 16 px."""
    layout = build().layout
    titled = [axis for axis in (layout.xaxis, layout.yaxis) if axis.title.text]
    assert titled
    for axis in titled:
        assert axis.title.font.size is not None
        assert axis.title.font.size >= 16


@pytest.mark.parametrize(("name", "build"), FIGURES, ids=[n for n, _ in FIGURES])
def test_figure_keeps_zoom_between_reruns(name: str, build) -> None:
    """uirevision is set, so Plotly keeps the user's zoom when Streamlit reruns."""
    assert build().layout.uirevision not in (None, "")


@pytest.mark.parametrize(("name", "build"), FIGURES, ids=[n for n, _ in FIGURES])
def test_figure_serialises_to_json(name: str, build) -> None:
    """Each figure serialises to JSON without NaN or infinity."""
    text = build().to_json()
    assert "NaN" not in text
    assert "Infinity" not in text


def test_png_export_is_slide_sized() -> None:
    """The camera button saves a PNG at scale ≥ 2."""
    options = PLOTLY_CONFIG["toImageButtonOptions"]
    assert options["scale"] >= 2
    assert options["format"] == "png"


# The descent path's colours


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("trace", ["scatter", "scatterternary"])
def test_descent_path_is_one_legend_entry_readable_on_both_themes(trace: str) -> None:
    """The path is a casing plus a white line under one legend entry. On the plot, one of
    the pair has 3:1 contrast on every colour of the Viridis scale; in the legend, the
    casing's line reads on a white page and its square marker on Streamlit's dark page."""
    coords = {"x": [0, 1], "y": [0, 1]} if trace == "scatter" else {"a": [1, 0], "b": [0, 1]}
    fig = go.Figure(figure(path_traces(trace, **coords), {"legend": PATH_LEGEND}).to_dict())
    casing, line = fig.data
    assert (casing.name, line.name) == ("descent path", "descent path")
    assert casing.showlegend is not False
    assert line.showlegend is False
    assert casing.line.width > line.line.width
    for rgb in plotly.colors.sample_colorscale("Viridis", list(np.linspace(0, 1, 21))):
        r, g, b = (round(v) for v in plotly.colors.unlabel_rgb(rgb))
        colour = f"#{r:02x}{g:02x}{b:02x}"
        best = max(_contrast(PATH_CASING["color"], colour), _contrast(PATH_LINE["color"], colour))
        assert best >= 3, colour
    assert fig.layout.legend.itemsizing == "constant"
    assert "markers" in casing.mode
    assert _contrast(casing.line.color, "#ffffff") >= 3
    assert _contrast(casing.marker.color, "#0e1117") >= 3


# --------------------------------------------------------------------------------------
# Long class names: short on the axes and in legends, whole in the hover
# --------------------------------------------------------------------------------------

#: 24-character names (the longest a name may be): eight that shorten alike, and one whose
#: cut falls just after an "&", inside its entity had it been escaped first.
LONG_NAMES = [f"imagenet_superclass_{i:04d}" for i in range(8)] + ["a_long_name_&<b>bold</b>"]
LONG_K = len(LONG_NAMES)


def _long_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, y, grad) for the long names, true class 0, from the core."""
    _, p, y, g = _example(np.arange(LONG_K, dtype=np.float64), k=0)
    return p, y, g


def _shown(label: str) -> str:
    """What Plotly shows for an escaped label: the text without the true-class star."""
    return html.unescape(label).removesuffix(" ★")


def _class_axis(fig: go.Figure):
    """The axis the classes run along: x for standing bars, y for lying ones."""
    lying = any(t.orientation == "h" for t in _bars(fig))
    return fig.layout.yaxis if lying else fig.layout.xaxis


def _class_coords(trace) -> np.ndarray:
    """A bar trace's class positions."""
    return plotted(trace.y if trace.orientation == "h" else trace.x)


def _bar_figures() -> list[tuple[str, go.Figure]]:
    p, y, g = _long_example()
    return [
        ("probability", probability_figure(LONG_NAMES, p, y, 0)),
        ("gradient", gradient_figure(LONG_NAMES, g, 0)),
    ]


@pytest.mark.parametrize(("name", "fig"), _bar_figures(), ids=["probability", "gradient"])
def test_long_names_are_short_on_the_class_axis_and_whole_in_the_hover(name, fig) -> None:
    """Each tick shows at most LABEL_CHARS characters of its name, ending in an ellipsis
    when cut; the bars' hover data hold the whole names, escaped."""
    ticks = list(_class_axis(fig).ticktext)
    assert len(ticks) == LONG_K
    for tick, full in zip(ticks, LONG_NAMES, strict=True):
        shown = _shown(tick)
        assert len(shown) <= LABEL_CHARS
        assert shown.endswith("…")
        assert full.startswith(shown[:-1])
    hover = {c for trace in _bars(fig) for c in trace.customdata}
    assert {plotly_text(n) for n in LONG_NAMES} <= hover


@pytest.mark.parametrize(("name", "fig"), _bar_figures(), ids=["probability", "gradient"])
def test_names_that_shorten_alike_keep_a_position_each(name, fig) -> None:
    """Eight names share their first 20 characters: their ticks read the same, yet each
    class has its own tick position and its own bars."""
    ticks = [_shown(t) for t in _class_axis(fig).ticktext]
    assert len(set(ticks[:8])) == 1  # the truncations collide
    assert list(_class_axis(fig).tickvals) == list(range(LONG_K))
    for trace in _bars(fig):
        xs = _class_coords(trace).tolist()
        assert len(set(xs)) == len(xs)
    assert {int(x) for trace in _bars(fig) for x in _class_coords(trace)} == set(range(LONG_K))


def test_names_are_shortened_before_they_are_escaped() -> None:
    """The cut falls on the name, not on its escaped form: no entity is broken in two."""
    p, y, _ = _long_example()
    tick = _class_axis(probability_figure(LONG_NAMES, p, y, 0)).ticktext[-1]
    assert tick == plotly_text(LONG_NAMES[-1][: LABEL_CHARS - 1]) + "…"
    assert "<" not in tick
    assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*…", tick)


@pytest.mark.parametrize(("name", "fig"), _bar_figures(), ids=["probability", "gradient"])
def test_legend_sits_at_the_foot_below_the_tick_labels(name, fig) -> None:
    """The legend is placed against the figure's foot, so slanted tick labels, which the
    axis's automargin makes room for, cannot run into it."""
    legend = fig.layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.xaxis.automargin is True
    # Crowded labels slant so that each ends at its tick: the last stays in the figure;
    # lying bars' class labels lie level.
    assert all(a <= 0 for a in _class_axis(fig).autotickangles)


def test_short_names_are_left_whole() -> None:
    """Names within the limit are shown exactly as given."""
    _, p, y, _ = _example([1.0, 2.0], k=0)
    fig = probability_figure(["cat", "x" * LABEL_CHARS], p, y)
    assert list(fig.layout.xaxis.ticktext) == ["cat", "x" * LABEL_CHARS]


def test_heatmap_shortens_ticks_but_keeps_each_class_its_column() -> None:
    """The batch gradient matrix: one distinct column per class, labelled with the short
    name, while the hover, which shows the column's category, gives the whole name."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=(5, LONG_K))
    fig = gradient_heatmap(g, LONG_NAMES, [3, 1, 4, 1, 5])
    (trace,) = fig.data
    categories = list(trace.x)
    assert categories == [plotly_text(n) for n in LONG_NAMES]
    assert len(set(categories)) == LONG_K
    axis = fig.layout.xaxis
    assert axis.type == "category"
    assert list(axis.tickvals) == categories
    assert all(len(_shown(t)) <= LABEL_CHARS for t in axis.ticktext)
    assert len({_shown(t) for t in axis.ticktext[:8]}) == 1
    assert "%{x}" in trace.hovertemplate
    assert np.array_equal(plotted(trace.z), g.astype(np.float32))


def test_jacobian_shortens_both_axes_and_names_classes_whole_in_the_hover() -> None:
    """Both of the Jacobian's class axes show short names on distinct categories; the
    hover shows the whole names."""
    J = softmax_jacobian(np.arange(LONG_K, dtype=np.float64))
    fig = jacobian_figure(J, LONG_NAMES)
    (trace,) = fig.data
    whole = [plotly_text(n) for n in LONG_NAMES]
    assert list(trace.x) == whole
    assert list(trace.y) == whole
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert axis.type == "category"
        assert list(axis.tickvals) == whole
        assert all(len(_shown(t)) <= LABEL_CHARS for t in axis.ticktext)
    assert "%{x}" in trace.hovertemplate
    assert "%{y}" in trace.hovertemplate


@pytest.mark.parametrize("K", [3, 10, 11, 20])
def test_jacobian_cells_show_their_numbers_only_where_they_fit(K: int) -> None:
    """Up to 10 classes each cell shows its value at 12 px or more; from 11 on, where
    the numbers ran together ("0.00.00.0"), the cells are bare and the hover has them."""
    J = softmax_jacobian(np.linspace(0.0, 3.0, K))
    (trace,) = jacobian_figure(J, [f"c{i}" for i in range(K)]).data
    assert "%{z" in trace.hovertemplate
    if K <= 10:
        assert trace.texttemplate == "%{text}"
        assert trace.textfont.size >= 12
        digits = 3 if K <= 8 else 2
        shown = np.array([[float(t.replace(MINUS, "-")) for t in row] for row in trace.text])
        np.testing.assert_allclose(shown, J, atol=0.5 * 10.0**-digits + 1e-12)
        negatives = [
            t
            for row, values in zip(trace.text, J, strict=True)
            for t, v in zip(row, values, strict=True)
            if v < -(10.0**-digits)
        ]
        assert negatives  # off the diagonal every entry is −p_i p_j < 0
        assert all(t.startswith(MINUS) for t in negatives), negatives  # the true minus
        assert not any("-" in t for row in trace.text for t in row)
    else:
        assert trace.texttemplate is None
        assert trace.text is None


def test_jacobian_names_that_look_like_numbers_stay_categories() -> None:
    """Names such as 10, 2, 5 are labels, not positions on a number line."""
    fig = jacobian_figure(softmax_jacobian([0.0, 1.0, 2.0]), ["10", "2", "5"])
    assert fig.layout.xaxis.type == "category"
    assert fig.layout.yaxis.type == "category"


def test_temperature_legend_is_short_and_the_hover_whole() -> None:
    """One legend entry per class, short; its line's hover names the class in full, through
    meta, so a '%{' in a name stays text."""
    names = [*LONG_NAMES[:3], "%{y} <i>odd</i>"]
    ts = np.logspace(-1, 1, 5)
    p = np.tile(softmax([0.0, 1.0, 2.0, 3.0]), (5, 1))
    fig = temperature_figure(ts, p, names, 1.0)
    lines = [t for t in fig.data if t.name is not None]
    assert len(lines) == 4
    for trace, full in zip(lines, names, strict=True):
        assert len(html.unescape(trace.name)) <= LABEL_CHARS
        assert list(trace.meta) == [plotly_text(full)]
        assert "%{meta[0]}" in trace.hovertemplate
        assert full not in trace.hovertemplate


def test_simplex_corners_are_short_and_the_hover_names_them_whole() -> None:
    """The triangle's corners show short names; the loss field's hover gives the whole ones."""
    from ce_viz.analysis import evaluate
    from ce_viz.figures import landscape_figure
    from ce_viz.scenes import descent_run, simplex_scene
    from ce_viz.state import preset_state

    names = [*LONG_NAMES[:2], "bird"]
    state = dataclasses.replace(preset_state("seed", "simplex"), names=tuple(names))
    result = evaluate(state.o(), state.y_vector(), state.T)
    scene = simplex_scene(state, result, descent_run(state), (0, 1, 2))
    fig = simplex_figure(scene, landscape_figure(scene.plane))
    corners = [a.text for a in fig.layout.annotations if a.xref == "x2"]
    assert len(corners) == 3
    assert all(len(_shown(c)) <= LABEL_CHARS for c in corners)
    assert corners[2] == "bird"
    (field,) = [t for t in fig.data if t.meta and "customdata[3]" in (t.hovertemplate or "")]
    assert list(field.meta) == [plotly_text(n) for n in names]
    assert all(f"%{{meta[{i}]}}" in field.hovertemplate for i in range(3))


def test_a_thousand_class_heatmap_labels_at_most_25_classes() -> None:
    """1,000 classes: every 40th is labelled on the axis (25 labels, not a smear of
    1,000), while the heatmap keeps all 1,000 columns, each named in its category."""
    names = [f"class_{i}" for i in range(1000)]
    fig = gradient_heatmap(np.zeros((2, 1000)), names, [1, 2])
    axis = fig.layout.xaxis
    assert len(axis.ticktext) == 25
    assert list(axis.ticktext[:2]) == ["class_0", "class_40"]
    assert len(fig.data[0].x) == 1000
    assert list(fig.data[0].x[:2]) == ["class_0", "class_1"]


def test_ce_vs_mse_of_a_logit_too_large_to_draw_is_drawn_as_moves() -> None:
    """With an origin the sweep's x holds the moves, the current value sits at 0 and the
    axis title says Δ and from where; without one the title is the logit's own."""
    moves = np.linspace(-15.0, 15.0, 7)
    ce, mse = gradient_sweep([-1e300, 0.0], [1.0, 0.0], 0, moves, relative=True)
    fig = ce_vs_mse_figure(moves, ce, mse, 0.0, "o0 · cat", origin=-1e300)
    np.testing.assert_array_equal(plotted(fig.data[0].x), moves)
    np.testing.assert_array_equal(plotted(fig.data[0].y), np.ones(7))  # |p_k − 1| = 1
    title = fig.layout.xaxis.title.text
    assert title.startswith("Δo0 · cat")
    assert f"from {MINUS}1e+300" in title
    assert fig.layout.shapes[0].x0 == 0.0  # the current value, a dotted line
    plain = ce_vs_mse_figure(moves, ce, mse, 0.0, "o0 · cat")
    assert plain.layout.xaxis.title.text == "o0 · cat (confidently wrong ← → right)"


@pytest.mark.parametrize(
    "values",
    [
        np.array([1.5, -2.25, np.nan], dtype=np.float32),
        np.arange(12.0).reshape(3, 4),
        np.arange(-3, 300),  # int64 that fits int16
        np.array([0, 2**40]),  # int64 that fits only int64
        np.arange(5, dtype=np.uint8),
        np.array([True, False]),  # no typed array for bool
        np.asfortranarray(np.arange(6.0, dtype=np.float32).reshape(2, 3)),
        np.array([], dtype=np.float64),
    ],
    ids=["f4", "f8-2d", "i8-narrow", "i8-wide", "u1", "bool", "fortran", "empty"],
)
def test_typed_arrays_are_what_plotly_itself_sends(values: np.ndarray) -> None:
    """figures send each array as Plotly's own to_dict would: the same typed-array spec
    (or the array itself where plotly.js has no typed array), and it decodes to the same
    numbers in the same shape."""
    from _plotly_utils.utils import to_typed_array_spec

    ours, plotlys = typed_array(values), to_typed_array_spec(values)
    if isinstance(plotlys, dict):
        assert ours == plotlys
        np.testing.assert_array_equal(plotted(ours), values)
    else:
        assert ours is values


def test_every_array_of_a_figure_goes_typed_but_axis_ranges_stay_lists() -> None:
    """figure() turns NumPy arrays anywhere in the traces, the layout and the frames into
    typed arrays, and leaves a range as the list plotly.js wants."""
    fig = figure(
        [{"type": "scatter", "x": np.arange(3.0), "marker": {"color": np.ones(3)}}],
        {"xaxis": {"range": np.array([0.0, 2.0])}},
        [{"data": [{"x": np.array([1.0])}], "name": "0"}],
    )
    spec = fig.to_dict()
    assert spec["data"][0]["x"]["dtype"] == "f8"
    np.testing.assert_array_equal(plotted(spec["data"][0]["marker"]["color"]), np.ones(3))
    assert list(spec["layout"]["xaxis"]["range"]) == [0.0, 2.0]
    np.testing.assert_array_equal(plotted(spec["frames"][0]["data"][0]["x"]), [1.0])


def test_to_dict_gives_a_copy_that_can_be_changed_without_touching_the_figure() -> None:
    """A figure cached for every session is sent many times: what to_dict returns may be
    changed (nested dicts, lists, frames) and the figure's next to_dict is as before."""
    fig = figure(
        [{"type": "scatter", "x": np.arange(3.0), "marker": {"size": [1, 2]}}],
        {"xaxis": {"range": [0.0, 2.0]}},
        [{"data": [{"marker": {"size": [3]}}], "name": "0"}],
    )
    first = fig.to_dict()
    first["data"][0]["marker"]["size"].append(9)
    first["layout"]["xaxis"]["range"][0] = -5.0
    first["frames"][0]["data"][0]["marker"]["size"][0] = 7
    first["data"][0]["x"]["bdata"] = "changed"
    again = fig.to_dict()
    assert again["data"][0]["marker"]["size"] == [1, 2]
    assert again["layout"]["xaxis"]["range"] == [0.0, 2.0]
    assert again["frames"][0]["data"][0]["marker"]["size"] == [3]
    np.testing.assert_array_equal(plotted(again["data"][0]["x"]), np.arange(3.0))


@pytest.mark.parametrize("built", [False, True], ids=["as-written", "plotly-objects"])
def test_with_traces_adds_over_a_cached_figure_and_never_changes_it(built: bool) -> None:
    """with_traces draws new traces over a figure's own, keeps its layout and frames, and
    whatever is done to what the new figure sends, the first figure sends as before."""
    fig = figure(
        [{"type": "scatter", "x": np.arange(3.0), "marker": {"size": [1, 2]}}],
        {"xaxis": {"range": [0.0, 2.0]}, "images": [{"source": "a"}]},
        [{"data": [{"marker": {"size": [3]}}], "name": "0", "layout": {"images": []}}],
    )
    if built:
        assert fig.data[0].type == "scatter"  # Plotly's objects built, as .data does
    before = json.dumps(fig.to_dict())
    sent = with_traces(fig, [{"type": "scatter", "x": np.array([5.0])}]).to_dict()
    assert [len(t) for t in sent["data"]] == [3, 2]
    np.testing.assert_array_equal(plotted(sent["data"][1]["x"]), [5.0])
    assert sent["frames"][0]["data"][0]["marker"]["size"] == [3]
    sent["data"][0]["marker"]["size"].append(9)
    sent["layout"]["images"][0]["source"] = "b"
    sent["frames"][0]["layout"]["images"].append({})
    sent["data"].pop()
    assert json.dumps(fig.to_dict()) == before


# --------------------------------------------------------------------------------------
# Builders small and with few inputs
# --------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
#: The longest a function may be, docstring aside, and the most parameters it may take.
MAX_LINES = 60
MAX_PARAMS = 7


def _functions() -> Iterator[tuple[str, str, int, int]]:
    """(path, name, lines, parameters) of every function in ce_viz/ and app.py: the lines
    run from the first statement after the docstring to the end; ``self`` and ``cls`` are
    not counted, ``*args`` and ``**kwargs`` are."""
    for path in sorted([*(ROOT / "ce_viz").rglob("*.py"), ROOT / "app.py"]):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if ast.get_docstring(node, clean=False) is not None:
                body = body[1:]
            lines = node.end_lineno - body[0].lineno + 1 if body else 0
            args = node.args
            names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
            params = len([n for n in names if n not in ("self", "cls")])
            yield path.relative_to(ROOT).as_posix(), node.name, lines, params


def test_figure_builders_are_short_and_take_few_parameters() -> None:
    """No function in ce_viz/figures/ runs over MAX_LINES lines (docstring aside) or takes
    more than MAX_PARAMS parameters: a figure with many inputs takes one dataclass."""
    measured = [f for f in _functions() if f[0].startswith("ce_viz/figures/")]
    # The scan sees the builders (it cannot pass by finding nothing).
    names = {name for _, name, _, _ in measured}
    assert {"landscape_figure", "slice_figure", "descent_figure", "simplex_figure"} <= names
    too_long = [(p, n, lines) for p, n, lines, _ in measured if lines > MAX_LINES]
    too_many = [(p, n, params) for p, n, _, params in measured if params > MAX_PARAMS]
    assert (too_long, too_many) == ([], []), "(over MAX_LINES lines, over MAX_PARAMS parameters)"


@pytest.mark.parametrize("data_class", [LandscapeData, SliceData])
def test_figure_inputs_are_frozen_keyword_only_dataclasses(data_class: type) -> None:
    """The landscape and slice figures take their inputs as one frozen dataclass, built by
    keyword: a field cannot be passed in the wrong place, nor changed after."""
    fields = dataclasses.fields(data_class)
    assert all(f.kw_only for f in fields)
    with pytest.raises(TypeError):
        data_class(*range(len(fields)))
    data = data_class(**{f.name: None for f in fields})
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.label = "changed"  # type: ignore[misc]


def test_why_legends_say_what_is_drawn_without_raw_underscores() -> None:
    """The CE-vs-MSE curve is |p_k − y_k|/T (it once said |p_k − 1|); the distillation
    curves are gradient sizes (they once said the loss shrinks); no raw underscores."""
    values = np.linspace(-5.0, 5.0, 5)
    ce_mse = ce_vs_mse_figure(values, np.ones(5), np.ones(5), 0.0, "o1 · cat", T=2.5)
    distill = distillation_figure(np.array([1.0, 10.0]), np.ones(2), np.ones(2))
    names = [t.name for f in (ce_mse, distill) for t in f.data]
    titles = [f.layout.yaxis.title.text for f in (ce_mse, distill)]
    assert not [text for text in names + titles if text and "_" in text], names + titles
    assert ce_mse.data[0].name == "cross-entropy: |pₖ − yₖ| ÷ T (T = 2.5)"
    at_one = ce_vs_mse_figure(values, np.ones(5), np.ones(5), 0.0, "o1 · cat")
    assert at_one.data[0].name == "cross-entropy: |pₖ − yₖ|"
    assert all(name.startswith("gradient of") for name in (t.name for t in distill.data))


def _temperature_gradient_fig(logits, y, T):
    g = temperature_gradient(logits, y, T)
    return g, temperature_gradient_figure(
        g.temperatures, g.norms, g.reference, g.T, g.norm, g.anchor
    )


def test_temperature_gradient_figure_draws_the_curve_the_1_over_t_line_and_your_t() -> None:
    """Log–log axes (powers of ten on T), the curve and the 1/T line as given, a marker at
    the current T, a dotted line there, and no raw underscore; it serialises without NaN."""
    g, fig = _temperature_gradient_fig([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 5.0)
    curve, line, marker = fig.data
    np.testing.assert_array_equal(plotted(curve.y), g.norms)
    np.testing.assert_array_equal(plotted(line.y), g.reference)
    assert (marker.x[0], marker.y[0]) == (5.0, g.norm)
    assert line.name == "exactly 1/T, through your T"
    assert marker.name == "your T = 5"
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    assert (fig.layout.xaxis.dtick, fig.layout.xaxis.tickformat) == (1, "~g")
    assert fig.layout.shapes[0].x0 == 5.0
    texts = [t.name for t in fig.data] + [fig.layout.xaxis.title.text, fig.layout.yaxis.title.text]
    assert not [text for text in texts if "_" in text]
    assert "NaN" not in fig.to_json()


def test_temperature_gradient_figure_where_the_gradient_is_zero_at_t() -> None:
    """At logits 1000, 0, −1000 (true class 0, T = 1) the gradient is exactly 0: no marker
    (a log axis cannot place it), and the 1/T line says where it passes instead."""
    _g, fig = _temperature_gradient_fig([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0], 1.0)
    assert len(fig.data) == 2
    assert fig.data[1].name == "exactly 1/T, through T = 31.6"


def test_one_signed_colour_means_the_same_everywhere() -> None:
    """Orange is a positive gradient (descent lowers the logit) and blue a negative one in
    the bar chart, the Jacobian heatmap and the batch heatmap alike (the heatmaps once used
    PuOr, orange for negative)."""
    bars = gradient_figure(["a", "b"], np.array([0.4, -0.4]), 1)
    colours = {t.marker.color for t in bars.data if t.type == "bar"}
    assert {PALETTE["lower"], PALETTE["raise"]} <= colours
    for heatmap in (
        jacobian_figure(np.array([[0.2, -0.1], [-0.1, 0.2]]), ["a", "b"]),
        gradient_heatmap(np.array([[0.5, -0.5]]), ("a", "b"), np.array([1])),
    ):
        (trace,) = [t for t in heatmap.data if t.type == "heatmap"]
        scale = [list(stop) for stop in trace.colorscale]
        assert trace.zmid == 0
        assert scale[0][1] == PALETTE["raise"]
        assert scale[-1][1] == PALETTE["lower"]


def test_log_axes_label_powers_of_ten_as_plain_numbers() -> None:
    """The temperature and smoothing axes label only the powers of ten, as plain numbers:
    no crowded minor labels and no "100µ" (Plotly's default SI prefix)."""
    from ce_viz.figures import smoothing_figure

    ts = np.logspace(-1.5, 1.5, 7)
    figs = [
        temperature_figure(ts, np.full((7, 2), 0.5), ["a", "b"], 1.0),
        distillation_figure(ts, np.ones(7), np.ones(7)),
        smoothing_figure(np.logspace(-4, -0.01, 7), np.ones(7), 0.1, 1.0),
    ]
    for fig in figs:
        assert fig.layout.xaxis.type == "log"
        assert fig.layout.xaxis.dtick == 1
        assert fig.layout.xaxis.tickformat == "~g"


def test_calibration_points_carry_their_row_counts() -> None:
    """Each calibration point is labelled with how many rows its bin holds."""
    from ce_viz.figures import calibration_figure

    fig = calibration_figure([0.25, 0.75], [0.5, np.nan], [1200, 0])
    (counts,) = [t for t in fig.data if t.mode == "text"]
    assert list(counts.text) == ["1,200", "0"]
    assert plotted(counts.x).tolist() == [0.25, 0.75]
    # In a strip above accuracy 1, inside the axis: no count sits on the line it labels.
    y = plotted(counts.y)
    assert np.all(y > 1.05)
    assert np.all(y < fig.layout.yaxis.range[1])


def test_no_chart_text_has_a_raw_underscore() -> None:
    """Trace names and axis titles of the charts a lecturer shows write subscripts as
    subscripts (oₖ), never as o_k."""
    from ce_viz.figures import descent_figure, smoothing_figure

    figs = [
        descent_figure(np.arange(3), np.ones(3), np.ones(3), 0.0, 2.0),
        smoothing_figure(np.logspace(-4, -0.01, 7), np.ones(7), 0.1, 1.0),
    ]
    texts = [t.name for f in figs for t in f.data] + [
        axis.title.text for f in figs for axis in (f.layout.xaxis, f.layout.yaxis) if axis.title
    ]
    assert not [text for text in texts if text and "_" in text], texts


def test_each_descent_axis_wears_its_curves_colour() -> None:
    """The loss axis (left) is drawn in the loss curve's colour, the gap axis (right) in
    the gap curve's: title and numbers, so the two scales cannot be mixed up."""
    from ce_viz.figures import descent_figure

    fig = descent_figure(np.arange(3), np.ones(3), np.ones(3), 0.0, 2.0)
    loss, gap = fig.data[0], next(t for t in fig.data if t.yaxis == "y2")
    assert fig.layout.yaxis.title.font.color == fig.layout.yaxis.tickfont.color == loss.line.color
    assert fig.layout.yaxis2.title.font.color == fig.layout.yaxis2.tickfont.color == gap.line.color
    assert loss.line.color != gap.line.color


def test_log_y_axes_of_the_why_charts_label_powers_of_ten_only() -> None:
    """The gradient-size axes (CE vs MSE, the 1/T chart, distillation) label whole powers
    of ten, never the crowded 2 and 5 between them that Plotly adds to a short log axis,
    and at most 7 of them however many decades the curves span (every n-th power, n as
    small as that allows)."""
    values = np.linspace(-15.0, 15.0, 31)
    ce, mse = gradient_sweep([0.0, 8.0, 1.0], [1.0, 0.0, 0.0], 0, values)
    ts = np.logspace(0, 3, 31)
    g, temperature = _temperature_gradient_fig([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 5.0)
    cases = [
        (ce_vs_mse_figure(values, ce, mse, 0.0, "o0 · a"), [ce, mse]),
        (temperature, [g.norms, g.reference]),
        (distillation_figure(ts, 1.0 / ts**2, np.ones(31)), [1.0 / ts**2, np.ones(31)]),
    ]
    for fig, curves in cases:
        axis = fig.layout.yaxis
        drawn = np.concatenate(curves)
        decades = math.log10(drawn[drawn > 0].max() / drawn[drawn > 0].min())
        assert axis.type == "log"
        assert isinstance(axis.dtick, int)
        assert decades / axis.dtick <= 7
        assert axis.dtick == 1 or decades / (axis.dtick - 1) > 7
    assert cases[0][0].layout.yaxis.dtick >= 2  # about 1e-12 to 1


# --------------------------------------------------------------------------------------
# Many classes: every label legible at K = 20, on a phone as on a projector
# --------------------------------------------------------------------------------------


def _twenty() -> list[tuple[str, go.Figure]]:
    names = [f"class {i}" for i in range(20)]
    _, p, y, g = _example(np.arange(20.0), k=3)
    return [
        ("probability", probability_figure(names, p, y, 3)),
        ("gradient", gradient_figure(names, g, 3)),
    ]


@pytest.mark.parametrize(("name", "fig"), _twenty(), ids=["probability", "gradient"])
def test_twenty_classes_each_get_a_row_with_room_for_its_labels(name, fig) -> None:
    """At K = 20 the bars lie down, one class a row, first class on top: each name is
    level and whole, each row is tall enough for its value label at 12 px or more (a
    label is never shrunk below 11 px: left out instead), no arrow crosses into another
    row, and the legend sits at the foot, away from the class names on the left."""
    bars = _bars(fig)
    assert all(t.orientation == "h" for t in bars)
    classes = fig.layout.yaxis
    assert list(classes.tickvals) == list(range(20))
    assert [_shown(t) for t in classes.ticktext] == [f"class {i}" for i in range(20)]
    assert list(classes.autotickangles) == [0]
    low, high = sorted(classes.range)
    assert (low, high) == (-0.5, 19.5)
    assert classes.range[0] > classes.range[1]  # class 0 on top
    margin = fig.layout.margin
    row = (fig.layout.height - margin.t - margin.b) / 20
    for trace in bars:
        if trace.text is not None:
            assert trace.textfont.size >= 12
            assert row >= 1.5 * trace.textfont.size
    assert fig.layout.uniformtext.minsize >= 11
    assert fig.layout.uniformtext.mode == "hide"
    assert _arrows(fig) == []
    legend = fig.layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.xaxis.automargin is True  # the value axis's title keeps its strip


def test_three_classes_keep_standing_bars_and_arrows() -> None:
    """The seed's three classes stay as standing bars with their descent arrows."""
    names, k, args = EXAMPLES["seed"]
    *_, g = _example(**args)
    fig = gradient_figure(names, g, k)
    assert all(t.orientation in (None, "v") for t in _bars(fig))
    assert len(_arrows(fig)) == 3


@pytest.mark.parametrize(
    ("rows", "columns", "entries", "seed"),
    [(1, 1, 1, 0), (2, 3, 2, 1), (60, 60, 153, 2), (7, 61, 256, 3), (61, 7, 255, 4)],
)
def test_png_uri_decodes_to_its_indices_and_palette(
    rows: int, columns: int, entries: int, seed: int
) -> None:
    """``style.png_uri`` writes PNGs by hand: Pillow, an independent decoder, reads back
    the same indices, and the same RGBA (the palette's opacities through tRNS), at shapes
    that are not square, one pixel, and a full 256-entry palette."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, entries, size=(rows, columns), dtype=np.uint8)
    palette = rng.integers(0, 256, size=(entries, 4), dtype=np.uint8)
    uri = png_uri(pixels, palette)
    png = base64.b64decode(uri.split(",", 1)[1])
    assert _png_chunks(png) == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]
    with Image.open(io.BytesIO(png)) as image:
        image.load()  # reads the deflate stream (Pillow skips some chunks' CRCs)
        assert (image.mode, image.size) == ("P", (columns, rows))
        assert np.array_equal(np.asarray(image), pixels)
        assert np.array_equal(np.asarray(image.convert("RGBA")), palette[pixels])


def _png_chunks(png: bytes) -> list[bytes]:
    """The chunk types of a PNG in order, each chunk's CRC-32 checked here (Pillow does not
    check every chunk's), and nothing after the IEND chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, kinds = 8, []
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        kinds.append(kind)
        at += 12 + length
    assert at == len(png)
    return kinds


def test_png_uri_of_a_non_contiguous_view_is_the_view() -> None:
    """The regions pass their shades upside down (``[::-1]``, a view with a negative stride):
    the PNG holds the view's rows, in its order."""
    pixels = np.arange(12, dtype=np.uint8).reshape(4, 3)
    palette = np.tile(np.arange(12, dtype=np.uint8)[:, None], (1, 4))
    assert np.array_equal(png_pixels(png_uri(pixels[::-1], palette))[..., 0], pixels[::-1])


@pytest.mark.parametrize(
    ("pixels", "palette", "message"),
    [
        (np.zeros(3, int), np.zeros((1, 4), int), "(rows, columns)"),
        (np.zeros((0, 2), int), np.zeros((1, 4), int), "(rows, columns)"),
        (np.zeros((2, 2), int), np.zeros((1, 3), int), "(entries, 4)"),
        (np.full((2, 2), 2), np.zeros((2, 4), int), "palette's 2 entries"),
        (np.full((2, 2), 300), np.zeros((256, 4), int), "palette's 256 entries"),
        (np.full((2, 2), -1), np.zeros((2, 4), int), "palette's 2 entries"),
        (np.zeros((2, 2), int), np.zeros((257, 4), int), "at most 256"),
        (np.zeros((2, 2), int), np.zeros((0, 4), int), "at most 256"),
        (np.zeros((2, 2), int), np.full((1, 4), 256), "bytes, 0 to 255"),
        (np.zeros((2, 2)), np.zeros((1, 4), int), "whole numbers"),
        (np.zeros((2, 2), int), np.full((1, 4), 0.5), "whole numbers"),
    ],
)
def test_png_uri_refuses_what_no_png_can_hold(
    pixels: np.ndarray, palette: np.ndarray, message: str
) -> None:
    """An index beyond the palette or negative, a palette past 256 entries, not RGBA or not
    bytes, fractions, or pixels that are not a 2-D image with a row and a column: a named
    error, checked before any cast to bytes (300 would have become 44), not a PNG that
    browsers would reject or draw wrong."""
    with pytest.raises(ValueError, match=re.escape(message)):
        png_uri(pixels, palette)


def test_projector_markers_grow_by_the_square_root_of_the_type_scale() -> None:
    """for_projector widens every marker √1.75 times (their area grows with the type):
    one size, a list and a typed array, in the traces and in an animation frame's; a
    trace without markers and a frame without data are left as they are."""
    sizes = np.array([5.0, 11.0, 17.0], dtype=np.float32)
    fig = figure(
        [
            {"type": "scatter", "x": [0, 1, 2], "y": [0, 1, 2], "marker": {"size": sizes}},
            {"type": "scatter", "x": [0], "y": [0], "marker": {"size": 30, "color": "red"}},
            {"type": "scatter", "x": [0, 1], "y": [0, 1], "marker": {"size": [4, 8]}},
            {"type": "bar", "y": [1, 2]},
        ],
        {"height": 400},
        [
            {
                "name": "1",
                "traces": [0],
                "data": [{"type": "scatter", "marker": {"size": 2 * sizes}}],
            },
            {"name": "2", "layout": {"title": {"text": "t"}}},
        ],
    )
    out = for_projector(fig).to_dict()
    grow = 1.75**0.5
    data, frames = out["data"], out["frames"]
    np.testing.assert_allclose(
        plotted(data[0]["marker"]["size"]), [5 * grow, 11 * grow, 17 * grow], rtol=1e-6
    )
    assert data[1]["marker"] == {"size": pytest.approx(30 * grow), "color": "red"}
    np.testing.assert_allclose(plotted(data[2]["marker"]["size"]), [4 * grow, 8 * grow], rtol=1e-6)
    assert "marker" not in data[3]
    np.testing.assert_allclose(
        plotted(frames[0]["data"][0]["marker"]["size"]), 2 * sizes * grow, rtol=1e-6
    )
    assert frames[1] == {"name": "2", "layout": {"title": {"text": "t"}}}
    # The desk figure is not changed.
    np.testing.assert_array_equal(plotted(fig.to_dict()["data"][0]["marker"]["size"]), sizes)


def test_projector_markers_keep_a_typed_arrays_shape_and_scale_whole_numbers() -> None:
    """A typed array of sizes in whole numbers (uint8) or in two dimensions comes back
    scaled, its shape kept."""
    grid = np.array([[4.0, 8.0], [12.0, 16.0]], dtype=np.float32)
    fig = figure(
        [
            {"type": "scatter", "marker": {"size": np.array([10, 20], dtype=np.uint8)}},
            {"type": "scatter", "marker": {"size": grid}},
        ],
        {"height": 400},
    )
    data = for_projector(fig).to_dict()["data"]
    np.testing.assert_allclose(plotted(data[0]["marker"]["size"]), [13.2288, 26.4575], rtol=1e-5)
    scaled = plotted(data[1]["marker"]["size"])
    assert scaled.shape == (2, 2)
    np.testing.assert_allclose(scaled, [[5.2915, 10.583], [15.8745, 21.166]], rtol=1e-5)
