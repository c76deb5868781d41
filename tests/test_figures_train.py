"""The training figures (decision regions, weight vectors, loss and accuracy by step),
inspected as objects: every number drawn is the one passed in."""

from __future__ import annotations

import json

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import pytest

from ce_viz.datasets import make_dataset
from ce_viz.figures.style import CLASS_COLOURS, PALETTE, for_projector
from ce_viz.figures.train import (
    ALPHA_SURE,
    ALPHA_UNSURE,
    ARROW_SHARE,
    RegionsData,
    RegionsFrames,
    chosen_point_traces,
    history_figure,
    pull_sizes,
    region_palette,
    region_shades,
    regions_animation,
    regions_figure,
    weights_figure,
)
from ce_viz.fmt import fmt_sig
from ce_viz.train import (
    TrainConfig,
    gradients,
    grid_probabilities,
    point_pull,
    targets,
    train,
)
from tests.plotted import plotted, png_pixels

CONFIG = TrainConfig(steps=40, lr=0.5)


def region_rgba(top, p_top, K: int) -> np.ndarray:
    """The colour each grid cell shows, RGBA bytes (..., 4): the figure's palette at the
    figure's shades, as the PNG decodes.

    >>> region_rgba([[0, 1]], [[0.5, 1.0]], 2)[0, :, 3].tolist()
    [15, 158]
    """
    return region_palette(K)[region_shades(top, p_top, K)]


def _regions(preset: str = "mislabelled", n: int = 120, K: int = 3, grid: int = 31):
    """The regions figure of a trained linear model, with what went into it."""
    d = make_dataset(preset, n=n, K=K, seed=1)
    run = train(d.X, d.labels, d.K, CONFIG)
    xs = np.linspace(-5.0, 5.0, grid)
    ys = np.linspace(-4.0, 6.0, grid)
    p = grid_probabilities(run.params, CONFIG, xs, ys)
    data = RegionsData(
        xs=xs,
        ys=ys,
        top=p.argmax(axis=-1),
        p_top=p.max(axis=-1),
        X=d.X,
        labels=d.labels,
        names=("<b>cat</b>", *d.names[1:]),
        pull=point_pull(run.params, d.X, d.labels, d.K, CONFIG).size,
        flipped=d.flipped,
    )
    return regions_figure(data), data


def _weights():
    """The weights figure after a few steps of the blobs' linear model, and its inputs."""
    d = make_dataset("blobs", n=90, K=3, seed=2)
    run = train(d.X, d.labels, d.K, TrainConfig(steps=3, lr=0.5))
    W = run.params[0].W
    G = gradients(run.params, d.X, targets(d.labels, d.K, 0.0), CONFIG)[1][0][0]
    return weights_figure(W, G, d.names, (-5.0, 5.0), (-4.0, 4.0)), W, G


def _history():
    """The history figure of a short run, and the run."""
    d = make_dataset("moons", n=80, K=2, seed=0)
    run = train(d.X, d.labels, d.K, CONFIG)
    steps = np.arange(len(run.loss))
    return history_figure(steps, run.loss, run.accuracy, "cross-entropy"), run


def _hex_bytes(colour: str) -> list[int]:
    return list(plotly.colors.hex_to_rgb(colour))


def _all_figures():
    return {
        "regions": _regions()[0],
        "weights": _weights()[0],
        "history": _history()[0],
    }


FIGURES = ["regions", "weights", "history"]


def test_points_are_drawn_where_they_are_labelled_and_as_large_as_their_pull() -> None:
    """Each class's trace holds exactly its points, their pulls in the hover, and larger
    markers for larger pulls."""
    fig, data = _regions()
    spec = fig.to_dict()
    points = [t for t in spec["data"] if t["type"] == "scatter" and "customdata" in t]
    assert len(points) == len(data.names)
    for k, trace in enumerate(points):
        mine = data.labels == k
        np.testing.assert_array_equal(plotted(trace["x"]), data.X[mine, 0].astype(np.float32))
        np.testing.assert_array_equal(plotted(trace["y"]), data.X[mine, 1].astype(np.float32))
        np.testing.assert_array_equal(
            plotted(trace["customdata"]), data.pull[mine].astype(np.float32)
        )
        assert trace["marker"]["color"] == CLASS_COLOURS[k]
        sizes = plotted(trace["marker"]["size"])
        order = np.argsort(data.pull[mine])
        assert np.all(np.diff(sizes[order]) >= 0)
        assert sizes.min() > 0


def test_regions_image_is_the_rgba_of_the_grid_and_sits_on_it() -> None:
    """The regions are the layout's image, under the points: its pixels are region_rgba of
    the probabilities passed in, the grid's top row first (an image's first row is its
    top), one cell a grid point, centred on it, and no grid lines cross it."""
    fig, data = _regions()
    spec = fig.to_dict()
    assert [t["type"] for t in spec["data"]] == ["scatter"] * len(spec["data"])
    (image,) = spec["layout"]["images"]
    pixels = png_pixels(image["source"])
    assert pixels.shape == (len(data.ys), len(data.xs), 4)
    rgba = region_rgba(data.top, data.p_top, len(data.names))
    np.testing.assert_array_equal(pixels[::-1], rgba)
    dx, dy = data.xs[1] - data.xs[0], data.ys[1] - data.ys[0]
    assert (image["xref"], image["yref"], image["layer"]) == ("x", "y", "below")
    assert (image["xanchor"], image["yanchor"], image["sizing"]) == ("left", "top", "stretch")
    assert image["x"] == pytest.approx(data.xs[0] - dx / 2)
    assert image["y"] == pytest.approx(data.ys[-1] + dy / 2)
    assert image["sizex"] == pytest.approx(dx * len(data.xs))
    assert image["sizey"] == pytest.approx(dy * len(data.ys))
    assert not spec["layout"]["xaxis"]["showgrid"]
    assert not spec["layout"]["yaxis"]["showgrid"]


@pytest.mark.parametrize("K", [2, 3, 4, 5])
def test_region_colour_is_the_predicted_class_colour(K: int) -> None:
    """Every cell takes the colour of its most probable class, for K = 2 to 5."""
    rng = np.random.default_rng(K)
    p = rng.dirichlet(np.ones(K), size=(7, 9))
    predicted = p.argmax(axis=-1)
    rgba = region_rgba(predicted, p.max(axis=-1), K)
    for i in range(7):
        for j in range(9):
            assert rgba[i, j, :3].tolist() == _hex_bytes(CLASS_COLOURS[predicted[i, j]])


@pytest.mark.parametrize("K", [2, 3, 5])
def test_region_shading_deepens_with_the_probability(K: int) -> None:
    """The surer the prediction, the more opaque the cell: from ALPHA_UNSURE at p = 1/K
    (a tie) to ALPHA_SURE at p = 1, never falling in between."""
    top = np.linspace(1.0 / K, 1.0, 50)
    rest = (1.0 - top) / (K - 1)
    p = np.repeat(rest[:, None], K, axis=1)
    p[:, 0] = top
    alpha = region_rgba(p.argmax(axis=-1), p.max(axis=-1), K)[:, 3].astype(int)
    assert np.all(np.diff(alpha) >= 0)
    assert alpha[-1] > alpha[0]
    assert alpha[0] == round(255 * ALPHA_UNSURE)
    assert alpha[-1] == round(255 * ALPHA_SURE)


def test_the_mislabelled_point_is_ringed_and_only_it() -> None:
    """The flipped point gets a ring at its own coordinates; without one, no ring."""
    fig, data = _regions()
    assert data.flipped is not None
    rings = [t for t in fig.to_dict()["data"] if t.get("name") == "mislabelled point"]
    assert len(rings) == 1
    assert plotted(rings[0]["x"]).tolist() == [np.float32(data.X[data.flipped, 0])]
    assert plotted(rings[0]["y"]).tolist() == [np.float32(data.X[data.flipped, 1])]
    assert rings[0]["marker"]["symbol"] == "circle-open"
    clean = _regions("blobs")[0]
    assert not [t for t in clean.to_dict()["data"] if t.get("name") == "mislabelled point"]
    # When it is also the chosen point (the story's panel opens on it), its ring lies
    # wholly outside the chosen point's rings and their halo, which hid it.
    marker = rings[0]["marker"]
    inner_edge = marker["size"] / 2 - marker["line"]["width"] / 2
    chosen = chosen_point_traces(data.X[data.flipped], np.ones(2), (-5.0, 5.0), data.flipped)
    outer_edge = max(
        t["marker"]["size"] / 2 + t["marker"]["line"]["width"] / 2
        for t in chosen
        if t.get("mode") == "markers" and t["marker"].get("symbol") == "circle-open"
    )
    assert inner_edge > outer_edge


def test_legend_names_the_classes_escaped() -> None:
    """The legend has one entry a class, its name (HTML escaped), in the class's colour."""
    fig, data = _regions()
    named = [t for t in fig.to_dict()["data"] if "customdata" in t]
    assert [t["name"] for t in named] == ["&lt;b&gt;cat&lt;/b&gt;", *data.names[1:]]


@pytest.mark.parametrize("name", ["regions", "weights"])
def test_axes_are_square(name: str) -> None:
    """x1 and x2 share one scale, so a direction keeps its angle."""
    layout = _all_figures()[name].to_dict()["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x"
    assert layout["yaxis"].get("scaleratio", 1) == 1


def test_weight_arrows_are_the_weights_and_their_descent_steps() -> None:
    """Solid arrows run from 0 to w_k; dashed ones from w_k to w_k − scale·∂L/∂w_k, with
    the scale in the figure's meta, the longest step half the longest weight."""
    fig, W, G = _weights()
    spec = fig.to_dict()
    scale = spec["layout"]["meta"]["scale"]
    traces = spec["data"]
    assert len(traces) == 2 * len(W)
    for k in range(len(W)):
        solid, dashed = traces[2 * k], traces[2 * k + 1]
        assert solid["line"]["dash"] == "solid"
        assert dashed["line"]["dash"] == "dash"
        assert solid["line"]["color"] == dashed["line"]["color"] == CLASS_COLOURS[k]
        xs, ys = plotted(solid["x"]), plotted(solid["y"])
        np.testing.assert_array_equal(xs[:2], np.float32([0.0, W[k, 0]]))
        np.testing.assert_array_equal(ys[:2], np.float32([0.0, W[k, 1]]))
        head = W[k] - scale * G[k]
        np.testing.assert_array_equal(plotted(dashed["x"])[:2], np.float32([W[k, 0], head[0]]))
        np.testing.assert_array_equal(plotted(dashed["y"])[:2], np.float32([W[k, 1], head[1]]))
    longest_step = scale * np.max(np.linalg.norm(G, axis=1))
    longest_w = np.max(np.linalg.norm(W, axis=1))
    assert 0.2 * longest_w < longest_step <= 0.5 * longest_w
    power = 10.0 ** np.floor(np.log10(scale))
    assert round(scale / power, 9) in (1.0, 2.0, 5.0)  # a round factor, "× 100"
    assert spec["layout"]["title"]["subtitle"]["text"].endswith(f"× {fmt_sig(scale)}")
    names = [t["name"] for t in traces]
    assert names[:2] == ["w₀", "−∂L/∂w₀"]  # class "0": no "w · 0"


def test_weight_legend_names_a_named_class_after_its_index() -> None:
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    fig = weights_figure(W, 0.1 * W, ("cat", "1"), (-2, 2), (-2, 2))
    assert [t["name"] for t in fig.to_dict()["data"]] == [
        "w₀ · cat",
        "−∂L/∂w₀ · cat",
        "w₁",
        "−∂L/∂w₁",
    ]


def test_weight_axes_hold_the_data_range_and_every_arrow() -> None:
    """The axes span at least the data's range, and every arrow's tip lies inside them."""
    fig, _, _ = _weights()
    layout = fig.to_dict()["layout"]
    x0, x1 = layout["xaxis"]["range"]
    y0, y1 = layout["yaxis"]["range"]
    assert x0 <= -5.0
    assert x1 >= 5.0
    assert y0 <= -4.0
    assert y1 >= 4.0
    for trace in fig.to_dict()["data"]:
        xs, ys = plotted(trace["x"]), plotted(trace["y"])
        xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
        assert np.all((x0 <= xs) & (xs <= x1))
        assert np.all((y0 <= ys) & (ys <= y1))


def test_weight_arrows_beyond_the_data_keep_room_for_their_heads() -> None:
    """Weights that reach past the data's range set the axes; every tip stays 5 % of the
    span inside them, room for its arrowhead (on moons the heads were cut off)."""
    W = np.array([[3.0, 0.5], [-0.5, 3.0], [-3.0, -3.0]])
    fig = weights_figure(W, 0.2 * W, ("0", "1", "2"), (-1.0, 1.0), (-1.0, 1.0))
    layout = fig.to_dict()["layout"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
    room = 0.05 * max(x1 - x0, y1 - y0)
    for trace in fig.to_dict()["data"]:
        xs, ys = plotted(trace["x"]), plotted(trace["y"])
        xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
        assert np.all((x0 + room <= xs) & (xs <= x1 - room))
        assert np.all((y0 + room <= ys) & (ys <= y1 - room))


def test_zero_gradient_draws_no_step_and_no_nan() -> None:
    """At a minimum (∂L/∂w = 0) the descent arrows have no length and the scale is 0."""
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    fig = weights_figure(W, np.zeros_like(W), ("a", "b"), (-2, 2), (-2, 2))
    assert fig.to_dict()["layout"]["meta"]["scale"] == 0.0
    dashed = fig.to_dict()["data"][1]
    np.testing.assert_array_equal(plotted(dashed["x"])[:2], np.float32([1.0, 1.0]))


def test_history_draws_the_loss_and_accuracy_on_their_own_axes() -> None:
    """The loss on the left axis and the accuracy on the right, each exactly as passed."""
    fig, run = _history()
    loss, accuracy = fig.to_dict()["data"]
    np.testing.assert_array_equal(plotted(loss["y"]), run.loss.astype(np.float32))
    np.testing.assert_array_equal(plotted(accuracy["y"]), run.accuracy.astype(np.float32))
    np.testing.assert_array_equal(plotted(loss["x"]), np.arange(len(run.loss)))
    assert loss["yaxis"] == "y"
    assert accuracy["yaxis"] == "y2"
    layout = fig.to_dict()["layout"]
    assert layout["yaxis"]["title"]["font"]["color"] == loss["line"]["color"] == PALETTE["p"]
    assert layout["yaxis2"]["title"]["font"]["color"] == accuracy["line"]["color"]
    assert layout["yaxis2"]["range"][0] == 0
    assert layout["yaxis2"]["range"][1] >= 1
    # The largest loss sits at 100 %'s height: both axes end the same share above them.
    top, top2 = layout["yaxis"]["range"][1], layout["yaxis2"]["range"][1]
    assert layout["yaxis"]["range"][0] == 0
    assert top / run.loss.max() == pytest.approx(top2 / 1.0)


def test_a_history_of_no_steps_draws_its_one_point() -> None:
    """train_steps=0 leaves one loss and one accuracy, before training: each drawn as a
    marker (a line of one point draws nothing), on a step axis from 0 to 1 (Plotly's own
    ran from −1); with steps, lines and Plotly's range."""
    one = history_figure(np.arange(1), [1.1], [0.3]).to_dict()
    assert [(t["mode"], t["cliponaxis"]) for t in one["data"]] == [("markers", False)] * 2
    assert (one["layout"]["xaxis"]["range"], one["layout"]["xaxis"]["dtick"]) == ([0, 1], 1)
    many = history_figure(np.arange(3), [1.1, 0.9, 0.5], [0.3, 0.6, 0.9]).to_dict()
    assert [t["mode"] for t in many["data"]] == ["lines", "lines"]
    assert "range" not in many["layout"]["xaxis"]


def test_a_diverged_history_keeps_an_automatic_loss_axis() -> None:
    """A loss that left the float range (the training diverged) draws no inf or NaN range:
    the axis is taken from the finite losses, or left to Plotly when there are none."""
    some = history_figure(np.arange(3), [1.0, 4.0, np.inf], [0.5, 0.4, 0.1]).to_dict()
    assert some["layout"]["yaxis"]["range"] == [0.0, pytest.approx(4.08)]
    # 1e300 is a float64 but drawn (float32) it is inf: the axis ignores it too.
    huge = history_figure(np.arange(3), [1.0, 4.0, 1e300], [0.5, 0.4, 0.1]).to_dict()
    assert huge["layout"]["yaxis"]["range"] == [0.0, pytest.approx(4.08)]
    none = history_figure(np.arange(2), [np.nan, np.inf], [0.5, 0.1]).to_dict()
    assert "range" not in none["layout"]["yaxis"]
    assert none["layout"]["yaxis"]["rangemode"] == "tozero"


def _texts(spec: dict) -> list[str]:
    """Every label a reader sees: titles, subtitles, trace and legend names."""
    layout = spec["layout"]
    out = [layout["title"]["text"], layout["title"].get("subtitle", {}).get("text", "")]
    out += [t.get("name", "") for t in spec["data"]]
    out += [
        value["title"]["text"]
        for key, value in layout.items()
        if key.startswith(("xaxis", "yaxis")) and "text" in value.get("title", {})
    ]
    out.append(layout.get("legend", {}).get("title", {}).get("text", ""))
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_no_raw_underscores_in_labels(name: str) -> None:
    """Subscripts are written as subscripts (wₖ), never as TeX's w_k."""
    texts = _texts(_all_figures()[name].to_dict())
    assert texts
    assert not [t for t in texts if "_" in t]


def _font_sizes(value: object) -> list[float]:
    """Every font size set anywhere in a layout or trace (font, tickfont, labelfont ...)."""
    sizes: list[float] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("font") and isinstance(item, dict) and "size" in item:
                sizes.append(item["size"])
            sizes += _font_sizes(item)
    elif isinstance(value, list):
        for item in value:
            sizes += _font_sizes(item)
    return sizes


@pytest.mark.parametrize("name", FIGURES)
def test_text_is_at_least_12_px(name: str) -> None:
    """Every font set is 12 px or more, readable on a phone."""
    spec = _all_figures()[name].to_dict()
    sizes = _font_sizes(spec["layout"]) + _font_sizes(spec["data"])
    assert sizes
    assert min(sizes) >= 12, sizes


@pytest.mark.parametrize("name", ["regions", "weights"])
def test_the_subtitle_grows_with_the_title_on_a_projector(name: str) -> None:
    """In presentation mode the key under a chart's title (shade, dot size; solid and
    dashed arrows) grows with the title: Plotly sets a subtitle with no size of its own at
    0.7 of the title's, and a fixed 14 px stayed desk-sized under a 35-px title."""
    layout = for_projector(_all_figures()[name]).to_dict()["layout"]
    title = layout["title"]["font"]["size"]
    subtitle = layout["title"]["subtitle"]
    assert subtitle["text"]
    assert subtitle.get("font", {}).get("size", round(0.7 * title)) >= 0.7 * title - 0.5


@pytest.mark.parametrize("name", FIGURES)
def test_figures_validate_in_full(name: str) -> None:
    """Plotly accepts every property (the builders skip its validation), also scaled for a
    projector."""
    fig = _all_figures()[name]
    go.Figure(fig.to_dict())
    go.Figure(for_projector(fig).to_dict())


def test_regions_payload_is_under_a_megabyte() -> None:
    """A 100 x 100 grid with 1,000 points goes to the browser in well under 1 MB."""
    fig, _ = _regions("spiral", n=1000, K=5, grid=100)
    size = len(json.dumps(fig.to_dict()))
    print(f"regions payload: {size} bytes")
    assert size < 1_000_000


def _animation(n: int = 120, K: int = 3, grid: int = 21, model: str = "linear", steps: int = 60):
    """The regions animated over a run's snapshots, with what went into it."""
    d = make_dataset("spiral", n=n, K=K, seed=3)
    config = TrainConfig(model=model, steps=steps, lr=0.5)
    run = train(d.X, d.labels, d.K, config)
    xs = ys = np.linspace(-1.5, 1.5, grid)
    p = np.stack([grid_probabilities(s, config, xs, ys) for s in run.snapshots])
    top, p_top = p.argmax(axis=-1), p.max(axis=-1)
    pull = np.stack([point_pull(s, d.X, d.labels, d.K, config).size for s in run.snapshots])
    data = RegionsData(xs, ys, top[-1], p_top[-1], d.X, d.labels, d.names, pull[-1], d.flipped)
    frames = RegionsFrames(run.snapshot_steps, top, p_top, pull)
    return regions_animation(data, frames), data, frames


def test_animation_frames_carry_only_the_regions_and_the_point_sizes() -> None:
    """One frame a snapshot (at most 25), each holding the image of that step's
    probabilities and each class's marker sizes from that step's pulls, nothing else."""
    fig, data, frames = _animation()
    spec = fig.to_dict()
    K = len(data.names)
    assert 1 < len(spec["frames"]) == len(frames.steps) <= 25
    for m, frame in enumerate(spec["frames"]):
        assert frame["name"] == str(frames.steps[m])
        assert frame["traces"] == list(range(K))
        (image,) = frame["layout"]["images"]
        assert set(frame["layout"]) == {"images"}
        pixels = png_pixels(image["source"])[::-1]
        np.testing.assert_array_equal(pixels, region_rgba(frames.top[m], frames.p_top[m], K))
        points = frame["data"]
        assert len(points) == K
        for k, trace in enumerate(points):
            assert set(trace) == {"type", "marker"}
            expected = pull_sizes(frames.pull[m][data.labels == k])
            np.testing.assert_array_equal(plotted(trace["marker"]["size"]), expected)
    assert [t["type"] for t in spec["data"][:K]] == ["scatter"] * K


def test_animation_redraws_each_frame_without_a_transition() -> None:
    """Play and the slider redraw every frame with no transition: with one, Plotly took
    the regions' image off the plot for the whole of Play (seen in Chromium)."""
    fig, _, frames = _animation()
    layout = fig.to_dict()["layout"]
    play = layout["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is True
    assert play["transition"]["duration"] == 0
    steps = layout["sliders"][0]["steps"]
    assert [s["args"][0] for s in steps] == [[str(s)] for s in frames.steps]
    assert all(s["args"][1]["frame"]["redraw"] for s in steps)
    assert all(s["args"][1]["transition"]["duration"] == 0 for s in steps)
    assert layout["sliders"][0]["active"] == len(steps) - 1


def test_animation_validates_and_stays_under_a_megabyte() -> None:
    """25 frames (the most: 48 steps, every 2nd) of a 60 x 60 grid with 1,000 points and
    5 classes: Plotly accepts it, and it goes to the browser in under 1 MB."""
    fig, _, frames = _animation(n=1000, K=5, grid=60, model="mlp", steps=48)
    assert len(frames.steps) == 25
    go.Figure(fig.to_dict())
    size = len(json.dumps(fig.to_dict()))
    print(f"animation payload: {size} bytes")
    assert size < 1_000_000


def test_the_chosen_points_arrow_points_down_its_gradient_at_a_fixed_length() -> None:
    """chosen_point_traces: an ink ring over a white halo at x, a legend entry, and an
    arrow from x along −∂L/∂x, ARROW_SHARE of the x span long whatever the gradient's
    size; no arrow for a zero gradient (a point the model fits exactly)."""
    x, span = np.array([0.5, -1.0]), (-2.0, 6.0)
    for g in (np.array([3.0, -4.0]), np.array([3e-6, -4e-6])):
        ring_halo, ring_ink, _, arrow = chosen_point_traces(x, g, span, 12)
        assert ring_halo["marker"]["color"] == PALETTE["halo"]
        assert ring_ink["marker"]["color"] == PALETTE["ink"]
        assert ring_ink["name"] == "point 12"
        xs, ys = plotted(arrow["x"]), plotted(arrow["y"])
        head = np.array([xs[1], ys[1]])
        np.testing.assert_allclose(head - x, -ARROW_SHARE * 8.0 * np.array([0.6, -0.8]), atol=1e-6)
    assert len(chosen_point_traces(x, np.zeros(2), span, 3)) == 3


def test_the_chosen_points_legend_entry_reads_on_a_light_and_a_dark_page() -> None:
    """The chosen point's one legend entry shows both the white halo and the ink, so it
    reads on either page (the legend showed the ink ring alone, lost on a dark page), and
    it draws nothing on the plot."""
    traces = chosen_point_traces(np.array([0.5, -1.0]), np.array([1.0, 0.0]), (-2.0, 6.0), 7)
    shown = [t for t in traces if t.get("showlegend", True) and t["name"] == "point 7"]
    assert len(shown) == 1
    marker = shown[0]["marker"]
    colours = {marker["color"], marker.get("line", {}).get("color")}
    assert {PALETTE["halo"], PALETTE["ink"]} <= colours
    assert not marker["symbol"].endswith("-open")  # an open symbol shows only its line
    assert shown[0]["x"] == [None]  # nothing drawn: Plotly skips a null point
    assert shown[0]["y"] == [None]
