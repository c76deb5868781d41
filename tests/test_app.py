"""The app's behaviour through streamlit.testing.v1.AppTest: URL in, widgets, URL out."""

from __future__ import annotations

import math
import threading

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from ce_viz.views.common import one_blas_thread
from tests.apptest import loss, metric, open_expander, run_app, warnings_text


def test_first_screen_is_the_seed_example() -> None:
    """With no query, the page shows logits (2, 3, 4), true class 1 and loss 1.4076."""
    at = run_app()
    assert metric(at, "Loss") == "1.4076"
    assert metric(at, "p of true class") == "0.2447"
    assert [at.number_input(key=f"num_{i}").value for i in range(3)] == [2.0, 3.0, 4.0]
    assert at.selectbox(key="target").value == 1
    # The bare address means these defaults; the share box spells them out.
    assert dict(at.query_params) == {}
    (link,) = [c.value for c in at.code if "?" in c.value]
    assert link.endswith("?logits=2,3,4&target=1&T=1&smoothing=0&view=gradient")
    assert not at.warning


def test_a_link_streamlit_drops_stays_in_the_address_bar() -> None:
    """A query of over 1000 parameters reaches the script as no query: the defaults show, and
    the address bar keeps the link until the user changes something."""
    query = {"logits": "1,2", "view": "why", **{f"utm_{i}": "1" for i in range(999)}}
    at = run_app(**query)
    assert metric(at, "Loss") == "1.4076"  # Streamlit dropped logits=1,2 with the rest
    assert at.query_params == query
    at.segmented_control(key="view").set_value("derivation").run()
    assert dict(at.query_params) == {
        "logits": "2,3,4",
        "target": "1",
        "T": "1",
        "smoothing": "0",
        "view": "derivation",
    }


# (query, loss computed by hand)
QUERY_CASES = [
    ({"logits": "0,0", "target": "0"}, math.log(2)),
    ({"logits": "0,1", "target": "0"}, math.log(1 + math.e)),
    ({"logits": "0,0,0,0", "target": "3", "T": "5"}, math.log(4)),
    ({"logits": "0,2", "target": "1", "T": "2"}, math.log(1 + math.exp(-1))),
    ({"logits": "0,0", "y": "0.25,0.75"}, math.log(2)),
    ({"logits": "0,0", "target": "0", "smoothing": "0.5"}, math.log(2)),
    ({"logits": "1000,0,-1000", "target": "2"}, 2000.0),
    ({"logits": "3,3", "names": "cat,dog", "target": "1"}, math.log(2)),
]


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES)
def test_query_parameters_set_the_state(query: dict[str, str], expected: float) -> None:
    """Each URL parameter reaches the computation: the loss matches a closed form."""
    at = run_app(**query)
    assert loss(at) == pytest.approx(expected, abs=5e-5)
    assert not at.warning
    for key, value in query.items():
        assert at.query_params[key] == value


def test_names_appear_as_plain_text_in_table_and_selector() -> None:
    """Class names from the URL label the table rows and the true-class choices."""
    at = run_app(logits="1,2,3", names="<b>cat</b>,**dog**,$x$", target="0")
    table = open_expander(at, "table_open").dataframe[0].value
    assert list(table["class"]) == ["<b>cat</b>", "**dog**", "$x$"]
    assert at.selectbox(key="target").options == ["0: <b>cat</b>", "1: **dog**", "2: $x$"]
    assert at.query_params["names"] == "<b>cat</b>,**dog**,$x$"


BAD_QUERIES = [
    ({"logits": "1,x,3"}, "logits: entry 2, 'x', is not a number"),
    ({"logits": "1,nan"}, "is not a finite number"),
    ({"logits": ",".join(["1"] * 100_000)}, "too long"),
    ({"target": "5"}, "target: 5 is not a class"),
    ({"T": "-1"}, "T: -1 is out of range"),
    ({"smoothing": "1"}, "smoothing: 1 is out of range"),
    ({"y": "0.5,0.6,0.1"}, "y: the values sum to 1.2, not 1"),
    ({"names": "a,b"}, "names: 2 names given for 3 classes"),
    ({"view": "nowhere"}, "view: 'nowhere' is not a view"),
    ({"colour": "red"}, "'colour' is not a setting ce-viz knows"),
]


@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
def test_bad_link_values_get_a_message_and_defaults(query: dict[str, str], message: str) -> None:
    """A bad URL value is named in a warning; the page still shows the default sample."""
    at = run_app(**query)
    # Streamlit markdown escapes are in the raw text; compare without backslashes.
    assert message in warnings_text(at)
    assert metric(at, "Loss") == "1.4076"


def test_bad_field_keeps_the_rest_of_the_link() -> None:
    """One bad field does not throw away the good ones beside it."""
    at = run_app(logits="0,0,0,0", target="9", T="2", names="a,b,c,d", view="derivation")
    assert "target: 9 is not a class" in warnings_text(at)
    assert at.number_input(key="T").value == 2.0
    assert at.query_params["names"] == "a,b,c,d"
    assert at.query_params["view"] == "derivation"
    assert at.query_params["target"] == "1"  # the default stands in
    assert len(at.latex) >= 5


def test_typing_a_logit_moves_its_slider_and_the_url() -> None:
    """The exact box and the slider show one value, and the URL follows it."""
    at = run_app()
    at.number_input(key="num_1").set_value(5.0).run()
    assert at.slider(key="slider_1").value == 5.0
    assert at.query_params["logits"] == "2,5,4"
    p1 = math.exp(5) / (math.exp(2) + math.exp(5) + math.exp(4))
    assert loss(at) == pytest.approx(-math.log(p1), abs=5e-5)


def test_dragging_a_slider_updates_the_exact_box() -> None:
    """Moving a slider writes its value into the matching exact box."""
    at = run_app()
    at.slider(key="slider_0").set_value(-3.0).run()
    assert at.number_input(key="num_0").value == -3.0
    assert at.query_params["logits"] == "-3,3,4"


def test_logit_beyond_slider_range_disables_the_slider() -> None:
    """A logit of 1000 is exact in its box; the slider is pinned at its end and disabled."""
    at = run_app(logits="1000,0,-1000", target="2")
    assert at.number_input(key="num_0").value == 1000.0
    assert at.slider(key="slider_0").value == 10.0
    assert at.slider(key="slider_0").disabled
    assert metric(at, "Loss") == "2000.0000"


def test_changing_the_number_of_classes_resizes_everything() -> None:
    """K from 3 to 5 adds two zero logits; back to 2 drops the extra ones and clamps k."""
    at = run_app(target="2")
    at.number_input(key="K").set_value(5).run()
    assert len(at.slider) == 5
    assert at.query_params["logits"] == "2,3,4,0,0"
    at.number_input(key="K").set_value(2).run()
    assert len(at.slider) == 2
    assert at.query_params["logits"] == "2,3"
    assert at.query_params["target"] == "1"


def test_true_class_temperature_and_smoothing_widgets() -> None:
    """The target, T and ε controls each change the loss as the formulas say."""
    at = open_expander(run_app(logits="0,0", target="0"), "more_open")
    at.selectbox(key="target").set_value(1).run()
    assert at.query_params["target"] == "1"
    at.number_input(key="T").set_value(2.0).run()
    assert at.query_params["T"] == "2"
    assert loss(at) == pytest.approx(math.log(2), abs=5e-5)
    at.number_input(key="smoothing").set_value(0.2).run()
    assert at.query_params["smoothing"] == "0.2"
    grad = open_expander(at, "table_open").dataframe[0].value["gradient"]
    # p = (1/2, 1/2), y = (0.1, 0.9), T = 2: (p - y)/T = (0.2, -0.2)
    assert list(grad) == pytest.approx([0.2, -0.2], abs=1e-12)


def test_soft_target_toggle_and_entry() -> None:
    """The soft-target toggle starts from the one-hot y; a typed y replaces it in the URL."""
    at = run_app(logits="0,0,0", target="2")
    at.toggle(key="soft").set_value(True).run()
    assert at.text_input(key="y_text").value == "0, 0, 1"
    at.text_input(key="y_text").set_value("0.2, 0.3, 0.5").run()
    assert at.query_params["y"] == "0.2,0.3,0.5"
    assert "target" not in at.query_params
    assert loss(at) == pytest.approx(math.log(3), abs=5e-5)


def test_bad_soft_target_shows_an_error_and_keeps_the_last_good_one() -> None:
    """A y that does not sum to 1 is named beside the box; the last good y stays in use."""
    at = run_app(logits="0,0", y="0.5,0.5")
    at.text_input(key="y_text").set_value("0.9, 0.9").run()
    assert "y: the values sum to 1.8, not 1" in at.error[0].value.replace("\\", "")
    assert at.query_params["y"] == "0.5,0.5"
    assert at.text_input(key="y_text").value == "0.9, 0.9"


def test_class_names_entry_validates() -> None:
    """Names of the wrong count are refused with a message; the right count is used."""
    at = open_expander(run_app(), "more_open")
    at.text_input(key="names_text").set_value("cat, dog").run()
    assert "names: 2 names given for 3 classes" in at.error[0].value.replace("\\", "")
    assert "names" not in at.query_params
    at.text_input(key="names_text").set_value("cat, dog, bird").run()
    assert not at.error
    assert at.query_params["names"] == "cat,dog,bird"
    assert list(open_expander(at, "table_open").dataframe[0].value["class"]) == [
        "cat",
        "dog",
        "bird",
    ]


def test_view_switch_and_link_warnings_clear_after_a_change() -> None:
    """Switching to the derivation typesets it; a user change clears the link warnings."""
    at = run_app(target="7")
    assert at.warning
    at.segmented_control(key="view").set_value("derivation").run()
    assert at.query_params["view"] == "derivation"
    assert not at.warning
    assert any("-0.7553" in tex.value for tex in at.latex)


def test_derivation_finite_difference_check_with_chosen_step() -> None:
    """The finite-difference check agrees at h = 1e-5 and degrades at h = 1e-1."""
    at = run_app(view="derivation")
    good = float(metric(at, "Largest relative error"))
    assert good < 1e-8
    at.select_slider(key="h").set_value(0.1).run()
    assert at.query_params["h"] == "0.1"
    assert float(metric(at, "Largest relative error")) > 1e-4


def test_derivation_for_soft_target_and_temperature_uses_general_step() -> None:
    """With a soft target and T = 2 the derivation shows (p − y)/T and the general rule."""
    at = run_app(logits="1,2", y="0.3,0.7", T="2", view="derivation")
    sources = " ".join(tex.value for tex in at.latex)
    assert r"\delta_{ij}" in sources
    assert r"\frac{1}{T}(p - y)" in sources


def test_share_box_holds_the_link_to_this_view() -> None:
    """The sidebar's share box shows the query that reproduces the page."""
    at = run_app(logits="1,2", target="0", T="2")
    codes = [c.value for c in at.code]
    assert any(c.endswith("?logits=1,2&target=0&T=2&smoothing=0&view=gradient") for c in codes)
    at.number_input(key="T").set_value(3.0).run()
    assert any("T=3&" in c for c in (c.value for c in at.code))


def test_derivation_offers_its_latex_source() -> None:
    """The derivation view has a Download LaTeX button beside the typeset steps."""
    at = run_app(view="derivation")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download LaTeX" in labels


def test_presentation_mode_hides_the_title_and_round_trips() -> None:
    """present=1 drops the page title (room for the charts) and stays in the link."""
    at = run_app(present="1")
    assert not at.title
    assert at.query_params["present"] == "1"
    at.toggle(key="present").set_value(False).run()
    assert "present" not in at.query_params


def test_class_table_is_built_only_when_opened() -> None:
    """The table's expander starts closed and sends no grid; opened, it holds the
    numbers; the CSV download is there either way."""
    at = run_app(logits="0,0", target="0")
    assert not at.dataframe
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV"]
    table = open_expander(at, "table_open").dataframe[0].value
    assert list(table["probability"]) == pytest.approx([0.5, 0.5], abs=1e-15)
    assert list(table["gradient"]) == pytest.approx([-0.5, 0.5], abs=1e-15)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ({}, "Temperature, smoothing, names"),
        ({"T": "2"}, "Temperature, smoothing, names · T = 2"),
        ({"smoothing": "0.1", "names": "a,b,c"}, "ε = 0.1, names set"),
    ],
)
def test_more_settings_say_what_is_in_force(query: dict[str, str], label: str) -> None:
    """The expander with T, ε and names is open exactly when a link sets one of them, and
    its label names the values in force, so a closed expander hides nothing."""
    at = run_app(**query)
    (more,) = [e for e in at.expander if e.label.startswith("Temperature, smoothing")]
    assert more.label.endswith(label)
    shown = {n.key for n in at.number_input}
    assert ("T" in shown) == bool(query)


def test_preset_that_sets_temperature_opens_more_settings() -> None:
    """Choosing the high-temperature preset opens the expander, so T is visible at once."""
    at = run_app()
    assert "T" not in {n.key for n in at.number_input}
    (option,) = [o for o in at.pills(key="preset").options if "temperature" in o.lower()]
    at.pills(key="preset").set_value(option).run()
    assert at.number_input(key="T").value == float(at.query_params["T"])
    assert at.number_input(key="T").value != 1.0


def test_an_emptied_logit_box_keeps_the_logit_and_says_so() -> None:
    """Clearing a logit's box keeps its last value (it once became -1e300 unseen), names
    the box, and shows the value again; the next number typed is taken and the note goes."""
    at = run_app(logits="2,3,4.5", target="1")
    at.number_input(key="num_2").set_value(None).run()
    assert at.query_params["logits"] == "2,3,4.5"
    assert at.number_input(key="num_2").value == 4.5
    assert any("The box for o2 was empty; o2 stays 4" in e.value for e in at.error)
    at.number_input(key="num_2").set_value(1.25).run()
    assert at.query_params["logits"] == "2,3,1.25"
    assert not any("was empty" in e.value for e in at.error)


def test_a_huge_loss_reads_in_powers_of_ten() -> None:
    """At logits (1e300, 0, 0) with true class 1 the loss is 1e300: the metric says
    1.0000e+300, not a 301-digit integer cut off at the edge."""
    at = run_app(logits="1e300,0,0", target="1")
    assert metric(at, "Loss") == "1.0000e+300"


@pytest.mark.parametrize(
    ("query", "tied"),
    [
        ({"logits": "0,0,0"}, "tie of 3 classes"),
        ({"logits": "3,3,1"}, "tie: class 0, class 1"),
    ],
)
def test_a_tie_is_called_a_tie(query: dict[str, str], tied: str) -> None:
    """Equal largest p: the prediction is a tie, neither correct nor wrong (the Uniform
    preset (0, 0, 0) once said "class 0 — correct", and 3,3,1 with target 1 said "wrong")."""
    at = run_app(**query, target="1")
    (shown,) = [m for m in at.metric if m.label == "Predicted class"]
    assert shown.value == tied
    assert shown.delta == "tie"


def test_a_clear_winner_is_right_or_wrong() -> None:
    at = run_app(logits="2,3,4", target="1")
    (shown,) = [m for m in at.metric if m.label == "Predicted class"]
    assert (shown.value, shown.delta) == ("class 2", "wrong")


def test_the_seed_derivation_is_shown_with_its_slips() -> None:
    """The derivation view says what "the derivation" is and shows its slipped lines (the
    student never saw it before); no view speaks of an "original derivation" unseen."""
    at = run_app(view="derivation")
    (box,) = [e for e in at.expander if e.label.startswith("The textbook derivation")]
    shown = " ".join(x.value for x in box.latex)
    for slip in ("e^j", "\\partial}{o_k}", "1.406", "-0.775"):
        assert slip in shown, slip
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "original derivation" not in text
    check = run_app(view="check")
    assert "original derivation" not in " ".join(m.value for m in check.markdown)


def test_charts_say_what_they_show_with_the_key_numbers() -> None:
    """A screen reader hears each chart's numbers, not only its kind: p and p − y by class
    on the gradient view, the descent's first and last loss, the slice's slope."""
    at = run_app(logits="2,3,4", target="1")

    def alts_of(page) -> dict[str, str]:
        return {c.proto.id.rsplit("-", 1)[-1]: c.proto.alt for c in page.get("plotly_chart")}

    alts = alts_of(at)
    assert "class 0 0.0900, class 1 0.2447, class 2 0.6652" in alts["prob_chart"]
    assert "class 1 −0.7553" in alts["grad_chart"]
    land = run_app(logits="2,3,4", target="1", view="landscape")
    (descent,) = [
        c.proto.alt for c in land.get("plotly_chart") if c.proto.id.endswith("descent_chart")
    ]
    assert "from 1.4076 to" in descent
    part = run_app(logits="2,3,4", target="1", view="landscape", part="slice")
    (tangent,) = [c.proto.alt for c in part.get("plotly_chart")]
    assert "of slope −0.7553" in tangent


def test_the_server_runs_blas_on_one_thread() -> None:
    """After a run of the app, NumPy's BLAS runs on one thread, for the whole process: its
    helper threads spun after every small product, CPU the other sessions need."""
    # From a thread that then ends, as a rerun's thread does: threadpoolctl lets the first
    # thread that sets an OpenBLAS limit keep control while it lives.
    setter = threading.Thread(target=threadpool_limits, kwargs={"limits": 2, "user_api": "blas"})
    setter.start()
    setter.join()
    one_blas_thread.clear()
    assert {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"} == {2}
    run_app()
    assert {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"} == {1}
