"""One layer back in real headless Chromium: both tabs fit a phone's screen (the wrong
digits a strip two pills high, the ∂L/∂W grid's rows close together), a click on a wrong
digit opens it, and each tab's link opens the gradient view with that tab's logits.

Expected numbers come from NumPy written out here (o = Wx + b, the log-softmax of the
digit's logits), not from the view's code path."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ce_viz.digits import digit_model, load_digits
from ce_viz.layer import example_weights
from ce_viz.state import X_FEATURES, parse_query
from tests.e2e.conftest import shoot, wait_for_app
from tests.e2e.test_phone import OVERFLOWING, PHONE, PHONE_AGENT

pytestmark = pytest.mark.browser

LINK = "Open these logits in the gradient view"
#: The height in pixels of the pills' strip, and of the ∂L/∂W grid's chart.
HEIGHTS = """() => [
  document.querySelector('.st-key-wrong_pick [role="radiogroup"]').getBoundingClientRect().height,
  document.querySelector('.st-key-digit_dw_chart').getBoundingClientRect().height]"""

#: Every text on a chart that reaches past its chart's edge (which cuts it off there).
CUT_OFF = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].flatMap(c => {
  const svg = c.querySelector('.main-svg').getBoundingClientRect();
  return [...c.querySelectorAll('text')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && (r.right > svg.right + 1 || r.left < svg.left - 1);
  }).map(t => t.textContent.slice(0, 40));
})"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh page as a phone shows it: 390 x 844, touch, a phone's user agent."""
    context = browser.new_context(
        viewport=PHONE, user_agent=PHONE_AGENT, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    yield pg
    context.close()


def _open_all_charts(page: Page, url: str) -> None:
    """Open ``url`` and bring each chart into view, so that each is drawn."""
    page.goto(url)
    wait_for_app(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30000)
    wait_for_app(page)


def _when_drawn(page: Page, script: str) -> object:
    """``script``'s value, taken at a moment when every chart is drawn: under load a chart
    was once between two drawings (no SVG) when a check ran just after the app settled."""
    return page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        f".every(c => c.querySelector('.main-svg')) && ({script})()",
        timeout=30000,
    ).json_value()


def _softmax_loss(o: np.ndarray, k: int) -> float:
    """Cross-entropy −log p_k, written out: log of the sum of exp, minus o_k."""
    top = o.max()
    return float(top + np.log(np.exp(o - top).sum()) - o[k])


def test_both_tabs_fit_a_phone(phone: Page, app_url: str) -> None:
    """At 390 x 844 neither tab has anything wider than the screen or cut off at its edge
    (the graphs' lines, the outer product's labels); the 39 wrong digits are a strip two
    pills high, not seven rows, and the ∂L/∂W grid's two rows stand close together."""
    found = {}
    for query in ("view=layer&layer=linear", "view=layer&layer=digits&digit=37"):
        _open_all_charts(phone, f"{app_url}/?{query}")
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        overflowing = _when_drawn(phone, OVERFLOWING) + _when_drawn(phone, CUT_OFF)
        if width > PHONE["width"] or overflowing:
            found[query] = (width, overflowing[:5])
    assert found == {}
    strip, grid = phone.evaluate(HEIGHTS)
    assert strip < 100, strip  # two rows of pills (seven when they wrapped)
    assert grid < 420, grid  # at the wide screen's 500 pixels the rows stood far apart
    pills = phone.locator(".st-key-wrong_pick button")
    expect(pills).to_have_count(len(digit_model().wrong()))
    shoot(phone, "phone-layer-digits")


def test_clicking_a_wrong_digit_opens_it(page: Page, app_url: str) -> None:
    """A click on the pill of a digit the model gets wrong puts it in the address bar
    (digit=) and draws it: its true class and the model's wrong guess in the image's title."""
    d, model = load_digits(), digit_model()
    pick = int(model.wrong()[3])
    guess = int(np.argmax(model.W @ (d.pixels[pick] / 16.0) + model.b))
    assert guess != int(d.labels[pick])
    page.goto(f"{app_url}/?view=layer&layer=digits&digit=0")
    wait_for_app(page)
    title = page.locator(".st-key-digit_chart .gtitle")
    expect(title).to_have_text(f"Digit {d.labels[0]}, predicted {d.labels[0]} (correct)")
    page.locator(".st-key-wrong_pick").get_by_role("radio", name=f"#{pick}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"[?&]digit={pick}(&|$)"), timeout=20000)
    wait_for_app(page)
    expect(title).to_have_text(f"Digit {d.labels[pick]}, predicted {guess} (wrong)")
    assert page.js_errors == []  # type: ignore[attr-defined]


def _follow_link(page: Page) -> Page:
    """Click the gradient link (it opens a new tab) and return the opened page, drawn."""
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=LINK).click()
    gradient = opened.value
    wait_for_app(gradient)
    return gradient


def _loss_shown(page: Page) -> float:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile("^Loss$"))
    )
    return float(metric.locator('[data-testid="stMetricValue"]').inner_text())


def test_the_link_opens_the_gradient_view_with_the_same_logits(page: Page, app_url: str) -> None:
    """On each tab the link opens the gradient view with the tab's logits (o = Wx + b; the
    digit's ten) and true class: the new page's address carries them, it stays on them,
    and the loss it shows is −log p_k of those logits."""
    x = np.array([0.5, -2.0, 3.0])
    W, b = example_weights(3, X_FEATURES)
    d, model = load_digits(), digit_model()
    cases = [
        ("view=layer&x=0.5,-2,3&target=2", W @ x + b, 2),
        (
            "view=layer&layer=digits&digit=37",
            model.W @ (d.pixels[37] / 16.0) + model.b,
            int(d.labels[37]),
        ),
    ]
    for query, o, k in cases:
        page.goto(f"{app_url}/?{query}")
        wait_for_app(page)
        gradient = _follow_link(page)
        state, messages = parse_query(dict(parse_qsl(urlsplit(gradient.url).query)))
        assert messages == ()
        assert (state.view, state.target) == ("gradient", k)
        np.testing.assert_allclose(state.logits, o, rtol=1e-12, atol=1e-12)
        assert _loss_shown(gradient) == pytest.approx(_softmax_loss(o, k), abs=6e-5)
        gradient.close()


#: Each displayed formula: its scrolled width past its box, and whether its edge fades.
FORMULAS = """() => [...document.querySelectorAll('[data-testid="stMain"] .katex-display')]
  .filter(e => e.checkVisibility())
  .map(e => ({text: e.textContent.slice(0, 30), over: e.scrollWidth - e.clientWidth,
              fades: getComputedStyle(e).maskImage !== 'none'}))"""


def test_formulas_that_fit_do_not_fade_on_a_wide_screen(page: Page, app_url: str) -> None:
    """At 1920 x 1080 every formula of the linear layer (a matrix, a column each) fits its
    column, so none scrolls and none has its right edge faded: a matrix's closing
    parenthesis reached 2 px past the block, which made it scroll by 2 px and fade the
    last digits and the parenthesis of every matrix on the page."""
    page.goto(f"{app_url}/?view=layer&layer=linear")
    wait_for_app(page)
    # The linear layer's six formulas and the hidden layer's δ, each drawn by KaTeX, once
    # KaTeX's fonts are in: until then a fallback glyph may be wider (a loaded CI machine
    # measured every matrix 2 px over before its fonts came).
    page.wait_for_function(f"() => ({FORMULAS})().length >= 7", timeout=20000)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    settled = f"() => ({FORMULAS})().every(f => f.over <= 0 && !f.fades)"
    with contextlib.suppress(PlaywrightTimeout):  # the assertion below says which formula
        page.wait_for_function(settled, timeout=10000)
    formulas = page.evaluate(FORMULAS)
    assert [f for f in formulas if f["over"] > 0 or f["fades"]] == []
