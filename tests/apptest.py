"""Helpers for driving the app with streamlit.testing.v1.AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(**query: str) -> AppTest:
    """Run the app once with the given query parameters."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_expander(at: AppTest, key: str) -> AppTest:
    """Open the lazy expander ``key`` as a click would, and rerun: its content is drawn
    only while it is open."""
    at.session_state[key] = True
    return at.run()


def metric(at: AppTest, label: str) -> str:
    """The value shown by the metric called ``label``."""
    (found,) = [m for m in at.metric if m.label == label]
    return found.value


def loss(at: AppTest) -> float:
    """The loss on the page, as a number."""
    return float(metric(at, "Loss"))


def warnings_text(at: AppTest) -> str:
    """All warning boxes' text, without the backslashes that escape markdown."""
    return "\n".join(w.value for w in at.warning).replace("\\", "")


def chart_payload(at: AppTest) -> dict[str, int]:
    """The size in bytes of each Plotly chart's figure JSON, by chart key."""
    return {c.proto.id.rsplit("-", 1)[-1]: len(c.proto.spec) for c in at.get("plotly_chart")}
