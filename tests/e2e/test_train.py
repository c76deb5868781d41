"""Watch it learn in real headless Chromium: Play runs the training's frames with the
decision regions' image on the plot through them; a story in the sidebar loads and trains;
a click on a point opens it one layer back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import enter, received_frames, shoot, wait_for_app
from tests.e2e.test_phone import PHONE, PHONE_AGENT

pytestmark = pytest.mark.browser

#: Records, at every animation frame the browser paints, how many region images chart
#: ``index`` holds, which image it shows (its source's length and a slice of it) and what
#: its step readout says.
RECORD = """(index) => {
  const chart = document.querySelectorAll('[data-testid="stPlotlyChart"]')[index];
  window.__play = [];
  const started = performance.now();
  const tick = () => {
    const readout = chart.querySelector('.slider-container text.slider-label');
    const images = chart.querySelectorAll('g.imagelayer image');
    const href = images.length ? (images[0].getAttribute('href') || '') : '';
    window.__play.push([images.length, href.length + ':' + href.slice(200, 240),
                        readout ? readout.textContent : '']);
    if (performance.now() - started < 15000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def test_play_keeps_the_regions_drawn_through_the_frames(page: Page, app_url: str) -> None:
    """Play steps through the snapshots from step 0 to the last, the regions' image
    changing with them and on the plot in every frame the browser paints."""
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
    assert len({text for _, _, text in samples}) > 5, "the readout did not step"
    assert len({image for _, image, _ in samples}) > 5, "the regions did not change"
    # On every painted frame the regions are there. As an image trace, each frame's
    # redraw took it off the plot for about one frame in sixteen (a flicker); a transition
    # took it off for the whole of Play.
    blank = [text for count, _, text in samples if count == 0]
    assert blank == [], (len(blank), len(samples), blank[:20])
    expect(readout).to_have_text("step 40", timeout=20000)
    shoot(page, "train-default")


def test_a_story_in_the_sidebar_loads_and_trains(page: Page, app_url: str) -> None:
    """Clicking "A hidden layer learns the spiral" puts its settings in the address bar and
    on the page, and the regions chart runs to its last step."""
    page.goto(f"{app_url}/?view=train&train_steps=40")
    wait_for_app(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("A hidden layer learns the spiral", exact=True).click()
    expect(page).to_have_url(re.compile(r"model=mlp.*width=16"), timeout=20000)
    wait_for_app(page)
    for setting in ("train_data=spiral", "train_lr=1&", "train_steps=500"):
        assert setting in page.url, page.url
    expect(page.get_by_role("combobox", name="Model")).to_have_value("One hidden layer")
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".slider-container text.slider-label").first).to_have_text(
        "step 500", timeout=20000
    )
    expect(chart).to_have_attribute(
        "aria-label", re.compile(r"the accuracy is (9[5-9]|100)%"), timeout=20000
    )
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_clicking_a_point_opens_it_one_layer_back(page: Page, app_url: str) -> None:
    """A click on a point of the regions chart opens that point in the panel below (its
    index in the heading and in the link), and the panel's link opens the gradient view
    with the point's logits."""
    page.goto(f"{app_url}/?view=train&train_steps=40")
    wait_for_app(page)
    heading = page.get_by_role("heading", name=re.compile(r"One layer back for point \d+"))
    before = heading.inner_text()
    # No point chosen yet: the box is empty, the panel's point greyed in it.
    box = page.get_by_role("spinbutton", name="Point", exact=True)
    expect(box).to_have_value("")
    expect(box).to_have_attribute("placeholder", before.rsplit(" ", 1)[1])
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    points = chart.locator("g.scatterlayer g.trace g.points path.point")
    # The 200 data points, then the chosen point's two rings and its arrow's two ends.
    expect(points).to_have_count(204, timeout=20000)
    points.nth(10).click(force=True)
    expect(heading).not_to_have_text(before, timeout=20000)
    wait_for_app(page)
    index = re.search(r"point (\d+)", heading.inner_text())
    assert index is not None
    assert f"point={index.group(1)}&" in page.url
    expect(box).to_have_value(index.group(1))
    link = page.get_by_role("link", name="Open its logits in the gradient view")
    href = link.get_attribute("href") or ""
    assert "view=gradient" in href
    assert re.search(r"logits=[-0-9.e]+(%2C|,)[-0-9.e]+(%2C|,)[-0-9.e]+", href), href
    shoot(page, "train-point-panel")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_training_setting_reruns_only_the_training_fragment(page: Page, app_url: str) -> None:
    """A new learning rate trains again and re-sends the charts, the new link in the
    address bar, but not the rest of the page (its title, which a whole rerun sends
    again): the server runs the view's fragment alone. A sidebar setting (T) still reruns
    the whole page."""
    received = received_frames(page)
    page.goto(f"{app_url}/?view=train&train_steps=40")
    wait_for_app(page)
    received.clear()
    enter(page, page.get_by_role("spinbutton", name="Learning rate"), "0.75", r"train_lr=0\.75")
    after_lr = b"".join(received)
    assert b"train_regions" in after_lr
    assert b"why the gradient is p" not in after_lr
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart).to_have_attribute("aria-label", re.compile(r"over 40 steps"))
    received.clear()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Temperature, smoothing, names").first.click()
    enter(page, page.get_by_role("spinbutton", name="Temperature T"), "2", r"T=2")
    assert b"why the gradient is p" in b"".join(received)
    assert "train_lr=0.75" in page.url, page.url
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_edit_in_the_fragment_clears_the_links_complaint(page: Page, app_url: str) -> None:
    """A link with a bad learning rate says so above the page; a learning rate typed in the
    view (a fragment, which cannot redraw what lies above it) takes the complaint away, as
    an edit anywhere else does."""
    page.goto(f"{app_url}/?view=train&train_steps=40&train_lr=banana")
    wait_for_app(page)
    warning = page.get_by_text("Some settings in the link could not be used")
    expect(warning).to_be_visible()
    box = page.get_by_role("spinbutton", name="Learning rate")
    enter(page, box, "0.75", r"train_lr=0\.75")
    expect(warning).to_have_count(0, timeout=20000)
    expect(box).to_have_value("0.75")
    assert page.js_errors == []  # type: ignore[attr-defined]


#: The regions chart's boxes, in pixels from the page's top: its SVG, its slider (rail,
#: readout and step labels) and its legend.
CONTROL_BOXES = """() => {
  const chart = document.querySelector('.st-key-train_regions');
  const box = s => { const r = chart.querySelector(s).getBoundingClientRect();
                     return [r.top, r.bottom, r.left, r.right]; };
  return {svg: box('.main-svg'), slider: box('.slider-container'), legend: box('.legend')};
}"""


@pytest.mark.parametrize("screen", ["desk", "phone"])
def test_the_regions_legend_sits_under_the_slider(browser: Browser, app_url: str, screen: str):
    """On a wide screen and on a phone, the regions chart's legend (the mislabelled
    preset's, the longest) lies wholly below the step slider and inside the chart: it was
    anchored at the chart's foot and grew up onto the slider (its title cut off on a wide
    screen, its first row on the rail on a phone)."""
    phone = {"viewport": PHONE, "user_agent": PHONE_AGENT, "is_mobile": True}
    desk = {"viewport": {"width": 1920, "height": 1080}}
    context = browser.new_context(**(phone if screen == "phone" else desk))
    page = context.new_page()
    page.goto(f"{app_url}/?view=train&train_data=mislabelled&train_steps=40")
    wait_for_app(page)
    chart = page.locator(".st-key-train_regions")
    expect(chart.locator(".legend")).to_be_attached(timeout=20000)
    chart.scroll_into_view_if_needed()
    shoot(page, f"train-legend-{screen}")
    boxes = page.evaluate(CONTROL_BOXES)
    svg, slider, legend = boxes["svg"], boxes["slider"], boxes["legend"]
    assert legend[0] >= slider[1], boxes
    assert legend[1] <= svg[1] + 1, boxes
    assert svg[2] - 1 <= legend[2] <= legend[3] <= svg[3] + 1, boxes
    context.close()
