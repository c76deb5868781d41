"""What a student sees on a phone (390 x 844, a phone's user agent, touch) in headless
Chromium: nothing wider than the screen, no mode bar over a chart's title, class names
whole and uncrowded, and the logits and the true class changed beside the result."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import shoot, wait_for_app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: A phone's browser as it names itself (iOS Safari).
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
#: Every view, and every tab of the views with tabs (their charts differ).
PAGES = [
    "view=gradient",
    "view=derivation",
    "view=landscape",
    "view=simplex",
    "view=jacobian",
    "view=why&tab=mse",
    "view=why&tab=temperature",
    "view=why&tab=smoothing",
    "view=why&tab=stability",
    "view=why&tab=binary",
    "view=check",
    "view=batch",
]
TEN = "logits=1,2,3,4,5,6,7,8,9,10&target=3&names=zero,one,two,three,four,five,six,seven,eight,nine"
TWENTY = "logits=" + ",".join(str(i) for i in range(1, 21)) + "&target=3"

#: Every visible element whose box reaches past the right edge of the screen, unless an
#: ancestor that fits on the screen lets it scroll sideways (a wide formula in its own
#: scrolling block, the row of tabs) before any ancestor cuts it off (a chart's SVG cuts
#: off a title too long for it). KaTeX's MathML copy is for screen readers only.
OVERFLOWING = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 1) continue;
    if (e.closest('.katex-mathml')) continue;
    if (getComputedStyle(e).visibility === 'hidden') continue;
    let a = e.parentElement, scrolls = false;
    for (; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === 'visible' || a.getBoundingClientRect().right > vw + 1) continue;
      scrolls = overflow === 'auto' || overflow === 'scroll';
      break;
    }
    if (!scrolls) {
      const name = e.getAttribute('data-testid') || e.getAttribute('class') || '';
      out.push(`${e.tagName}.${String(name).slice(0, 40)} right=${Math.round(r.right)}`);
    }
  }
  return out;
}"""

#: For each chart: its title's box and its mode bar's box (present, if hidden until a tap).
TITLES_AND_MODE_BARS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .map(c => {
    const box = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
      return [r.left, r.top, r.right, r.bottom]; };
    const t = c.querySelector('.gtitle');
    return {title: t ? t.textContent : null, t: box(t), m: box(c.querySelector('.modebar'))};
  })"""

#: The x tick labels of each chart, whole, with their boxes.
TICK_LABELS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .map(c => [...c.querySelectorAll('.xtick text, .ytick text')].map(e => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent, box: [r.left, r.top, r.right, r.bottom],
            svg: (s => [s.left, s.top, s.right, s.bottom])(
              c.querySelector('.main-svg').getBoundingClientRect())};
  }))"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh page as a phone shows it: 390 x 844, touch, a phone's user agent."""
    context = browser.new_context(
        viewport=PHONE, user_agent=PHONE_AGENT, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    yield pg
    context.close()


def _open(page: Page, app_url: str, query: str, charts: int = 0) -> None:
    """Open the app at ``query`` and scroll to each of its charts (at least ``charts``), so
    each is drawn (a chart below the fold is drawn only when it comes into view)."""
    page.goto(f"{app_url}/?{query}")
    wait_for_app(page)
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length >= {charts}",
        timeout=60000,
    )
    located = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(located.count()):
        located.nth(i).scroll_into_view_if_needed()
        expect(located.nth(i).locator(".main-svg").first).to_be_attached(timeout=60000)
    wait_for_app(page)  # every chart's tick labels drawn
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.wait_for_timeout(300)


def _overlap(a: list[float], b: list[float]) -> bool:
    """Whether two boxes [left, top, right, bottom] share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_nothing_on_any_view_is_wider_than_a_phone(phone: Page, app_url: str) -> None:
    """On every view and tab, the page is no wider than the 390-pixel screen, and no
    element, a displayed formula or a chart's title included, is cut off at its right
    edge: a formula wider than the screen scrolls inside its own block, and shows that it
    goes on."""
    found = {}
    for query in PAGES:
        _open(phone, app_url, query)
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        overflowing = phone.evaluate(OVERFLOWING)
        if width > PHONE["width"] or overflowing:
            found[query] = (width, overflowing[:5])
    assert found == {}
    # A formula wider than the screen scrolls in its block, and its edge fades while more
    # of it lies to the right (a phone shows no scroll bar); a formula that fits does not.
    _open(phone, app_url, "view=derivation")
    formulas = phone.evaluate(
        "() => [...document.querySelectorAll('.katex-display')]"
        ".filter(e => e.checkVisibility() && !e.closest('details:not([open])'))"
        ".map(e => ({wide: "
        "e.scrollWidth > e.clientWidth + 8, fits: e.scrollWidth <= e.clientWidth, "
        "overflow: getComputedStyle(e).overflowX, mask: getComputedStyle(e).maskImage}))"
    )
    wide = [f for f in formulas if f["wide"]]
    assert wide  # the derivation has formulas wider than a phone
    assert all(f["overflow"] in ("auto", "scroll") and f["mask"] != "none" for f in wide)
    assert all(f["mask"] == "none" for f in formulas if f["fits"])
    shoot(phone, "phone-derivation")


def test_the_mode_bar_never_covers_a_chart_title(phone: Page, app_url: str) -> None:
    """A tap shows Plotly's mode bar; on no view does it lie over the chart's title."""
    covered = []
    seen = 0
    for query in PAGES:
        _open(phone, app_url, query)
        for chart in phone.evaluate(TITLES_AND_MODE_BARS):
            if chart["t"] is None or chart["m"] is None:
                continue
            seen += 1
            if _overlap(chart["t"], chart["m"]):
                covered.append((query, chart["title"]))
    assert seen >= 10  # the check ran over most of the app's charts
    assert covered == []


@pytest.mark.parametrize("query", [TEN, TWENTY], ids=["10 named classes", "20 classes"])
def test_class_names_are_whole_and_apart(phone: Page, app_url: str, query: str) -> None:
    """Ten named classes and twenty numbered ones: on the gradient view's two charts each
    class's name is whole, and no two names' boxes overlap or leave their chart."""
    _open(phone, app_url, f"view=gradient&{query}", 2)
    names = (
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        if query == TEN
        else [f"class {i}" for i in range(20)]
    )
    charts = phone.evaluate(TICK_LABELS)
    assert len(charts) == 2
    for labels in charts:
        shown = [lab for lab in labels if lab["text"].removesuffix(" ★") in names]
        assert [lab["text"].removesuffix(" ★") for lab in shown] == names
        assert sum(lab["text"].endswith("★") for lab in shown) == 1
        boxes = [lab["box"] for lab in shown]
        for i, box in enumerate(boxes):
            svg = shown[i]["svg"]
            assert svg[0] <= box[0], shown[i]["text"]
            assert box[2] <= svg[2], shown[i]["text"]
            for other in boxes[i + 1 :]:
                assert not _overlap(box, other), (shown[i]["text"], other)
    shoot(phone, "phone-gradient-" + ("10" if query == TEN else "20"))


def _loss(page: Page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile("^Loss$"))
    )
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_a_student_changes_logits_and_true_class_beside_the_result(
    phone: Page, app_url: str
) -> None:
    """On a phone the logits and the true class are on the page, above the result, with
    the sidebar closed: typing logits and picking a class change the loss on the same
    screen; bad text is named and keeps the last logits."""
    _open(phone, app_url, "view=gradient&logits=0,0&target=0", 2)
    assert phone.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    assert _loss(phone) == "0.6931"  # log 2
    main = phone.get_by_test_id("stMainBlockContainer")
    box = main.get_by_role("textbox", name="Logits o, comma-separated")
    expect(box).to_have_value("0, 0")
    box.fill("0, 1")
    box.press("Enter")
    phone.wait_for_url(re.compile(r"logits=0(%2C|,)1"))
    wait_for_app(phone)
    assert _loss(phone) == "1.3133"  # log(1 + e)
    # The result is on the same screen as the box.
    loss_box = phone.locator('[data-testid="stMetricValue"]').first.bounding_box()
    assert loss_box is not None
    assert loss_box["y"] + loss_box["height"] <= PHONE["height"]

    main.get_by_role("combobox", name="True class k").click()
    phone.get_by_role("option", name="1: class 1").click()
    phone.wait_for_url(re.compile(r"target=1"))
    wait_for_app(phone)
    assert _loss(phone) == "0.3133"  # log(1 + 1/e)

    box.fill("0, x")
    box.press("Enter")
    wait_for_app(phone)
    expect(phone.locator('[data-testid="stAlertContentError"]')).to_contain_text(
        "entry 2, 'x', is not a number. The logits stay 0, 1."
    )
    assert _loss(phone) == "0.3133"
    assert phone.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    shoot(phone, "phone-quick-inputs")
