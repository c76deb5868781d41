"""The loss-landscape view through AppTest: its controls, its URL state, its payload."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from ce_viz.core import grad_logits, target_distribution
from ce_viz.landscape import descend
from tests.apptest import chart_payload, run_app, warnings_text

#: The issue's budget for all figure JSON sent in one rerun at default settings.
PAYLOAD_BUDGET = 500_000


def figure(at, key: str) -> dict:
    """The Plotly figure JSON of the chart with ``key``."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(chart.proto.spec)


def _decode(array: dict | list) -> np.ndarray:
    """A Plotly array as NumPy: typed ``{dtype, bdata}`` or a plain list."""
    if isinstance(array, list):
        return np.asarray(array)
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


def test_default_landscape_shows_plane_descent_and_slice() -> None:
    """view=landscape opens on the plane and the descent chart, no warning; part=slice
    opens the other tab, which builds the slice alone, and the link keeps part=."""
    at = run_app(view="landscape")
    assert set(chart_payload(at)) == {"landscape_chart", "descent_chart"}
    types = [t["type"] for t in figure(at, "landscape_chart")["data"]]
    assert types[0] == "contourcarpet"
    assert not at.warning
    # The default plane: the true class (1) and the strongest wrong class (2).
    assert at.selectbox(key="axis_0").value == 1
    assert at.selectbox(key="axis_1").value == 2
    assert "part" not in at.query_params
    at = run_app(view="landscape", part="slice")
    assert set(chart_payload(at)) == {"slice_chart"}
    assert not at.warning
    assert len(at.tabs) == 2
    assert at.query_params.get("part") == "slice"


def test_arrow_on_the_page_is_minus_the_gradient() -> None:
    """The arrow drawn at the current point is −∂L/∂o along the two plotted logits."""
    at = run_app(view="landscape", logits="0.5,-1,2,1", target="0", axes="0,3", T="2")
    fig = figure(at, "landscape_chart")
    (arrow,) = fig["layout"]["annotations"]
    g = grad_logits([0.5, -1, 2, 1], target_distribution(4, target=0), T=2)
    assert arrow["ax"] == pytest.approx(0.5)
    assert arrow["ay"] == pytest.approx(1.0)
    assert arrow["x"] - arrow["ax"] == pytest.approx(-g[0], abs=1e-6)
    assert arrow["y"] - arrow["ay"] == pytest.approx(-g[3], abs=1e-6)


def test_descent_controls_round_trip_through_the_url() -> None:
    """Learning rate, steps and descent mode reach the URL and the run they draw."""
    at = run_app(view="landscape")
    at.number_input(key="lr").set_value(1.5).run()
    at.number_input(key="steps").set_value(120).run()
    at.segmented_control(key="descent").set_value("all").run()
    assert at.query_params["lr"] == "1.5"
    assert at.query_params["steps"] == "120"
    assert at.query_params["descent"] == "all"
    fig = figure(at, "descent_chart")
    assert (
        len(
            fig["data"][0]["x"]["bdata"]
            if isinstance(fig["data"][0]["x"], dict)
            else fig["data"][0]["x"]
        )
        > 0
    )
    y = target_distribution(3, target=1)
    run = descend([2.0, 3.0, 4.0], y, lr=1.5, steps=120)
    story = " ".join(i.value for i in at.info)
    assert f"{run.losses[-1]:.4f}" in story


def test_picking_the_same_class_for_both_axes_swaps_them() -> None:
    """Choosing the vertical axis's class for the horizontal one swaps the two axes."""
    at = run_app(view="landscape")
    at.selectbox(key="axis_0").set_value(2).run()
    assert at.query_params["axes"] == "2,1"
    assert at.selectbox(key="axis_1").value == 1


def test_surface_field_span_and_slice_controls() -> None:
    """The plot type, arrow field, range and slice logit each change the figures."""
    at = run_app(view="landscape")
    at.toggle(key="arrows").set_value(True).run()
    names = [t.get("name", "") for t in figure(at, "landscape_chart")["data"]]
    assert any(n.startswith("white arrows: −∇L") for n in names)
    at.slider(key="span").set_value(10.0).run()
    assert at.query_params["span"] == "10"
    at.segmented_control(key="plot").set_value("surface").run()
    assert figure(at, "landscape_chart")["data"][0]["type"] == "surface"
    assert at.toggle(key="arrows").disabled
    at = run_app(view="landscape", part="slice")
    at.selectbox(key="slice_axis").set_value(0).run()
    assert at.query_params["slice"] == "0"
    assert "o0" in figure(at, "slice_chart")["layout"]["xaxis"]["title"]["text"]


@pytest.mark.parametrize(
    "query",
    [
        {"view": "landscape"},
        {"view": "landscape", "field": "1", "steps": "500"},
        {"view": "landscape", "plot": "surface", "steps": "500"},
        {"view": "landscape", "logits": ",".join(["0"] * 20), "field": "1", "steps": "500"},
    ],
)
def test_figure_payload_stays_under_budget(query: dict[str, str]) -> None:
    """All figure JSON sent in one rerun stays under 500 kB, even at 500 steps and K = 20."""
    at = run_app(**query)
    sizes = chart_payload(at)
    assert sum(sizes.values()) < PAYLOAD_BUDGET, sizes


def test_grid_arrays_are_sent_as_compact_float32() -> None:
    """The contour's z array goes to the browser as base64 float32, not a JSON list."""
    at = run_app(view="landscape")
    z = figure(at, "landscape_chart")["data"][0]["z"]
    assert z["dtype"] == "f4"
    assert _decode(z).size == 101 * 101


BAD_LANDSCAPE_QUERIES = [
    ({"axes": "1,1"}, "axes: the two axes must be different classes"),
    ({"axes": "0,7"}, "axes: 7 is not a class"),
    ({"axes": "0"}, "axes: '0' is not two class indices"),
    ({"lr": "0"}, "lr: 0 is out of range"),
    ({"lr": "nan"}, "lr: 'nan' is not a finite number"),
    ({"steps": "501"}, "steps: 501 is out of range"),
    ({"steps": "2.5"}, "steps: '2.5' is not a whole number"),
    ({"plot": "pie"}, "plot: 'pie' is not one of contour, surface"),
    ({"field": "maybe"}, "field: 'maybe' is not 1 or 0"),
    ({"descent": "up"}, "descent: 'up' is not one of plane, all"),
    ({"span": "0.1"}, "span: 0.1 is out of range"),
    ({"slice": "3"}, "slice: 3 is not a class"),
]


@pytest.mark.parametrize(("query", "message"), BAD_LANDSCAPE_QUERIES)
def test_bad_landscape_link_values_are_named(query: dict[str, str], message: str) -> None:
    """A bad landscape setting in a link is named; the view still draws with the default."""
    at = run_app(view="landscape", **query)
    assert message in warnings_text(at)
    assert set(chart_payload(at)) == {"landscape_chart", "descent_chart"}


def test_descent_over_all_logits_fades_the_contours_and_says_why() -> None:
    """descent=all moves logits the plane holds fixed: its contours are drawn faded and the
    chart says, under its title, that the path need not follow them; descent=plane keeps
    them opaque and unannotated (the path runs on that surface)."""
    moving = figure(run_app(view="landscape", descent="all"), "landscape_chart")
    contour = moving["data"][0]
    assert contour["type"] == "contourcarpet"
    assert contour["opacity"] < 0.5
    note = moving["layout"]["title"]["subtitle"]["text"]
    assert "other logits at their start" in note
    assert "Descent moves them too" in note
    fixed = figure(run_app(view="landscape", descent="plane"), "landscape_chart")
    assert fixed["data"][0]["opacity"] == 1.0
    assert "subtitle" not in fixed["layout"]["title"]
