"""Every preset on every view through AppTest, and the links that used to crash a view.

The matrix follows ``ce_viz.state.PRESETS`` and ``ce_viz.state.VIEWS``: a new preset or view
is tested without touching this file (a new view must first say here what its page shows).
RuntimeWarnings are errors in the test configuration, so a 0/0 anywhere on a page fails it.
"""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from ce_viz.state import PRESETS, VIEWS, WHY_TABS, preset_state, to_query
from tests.apptest import run_app, warnings_text

#: What each view's page shows when it is drawn: its heading, how many charts at least,
#: and the columns of a table it must hold (None: no table required). "why" builds only
#: its open tab (each is walked below); "check" draws a table and no chart.
CONTENT: dict[str, tuple[str, int, str | None]] = {
    "gradient": ("Probabilities, loss and gradient", 1, None),
    "derivation": ("Deriving ∂L/∂o = p − y", 1, None),
    "landscape": ("The loss landscape", 1, None),
    "simplex": ("The probability simplex", 1, None),
    "jacobian": ("The softmax Jacobian", 1, None),
    "why": ("Why it works", 1, None),
    "check": ("Check my work", 0, "verdict"),
    "batch": ("Batch: a whole dataset at once", 1, None),
    "layer": ("One layer back", 1, None),
    "train": ("Watch it learn", 2, None),
}

#: The check view marks wrong answers in a red box on purpose: that one is no failure.
VERDICT = re.compile(r"\d+ of \d+ numbers need another look\.")

#: (query, charts at least, a phrase the warnings must hold or None): links that crashed a
#: view, or silently dropped input, before issue 11.
CRASH_LINKS: list[tuple[dict[str, str], int, str | None]] = [
    ({"logits": "1,2,3", "target": "2", "view": "why", "tab": "binary"}, 0, None),
    ({"logits": "2,3,4", "y": "0,0,1", "view": "why", "tab": "binary"}, 0, None),
    ({"logits": "1000,0,-1000", "target": "2", "view": "why", "tab": "binary"}, 0, None),
    (
        {"logits": "0,0,0,1000", "target": "0", "simplex": "0,1,2", "view": "simplex"},
        0,
        "all underflow to 0 next to o3 · class 3",
    ),
    (
        {
            "logits": "10,0,0,0",
            "y": "0.5,0,0,0.5",
            "simplex": "0,1,2",
            "T": "0.01",
            "lr": "20",
            "descent": "all",
            "view": "simplex",
        },
        1,
        None,
    ),
    (
        {"my_p": "0.09,0.245,0.665,0.9,0.9", "view": "check"},
        0,
        "Your p: 5 values for 3 classes",
    ),
]


def assert_drawn(at: AppTest, view: str, charts: int | None = None) -> None:
    """The page ran to the end with no error box, and the view's main content is on it."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if view == "check":
        errors = [e for e in errors if not VERDICT.fullmatch(e)]
    assert errors == []
    heading, least, columns = CONTENT[view]
    assert heading in [s.value for s in at.subheader]
    assert len(at.get("plotly_chart")) >= (least if charts is None else charts)
    assert_valid_figures(at)
    if columns is not None:
        assert any(columns in d.value.columns for d in at.dataframe)


def assert_valid_figures(at: AppTest) -> None:
    """Every chart on the page passes Plotly's full validation: the figure builders write
    plain dicts and skip it per rerun (ce_viz.figures.style.figure), so it happens here."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        go.Figure(spec)  # raises ValueError naming any property Plotly does not know
        if any(trace.get("name") == "descent path" for trace in spec["data"]):
            # the path's legend sample is drawn at legend size (figures.style.PATH_LEGEND)
            assert spec["layout"]["legend"]["itemsizing"] == "constant"


@pytest.mark.parametrize("view", list(VIEWS))
def test_presentation_mode_figures_are_valid(view: str) -> None:
    """present=1 rescales every figure's type; the result is still a valid figure."""
    at = run_app(**to_query(preset_state("ten", view=view)), present="1")
    assert_drawn(at, view)


@pytest.mark.parametrize("tab", list(WHY_TABS))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_on_every_why_tab(preset: str, tab: str) -> None:
    """Each preset opens each tab of "Why it works" (tab= in the link) with no exception
    and no error box, every chart valid."""
    at = run_app(**to_query(preset_state(preset, view="why")), tab=tab)
    assert_drawn(at, "why", charts=0)
    assert at.query_params.get("tab", "mse") == tab


def test_an_invalid_property_is_caught() -> None:
    """The check above fails on a figure with a property Plotly does not know."""
    with pytest.raises(ValueError, match="colour"):
        go.Figure({"data": [{"type": "bar", "y": [1], "marker": {"colour": "red"}}]})


def test_every_view_says_what_its_page_shows() -> None:
    """CONTENT names every view, so the matrix below can check each one's page."""
    assert set(CONTENT) == set(VIEWS)


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_on_view(preset: str, view: str) -> None:
    """Each preset's link opens each view with no exception and no error box, content drawn."""
    at = run_app(**to_query(preset_state(preset, view=view)))
    assert_drawn(at, view)


@pytest.mark.parametrize(
    ("query", "charts", "phrase"),
    CRASH_LINKS,
    ids=["&".join(f"{k}={v}" for k, v in query.items()) for query, _, _ in CRASH_LINKS],
)
def test_crash_link(query: dict[str, str], charts: int, phrase: str | None) -> None:
    """A link that crashed a view now draws it, or says on the page what it cannot draw."""
    at = run_app(**query)
    view = query["view"]
    assert_drawn(at, view, charts)
    if charts == 0 and view != "check":
        assert not at.get("plotly_chart")
    if phrase is not None:
        assert phrase in warnings_text(at)
