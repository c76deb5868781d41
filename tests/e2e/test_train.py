"""Watch it learn in real headless Chromium: Play runs the training's frames with the
decision regions' image on the plot through them.

TODO (next session): the image is detached for a few milliseconds in a few frames; find
whether that shows as a flicker, and if so keep the previous image until the next has
loaded (or send the regions as a heatmap of class indices per frame)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shoot, wait_for_app

pytestmark = pytest.mark.browser

#: Records, every few milliseconds, how many region images chart ``index`` holds and what
#: its step readout says.
RECORD = """(index) => {
  const chart = document.querySelectorAll('[data-testid="stPlotlyChart"]')[index];
  window.__play = [];
  const tick = () => {
    const readout = chart.querySelector('.slider-container text.slider-label');
    window.__play.push([chart.querySelectorAll('g.imagelayer image').length,
                        readout ? readout.textContent : '']);
  };
  const timer = setInterval(tick, 4);
  setTimeout(() => clearInterval(timer), 15000);
}"""


def test_play_keeps_the_regions_drawn_through_the_frames(page: Page, app_url: str) -> None:
    """Play steps through the snapshots from step 0 to the last, and the regions' image is
    on the plot all the while."""
    page.goto(f"{app_url}/?view=train&train_steps=40")
    wait_for_app(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator("g.imagelayer image").first).to_be_attached(timeout=20000)
    readout = chart.locator(".slider-container text.slider-label").first
    expect(readout).to_have_text("step 40")
    page.evaluate(RECORD, 0)
    chart.get_by_text("▶ Play").click()
    page.wait_for_timeout(6000)
    samples = page.evaluate("() => window.__play")
    seen = {text for _, text in samples}
    assert len(seen) > 5, seen
    # Each redraw swaps the image for the next one, and for a few milliseconds in a few
    # frames neither is attached (1 to 4 samples of ~1,100 seen). A transition took the
    # image off for the whole of Play; that is what this catches. See the module's TODO.
    blank = [text for count, text in samples if count == 0]
    assert len(blank) <= len(samples) // 100, (len(blank), len(samples), blank[:20])
    expect(readout).to_have_text("step 40", timeout=20000)
    shoot(page, "train-default")
