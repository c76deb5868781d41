"""The landscape figure builders, inspected as objects: traces, arrows, frames."""

from __future__ import annotations

import html

import numpy as np
import pytest

from ce_viz.core import cross_entropy, grad_logits, target_distribution
from ce_viz.figures import FONT_SIZE, descent_figure, landscape_figure, slice_figure
from ce_viz.figures.landscape import MAX_FRAMES, frame_steps
from ce_viz.figures.style import AXIS_TITLE_CHARS
from ce_viz.fmt import fmt_signed, plotly_text
from ce_viz.landscape import (
    descend,
    descent_field,
    entropy,
    logit_gap,
    loss_grid,
    loss_slice,
    optimal_logit_gap,
    tangent_line,
)

# The sample every figure here is built from, computed by the core.
LOGITS = np.array([2.0, 3.0, 4.0, -1.0])
Y = target_distribution(4, target=1, smoothing=0.1)
AXES = (1, 2)
A = np.linspace(-3.0, 9.0, 31)
B = np.linspace(-2.0, 10.0, 25)
G = grad_logits(LOGITS, Y)
RUN = descend(LOGITS, Y, lr=0.5, steps=250, free=np.isin(np.arange(4), AXES))


def build(**overrides) -> object:
    """The landscape figure for the shared sample, with keyword overrides."""
    kwargs = {
        "a_values": A,
        "b_values": B,
        "loss": loss_grid(LOGITS, Y, AXES, A, B),
        "labels": ("o1 · <b>dog</b>", "o2"),
        "current": (LOGITS[1], LOGITS[2]),
        "current_loss": cross_entropy(LOGITS, Y),
        "descent_step": (-G[1], -G[2]),
        "path": RUN.path[:, AXES],
        "path_losses": RUN.losses,
    }
    kwargs.update(overrides)
    return landscape_figure(**kwargs)


def trace(fig, name: str):
    """The last trace called ``name`` (the path is a white line over a grey casing)."""
    return [t for t in fig.data if t.name == name][-1]


def test_contour_holds_the_loss_grid_transposed_for_plotly() -> None:
    """The contour's z[row b][column a] equals loss_grid[a, b] (as float32)."""
    fig = build()
    contour = fig.data[0]
    assert contour.type == "contour"
    z = np.asarray(contour.z)
    assert z.dtype == np.float32
    assert z.shape == (len(B), len(A))
    np.testing.assert_allclose(z, loss_grid(LOGITS, Y, AXES, A, B).T, rtol=1e-6)


def test_arrow_is_minus_the_gradient_to_scale() -> None:
    """The annotation arrow runs from the current point by exactly (−∂L/∂o_a, −∂L/∂o_b)."""
    fig = build()
    (arrow,) = fig.layout.annotations
    assert (arrow.ax, arrow.ay) == (LOGITS[1], LOGITS[2])
    assert arrow.x - arrow.ax == pytest.approx(-G[1], abs=1e-12)
    assert arrow.y - arrow.ay == pytest.approx(-G[2], abs=1e-12)
    assert arrow.axref == "x"
    assert arrow.ayref == "y"


def test_field_arrows_are_one_common_multiple_of_minus_gradient() -> None:
    """Each field arrow is s·(−∇L) at its grid point, with the same s for all, in the legend."""
    fa, fb = np.linspace(-3, 9, 7), np.linspace(-2, 10, 5)
    u, v = descent_field(LOGITS, Y, AXES, fa, fb)
    fig = build(field=(fa, fb, u, v))
    arrows = next(t for t in fig.data if t.name.startswith("white arrows"))
    scale = arrows.meta["scale"]
    assert f"{scale:.3g}" in arrows.name
    xs = np.asarray(arrows.x, dtype=float).reshape(-1, 3)
    ys = np.asarray(arrows.y, dtype=float).reshape(-1, 3)
    grid_a, grid_b = np.meshgrid(fa, fb, indexing="ij")
    np.testing.assert_allclose(xs[:, 0], grid_a.ravel(), rtol=1e-6)
    np.testing.assert_allclose(ys[:, 0], grid_b.ravel(), rtol=1e-6)
    # −∇L from the core's gradient, not from descent_field: the two must agree.
    for n, (a, b) in enumerate(zip(grid_a.ravel(), grid_b.ravel(), strict=True)):
        o = LOGITS.copy()
        o[1], o[2] = a, b
        g = grad_logits(o, Y)
        assert xs[n, 1] - xs[n, 0] == pytest.approx(-scale * g[1], abs=1e-5)
        assert ys[n, 1] - ys[n, 0] == pytest.approx(-scale * g[2], abs=1e-5)
    # Arrows fit their cells: the longest is under one grid spacing.
    lengths = np.hypot(xs[:, 1] - xs[:, 0], ys[:, 1] - ys[:, 0])
    assert lengths.max() < min(np.diff(fa)[0], np.diff(fb)[0])


def test_path_and_frames_follow_the_descent_run() -> None:
    """The path trace is the run; each frame puts the marker on the run at its step."""
    fig = build()
    path = trace(fig, "descent path")
    np.testing.assert_allclose(np.asarray(path.x), RUN.path[:, 1], rtol=1e-6)
    assert len(fig.frames) == len(frame_steps(250)) <= MAX_FRAMES + 1
    marker_index = [t.name for t in fig.data].index("descent position")
    for frame in fig.frames:
        step = int(frame.name)
        assert frame.traces == (marker_index,)
        assert frame.data[0].x[0] == pytest.approx(RUN.path[step, 1], rel=1e-6)
        assert frame.data[0].y[0] == pytest.approx(RUN.path[step, 2], rel=1e-6)
    steps = [s["label"] for s in fig.layout.sliders[0].steps]
    assert steps[0] == "0"
    assert steps[-1] == "250"


def test_frame_steps_cover_the_run_without_exceeding_the_cap() -> None:
    """Frames include the first and last step and never more than MAX_FRAMES + 1."""
    for steps in (0, 1, 7, 100, 101, 499, 500):
        chosen = frame_steps(steps)
        assert chosen[0] == 0
        assert chosen[-1] == steps
        assert len(chosen) <= MAX_FRAMES + 1
        assert np.all(np.diff(chosen) > 0)


def test_surface_mode_draws_a_3d_surface_and_path() -> None:
    """surface=True gives a surface trace and 3-D path whose heights are the run's losses."""
    fig = build(surface=True)
    assert fig.data[0].type == "surface"
    path = trace(fig, "descent path")
    assert path.type == "scatter3d"
    np.testing.assert_allclose(np.asarray(path.z), RUN.losses, rtol=1e-6)
    assert not fig.layout.annotations


def test_axis_labels_are_plain_text() -> None:
    """HTML in a class name shows literally in the axis title."""
    fig = build()
    assert fig.layout.xaxis.title.text == "o1 · &lt;b&gt;dog&lt;/b&gt;"


#: Axis titles as the landscape view writes them, with 24-character names (the longest).
LONG_LABELS = ("o1 · golden_retriever_puppy_a", "o12 · %{z} <b>bold</b> long_na")


@pytest.mark.parametrize("surface", [False, True])
def test_long_axis_titles_are_short_and_the_hover_whole(surface: bool) -> None:
    """A long class name is cut in the axis titles; the loss's hover shows both labels
    whole, through meta, so a '%{' in a name stays text."""
    fig = build(labels=LONG_LABELS, surface=surface)
    axes = (
        (fig.layout.scene.xaxis, fig.layout.scene.yaxis)
        if surface
        else (
            fig.layout.xaxis,
            fig.layout.yaxis,
        )
    )
    for axis, full in zip(axes, LONG_LABELS, strict=True):
        shown = html.unescape(axis.title.text)
        assert len(shown) <= AXIS_TITLE_CHARS
        assert shown.endswith("…")
        assert full.startswith(shown[:-1])
    loss = fig.data[0]
    assert list(loss.meta) == [plotly_text(t) for t in LONG_LABELS]
    assert "%{meta[0]}" in loss.hovertemplate
    assert "%{meta[1]}" in loss.hovertemplate
    assert "%{z}" not in loss.hovertemplate


def test_slice_title_is_short_and_the_hover_whole() -> None:
    """The slice's axis title and chart title cut a long name; its hover keeps it whole."""
    values = np.linspace(-3, 9, 5)
    L0 = cross_entropy(LOGITS, Y)
    tangent = tangent_line(LOGITS[1], L0, G[1], 2.0)
    label = LONG_LABELS[0]
    fig = slice_figure(values, loss_slice(LOGITS, Y, 1, values), label, 3.0, L0, G[1], tangent)
    shown = fig.layout.xaxis.title.text
    assert len(shown) <= AXIS_TITLE_CHARS
    assert shown in fig.layout.title.text
    assert label not in fig.layout.title.text
    assert list(fig.data[0].meta) == [label]
    assert "%{meta[0]}" in fig.data[0].hovertemplate


def test_descent_legend_sits_at_the_foot_below_the_axis_title() -> None:
    """A chart with an x-axis title keeps its legend at the figure's foot, clear of it."""
    fig = descent_figure(np.arange(251), RUN.losses, logit_gap(RUN.path, 1), 0.0, float("inf"))
    legend = fig.layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.xaxis.automargin is True


def test_slice_figure_tangent_has_the_gradient_slope() -> None:
    """The slice's tangent line has slope ∂L/∂o_j and touches the curve at the current value."""
    values = np.linspace(-3, 9, 41)
    losses = loss_slice(LOGITS, Y, 1, values)
    L0 = cross_entropy(LOGITS, Y)
    xs, ys = tangent_line(LOGITS[1], L0, G[1], 2.0)
    fig = slice_figure(values, losses, "o1", LOGITS[1], L0, G[1], (xs, ys))
    tangent = fig.data[1]
    tx, ty = np.asarray(tangent.x, dtype=float), np.asarray(tangent.y, dtype=float)
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(G[1], rel=1e-5)
    assert fmt_signed(G[1]) in tangent.name
    assert fig.data[2].y[0] == pytest.approx(L0)


def test_descent_figure_marks_the_floor_and_the_optimal_gap() -> None:
    """The descent chart shows H(y) and, when finite, the optimal gap as reference lines."""
    gaps = logit_gap(RUN.path, 1)
    h = entropy(Y)
    fig = descent_figure(np.arange(251), RUN.losses, gaps, h, optimal_logit_gap(4, 0.1))
    names = [t.name for t in fig.data]
    assert any(n.startswith("lowest possible loss H(y)") for n in names)
    assert any(n.startswith("gap at the minimum") for n in names)
    hard = descent_figure(np.arange(251), RUN.losses, gaps, 0.0, float("inf"))
    assert not any(t.name.startswith("gap at the minimum") for t in hard.data)


@pytest.mark.parametrize("surface", [False, True])
def test_landscape_type_is_projector_sized(surface: bool) -> None:
    """Titles and ticks are at least FONT_SIZE, and uirevision is kept for zoom."""
    fig = build(surface=surface, uirevision="landscape-1-2")
    assert fig.layout.font.size >= FONT_SIZE
    assert fig.layout.uirevision == "landscape-1-2"
