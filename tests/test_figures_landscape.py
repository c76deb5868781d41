"""The landscape figure builders, inspected as objects: traces, arrows, frames."""

from __future__ import annotations

import html

import numpy as np
import pytest

from ce_viz.core import CEVizError, cross_entropy, grad_logits, target_distribution
from ce_viz.figures import (
    ABSOLUTE_LIMIT,
    FONT_SIZE,
    LandscapeData,
    SliceData,
    descent_figure,
    draws_absolute,
    landscape_figure,
    slice_figure,
)
from ce_viz.figures.landscape import MAX_FRAMES, frame_steps
from ce_viz.figures.style import AXIS_TITLE_CHARS, PRESENTATION_SCALE, for_projector
from ce_viz.fmt import fmt_signed, plotly_text
from ce_viz.landscape import (
    descend,
    descend_relative,
    descent_field,
    entropy,
    logit_gap,
    logit_gap_change,
    loss_change_grid,
    loss_change_slice,
    loss_grid,
    loss_slice,
    optimal_logit_gap,
    tangent_line,
)
from tests.plotted import plotted

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
    return landscape_figure(LandscapeData(**kwargs))


def trace(fig, name: str):
    """The last trace called ``name`` (the path is a white line over a grey casing)."""
    return [t for t in fig.data if t.name == name][-1]


def hover_grid(fig):
    """The unseen markers that carry the filled contours' hover."""
    (grid,) = [t for t in fig.data if t.type == "scatter" and t.hovertemplate and t.meta]
    return grid


def test_contour_holds_the_loss_grid_transposed_for_plotly() -> None:
    """The contour's z[row b][column a] equals loss_grid[a, b] (as float32), on a carpet
    that maps (a, b) straight to the axes' (x, y); the hover grid carries the same loss."""
    fig = build()
    contour = fig.data[0]
    assert contour.type == "contourcarpet"
    z = plotted(contour.z)
    assert z.dtype == np.float32
    assert z.shape == (len(B), len(A))
    expected = loss_grid(LOGITS, Y, AXES, A, B)
    np.testing.assert_allclose(z, expected.T, rtol=1e-6)
    np.testing.assert_allclose(plotted(contour.a), A, rtol=1e-6)
    np.testing.assert_allclose(plotted(contour.b), B, rtol=1e-6)
    (carpet,) = [t for t in fig.data if t.type == "carpet"]
    assert carpet.carpet == contour.carpet
    # The carpet's corners: x follows a alone, y follows b alone.
    assert np.asarray(carpet.x).tolist() == [[A[0], A[-1]], [A[0], A[-1]]]
    assert np.asarray(carpet.y).tolist() == [[B[0], B[0]], [B[-1], B[-1]]]
    grid = hover_grid(fig)
    x, y, loss = (plotted(v).astype(float) for v in (grid.x, grid.y, grid.customdata))
    i = np.searchsorted(A, x.round(6))
    j = np.searchsorted(B, y.round(6))
    np.testing.assert_allclose(loss, expected[i, j], rtol=1e-6)
    assert grid.marker.opacity == 0


def test_every_frame_moves_only_markers_and_play_never_redraws() -> None:
    """A 2-D plane's frames list only the descent marker, and neither Play nor the slider
    asks for a redraw (a redraw blanks the filled contours); a 3-D surface needs one."""
    fig = build()
    play = fig.layout.updatemenus[0].buttons[0].args[1]
    assert play["frame"]["redraw"] is False
    assert all(s.args[1]["frame"]["redraw"] is False for s in fig.layout.sliders[0].steps)
    marker = [t.name for t in fig.data].index("descent position")
    assert all(list(f["traces"]) == [marker] for f in fig.to_dict()["frames"])
    surface = build(surface=True)
    assert surface.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is True


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
    xs = plotted(arrows.x).astype(float).reshape(-1, 3)
    ys = plotted(arrows.y).astype(float).reshape(-1, 3)
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
    np.testing.assert_allclose(plotted(path.x), RUN.path[:, 1], rtol=1e-6)
    frames = fig.to_dict()["frames"]  # as they are sent: built unvalidated, like the figure
    assert len(frames) == len(frame_steps(250)) <= MAX_FRAMES + 1
    marker_index = [t.name for t in fig.data].index("descent position")
    for frame in frames:
        step = int(frame["name"])
        assert list(frame["traces"]) == [marker_index]
        assert frame["data"][0]["x"][0] == pytest.approx(RUN.path[step, 1], rel=1e-6)
        assert frame["data"][0]["y"][0] == pytest.approx(RUN.path[step, 2], rel=1e-6)
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
    np.testing.assert_allclose(plotted(path.z), RUN.losses, rtol=1e-6)
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
    loss = fig.data[0] if surface else hover_grid(fig)
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
    fig = slice_figure(
        SliceData(
            values=values,
            losses=loss_slice(LOGITS, Y, 1, values),
            label=label,
            current=3.0,
            current_loss=L0,
            slope=G[1],
            tangent=tangent,
        )
    )
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
    fig = slice_figure(
        SliceData(
            values=values,
            losses=losses,
            label="o1",
            current=LOGITS[1],
            current_loss=L0,
            slope=G[1],
            tangent=(xs, ys),
        )
    )
    tangent = fig.data[1]
    tx, ty = plotted(tangent.x).astype(float), plotted(tangent.y).astype(float)
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(G[1], rel=1e-5)
    assert fmt_signed(G[1]) in tangent.name
    assert plotted(fig.data[2].y)[0] == pytest.approx(L0)


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


def test_presentation_mode_scales_the_play_controls_and_the_step_readout() -> None:
    """In presentation mode the Play/Pause buttons and the slider's "step n" readout grow
    with the rest of the chart's type, to be read from the back of a hall."""
    fig = for_projector(build(surface=False))
    layout = fig.to_dict()["layout"]
    big = 1.5 * FONT_SIZE
    assert layout["sliders"], "the landscape is animated"
    for slider in layout["sliders"]:
        assert slider["currentvalue"]["font"]["size"] >= big
        assert slider["font"]["size"] >= big
    for menu in layout["updatemenus"]:
        assert menu["font"]["size"] >= big


def _below_plot_px(layout: dict) -> tuple[float, list[float]]:
    """The plot area's height and how far under it, in pixels, each control (buttons,
    slider) and a legend placed in the plot's fractions sit."""
    margin = layout["margin"]
    plot = layout["height"] - margin["t"] - margin["b"]
    placed = [*layout["updatemenus"], *layout["sliders"]]
    if layout.get("legend", {}).get("yref", "paper") == "paper":
        placed.append(layout["legend"])
    return plot, [-c["y"] * plot for c in placed]


def test_presentation_mode_moves_the_play_controls_down_with_their_larger_type() -> None:
    """The buttons, slider and legend under the plot grow 1.75x in presentation mode, so
    their distances under the plot grow as much, and the plot area does not shrink to
    make room: the buttons sat on the axis title and the slider on the legend before."""
    desk = build(surface=False)
    projected = for_projector(desk)
    plot, offsets = _below_plot_px(desk.to_dict()["layout"])
    big_plot, big_offsets = _below_plot_px(projected.to_dict()["layout"])
    assert big_plot >= plot
    for small, big in zip(offsets, big_offsets, strict=True):
        assert big == pytest.approx(PRESENTATION_SCALE * small)
    layout = projected.to_dict()["layout"]
    assert layout["margin"]["b"] == round(
        PRESENTATION_SCALE * desk.to_dict()["layout"]["margin"]["b"]
    )


# --------------------------------------------------------------------------------------
# Logits too large to draw at their own values: drawn as moves from them
# --------------------------------------------------------------------------------------

#: Logits beyond float32's range, the plane of the true class 1 and its rival 0.
HUGE = np.array([1e300, -1e300, 0.0])
HUGE_Y = target_distribution(3, target=1)
HUGE_AXES = (1, 0)
MOVES = np.linspace(-6.0, 6.0, 25)


def test_draws_absolute_up_to_the_limit() -> None:
    """Logits up to ABSOLUTE_LIMIT (the huge-logits preset, ±1000) are drawn at their own
    values; beyond it, on either side, relative to them."""
    assert draws_absolute([1000.0, 0.0, -1000.0])
    assert draws_absolute([ABSOLUTE_LIMIT, -ABSOLUTE_LIMIT])
    assert not draws_absolute([0.0, np.nextafter(ABSOLUTE_LIMIT, np.inf)])
    assert not draws_absolute([-1e15, 0.0])
    assert not draws_absolute(HUGE)


def test_a_value_beyond_float32_is_refused_not_drawn_as_inf() -> None:
    """Handing the figure 1e300 coordinates raises a CEVizError naming the way out, instead
    of float32's overflow warning and a chart at infinity."""
    a = 1e300 + MOVES
    with pytest.raises(CEVizError, match=r"beyond float32's range.*draws_absolute"):
        landscape_figure(
            LandscapeData(
                a_values=a,
                b_values=a,
                loss=np.zeros((a.size, a.size)),
                labels=("o1", "o0"),
                current=(1e300, 1e300),
                current_loss=0.0,
                descent_step=(0.0, 0.0),
            )
        )


def build_relative(**overrides) -> object:
    """The landscape of HUGE as moves from it, from the core's relative functions."""
    run = descend_relative(HUGE, HUGE_Y, lr=0.5, steps=50, free=np.isin(np.arange(3), HUGE_AXES))
    g = grad_logits(HUGE, HUGE_Y)
    kwargs = {
        "a_values": MOVES,
        "b_values": MOVES,
        "loss": loss_change_grid(HUGE, HUGE_Y, HUGE_AXES, MOVES, MOVES),
        "labels": ("o1 · class 1", "o0 · class 0"),
        "current": (0.0, 0.0),
        "current_loss": 0.0,
        "descent_step": (-g[1], -g[0]),
        "path": run.path[:, HUGE_AXES],
        "path_losses": run.losses,
        "origin": (HUGE[1], HUGE[0], cross_entropy(HUGE, HUGE_Y)),
    }
    kwargs.update(overrides)
    return landscape_figure(LandscapeData(**kwargs))


@pytest.mark.parametrize("surface", [False, True])
def test_relative_landscape_draws_moves_and_the_change_of_the_loss(surface: bool) -> None:
    """At logits (1e300, -1e300, 0) the grid is the moves, z the change of the loss (here
    exactly the plane o0 - o1, as p stays one-hot), both float32 and finite; the titles say
    Δo and L − L₀, and the current point's legend entry gives the logits and L₀."""
    fig = build_relative(surface=surface)
    loss = fig.data[0]
    grid = (loss.x, loss.y) if surface else (loss.a, loss.b)
    x, y, z = (plotted(v) for v in (*grid, loss.z))
    assert z.dtype == np.float32
    np.testing.assert_array_equal(x, MOVES.astype(np.float32))
    np.testing.assert_array_equal(y, MOVES.astype(np.float32))
    # z[row b][column a] = o0 moved by b less o1 moved by a
    np.testing.assert_allclose(z, MOVES[:, None] - MOVES[None, :], atol=1e-6)
    assert np.all(np.isfinite(z))
    assert loss.name == "loss L − L₀"
    assert loss.colorbar.title.text == "L − L₀"
    hover = loss.hovertemplate if surface else hover_grid(fig).hovertemplate
    assert f"L − L₀ = %{{{'z' if surface else 'customdata'}:.4f}}" in hover
    assert "Δ%{meta[0]}" in hover
    axes = (
        (fig.layout.scene.xaxis, fig.layout.scene.yaxis)
        if surface
        else (
            fig.layout.xaxis,
            fig.layout.yaxis,
        )
    )
    assert [a.title.text for a in axes] == ["Δo1 · class 1", "Δo0 · class 0"]
    current = next(t for t in fig.data if t.name.startswith("current logits"))
    assert "−1.000e+300, 1.000e+300" in current.name
    assert "L₀ = 2.0000e+300" in current.name
    assert (current.x[0], current.y[0]) == (0.0, 0.0)
    assert fig.layout.title.text == "Change of the loss over two logits"
    path = trace(fig, "descent path")
    np.testing.assert_allclose(plotted(path.x).astype(float)[[0, -1]], [0.0, 25.0])


def test_absolute_landscape_keeps_its_titles() -> None:
    """Without an origin nothing says Δ or L₀: the default figure is unchanged."""
    fig = build()
    assert fig.data[0].colorbar.title.text == "L"
    assert fig.layout.title.text == "Loss over two logits, the others held fixed"
    assert not fig.layout.xaxis.title.text.startswith("Δ")
    assert any(t.name == "current logits" for t in fig.data)


def test_relative_slice_is_drawn_as_moves() -> None:
    """The slice of a 1e300 logit: x the moves, y the change of the loss, the tangent
    through (0, 0), the legend naming the logit's value and L₀."""
    losses = loss_change_slice(HUGE, HUGE_Y, 1, MOVES)
    g = grad_logits(HUGE, HUGE_Y)
    tangent = tangent_line(0.0, 0.0, g[1], 2.0)
    L0 = cross_entropy(HUGE, HUGE_Y)
    fig = slice_figure(
        SliceData(
            values=MOVES,
            losses=losses,
            label="o1",
            current=0.0,
            current_loss=0.0,
            slope=g[1],
            tangent=tangent,
            origin=(HUGE[1], L0),
        )
    )
    np.testing.assert_allclose(plotted(fig.data[0].y), -MOVES, atol=1e-6)  # slope −1
    assert fig.layout.xaxis.title.text == "Δo1"
    assert fig.layout.yaxis.title.text == "change of the loss, L − L₀"
    assert fig.data[2].name == "current value −1.000e+300, L₀ = 2.0000e+300"
    assert (fig.data[2].x[0], plotted(fig.data[2].y)[0]) == (0.0, 0.0)


def test_relative_descent_figure_draws_changes_without_the_far_references() -> None:
    """A relative run's chart plots the changes, names the start in the legend and leaves
    out H(y) and the optimal gap, which lie as far off as the logits."""
    run = descend_relative(HUGE, HUGE_Y, lr=0.5, steps=50)
    gaps = logit_gap_change(HUGE, run.path, 1)
    L0, gap0 = cross_entropy(HUGE, HUGE_Y), float(logit_gap(HUGE, 1))
    fig = descent_figure(np.arange(51), run.losses, gaps, 0.0, 3.3, origin=(L0, gap0))
    names = [t.name for t in fig.data]
    assert names == [
        "change of the loss, L − L₀ (L₀ = 2.0000e+300)",
        "change of the logit gap (from −2.000e+300)",
    ]
    np.testing.assert_allclose(plotted(fig.data[0].y)[[0, -1]], [0.0, -50.0])
    np.testing.assert_allclose(plotted(fig.data[1].y)[[0, -1]], [0.0, 50.0])
    assert fig.layout.yaxis.title.text == "L − L₀"
