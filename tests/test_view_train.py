"""The "Watch it learn" view through AppTest: the default page trains and draws its charts,
every data preset draws, a bad width in the link is named and the rest used, the hidden
layer with ReLU draws, and the link carries every training setting both ways."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ce_viz.datasets import make_dataset
from ce_viz.digits import digit_model, load_digits
from ce_viz.layer import linear_layer
from ce_viz.scenes import train_config, train_dataset, train_scene
from ce_viz.state import (
    TRAIN_DATA,
    TRAIN_PRESETS,
    AppState,
    parse_query,
    to_query,
    train_preset_state,
)
from ce_viz.train import TrainConfig, forward_logits
from ce_viz.views.common import TRAIN_FIELDS
from tests.apptest import APP, chart_payload, open_expander, run_app, warnings_text
from tests.plotted import plotted

#: Every training setting, none at its default.
FULL_LINK = {
    "train_data": "moons",
    "train_seed": "3",
    "train_n": "120",
    "classes": "2",
    "model": "mlp",
    "width": "12",
    "activation": "relu",
    "train_lr": "0.2",
    "train_steps": "60",
    "batch": "32",
    "l2": "0.001",
    "loss": "mse",
    "view": "train",
}


def charts(at) -> dict[str, dict]:
    """The page's figures, by chart key."""
    return {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def alts(at) -> dict[str, str]:
    """The page's charts' text alternatives, by chart key."""
    return {c.proto.id.rsplit("-", 1)[-1]: c.proto.alt for c in at.get("plotly_chart")}


def test_default_page_trains_and_draws_its_charts() -> None:
    """The default link draws the animated regions, the history, the linear weights, and
    the point panel's computation graph and outer product."""
    at = run_app(view="train")
    assert [e.value for e in at.error] == []
    figs = charts(at)
    assert set(figs) == {
        *("train_regions", "train_history", "train_weights"),
        *("train_point_graph", "train_point_outer"),
    }
    frames = figs["train_regions"]["frames"]
    # 100 steps: a snapshot every 5 steps, the first before training, the last at 100.
    assert [frame["name"] for frame in frames] == [str(step) for step in range(0, 101, 5)]
    assert figs["train_regions"]["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ Play"
    assert all(size < 1_000_000 for size in chart_payload(at).values())
    text = alts(at)
    assert "200 points (blobs) in 3 classes" in text["train_regions"]
    assert "over 100 steps" in text["train_history"]
    assert text["train_weights"].count("class ") == 3


@pytest.mark.parametrize("preset", TRAIN_DATA)
def test_each_preset_draws_its_regions(preset: str) -> None:
    """Every data preset trains and draws; only the mislabelled one rings a point."""
    at = run_app(view="train", train_data=preset, train_steps="30")
    assert [e.value for e in at.error] == []
    names = [t.get("name") for t in charts(at)["train_regions"]["data"]]
    assert ("mislabelled point" in names) == (preset == "mislabelled")
    assert ("is ringed" in alts(at)["train_regions"]) == (preset == "mislabelled")


def test_a_width_of_zero_is_named_and_the_rest_is_used() -> None:
    """width=0 gets a message naming it; the hidden layer trains at the default width."""
    at = run_app(view="train", model="mlp", width="0", train_steps="40")
    assert "width: 0 is out of range; it must be between 2 and 32." in warnings_text(at)
    assert at.slider(key="width").value == 8
    assert at.slider(key="train_steps").value == 40
    assert "train_regions" in charts(at)


def test_the_hidden_layer_with_relu_draws_without_weight_arrows() -> None:
    """The mlp with ReLU trains and draws regions and history; weight arrows are linear-only."""
    at = run_app(view="train", model="mlp", activation="relu", train_data="spiral")
    assert [e.value for e in at.error] == []
    assert set(charts(at)) == {"train_regions", "train_history", "train_point_graph"}
    assert open_expander(at, "train_details_open").radio(key="activation").value == "relu"
    assert "one hidden layer" in alts(at)["train_regions"]


def test_the_link_round_trips_and_a_widget_writes_it() -> None:
    """A link with every training setting is written back unchanged; moving a slider
    changes only its own key."""
    at = run_app(**FULL_LINK)
    written = {key: at.query_params[key] for key in FULL_LINK}
    assert written == FULL_LINK
    at.slider(key="train_steps").set_value(80).run()
    assert at.query_params["train_steps"] == "80"
    assert {k: at.query_params[k] for k in FULL_LINK if k != "train_steps"} == {
        k: v for k, v in FULL_LINK.items() if k != "train_steps"
    }
    assert "over 80 steps" in alts(at)["train_history"]


def test_every_training_setting_of_the_link_reaches_the_training() -> None:
    """The link's training settings, each off its default, are the training's: its
    configuration and its data set (T and smoothing are the sidebar's keys)."""
    state, messages = parse_query({**FULL_LINK, "T": "1.5", "smoothing": "0.05"})
    assert messages == ()
    assert train_config(state) == TrainConfig(
        model="mlp",
        width=12,
        activation="relu",
        lr=0.2,
        steps=60,
        batch=32,
        l2=0.001,
        smoothing=0.05,
        T=1.5,
        loss="mse",
        seed=3,
    )
    data, expected = train_dataset(state), make_dataset("moons", n=120, K=2, seed=3)
    assert np.array_equal(data.X, expected.X)
    assert np.array_equal(data.labels, expected.labels)


def test_the_shared_training_cache_is_keyed_by_all_the_training_reads() -> None:
    """The cache shared by every session trains a state rebuilt from its key alone
    (``views.common.TRAIN_FIELDS``): that state has the same configuration and data set as
    the whole link's, whose other settings (the sample's logits, the landscape's) are off
    their defaults too."""
    link = {**FULL_LINK, "T": "1.5", "smoothing": "0.05", "logits": "1,2,5", "lr": "0.1"}
    state, messages = parse_query(link)
    assert messages == ()
    keyed = AppState(**{name: getattr(state, name) for name in TRAIN_FIELDS})
    assert keyed != state
    assert train_config(keyed) == train_config(state)
    assert np.array_equal(train_dataset(keyed).X, train_dataset(state).X)


def test_the_sidebar_holds_only_what_training_uses() -> None:
    """On this view the sidebar has no logit or class inputs, and T and smoothing set there
    reach the training (a link's T shows in its settings expander)."""
    at = run_app(view="train", T="2", smoothing="0.1")
    sidebar_keys = {w.key for w in at.sidebar.number_input}
    assert "K" not in sidebar_keys
    assert {"T", "smoothing"} <= sidebar_keys
    cold = run_app(view="train")
    assert alts(at)["train_history"] != alts(cold)["train_history"]


def test_a_diverging_training_is_named_not_a_traceback() -> None:
    """A learning rate that drives the logits past float64's range says the training
    diverged and what to change, with no chart of nonsense."""
    at = run_app(
        view="train",
        model="mlp",
        activation="relu",
        width="32",
        train_lr="10",
        T="0.01",
        train_steps="200",
    )
    (error,) = [e.value for e in at.error]
    assert "the training diverged" in error
    assert "lower the learning rate" in error
    assert "train_regions" not in charts(at)


# --------------------------------------------------------------------------------------
# Presets: the stories in the sidebar
# --------------------------------------------------------------------------------------


def _accuracy(scene) -> float:
    """The trained model's accuracy on its own points, recomputed from its final weights."""
    o = forward_logits(scene.run.params, scene.data.X, scene.run.config.activation)
    return float(np.mean(np.argmax(o, axis=1) == scene.data.labels))


@pytest.mark.parametrize("name", list(TRAIN_PRESETS))
def test_each_story_loads_from_the_sidebar_and_trains(name: str) -> None:
    """Clicking a story in the sidebar loads its settings into the link and the page, which
    trains and draws with no error."""
    at = run_app(view="train", logits="1,2", present="1")
    at.pills(key="train_preset").set_value(name).run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    expected = to_query(train_preset_state(name, present=True))
    assert {k: at.query_params[k] for k in expected} == expected
    assert at.query_params["view"] == "train"
    assert at.query_params["present"] == "1"  # presentation mode is kept
    assert "train_regions" in charts(at)
    assert at.pills(key="train_preset").value is None  # the same story can be clicked again


def test_the_spiral_story_learns_the_spiral() -> None:
    """A hidden layer of 16 tanh units ends the spiral story above 95 % accuracy, where
    softmax regression on the same points stays below 70 %."""
    state = train_preset_state("mlp_spiral")
    assert _accuracy(train_scene(state)) >= 0.95
    assert _accuracy(train_scene(replace(state, model="softmax"))) < 0.7
    at = run_app(**to_query(state))
    reached = re.search(r"the accuracy is (\d+)%", alts(at)["train_regions"])
    assert reached is not None
    assert int(reached.group(1)) >= 95


def test_a_line_cannot_split_the_moons() -> None:
    """Softmax regression stays below 90 % on the moons story; a hidden layer on the same
    points passes 95 %."""
    state = train_preset_state("linear_moons")
    assert _accuracy(train_scene(state)) < 0.9
    assert _accuracy(train_scene(replace(state, model="mlp", width=16))) > 0.95


def test_a_learning_rate_too_high_oscillates() -> None:
    """In the learning-rate story the loss keeps overshooting: again and again it climbs
    back above where it started, while the same training at lr 0.5 never does."""
    state = train_preset_state("lr_high")
    loss = train_scene(state).run.loss
    above = loss[1:] > loss[0]
    climbs = int(np.sum(above[1:] & ~above[:-1]))  # rises back above the start
    assert climbs >= 4, loss
    assert loss.max() > 3 * loss[0]
    calm = train_scene(replace(state, train_lr=0.5)).run.loss
    assert np.all(calm[1:] < calm[0])
    assert calm[-1] < min(loss[-1], loss[0] / 2)


def _mse_grad_x(W: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂/∂x of Σ (softmax(W x + b) − y)², the app's one MSE, by central finite differences."""

    def loss(v: np.ndarray) -> float:
        o = W @ v + b
        p = np.exp(o - o.max())
        p /= p.sum()
        return float(np.sum((p - y) ** 2))

    h = 1e-6
    return np.array([(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize(
    ("loss", "size", "largest"), [("ce", "pull", "pull"), ("mse", "error", "error")]
)
def test_a_dots_size_is_called_its_pull_only_under_cross_entropy(
    loss: str, size: str, largest: str
) -> None:
    """Under MSE on p a point passes back 2J(p − y), not p − y, so the regions' key, its
    text alternative and the point box's help call Σ|p − y| its error there, and its pull
    under cross-entropy."""
    at = run_app(view="train", loss=loss, train_steps="20")
    subtitle = charts(at)["train_regions"]["layout"]["title"]["subtitle"]["text"]
    assert f"dot size: its {size} Σ|p − y|" in subtitle
    assert ("not its pull" in subtitle) == (loss == "mse")
    assert f"The largest {largest}, Σ|p − y| = " in alts(at)["train_regions"]
    (link,) = [b.label for b in at.get("link_button")]
    assert link.endswith("(under cross-entropy)") == (loss == "mse")
    assert ("largest error" in at.number_input(key="point").help) == (loss == "mse")


def test_the_text_says_99_percent_while_a_point_is_still_wrong() -> None:
    """The MSE story ends with 199 of 200 points right (the mislabelled one stays wrong):
    its text alternatives say 99 %, not a rounded 100 %, and name the data set plainly."""
    at = run_app(**TRAIN_PRESETS["mislabelled_mse"][1], view="train")
    regions = alts(at)["train_regions"]
    assert "on 200 points (one mislabelled point) in 3 classes" in regions
    assert "the accuracy is 99% " in regions
    assert alts(at)["train_history"].endswith(" to 99%.")


def test_mse_keeps_its_capitals_on_the_history_and_in_its_text() -> None:
    """With loss=mse the history's loss curve, its axis and the chart texts say "MSE on
    p", as the Loss box does (they said "mse on p")."""
    at = run_app(view="train", loss="mse", train_steps="20")
    history = charts(at)["train_history"]
    assert history["data"][0]["name"] == "MSE on p"
    assert history["layout"]["yaxis"]["title"]["text"] == "MSE on p"
    assert "the MSE on p is " in alts(at)["train_regions"]
    assert "mse on p" not in " ".join(alts(at).values())


def _plot_height(layout: dict) -> float:
    """The height of a figure's plot area: its height less its top and bottom margins."""
    return layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]


def test_the_regions_plot_grows_on_a_projector() -> None:
    """In presentation mode the regions' plot area is at least 1.4 times as tall as on a
    desk, as its type grows 1.75 times: the one-screen height cap also held the Play
    controls and the legend, which grew with the type, so the plot stayed at its desk
    size and shrank below it once the title's key grew."""
    desk = charts(run_app(view="train", train_steps="20"))["train_regions"]["layout"]
    projector = charts(run_app(view="train", train_steps="20", present="1"))
    assert _plot_height(projector["train_regions"]["layout"]) >= 1.4 * _plot_height(desk)


def test_on_a_phone_the_regions_plot_is_as_tall_as_the_screen_leaves_it_wide() -> None:
    """A phone (its user agent read once per session) gets a shorter regions figure whose
    square plot is as tall as a 390-pixel screen leaves it wide (358 px of chart less the
    side margins): the desk's height left bands of empty chart above and below it. The
    Play controls keep their place under the plot, in pixels."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(view="train", train_steps="20")
    at.session_state["on_phone"] = True
    at.run()
    assert not at.exception
    phone = charts(at)["train_regions"]["layout"]
    desk = charts(run_app(view="train", train_steps="20"))["train_regions"]["layout"]
    width = 358 - phone["margin"]["l"] - phone["margin"]["r"]
    assert abs(_plot_height(phone) - width) <= 4
    assert _plot_height(desk) > width + 100
    for layout in (phone, desk):
        buttons = layout["updatemenus"][0]["y"] * _plot_height(layout)
        assert buttons == pytest.approx(-70)  # BUTTONS_BELOW, the same on both


def test_the_mislabelled_story_uses_mse_and_mse_ignores_the_point() -> None:
    """The mislabelled-point story trains with MSE on p; after training, cross-entropy's
    ∂L/∂x at the flipped point is the largest of all points, MSE's is over 10 times
    smaller (the slow learning on a confidently wrong point)."""
    state = train_preset_state("mislabelled_mse")
    assert (state.train_data, state.loss, state.model) == ("mislabelled", "mse", "softmax")
    mse, ce = train_scene(state), train_scene(replace(state, loss="ce"))
    flipped = mse.data.flipped
    assert flipped is not None
    X, labels = ce.data.X, ce.data.labels
    W, b = ce.run.params[0].W, ce.run.params[0].b
    ce_pulls = [
        np.linalg.norm(linear_layer(x, W, b, int(k)).grad_x) for x, k in zip(X, labels, strict=True)
    ]
    assert int(np.argmax(ce_pulls)) == flipped
    y = np.eye(mse.data.K)[labels[flipped]]
    W, b = mse.run.params[0].W, mse.run.params[0].b
    assert np.linalg.norm(_mse_grad_x(W, b, X[flipped], y)) < ce_pulls[flipped] / 10


# --------------------------------------------------------------------------------------
# Uploading points
# --------------------------------------------------------------------------------------


def upload(csv: bytes, **query: str) -> AppTest:
    """Open the train view (moons by default), choose "Upload" and upload ``csv``."""
    at = run_app(**{"view": "train", "train_data": "moons", "train_steps": "30", **query})
    at.selectbox(key="train_data").set_value("upload").run()
    assert not at.exception
    assert [f.label for f in at.file_uploader] == ["CSV of points: columns x1, x2 and label"]
    at.file_uploader[0].set_value(("points.csv", csv, "text/csv")).run()
    assert not at.exception
    return at


BAD_FILES = [
    pytest.param(
        b"x1,x2,label\n0,0,a\n1,1,a\n2,2,a\n",
        "every point has the label 'a': training needs at least 2 classes",
        id="one class",
    ),
    pytest.param(
        b"x1,x2,label\n0,nan,0\n1,1,1\n",
        "row 1, column 'x2': 'nan' is not a finite number (NaN or infinite)",
        id="NaN",
    ),
    pytest.param(
        b"x1,x2,label\n" + b"0.5,-1.25,1\n" * 1_000_000,
        "the file has more than 1,000 points; the trainer takes at most 1,000",
        id="a million rows",
    ),
    pytest.param(
        b"x1,x2,label\n0,zero,0\n1,1,1\n",
        "row 1, column 'x2': 'zero' is not a number",
        id="not a number",
    ),
]


@pytest.mark.parametrize(("csv", "message"), BAD_FILES)
def test_a_bad_file_is_named_and_the_preset_keeps_training(csv: bytes, message: str) -> None:
    """A bad upload gets its named message; the moons preset still trains and draws, and
    the link's settings are kept."""
    at = upload(csv, train_lr="0.3")
    (error,) = [e.value.replace("\\", "") for e in at.error]
    assert message in error
    assert "The Moons preset trains instead" in error
    assert "points (moons)" in alts(at)["train_regions"]
    assert at.query_params["train_data"] == "moons"
    assert at.query_params["train_lr"] == "0.3"


def test_a_good_file_trains_on_its_points() -> None:
    """A good upload trains on exactly its points and class names; the link still names
    the preset (it can't carry the file), and the page says so."""
    rows = [(-2.0 + 0.1 * i, 1.0, "cat") for i in range(10)]
    rows += [(2.0 - 0.1 * i, -1.0, "dog") for i in range(10)]
    csv = ("x1,x2,label\n" + "".join(f"{a},{b},{k}\n" for a, b, k in rows)).encode()
    at = upload(csv)
    assert [e.value for e in at.error] == []
    regions = charts(at)["train_regions"]
    assert "20 points (uploaded) in 2 classes" in alts(at)["train_regions"]
    classes = [t for t in regions["data"] if t.get("legendgroup") != "chosen"]  # not its ring
    points = {t["name"]: plotted(t["x"]) for t in classes if t.get("mode") == "markers"}
    assert set(points) == {"cat", "dog"}
    for name in ("cat", "dog"):
        expected = sorted(a for a, _, k in rows if k == name)
        assert np.allclose(sorted(points[name]), expected, atol=1e-6)
    assert at.query_params["train_data"] == "moons"
    assert any("can't carry the file" in c.value for c in at.caption)
    assert open_expander(at, "train_details_open").slider(key="train_n").disabled
    at.selectbox(key="train_data").set_value("blobs").run()  # back to a preset
    assert not at.file_uploader
    assert "points (blobs)" in alts(at)["train_regions"]


# --------------------------------------------------------------------------------------
# One layer back for a point
# --------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+\.\d+(?: \\times 10\^\{-?\d+\})?")


def _numbers(latex: str) -> list[float]:
    """The numbers written after the last '=' of a LaTeX line."""
    tail = latex.rsplit("=", 1)[1]
    values = []
    for text in _NUMBER.findall(tail):
        mantissa, _, exponent = text.partition(r" \times 10^{")
        values.append(float(mantissa) * 10 ** int(exponent.rstrip("}") or 0))
    return values


def _line(at: AppTest, start: str) -> str:
    """The one LaTeX line that starts with ``start``."""
    (found,) = [m.value.strip("$\n") for m in at.latex if m.value.strip("$\n").startswith(start)]
    return found


def _softmax(o: np.ndarray, T: float = 1.0) -> np.ndarray:
    e = np.exp((o - o.max()) / T)
    return e / e.sum()


def _trained(query: dict[str, str]):
    """The scene the page trains for ``query`` (the same cached run)."""
    state, messages = parse_query(query)
    assert messages == ()
    return train_scene(state)


def test_the_point_panel_shows_the_points_numbers_with_the_trained_weights() -> None:
    """For point 5 the panel writes o = Wx + b, p = softmax(o/T), (p − y)/T, ∂L/∂W and
    ∂L/∂x computed here in closed form from the run's final W and b, at 4 decimals, with
    the training's own smoothed target y = 0.9·one-hot + 0.1/3."""
    query = {"view": "train", "train_steps": "40", "T": "2", "smoothing": "0.1", "point": "5"}
    at = run_app(**query)
    assert [e.value for e in at.error] == []
    scene = _trained(query)
    W, b = scene.run.params[0].W, scene.run.params[0].b
    x, k = scene.data.X[5], int(scene.data.labels[5])
    o = W @ x + b
    p = _softmax(o, 2.0)
    g = (p - (0.9 * np.eye(3)[k] + 0.1 / 3)) / 2.0
    assert any("One layer back for point 5" in m.value for m in at.markdown)
    assert np.allclose(_numbers(_line(at, "o = Wx + b")), o, atol=6e-5)
    assert np.allclose(_numbers(_line(at, r"p = \mathrm{softmax}(o/T)")), p, atol=6e-5)
    assert np.allclose(_numbers(_line(at, r"\frac{\partial L}{\partial o}")), g, atol=6e-5)
    grad_W = _numbers(_line(at, r"\frac{\partial L}{\partial W}"))
    assert np.allclose(grad_W, np.outer(g, x).ravel(), atol=6e-5)
    assert np.allclose(_numbers(_line(at, r"\frac{\partial L}{\partial x}")), W.T @ g, atol=6e-5)
    assert {"train_point_graph", "train_point_outer"} <= set(charts(at))
    assert at.number_input(key="point").value == 5
    # The outer product's columns are x₁ and x₂, as the regions' axes name them x1, x2.
    outer = charts(at)["train_point_outer"]["layout"]["xaxis"]["ticktext"]
    assert [t.split("<br>")[0] for t in outer] == ["x₁", "x₂"]
    regions = charts(at)["train_regions"]["layout"]
    assert (regions["xaxis"]["title"]["text"], regions["yaxis"]["title"]["text"]) == ("x1", "x2")


def test_the_hidden_layers_dl_dx_matches_finite_differences() -> None:
    """With one hidden layer the panel's ∂L/∂x for the point equals central finite
    differences of the trained network's cross-entropy at that point."""
    query = {"view": "train", "model": "mlp", "train_data": "moons", "train_steps": "40"}
    query["point"] = "3"
    at = run_app(**query)
    scene = _trained(query)
    (W1, b1), (W2, b2) = scene.run.params
    x, k = scene.data.X[3], int(scene.data.labels[3])

    def loss(v: np.ndarray) -> float:
        return -float(np.log(_softmax(W2 @ np.tanh(W1 @ v + b1) + b2)[k]))

    h = 1e-6
    fd = [(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.allclose(_numbers(_line(at, r"\frac{\partial L}{\partial x}")), fd, atol=6e-5)
    assert "train_point_graph" in charts(at)
    assert "train_point_outer" not in charts(at)  # a hidden layer's W2 is (p − y) hᵀ


def test_under_mse_the_panel_follows_the_mse_the_training_used() -> None:
    """A training under MSE is followed one layer back under MSE: the panel writes p − y
    on a line of its own, then ∂L/∂o = 2J(p − y) and ∂L/∂x, the finite differences of
    Σ (p − y)² at the point with the trained weights (not cross-entropy's, which the panel
    showed before, about ten times larger on the mislabelled point); the graph and the
    outer product name MSE's loss and factor, and the point's arrow is along MSE's −∂L/∂x."""
    query = {"view": "train", "train_data": "mislabelled", "loss": "mse", "train_steps": "60"}
    at = run_app(**query)
    assert [e.value for e in at.error] == []
    scene = _trained(query)
    i = scene.data.flipped
    assert i is not None
    at.number_input(key="point").set_value(i).run()
    W, b = scene.run.params[0].W, scene.run.params[0].b
    x, k = scene.data.X[i], int(scene.data.labels[i])
    y = np.eye(3)[k]
    p = _softmax(W @ x + b)
    fd = _mse_grad_x(W, b, x, y)
    assert np.allclose(_numbers(_line(at, "p - y =")), p - y, atol=6e-5)
    grad_o = _numbers(_line(at, r"\frac{\partial L}{\partial o} = 2J(p - y)"))
    assert np.allclose(grad_o, 2 * (np.diag(p) - np.outer(p, p)) @ (p - y), atol=6e-5)
    grad_x = _numbers(_line(at, r"\frac{\partial L}{\partial x} = W^\top 2J(p - y)"))
    assert np.allclose(grad_x, fd, rtol=1e-3, atol=6e-5)
    ce = linear_layer(x, W, b, k).grad_x
    assert np.linalg.norm(ce) > 5 * np.linalg.norm(fd)  # what the panel used to show
    assert any("2J(p − y)" in c.value for c in at.caption)
    graph, outer = charts(at)["train_point_graph"], charts(at)["train_point_outer"]
    words = " ".join(a["text"] for a in graph["layout"]["annotations"])
    assert "L = Σ (p − y)²" in words
    assert "∂L/∂o = 2J(p − y)" in words
    assert "log p" not in words
    assert outer["layout"]["title"]["text"].startswith("∂L/∂W = 2J(p − y) xᵀ")
    arrow = [t for t in charts(at)["train_regions"]["data"] if t.get("name") == "−∂L/∂x"]
    assert arrow, "the chosen point's arrow"
    ax, ay = plotted(arrow[0]["x"]), plotted(arrow[0]["y"])
    direction = np.array([ax[1] - ax[0], ay[1] - ay[0]])
    cos = direction @ -fd / (np.linalg.norm(direction) * np.linalg.norm(fd))
    assert cos > 0.999


def _panel_point(at) -> int:
    """The point the panel follows, from its heading."""
    (found,) = [m.value for m in at.markdown if m.value.startswith("#### One layer back")]
    return int(found.rsplit(" ", 1)[1])


def test_the_point_box_writes_the_link_and_the_default_is_the_hardest_pull() -> None:
    """With no point= the panel opens the point pulling hardest (named in the regions'
    text) and the link has no point: the box is empty, that point greyed in it (a number
    nobody typed is no choice to send back). The box sets point= and the panel follows;
    emptied, it takes point= away and the panel goes back to the hardest pull."""
    at = run_app(view="train", train_steps="30")
    hardest = re.search(r"is point (\d+)\.", alts(at)["train_regions"])
    assert hardest is not None
    box = at.number_input(key="point")
    assert (box.value, box.proto.placeholder) == (None, hardest.group(1))
    assert _panel_point(at) == int(hardest.group(1))
    assert "point" not in at.query_params
    at.number_input(key="point").set_value(7).run()
    assert at.query_params["point"] == "7"
    assert at.number_input(key="point").value == 7
    assert _panel_point(at) == 7
    at.number_input(key="point").set_value(None).run()
    assert "point" not in at.query_params
    assert _panel_point(at) == int(hardest.group(1))


def test_the_more_settings_stay_open_through_a_change_inside_them() -> None:
    """The expander's title tells its settings, so a change inside it retitles it; it
    stays open (a new title had made it a new expander, shut), and shuts when shut."""
    at = run_app(view="train", train_steps="30")
    open_expander(at, "train_details_open")
    at.number_input(key="train_seed").set_value(4).run()
    assert at.query_params["train_seed"] == "4"
    assert any(e.label.startswith("More: seed 4,") for e in at.expander)
    at.slider(key="train_n").set_value(150).run()
    assert at.number_input(key="train_seed").value == 4  # still drawn: still open
    assert at.slider(key="train_n").value == 150
    at.session_state["train_details_open"] = False
    at.run()
    assert "train_seed" not in {w.key for w in at.number_input}


def test_new_data_under_an_unchosen_point_adds_no_point_to_the_link() -> None:
    """More points (a new data set, a new hardest pull) and a different data preset leave
    the link without point= while none was chosen: the box held the old default and sent
    it back as a choice when the data changed between two quick edits."""
    at = run_app(view="train", train_steps="30")
    open_expander(at, "train_details_open")
    at.slider(key="train_n").set_value(220).run()
    at.selectbox(key="train_data").set_value("moons").run()
    assert "point" not in at.query_params
    assert at.number_input(key="point").value is None


def test_a_bad_point_in_the_link_is_named_and_the_rest_is_kept() -> None:
    """point=500 on 200 points is named on the page, the point pulling hardest is shown,
    and the other settings of the link are used; point=abc is named at the top."""
    at = run_app(view="train", train_steps="30", train_lr="0.3", point="500")
    (warning,) = [w for w in warnings_text(at).split("\n") if "point:" in w]
    assert "500 is not a point of this data set, which has 200 points (0 to 199)" in warning
    hardest = re.search(r"is point (\d+)\.", alts(at)["train_regions"])
    assert hardest is not None
    assert _panel_point(at) == int(hardest.group(1))
    assert at.number_input(key="point").value is None
    assert at.query_params["train_lr"] == "0.3"
    assert [e.value for e in at.error] == []
    at = run_app(view="train", train_steps="30", point="abc")
    assert "point: 'abc' is not a whole number." in warnings_text(at)
    assert at.slider(key="train_steps").value == 30


def test_the_gradient_view_link_carries_the_points_logits_class_and_T() -> None:
    """The link under the panel reads back as the point's o = Wx + b (exactly), its true
    class, the training's T and ε, on the gradient view."""
    query = {"view": "train", "train_steps": "30", "T": "0.5", "smoothing": "0.1"}
    query["point"] = "11"
    at = run_app(**query)
    (button,) = at.get("link_button")
    assert button.proto.label == "Open its logits in the gradient view"
    link = urlsplit(button.proto.url)
    state, messages = parse_query(dict(parse_qsl(link.query)))
    assert messages == ()
    scene = _trained(query)
    W, b = scene.run.params[0].W, scene.run.params[0].b
    assert np.allclose(state.logits, W @ scene.data.X[11] + b, rtol=1e-12, atol=1e-12)
    assert state.target == int(scene.data.labels[11])
    assert (state.view, state.T, state.smoothing, state.y) == ("gradient", 0.5, 0.1, None)


# --------------------------------------------------------------------------------------
# The README's lecture recipe for this issue
# --------------------------------------------------------------------------------------

RECIPE_HEADING = "## Lecture recipe: from p − y to a trained classifier"


def readme_story() -> list[dict[str, str]]:
    """The links of the README's "from p − y to a trained classifier" recipe, in order."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split(RECIPE_HEADING, 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r"^\d\. [^`\n]*`\?([^`]+)`", section, flags=re.MULTILINE)
    return [dict(part.split("=", 1) for part in query.split("&")) for query in queries]


def test_the_readme_recipe_tells_the_story_in_four_links() -> None:
    """The recipe's four links open, with no message, the gradient view, a linear layer,
    a digit the model gets wrong, and the hidden layer that learns the spiral to 95 %+."""
    links = readme_story()
    assert [q.get("view") for q in links] == ["gradient", "layer", "layer", "train"]
    pages = [run_app(**query) for query in links]
    for at, query in zip(pages, links, strict=True):
        assert not at.warning, (query, warnings_text(at))
        assert [e.value for e in at.error] == [], query
        written = {k: at.query_params[k] for k in at.query_params}
        assert parse_query(written) == (parse_query(query)[0], ())  # the link is kept
    assert links[1]["layer"] == "linear"
    digit = int(links[2]["digit"])
    assert links[2]["layer"] == "digits"
    assert digit_model().predicted[digit] != load_digits().labels[digit]
    state, _ = parse_query(links[3])
    assert (state.train_data, state.model) == ("spiral", "mlp")
    reached = re.search(r"the accuracy is (\d+)%", alts(pages[3])["train_regions"])
    assert reached is not None
    assert int(reached.group(1)) >= 95
    assert any("One layer back for point" in m.value for m in pages[3].markdown)


def test_the_chosen_point_is_ringed_with_its_descent_direction_on_the_regions() -> None:
    """The regions chart rings the panel's point and draws an arrow from it along
    −∂L/∂x, computed here in closed form (Wᵀ(p − y)) from the run's final weights; picking
    another point moves the ring and the arrow, and the shared cached figure gains
    nothing (one ring, one arrow, whatever came before)."""
    query = {"view": "train", "train_steps": "40", "point": "5"}
    at = run_app(**query)
    scene = _trained(query)
    W, b = scene.run.params[0].W, scene.run.params[0].b
    for i in (5, 9):
        if i == 9:
            at.number_input(key="point").set_value(9).run()
        traces = charts(at)["train_regions"]["data"]
        rings = [t for t in traces if t.get("legendgroup") == "chosen" and t["mode"] == "markers"]
        rings = [t for t in rings if t.get("showlegend") is False]  # not the legend's entry
        arrows = [t for t in traces if t.get("name", "").startswith("−∂L/∂x")]
        assert len(rings) == 2  # the halo and the ink
        assert len(arrows) == 1
        x, k = scene.data.X[i], int(scene.data.labels[i])
        for ring in rings:
            assert ring["name"] == f"point {i}"
            assert np.allclose([plotted(ring["x"])[0], plotted(ring["y"])[0]], x, atol=1e-6)
        g = W.T @ (_softmax(W @ x + b) - np.eye(3)[k])
        xs, ys = plotted(arrows[0]["x"]), plotted(arrows[0]["y"])
        assert np.allclose([xs[0], ys[0]], x, atol=1e-6)
        way = np.array([xs[1] - xs[0], ys[1] - ys[0]])
        cosine = way @ -g / (np.linalg.norm(way) * np.linalg.norm(g))
        assert cosine > 1 - 1e-6


def test_the_details_expander_names_its_settings_and_builds_them_only_when_open() -> None:
    """The settings a lesson rarely changes sit in an expander whose title names them (so
    a shut expander still shows them); its widgets are built only while it is open, and
    one changed there writes the link."""
    at = run_app(view="train", model="mlp", train_seed="4", batch="20", l2="0.01")
    titles = [e.label for e in at.expander]
    assert any(
        "seed 4" in t and "200 points" in t and "batches of 20" in t and "L2 0.01" in t
        for t in titles
    )
    assert not [w for w in at.number_input if w.key == "train_seed"]
    open_expander(at, "train_details_open")
    at.number_input(key="train_seed").set_value(9).run()
    assert at.query_params["train_seed"] == "9"
    assert any("seed 9" in e.label for e in at.expander)


def test_one_session_draws_the_page_at_a_time() -> None:
    """While one session's "Watch it learn" page is being drawn, another session's waits
    for it, and then draws in full: side by side under Python's lock a class only took
    turns, at twice the server's CPU (python -m bench hall 100 --view train)."""
    from ce_viz.views import train as view

    done = threading.Event()
    runs: list[AppTest] = []

    def another_session() -> None:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(view="train", train_steps="5", train_lr="0.123457")
        runs.append(at.run())
        done.set()

    run_app(view="train", train_steps="5")  # warm: imports and caches take no part below
    with view.ONE_PAGE:
        worker = threading.Thread(target=another_session, daemon=True)
        worker.start()
        assert not done.wait(1.0)
    assert done.wait(60)
    worker.join(5)
    (at,) = runs
    assert not at.exception
    assert "train_regions" in charts(at)


def test_only_a_long_training_says_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """A training says "Training…" only when it is long (a spinner costs a timer thread
    every call, and Streamlit shows it only after half a second): not at the default link,
    yes at the largest settings a link allows."""
    import contextlib

    from ce_viz.views import common

    said: list[str] = []

    @contextlib.contextmanager
    def spinner(text: str):
        said.append(text)
        yield

    monkeypatch.setattr(common.st, "spinner", spinner)
    common.training(AppState(view="train", train_steps=7, train_lr=0.31))
    assert said == []
    long = AppState(view="train", model="mlp", width=32, train_n=1000, train_steps=70)
    assert common.training_work(long) >= common.SPINNER_WORK
    common.training(long)
    assert said == ["Training…"]
