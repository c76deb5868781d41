"""The "Watch it learn" view through AppTest: the default page trains and draws its charts,
every data preset draws, a bad width in the link is named and the rest used, the hidden
layer with ReLU draws, and the link carries every training setting both ways."""

from __future__ import annotations

import json

import pytest

from ce_viz.state import TRAIN_DATA
from ce_viz.train import MAX_SNAPSHOTS
from tests.apptest import chart_payload, run_app, warnings_text

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


def test_default_page_trains_and_draws_three_charts() -> None:
    """The default link draws the animated regions, the history and the linear weights."""
    at = run_app(view="train")
    assert [e.value for e in at.error] == []
    figs = charts(at)
    assert set(figs) == {"train_regions", "train_history", "train_weights"}
    frames = figs["train_regions"]["frames"]
    # 100 steps: 25 evenly spread snapshots, the first before training, the last at 100.
    assert len(frames) == MAX_SNAPSHOTS
    assert frames[0]["name"] == "0"
    assert frames[-1]["name"] == "100"
    assert figs["train_regions"]["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ Play"
    assert all(size < 1_000_000 for size in chart_payload(at).values())
    text = alts(at)
    assert "200 blobs points in 3 classes" in text["train_regions"]
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
    assert set(charts(at)) == {"train_regions", "train_history"}
    assert at.radio(key="activation").value == "relu"
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
