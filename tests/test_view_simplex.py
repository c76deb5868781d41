"""The simplex view through AppTest: one figure holding the triangle, filled by the loss,
and the logit plane, one colour scale for both, and Play moving p on both panels."""

from __future__ import annotations

import json
import math

import numpy as np

from ce_viz.core import softmax
from ce_viz.figures.landscape import MAX_FRAMES
from ce_viz.landscape import descend
from tests.apptest import chart_payload, run_app
from tests.plotted import plotted

ROOT3 = math.sqrt(3.0)
SEED = np.array([2.0, 3.0, 4.0])


def figure(at, key: str = "simplex_chart") -> dict:
    """The Plotly figure JSON of the chart with ``key``."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(chart.proto.spec)


def alt(at, key: str = "simplex_chart") -> str:
    """The chart's text alternative."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return chart.proto.alt


def to_p(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Plane coordinates of the triangle (a top, b bottom left, c bottom right, side 1)
    back to (p_a, p_b, p_c), by the closed form."""
    pa = 2.0 * y / ROOT3
    pc = x - pa / 2.0
    return np.column_stack([pa, 1.0 - pa - pc, pc])


def named(fig: dict, name: str) -> list[dict]:
    """The traces called ``name``."""
    return [t for t in fig["data"] if t.get("name") == name]


def triangle_field(fig: dict) -> dict:
    """The triangle's filled contours."""
    (field,) = [t for t in fig["data"] if t.get("carpet") == "triangle" and "z" in t]
    return field


def test_the_triangle_is_filled_contours_without_legend_entries() -> None:
    """The loss field is filled contours on a carpet that is the triangle, no markers, no
    ternary trace and no legend entry: at each sheet point (a, s) the loss is −log p₁ of
    p = (a, s(1 − a), (1 − s)(1 − a)) (class 1 is the target), capped where it is
    infinite; the carpet's corners put that p at its place on the triangle."""
    fig = figure(run_app(view="simplex"))
    assert not [t for t in fig["data"] if t["type"] == "scatterternary"]
    assert not [
        t
        for t in fig["data"]
        if t.get("mode") == "markers"
        and len(t.get("x", [])) > 50
        and t.get("marker", {}).get("opacity", 1) > 0
    ]
    field = triangle_field(fig)
    assert field["type"] == "contourcarpet"
    assert field.get("showlegend") is not True
    a, s = plotted(field["a"]).astype(float), plotted(field["b"]).astype(float)
    z = plotted(field["z"]).astype(float).reshape(len(s), len(a))
    A, S = np.meshgrid(a, s)
    with np.errstate(divide="ignore"):
        expected = -np.log(S * (1 - A))
    finite = np.isfinite(expected) & (expected < z.max())
    np.testing.assert_allclose(z[finite], expected[finite], rtol=1e-5)
    assert np.all(z[~np.isfinite(expected)] == z.max())
    (carpet,) = [t for t in fig["data"] if t["type"] == "carpet" and t["carpet"] == "triangle"]
    # Bilinear over the four corners, the carpet must put (a, s) at p's place.
    (x00, x10), (x01, x11) = carpet["x"]
    (y00, y10), (y01, y11) = carpet["y"]
    for ai, si in [(0.3, 0.2), (0.7, 0.9), (0.1, 0.5)]:
        x = (1 - ai) * (1 - si) * x00 + ai * (1 - si) * x10 + (1 - ai) * si * x01 + ai * si * x11
        y = (1 - ai) * (1 - si) * y00 + ai * (1 - si) * y10 + (1 - ai) * si * y01 + ai * si * y11
        p = [ai, si * (1 - ai), (1 - si) * (1 - ai)]
        np.testing.assert_allclose(to_p(np.array([x]), np.array([y]))[0], p, atol=1e-12)


def test_one_colour_scale_for_both_panels() -> None:
    """The plane's filled contours and the triangle's share their levels and colour scale,
    and only the plane's colour bar is shown."""
    fig = figure(run_app(view="simplex"))
    plane, field = fig["data"][0], triangle_field(fig)
    assert plane["type"] == "contourcarpet"
    assert plane["carpet"] != field["carpet"]
    assert plane["autocontour"] is False
    assert field["autocontour"] is False
    assert plane["contours"]["start"] == field["contours"]["start"]
    assert plane["contours"]["end"] == field["contours"]["end"]
    assert plane["contours"]["size"] == field["contours"]["size"]
    assert plane["colorscale"] == field["colorscale"]
    assert field["showscale"] is False
    bars = [t for t in fig["data"] if t.get("marker", {}).get("showscale")]
    assert bars == []


def test_play_moves_p_on_the_triangle_and_the_logits_on_the_plane() -> None:
    """Every frame moves two markers, and only them: p on the triangle, at the softmax of
    that step's logits, and the logits on the plane; at most MAX_FRAMES + 1 frames."""
    fig = figure(run_app(view="simplex"))
    frames = fig["frames"]
    assert 2 < len(frames) <= MAX_FRAMES + 1
    names = [t.get("name") for t in fig["data"]]
    triangle = len(names) - 1 - names[::-1].index("p during descent")
    plane = names.index("descent position")
    # The default descent moves the true class and its strongest rival, o1 and o2: the plane
    # drawn is theirs.
    run = descend(SEED, [0.0, 1.0, 0.0], 0.5, 50, free=[False, True, True])
    for frame in frames:
        step = int(frame["name"])
        assert sorted(frame["traces"]) == sorted([triangle, plane])
        moved = dict(zip(frame["traces"], frame["data"], strict=True))
        p = softmax(run.path[step])
        got = to_p(np.array(moved[triangle]["x"]), np.array(moved[triangle]["y"]))[0]
        np.testing.assert_allclose(got, p, atol=1e-5)
        assert moved[plane]["x"][0] == np.float32(run.path[step, 1])
        assert moved[plane]["y"][0] == np.float32(run.path[step, 2])
    play = fig["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is False


def test_target_star_is_big_and_the_hover_tells_p_and_the_loss() -> None:
    """The target is a star at least 30 px wide at its corner; the field's hover gives
    p of each class and the loss, −log p₁ here."""
    fig = figure(run_app(view="simplex"))
    (star,) = named(fig, "target y")
    assert star["marker"]["symbol"] == "star"
    assert star["marker"]["size"] >= 30
    np.testing.assert_allclose(to_p(np.array(star["x"]), np.array(star["y"]))[0], [0, 1, 0])
    (hover,) = [t for t in fig["data"] if "customdata[3]" in t.get("hovertemplate", "")]
    data = plotted(hover["customdata"]).astype(float).reshape(-1, 4)
    np.testing.assert_allclose(data[:, :3].sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(data[:, 3], -np.log(data[:, 1]), rtol=1e-5)
    back = to_p(plotted(hover["x"]).astype(float), plotted(hover["y"]).astype(float))
    np.testing.assert_allclose(back, data[:, :3], atol=1e-5)
    assert hover["marker"]["opacity"] == 0


def test_alt_text_names_the_corners_p_the_loss_and_the_target() -> None:
    """The text alternative says what the chart shows with its numbers: the current p and
    loss, the target's corner, and p and the loss after the descent."""
    at = run_app(view="simplex")
    text = alt(at)
    p = softmax(SEED)
    assert f"({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f})" in text
    assert "L = 1.4076" in text
    assert "corner of o1 · class 1" in text
    run = descend(SEED, [0.0, 1.0, 0.0], 0.5, 50, free=[False, True, True])
    end = softmax(run.path[-1])
    assert f"({end[0]:.3f}, {end[1]:.3f}, {end[2]:.3f})" in text
    assert f"L = {-math.log(end[1]):.4f}" in text
    assert set(chart_payload(at)) == {"simplex_chart"}


def test_far_apart_losses_get_two_colour_bars_and_say_so() -> None:
    """At logits 1000, 0, −1000 the plane's losses (about 2000) lie far above the
    triangle's: each panel keeps its own scale, the triangle's bar is shown, and a caption
    says why."""
    at = run_app(view="simplex", logits="1000,0,-1000", target="2")
    fig = figure(at)
    field = triangle_field(fig)
    assert field["showscale"] is True
    assert "triangle" in field["colorbar"]["title"]["text"]
    assert "own colour scale" in " ".join(c.value for c in at.caption)
    contour = fig["data"][0]
    assert "start" not in contour.get("contours", {})


def test_the_plane_is_the_descents_own_or_says_it_is_not() -> None:
    """With descent over the plotted pair the plane drawn is that pair (o1, o2 here), its
    contours opaque; with descent over all logits they fade and the chart says why."""
    own = figure(run_app(view="simplex"))
    assert own["layout"]["xaxis"]["title"]["text"] == "o1 · class 1"
    assert own["data"][0]["opacity"] == 1.0
    assert "subtitle" not in own["layout"]["title"]
    moving = figure(run_app(view="simplex", descent="all"))
    assert moving["data"][0]["opacity"] < 0.5
    assert "Descent moves them too" in moving["layout"]["title"]["subtitle"]["text"]
