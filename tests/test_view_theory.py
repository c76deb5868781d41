"""The Jacobian, "Why it works", Simplex and "Check my work" views through AppTest, and
their figures as objects."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from ce_viz.core import softmax, softmax_jacobian
from ce_viz.figures import (
    ce_vs_mse_figure,
    distillation_figure,
    jacobian_figure,
    smoothing_figure,
    temperature_figure,
)
from ce_viz.fmt import subscript
from ce_viz.state import WHY_TABS
from ce_viz.theory import gradient_sweep, temperature_sweep
from tests.apptest import chart_payload, run_app, warnings_text
from tests.plotted import plotted


def figure(at, key: str) -> dict:
    """The Plotly figure JSON of the chart with ``key``."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(chart.proto.spec)


def decode(array: dict | list) -> np.ndarray:
    """A Plotly array as NumPy: typed ``{dtype, bdata}`` or a plain list."""
    if isinstance(array, list):
        return np.asarray(array)
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


def test_jacobian_view_shows_the_matrix_and_the_chain_rule() -> None:
    """view=jacobian draws the heatmap and writes Jᵀ(−y/p) = p − y with the numbers."""
    at = run_app(view="jacobian")
    assert set(chart_payload(at)) == {"jacobian_chart"}
    sources = " ".join(t.value for t in at.latex)
    # −y/p for the seed: only the true class, −1/p_1 = −4.0862.
    assert "-4.0862" in sources
    assert r"-0.7553" in sources
    # The Hessian's eigenvalues: the zero one shows as 0.0000, not as rounding noise.
    assert "eigenvalues of" in sources
    assert "0.0000" in sources
    assert "e-1" not in sources


#: Each tab of view=why, by its tab= name: the charts it draws and a table column it shows.
WHY_TAB_CONTENT = {
    "mse": ({"ce_mse_chart"}, None),
    "temperature": (
        {"temperature_chart", "temperature_gradient_chart", "distillation_chart"},
        None,
    ),
    "smoothing": ({"smoothing_chart"}, None),
    "stability": (set(), "naive e^o / Σ e^o"),
    "binary": (set(), "quantity"),
}


def test_why_tabs_are_all_described() -> None:
    """The table above names every tab in ce_viz.state.WHY_TABS."""
    assert set(WHY_TAB_CONTENT) == set(WHY_TABS)


@pytest.mark.parametrize("tab", list(WHY_TAB_CONTENT))
def test_why_view_draws_only_the_tab_in_the_link(tab: str) -> None:
    """view=why&tab=NAME opens that tab and builds its charts and tables only; the link
    keeps tab= (except for the default, the first tab)."""
    at = run_app(view="why", smoothing="0.1", tab=tab)
    charts, column = WHY_TAB_CONTENT[tab]
    assert set(chart_payload(at)) == charts
    columns = [c for d in at.dataframe for c in d.value.columns]
    assert (column in columns) if column else not columns
    assert len(at.tabs) == 5
    assert at.query_params.get("tab") == (None if tab == "mse" else tab)


def alt_texts(at) -> dict[str, str]:
    """Each Plotly chart's text alternative, by chart key."""
    return {c.proto.id.rsplit("-", 1)[-1]: c.proto.alt for c in at.get("plotly_chart")}


def readme_recipe(number: int) -> str:
    """The query of the README's lecture recipe ``number`` (the text between ? and `)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (query,) = re.findall(rf"^{number}\. `\?([^`]+)`", text, flags=re.MULTILINE)
    return query


def test_the_temperature_recipe_link_opens_on_the_temperature_tab() -> None:
    """Lecture recipe 8 (high temperature) names its tab, and its link opens the why view on
    Temperature, with the 1/T chart: it once opened on CE vs MSE."""
    query = dict(part.split("=", 1) for part in readme_recipe(8).split("&"))
    assert query["T"] == "5"
    assert query["tab"] == "temperature"
    at = run_app(**query)
    assert "temperature_gradient_chart" in chart_payload(at)
    assert at.query_params["tab"] == "temperature"


def test_the_temperature_tab_plots_the_gradient_against_t_with_an_exact_1_over_t_line() -> None:
    """At logits 2, 3, 4, true class 1 and T = 5 the chart draws ‖(p_T − y)/T‖ over T
    (log–log), a line that is exactly c/T through the current T, and a marker at T = 5
    with the gradient's size there, all from the closed form worked here."""
    at = run_app(view="why", tab="temperature", logits="2,3,4", target="1", T="5")
    fig = figure(at, "temperature_gradient_chart")
    curve, line, marker = fig["data"]
    ts = decode(curve["x"])
    o, y = np.array([2.0, 3.0, 4.0]), np.array([0.0, 1.0, 0.0])

    def size(t: float) -> float:
        e = np.exp(o / t)
        return float(np.linalg.norm((e / e.sum() - y) / t))

    np.testing.assert_allclose(decode(curve["y"]), [size(t) for t in ts], rtol=1e-12)
    np.testing.assert_allclose(decode(line["y"]) * decode(line["x"]), 5 * size(5.0), rtol=1e-13)
    assert marker["x"] == [5.0]
    assert marker["y"][0] == pytest.approx(size(5.0), rel=1e-14)
    assert fig["layout"]["xaxis"]["type"] == fig["layout"]["yaxis"]["type"] == "log"
    assert "1/T" in line["name"]
    assert "5" in marker["name"]


def test_every_why_chart_has_a_text_alternative_with_its_key_numbers() -> None:
    """Each chart's alt says what it shows and the numbers a reader needs, worked here:
    CE vs MSE at the wrong end and at the logits, p at T, the gradient's size at T, the
    distillation gradients, the smoothing gap at ε."""
    at = run_app(view="why", logits="-3,8,1", target="0")
    (alt,) = alt_texts(at).values()
    # CE's push at the true class: p_0 − 1 with p_0 = e^-3 / (e^-3 + e^8 + e^1).
    p0 = math.exp(-3) / (math.exp(-3) + math.exp(8) + math.exp(1))
    assert f"cross-entropy {1 - p0:.4f}" in alt
    assert "MSE" in alt
    assert "o0" in alt

    at = run_app(view="why", tab="temperature", logits="2,3,4", target="1", T="5")
    alts = alt_texts(at)
    p = softmax(np.array([2.0, 3.0, 4.0]) / 5)
    assert f"At your T = 5: class 0 {p[0]:.4f}, class 1 {p[1]:.4f}" in alts["temperature_chart"]
    norm = np.linalg.norm((p - [0.0, 1.0, 0.0]) / 5)
    assert f"{norm:.4f} at your T = 5" in alts["temperature_gradient_chart"]
    assert "exactly like 1/T" in alts["temperature_gradient_chart"]
    distill = alts["distillation_chart"]
    assert "from 1 to 1000" in distill
    assert "1/T²" in distill

    at = run_app(view="why", tab="smoothing", smoothing="0.1", logits="2,3,4", target="1")
    (alt,) = alt_texts(at).values()
    gap = math.log((1 - 0.1 + 0.1 / 3) / (0.1 / 3))
    assert f"Your ε = 0.1 gives {gap:.4f}" in alt
    assert "K = 3" in alt


def test_ce_vs_mse_legend_names_the_temperature_it_divides_by() -> None:
    """At T = 5 the cross-entropy curve is |pₖ − yₖ| ÷ T and its legend says T = 5; at
    T = 1 it is plain |pₖ − yₖ|."""
    at = run_app(view="why", T="5")
    assert figure(at, "ce_mse_chart")["data"][0]["name"] == "cross-entropy: |pₖ − yₖ| ÷ T (T = 5)"
    at = run_app(view="why")
    assert figure(at, "ce_mse_chart")["data"][0]["name"] == "cross-entropy: |pₖ − yₖ|"


def test_the_distillation_text_speaks_of_the_gradient_not_the_loss() -> None:
    """The axis shows the gradient's size: the text says that gradient fades like 1/T²,
    not that the loss shrinks, and the legend entries are gradients."""
    at = run_app(view="why", tab="temperature")
    text = " ".join(m.value for m in at.markdown)
    assert "that gradient fades like $1/T^2$" in text
    assert "loss shrinks" not in text
    assert "term fades" not in text
    names = [t["name"] for t in figure(at, "distillation_chart")["data"]]
    assert all(name.startswith("gradient of") for name in names)


def test_stability_table_shows_naive_nan_and_stable_answer() -> None:
    """Logits + 1000: the naive column says NaN, as the text above it does (a data grid
    showed NaN as "None"); the stable column equals softmax of the logits."""
    at = run_app(view="why", tab="stability")
    (table,) = [d.value for d in at.dataframe if "naive e^o / Σ e^o" in d.value.columns]
    assert table["naive e^o / Σ e^o"].tolist() == ["NaN", "NaN", "NaN"]
    assert any("the naive formula gives NaN" in m.value for m in at.markdown)
    expected = softmax([2.0, 3.0, 4.0])
    np.testing.assert_allclose(table["stable softmax"], expected, rtol=1e-12)


def binary_table(at) -> dict[str, float]:
    """The "Two classes" table, quantity to value."""
    (table,) = [d.value for d in at.dataframe if "quantity" in d.value.columns]
    return dict(zip(table["quantity"], table["value"], strict=True))


def test_binary_table_shows_the_identity() -> None:
    """With K = 2, softmax equals the sigmoid and CE equals BCE, in the table's numbers."""
    at = run_app(view="why", tab="binary", logits="0.3,1.7", target="1")
    v = binary_table(at)
    assert v["p₁ = e^o₁ / (e^o₀ + e^o₁)"] == pytest.approx(v["σ(z)"], rel=1e-15)
    assert v["cross-entropy"] == pytest.approx(v["binary cross-entropy"], rel=1e-14)
    assert v["σ(z)"] == pytest.approx(1 / (1 + math.exp(-1.4)), rel=1e-14)


#: (query, k, j, z, t): links whose target puts no weight on classes 0 and 1, which the
#: "Two classes" tab used to compare (t = 0/0: an error box and no URL sync).
BINARY_LINKS = [
    ({"logits": "1,2,3", "target": "2"}, 2, 1, 1.0, 1.0),
    ({"logits": "1000,0,-1000", "target": "2"}, 2, 0, -2000.0, 1.0),
    ({"logits": "2,3,4", "y": "0,0,1"}, 2, 1, 1.0, 1.0),
    (
        {"logits": "1.2,-0.5,3.1,0.4,2.2,-1.3,0.8,2.9,-0.2,1.7", "target": "7"},
        7,
        2,
        2.9 - 3.1,
        1.0,
    ),
    ({"logits": "2,3,4", "y": "0.1,0.8,0.1"}, 1, 2, -1.0, 0.8 / 0.9),
]


@pytest.mark.parametrize(("query", "k", "j", "z", "t"), BINARY_LINKS)
def test_binary_tab_compares_the_true_class_and_its_rival(
    query: dict[str, str], k: int, j: int, z: float, t: float
) -> None:
    """For K > 2 the tab compares the true class with its strongest rival, says so, and
    its table holds sigma(z) - t = p_k - t over the pair; the page syncs the URL after it."""
    at = run_app(view="why", tab="binary", **query)
    assert not at.error
    text = " ".join(m.value for m in at.markdown)
    assert f"true class $k = {k}$" in text
    assert f"strongest rival, the other class with the largest logit, $j = {j}$" in text
    v = binary_table(at)
    sk, sj = subscript(k), subscript(j)
    p_k = v[f"p{sk} = e^o{sk} / (e^o{sj} + e^o{sk})"]
    e = math.exp(-abs(z))  # sigma(z), written so that z = -2000 does not overflow
    assert p_k == pytest.approx(1 / (1 + e) if z >= 0 else e / (1 + e), rel=1e-14)
    assert v[f"∂L/∂o{sk} = p{sk} − t"] == pytest.approx(p_k - t, rel=1e-12, abs=1e-300)
    assert v["σ(z) − t"] == pytest.approx(v[f"∂L/∂o{sk} = p{sk} − t"], rel=1e-12, abs=1e-15)
    assert v["cross-entropy"] == pytest.approx(v["binary cross-entropy"], rel=1e-12)
    assert at.query_params["view"] == "why"


@pytest.mark.parametrize(
    "query",
    [
        {"logits": "1e300,-1e300,0", "target": "1", "T": "0.01"},
        {"logits": "1e300,-1e300,0", "target": "1", "T": "100", "smoothing": "0.99"},
        {"logits": "-1e300,1e300", "target": "0", "smoothing": "0.99"},
        {"logits": ",".join(["0"] * 20), "target": "19", "T": "0.01", "smoothing": "0.99"},
        {"logits": ",".join(str((-1) ** i * 1e300) for i in range(20)), "target": "3"},
    ],
    ids=["1e300 T=0.01", "1e300 T=100 eps=0.99", "K=2 1e300", "K=20 flat", "K=20 1e300"],
)
def test_why_view_survives_extremes(query: dict[str, str]) -> None:
    """Huge logits, T and smoothing at their limits, K = 2 and K = 20: every tab is drawn,
    with no exception (RuntimeWarnings are errors here) and no error box."""
    for tab, (charts, column) in WHY_TAB_CONTENT.items():
        at = run_app(view="why", tab=tab, **query)
        assert not at.error, tab
        assert set(chart_payload(at)) == charts
        if column:
            assert any(column in d.value.columns for d in at.dataframe), tab
    assert "σ(z)" in binary_table(at)


def test_jacobian_figure_cells_hold_the_matrix() -> None:
    """The heatmap's z is the core's Jacobian, centred on 0, labels escaped."""
    J = softmax_jacobian([0.5, -1.0, 2.0])
    fig = jacobian_figure(J, ["<i>a</i>", "b", "c"])
    np.testing.assert_array_equal(plotted(fig.data[0].z), J)
    assert fig.data[0].zmid == 0
    assert plotted(fig.data[0].x)[0] == "&lt;i&gt;a&lt;/i&gt;"


def test_ce_vs_mse_figure_plots_the_sweep() -> None:
    """The two lines are the sweep's CE and MSE gradients on a log axis."""
    values = np.linspace(-10, 10, 21)
    ce, mse = gradient_sweep([0.0, 1.0, 2.0], [1.0, 0.0, 0.0], 0, values)
    fig = ce_vs_mse_figure(values, ce, mse, 0.0, "o0")
    np.testing.assert_array_equal(plotted(fig.data[0].y), ce)
    np.testing.assert_array_equal(plotted(fig.data[1].y), mse)
    assert fig.layout.yaxis.type == "log"


def test_temperature_figure_has_one_line_per_class() -> None:
    """One line per class, each equal to that column of the temperature sweep."""
    ts = np.logspace(-1, 1, 9)
    p = temperature_sweep([1.0, 2.0, 0.0], ts)
    fig = temperature_figure(ts, p, ["a", "b", "c"], 1.0)
    assert len(fig.data) == 3
    for i in range(3):
        np.testing.assert_array_equal(plotted(fig.data[i].y), p[:, i])


def test_distillation_and_smoothing_figures() -> None:
    """Both take their curves as given; smoothing marks ε only when ε > 0."""
    ts = np.array([1.0, 10.0])
    fig = distillation_figure(ts, [1.0, 0.01], [1.0, 1.0])
    assert fig.layout.xaxis.type == "log"
    assert len(smoothing_figure([0.1, 0.5], [3.0, 1.0], 0.0, math.inf).data) == 1
    assert len(smoothing_figure([0.1, 0.5], [3.0, 1.0], 0.1, 3.0).data) == 2


def test_simplex_view_draws_the_triangle_and_logit_space() -> None:
    """view=simplex draws one chart: the triangle with the target at class 1's corner (the
    bottom left, (0, 0)) beside the plane of logits, both with the descent path."""
    at = run_app(view="simplex", steps="30")
    assert set(chart_payload(at)) == {"simplex_chart"}
    fig = figure(at, "simplex_chart")
    types = {t["type"] for t in fig["data"]}
    assert types == {"scatter", "contourcarpet", "carpet"}
    target = next(t for t in fig["data"] if t.get("name") == "target y")
    assert (target["x"], target["y"]) == ([0.0], [0.0])
    paths = [t for t in fig["data"] if t.get("name") == "descent path"]
    assert {t.get("xaxis", "x") for t in paths} == {"x", "x2"}


def test_simplex_needs_three_classes() -> None:
    """With K = 2 the simplex view explains itself instead of drawing."""
    at = run_app(view="simplex", logits="1,2")
    assert not chart_payload(at)
    assert "needs three classes" in at.info[0].value


def test_simplex_class_choice_round_trips_and_validates() -> None:
    """Choosing three classes goes to the URL; two is refused with a message."""
    at = run_app(view="simplex", logits="1,2,3,4", target="0")
    assert at.multiselect(key="trio").value == [0, 2, 3]  # true class + the two strongest
    at.multiselect(key="trio").set_value([0, 1, 3]).run()
    assert at.query_params["simplex"] == "0,1,3"
    at.multiselect(key="trio").set_value([0, 1]).run()
    assert "exactly three classes" in at.error[0].value
    assert at.query_params["simplex"] == "0,1,3"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0,1", "simplex: '0,1' is not three class indices"),
        ("0,1,1", "simplex: the three classes must be different"),
        ("0,1,5", "simplex: 5 is not a class"),
    ],
)
def test_bad_simplex_link_values_are_named(value: str, message: str) -> None:
    """A bad simplex= value is named on the page and the default classes are drawn."""
    at = run_app(view="simplex", simplex=value)
    assert message in warnings_text(at)
    assert len(chart_payload(at)) == 1


def test_simplex_sheet_holds_the_cross_entropy_over_the_triangle() -> None:
    """The sheet's loss at (a, s) is −Σ y log p of p = (a, s(1 − a), (1 − s)(1 − a)), by
    the core's cross-entropy at logits log p; infinite where the target's class has p = 0."""
    from ce_viz.core import cross_entropy
    from ce_viz.theory import simplex_sheet

    y = np.array([0.2, 0.5, 0.3])
    a, s, loss = simplex_sheet(8, y)
    for i, j in [(1, 1), (3, 5), (7, 2)]:
        p = np.array([a[i], s[j] * (1 - a[i]), (1 - s[j]) * (1 - a[i])])
        assert loss[j, i] == pytest.approx(float(cross_entropy(np.log(p), y)), rel=1e-12)
    assert np.isinf(loss[0, 0])  # p = (0, 0, 1): classes 0 and 1 have weight
    assert np.all(np.isfinite(loss[1:-1, 1:-1]))


#: Logits where classes 0, 1 and 2 carry no probability next to class 3: e^-1000 is 0.
UNDERFLOW = {"logits": "0,0,0,1000", "target": "0"}


def assert_simplex_refused(at) -> None:
    """The simplex view says why the trio cannot be drawn, names a trio that can, and
    keeps the page: its heading, the class picker and the URL."""
    assert not at.error
    assert not chart_payload(at)
    assert "The probability simplex" in [s.value for s in at.subheader]
    text = warnings_text(at)
    assert "o0 · class 0, o1 · class 1 and o2 · class 2 all underflow to 0 next to o3" in text
    assert "e.g. o0 · class 0, o1 · class 1 and o3 · class 3." in text
    assert at.multiselect(key="trio").value == [0, 1, 2]
    assert at.query_params["simplex"] == "0,1,2"
    assert at.query_params["view"] == "simplex"


def test_simplex_link_to_an_underflowed_trio_says_why() -> None:
    """?logits=0,0,0,1000&simplex=0,1,2: no 0/0 crash; the page explains and suggests."""
    assert_simplex_refused(run_app(view="simplex", simplex="0,1,2", **UNDERFLOW))


def test_simplex_picking_an_underflowed_trio_says_why_and_recovers() -> None:
    """Choosing classes 0, 1, 2 in the view is refused the same way; choosing the suggested
    trio draws both charts again."""
    at = run_app(view="simplex", **UNDERFLOW)
    assert len(chart_payload(at)) == 1
    at.multiselect(key="trio").set_value([0, 1, 2]).run()
    assert not at.exception
    assert_simplex_refused(at)
    at.multiselect(key="trio").set_value([0, 1, 3]).run()
    assert not at.exception
    assert len(chart_payload(at)) == 1
    assert not at.warning


def test_simplex_trio_without_target_weight_says_why() -> None:
    """A trio without the true class is refused with the classes named and a suggestion."""
    at = run_app(view="simplex", logits="1,2,3,4", target="3", simplex="0,1,2")
    assert not chart_payload(at)
    text = warnings_text(at)
    assert "The target puts no weight on o0 · class 0, o1 · class 1 and o2 · class 2" in text
    assert "e.g. o1 · class 1, o2 · class 2 and o3 · class 3." in text


def test_simplex_descent_path_whose_share_underflows_is_drawn() -> None:
    """T = 0.01, lr = 20: one descent step drives classes 0, 1, 2 e^-100000 below class 3.
    Their share along the path is still drawn (it used to be 0/0), every point on the
    triangle."""
    at = run_app(
        view="simplex",
        logits="10,0,0,0",
        y="0.5,0,0,0.5",
        simplex="0,1,2",
        T="0.01",
        lr="20",
        descent="all",
        steps="5",
    )
    assert not at.error
    assert not at.warning
    assert len(chart_payload(at)) == 1
    fig = figure(at, "simplex_chart")
    (path, *_) = [
        t for t in fig["data"] if t.get("name") == "descent path" and t.get("xaxis") == "x2"
    ]
    x, y = (decode(path[axis]).astype(float) for axis in "xy")
    # Back from the triangle (class 0 at the top, 1 bottom left, 2 bottom right, side 1).
    p0 = 2 * y / math.sqrt(3)
    points = np.column_stack([p0, 1 - x - p0 / 2, x - p0 / 2])
    assert len(points) == 6
    assert np.all(np.isfinite(points))
    assert np.all(points > -1e-6)
    # After the first step the trio's share is (0, 1/2, 1/2): class 0 fell, 1 and 2 tied.
    np.testing.assert_allclose(points[1], [0.0, 0.5, 0.5], atol=1e-6)
