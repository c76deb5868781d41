"""Playing the descent in real headless Chromium: the filled contours stay on screen in
every animation frame, the markers move, and on a phone the buttons leave the slider's
step readout readable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import shoot, wait_for_app

pytestmark = pytest.mark.browser

#: Records, every few milliseconds until Play has run its course, how many filled contour
#: paths the chart holds and what its step readout says; and counts every contour fill
#: element taken out of the page meanwhile (a redraw takes them all out and rebuilds them,
#: and between the two the plot shows bare axes).
RECORD = """(index) => {
  const chart = document.querySelectorAll('[data-testid="stPlotlyChart"]')[index];
  const fills = () => [...chart.querySelectorAll('g.contourfill path, g.contourbg path')]
    .filter(p => (p.getAttribute('d') || '').length > 10).length;
  window.__play = [];
  window.__removed = 0;
  const isFill = n => n.nodeType === 1 && (n.matches('g.contour, g.contourfill, g.contourbg')
    || n.querySelector('g.contourfill, g.contourbg, g.contourfill path'));
  new MutationObserver(records => records.forEach(r => r.removedNodes.forEach(n => {
    if (isFill(n)) window.__removed += 1;
  }))).observe(chart, {childList: true, subtree: true});
  const tick = () => {
    const readout = chart.querySelector('.slider-container text.slider-label');
    window.__play.push([fills(), readout ? readout.textContent : '']);
  };
  const timer = setInterval(tick, 4);
  setTimeout(() => clearInterval(timer), 15000);
}"""

#: The centre of each moving marker (the "descent position" and, on the simplex, "p"):
#: the translate() Plotly gives the last point of each named trace.
MARKERS = """(index) => {
  const chart = document.querySelectorAll('[data-testid="stPlotlyChart"]')[index];
  return [...chart.querySelectorAll('g.scatterlayer g.trace')]
    .map(t => [...t.querySelectorAll('path.point')].map(p => p.getAttribute('transform')))
    .filter(points => points.length === 1).map(points => points[0]);
}"""


def fill_count(page: Page, index: int) -> int:
    """How many filled contour paths chart ``index`` shows now."""
    return (
        page.locator('[data-testid="stPlotlyChart"]')
        .nth(index)
        .locator("g.contourfill path, g.contourbg path")
        .count()
    )


@pytest.mark.parametrize(
    ("query", "index", "movers"),
    [
        ("view=landscape", 0, 1),
        ("view=landscape&descent=all", 0, 1),
        ("view=simplex", 0, 2),
    ],
)
def test_contours_stay_filled_while_play_moves_the_markers(
    page: Page, app_url: str, query: str, index: int, movers: int
) -> None:
    """Before, in every frame during and after Play the contours keep their fill (a redraw
    per frame used to blank them, and the picture showed bare axes mid-play); the moving
    markers (p on the triangle too, on the simplex) end where they did not start."""
    page.goto(f"{app_url}/?{query}")
    wait_for_app(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(index)
    expect(chart.locator("g.contourfill path").first).to_be_attached(timeout=20000)
    page.wait_for_timeout(500)
    before = fill_count(page, index)
    assert before > 10
    still = page.evaluate(MARKERS, index)
    page.evaluate(RECORD, index)
    chart.get_by_text("▶ Play").click()
    expect(chart.locator(".slider-container text.slider-label").first).to_have_text(
        "step 50", timeout=20000
    )
    page.wait_for_timeout(300)
    samples = page.evaluate("() => window.__play")
    assert page.evaluate("() => window.__removed") == 0
    during = [count for count, readout in samples if readout not in ("step 0", "step 50")]
    # The animation was caught mid-way many times, at several steps.
    assert len(during) > 10
    assert len({readout for _, readout in samples}) > 5
    assert min(during) == before
    assert fill_count(page, index) == before
    moved = page.evaluate(MARKERS, index)
    changed = [a for a, b in zip(still, moved, strict=True) if a != b]
    assert len(changed) == movers
    assert page.js_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ["view=landscape", "view=simplex"])
def test_play_buttons_leave_the_step_readout_clear_on_a_phone(
    browser: Browser, app_url: str, query: str
) -> None:
    """At 390 × 844 the Play and Pause buttons and the slider's readout do not overlap
    (the Pause button used to cover "step 0")."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?{query}")
        wait_for_app(page)
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.scroll_into_view_if_needed()
        readout = chart.locator(".slider-container text.slider-label").first.bounding_box()
        assert readout is not None
        assert readout["width"] > 0
        buttons = chart.locator("g.updatemenu-button")
        expect(buttons).to_have_count(2)
        for n in range(2):
            box = buttons.nth(n).bounding_box()
            assert box is not None
            apart = (
                box["x"] + box["width"] <= readout["x"]
                or readout["x"] + readout["width"] <= box["x"]
                or box["y"] + box["height"] <= readout["y"]
                or readout["y"] + readout["height"] <= box["y"]
            )
            assert apart, (box, readout)
            # Both inside the phone's width.
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
        assert readout["x"] >= 0
        assert readout["x"] + readout["width"] <= 390
        shoot(page, f"play-phone-{query.split('=')[1]}")
    finally:
        context.close()
