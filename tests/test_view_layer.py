"""The "One layer back" view (view=layer) through AppTest: both tabs drawn with their live
numbers, the digit picked by the link, bad link values named, and the link written back.

Expected numbers come from NumPy written out here (o = Wx + b, softmax by exp and sum,
Wᵀ(p − y), the arg-max over the digit's logits), not from the view's own code path.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from ce_viz.digits import digit_model, load_digits
from ce_viz.fmt import fmt
from ce_viz.layer import example_weights
from ce_viz.state import DEFAULT, X_FEATURES, AppState, parse_query
from tests.apptest import chart_payload, metric, run_app, warnings_text


def _latex(at) -> str:
    return " ".join(t.value for t in at.latex)


def _tex4(v: float) -> str:
    return fmt(float(v), 4).replace("\u2212", "-")


def test_linear_tab_shows_o_and_the_gradients_with_live_numbers() -> None:
    """view=layer opens the linear layer: o = Wx + b, ∂L/∂b = p − y and ∂L/∂x = Wᵀ(p − y)
    for the link's x and true class, each checked against NumPy, and its three charts."""
    x = np.array([0.5, -2.0, 3.0])
    at = run_app(view="layer", x="0.5,-2,3", target="2")
    assert not [e.value for e in at.error]
    assert set(chart_payload(at)) == {"layer_graph_chart", "outer_chart", "hidden_graph_chart"}
    W, b = example_weights(3, X_FEATURES)
    o = W @ x + b
    p = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
    g = p - np.array([0.0, 0.0, 1.0])
    text = _latex(at)
    for value in (*o, *g, *(W.T @ g)):
        assert _tex4(value) in text, (value, text[:300])
    assert "they come from a linear layer" in " ".join(m.value for m in at.markdown)


def test_digits_tab_shows_the_true_class_and_the_prediction() -> None:
    """layer=digits&digit=5 shows digit 5's label and the arg-max of its logits."""
    at = run_app(view="layer", layer="digits", digit="5")
    d, model = load_digits(), digit_model()
    logits = model.W @ (d.pixels[5] / 16.0) + model.b
    assert metric(at, "True class") == str(int(d.labels[5]))
    assert metric(at, "Predicted") == str(int(np.argmax(logits)))
    assert {"digit_chart", "digit_p_chart", "digit_grad_chart", "digit_dw_chart"} <= set(
        chart_payload(at)
    )


def test_bad_digit_and_bad_x_are_named_and_the_rest_kept() -> None:
    """An out-of-range digit and a non-number in x are each named in the link's warning;
    the digit falls back to 0 and the tab asked for stays open."""
    at = run_app(view="layer", layer="digits", digit="1797", x="1,a,3")
    said = warnings_text(at)
    assert "digit: 1797 is out of range; it must be between 0 and 1796." in said
    assert "x: entry 2, 'a', is not a number." in said
    assert metric(at, "True class") == str(int(load_digits().labels[0]))
    assert "digit_dw_chart" in chart_payload(at)


def test_the_link_round_trips_and_follows_the_widgets() -> None:
    """A link's layer=, x= and digit= are written back unchanged; typing a digit index and
    a new x changes the link, and bad x text is named under its box, the old x kept."""
    query = {"view": "layer", "layer": "digits", "x": "0.5,-2,3.25", "digit": "42"}
    at = run_app(**query)
    assert {k: at.query_params[k] for k in query} == query
    at.number_input(key="digit").set_value(7).run()
    assert at.query_params["digit"] == "7"
    assert metric(at, "True class") == str(int(load_digits().labels[7]))

    at = run_app(view="layer")
    at.text_input(key="x_text").input("2, 0, -1").run()
    assert at.query_params["x"] == "2,0,-1"
    at.text_input(key="x_text").input("2, 0").run()
    assert "x: 2 values given for 3 features." in warnings_text(at)
    assert at.query_params["x"] == "2,0,-1"


def test_the_gallery_of_wrong_digits_opens_one() -> None:
    """The pills list exactly the digits whose logits' arg-max is not their label; picking
    one opens it (digit= in the link) and it is shown as wrong."""
    d, model = load_digits(), digit_model()
    logits = (d.pixels / 16.0) @ model.W.T + model.b
    wrong = np.flatnonzero(np.argmax(logits, axis=1) != d.labels).tolist()
    at = run_app(view="layer", layer="digits")
    pills = at.button_group(key="wrong_pick")
    assert list(pills.options) == [f"#{i}" for i in wrong]
    pills.set_value(wrong[0]).run()
    assert at.query_params["digit"] == str(wrong[0])
    assert metric(at, "True class") == str(int(d.labels[wrong[0]]))
    assert metric(at, "Predicted") != metric(at, "True class")


def _softmax(o: np.ndarray) -> np.ndarray:
    e = np.exp(o - o.max())
    return e / e.sum()


def test_the_sidebar_shows_only_what_the_layer_reads() -> None:
    """On view=layer the sidebar has no logit sliders, boxes or presets (o = Wx + b is
    computed) and says so; its K and true class change the page's o and p − y; on the
    digits tab, whose model fixes K, T and ε, none of the sample's inputs are shown."""
    x = np.array([1.0, -0.5, 2.0])
    at = run_app(view="layer", x="1,-0.5,2")
    side = at.sidebar
    assert len(side.slider) == 0
    assert [n.key for n in side.number_input] == ["K"]
    assert "preset" not in [b.key for b in side.button_group]
    assert "o = Wx + b" in " ".join(c.value for c in side.caption)
    side.number_input(key="K").set_value(4).run()
    at.sidebar.selectbox(key="target").select(3).run()
    assert at.query_params["target"] == "3"
    W, b = example_weights(4, X_FEATURES)
    o = W @ x + b
    g = _softmax(o) - np.eye(4)[3]
    text = _latex(at)
    for value in (*o, *g):
        assert _tex4(value) in text, (value, text[:300])

    at = run_app(view="layer", layer="digits")
    side = at.sidebar
    assert (len(side.slider), len(side.number_input), len(side.selectbox)) == (0, 0, 0)
    assert "none of the sample's inputs apply" in " ".join(c.value for c in side.caption)
    assert [t.key for t in side.toggle] == ["present"]


def _gradient_link(at) -> AppState:
    """The state that the page's "Open these logits in the gradient view" link opens."""
    (button,) = at.get("link_button")
    assert button.proto.label == "Open these logits in the gradient view"
    state, messages = parse_query(dict(parse_qsl(urlsplit(button.proto.url).query)))
    assert messages == ()
    return state


def test_the_linear_tab_links_its_logits_to_the_gradient_view() -> None:
    """The linear tab's link opens the gradient view with o = Wx + b, the true class, T, ε
    and the names in force, and nothing of this view's own settings."""
    x = np.array([0.5, -2.0, 3.0])
    at = run_app(view="layer", x="0.5,-2,3", target="2", T="2", smoothing="0.1", names="a,b,c")
    state = _gradient_link(at)
    W, b = example_weights(3, X_FEATURES)
    np.testing.assert_allclose(state.logits, W @ x + b, rtol=1e-12, atol=1e-12)
    assert (state.view, state.target, state.y, state.T, state.smoothing, state.names) == (
        "gradient",
        2,
        None,
        2.0,
        0.1,
        ("a", "b", "c"),
    )
    assert (state.x, state.layer_tab) == (DEFAULT.x, DEFAULT.layer_tab)
    soft = _gradient_link(run_app(view="layer", y="0.2,0.5,0.3", present="1"))
    assert (soft.y, soft.present) == ((0.2, 0.5, 0.3), True)


def test_the_digits_tab_links_the_digits_logits_to_the_gradient_view() -> None:
    """The digits tab's link opens the gradient view with the digit's ten logits, its
    label as the true class, the names 0..9, T = 1 and no smoothing, whatever the
    sidebar's T."""
    d, model = load_digits(), digit_model()
    at = run_app(view="layer", layer="digits", digit="37", T="3", target="2")
    state = _gradient_link(at)
    np.testing.assert_allclose(
        state.logits, model.W @ (d.pixels[37] / 16.0) + model.b, rtol=1e-12, atol=1e-12
    )
    assert (state.view, state.target, state.y, state.T, state.smoothing) == (
        "gradient",
        int(d.labels[37]),
        None,
        1.0,
        0.0,
    )
    assert state.names == tuple(str(j) for j in range(10))


def test_presentation_mode_spreads_the_graphs_for_the_larger_type() -> None:
    """present=1: the graphs' type is 1.75× larger, and so is their room: each row of the
    hidden layer's eleven at least 1.75 × 60 pixels tall (capped at one screen they
    squeezed into one another), and the text column as far again from the chain."""
    at = run_app(view="layer", present="1")
    specs = {
        c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")
    }
    for key, rows in (("layer_graph_chart", 7), ("hidden_graph_chart", 11)):
        layout = specs[key]["layout"]
        margin = layout["margin"]
        assert (layout["height"] - margin["t"] - margin["b"]) / rows >= 1.75 * 60 - 1, key
        notes = layout["annotations"]
        node = next(n for n in notes if n["text"] == "<b>x</b>")
        text = next(n for n in notes if n["text"].startswith("x = "))
        assert text["xshift"] - node["xshift"] >= 1.75 * 20 - 1
        assert min(n["font"]["size"] for n in notes) >= 1.75 * 14
