"""The "Check my work" exercise in headless Chromium, on a laptop and on a phone: a shared
problem link, answers typed in, verdicts and named slips seen, answers shown on request,
and a new problem drawn."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from ce_viz.check import make_problem
from tests.e2e.conftest import shoot, wait_for_app

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1400, 1000), "phone": (390, 844)}
SEED = 4821


def exact(seed: int) -> tuple[list[float], float, list[float]]:
    """p, L and ∂L/∂o of problem ``seed``, from the closed forms with ``math``."""
    made = make_problem(seed)
    e = [math.exp(o) for o in made.logits]
    p = [v / sum(e) for v in e]
    k = made.target
    return p, -math.log(p[k]), [v - (i == k) for i, v in enumerate(p)]


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A page at a laptop's or a phone's size."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    context.close()


def type_answer(page: Page, label: str, text: str) -> None:
    """Type ``text`` into the answer box labelled ``label`` and press Enter."""
    box = page.get_by_label(label, exact=True).and_(page.locator("input"))
    box.fill(text)
    box.press("Enter")


def cells(page: Page) -> list[str]:
    """The marks table's cells, row by row (its accessible grid, as a screen reader has it)."""
    grid = page.locator('[data-testid="stDataFrame"] [role=gridcell]')
    return [t.strip() for t in grid.all_inner_texts()]


def wait_for_cells(page: Page, text: str, count: int) -> None:
    """Wait until exactly ``count`` cells of the marks table read ``text`` (the grid redraws
    a moment after the script's run ends)."""
    page.wait_for_function(
        "([t, n]) => [...document.querySelectorAll('[data-testid=stDataFrame] [role=gridcell]')]"
        ".filter(c => c.innerText.trim() === t).length === n",
        arg=[text, count],
    )


def test_a_student_works_a_shared_problem(sized: Page, app_url: str) -> None:
    """A problem link shows its logits on the page; right p, a log-base-10 loss and ∂L/∂p
    for the gradient get 3 verdicts right and 4 slips named; the exact values appear only
    after "Show the answers"."""
    page = sized
    page.goto(f"{app_url}/?view=check&problem={SEED}")
    wait_for_app(page)
    made = make_problem(SEED)
    main = page.locator('[data-testid="stMain"]')
    logits = ", ".join(f"{o:g}".replace("-", "−") for o in made.logits)
    expect(main.get_by_text(f"o = ({logits})")).to_be_visible()
    expect(main.get_by_text(f"Problem {SEED}.")).to_be_visible()
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    p, loss, grad = exact(SEED)
    k = made.target
    type_answer(page, "Your p", ", ".join(f"{v:.4f}" for v in p))
    expect(main.get_by_text(f"The {len(p)} numbers you typed are right")).to_be_visible()
    type_answer(page, "Your loss L", f"{loss / math.log(10):.4f}")
    expect(main.get_by_text("Log base 10", exact=True)).to_be_visible()
    dl_dp = ["0" if i != k else f"{-1 / p[k]:.4f}" for i in range(len(p))]
    type_answer(page, "Your ∂L/∂o", ", ".join(dl_dp))
    wrong = 1 + len(p)
    expect(main.get_by_text(f"{wrong} of the {2 * len(p) + 1} numbers you typed")).to_be_visible()
    expect(main.get_by_text("∂L/∂p instead of ∂L/∂o", exact=True)).to_be_visible()
    wait_for_cells(page, "✓ right", len(p))
    wait_for_cells(page, "✗ wrong", wrong)
    assert f"{loss:.4f}" not in main.inner_text() + " ".join(cells(page))
    page.get_by_text("Show the answers", exact=True).click()
    wait_for_app(page)
    wait_for_cells(page, f"{loss:.4f}", 1)
    grad_k = f"{grad[k]:.4f}".replace("-", "−")
    assert grad_k in cells(page)
    assert page.js_errors == []  # type: ignore[attr-defined]
    width = page.viewport_size["width"]  # type: ignore[index]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    shoot(page, f"check-exercise-{width}")


def test_bad_text_and_a_new_problem(sized: Page, app_url: str) -> None:
    """ "abc" is named by the box's label and unmarks p; New problem gives a new seed in the
    link, its logits, blank boxes and hidden answers."""
    page = sized
    page.goto(f"{app_url}/?view=check&problem={SEED}")
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')
    p, _, _ = exact(SEED)
    type_answer(page, "Your p", ", ".join(f"{v:.4f}" for v in p))
    expect(main.get_by_text(f"The {len(p)} numbers you typed are right")).to_be_visible()
    type_answer(page, "Your p", "abc")
    expect(main.get_by_text("Your p: 'abc' is not a number.")).to_be_visible()
    expect(main.get_by_text("numbers you typed")).to_have_count(0)
    assert "my_p" not in main.inner_text()
    wait_for_cells(page, "not answered yet", 2 * len(p) + 1)
    page.get_by_role("button", name="New problem").click()
    page.wait_for_url(lambda url: "problem=" in url and f"problem={SEED}&" not in url + "&")
    wait_for_app(page)
    seed = int(re.search(r"problem=(\d+)", page.url).group(1))  # type: ignore[union-attr]
    logits = ", ".join(f"{o:g}".replace("-", "−") for o in make_problem(seed).logits)
    expect(main.get_by_text(f"Problem {seed}.")).to_be_visible()
    expect(main.get_by_text(f"o = ({logits})")).to_be_visible()
    assert page.get_by_label("Your p", exact=True).and_(page.locator("input")).input_value() == ""
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    wait_for_cells(page, "not answered yet", 2 * len(make_problem(seed).logits) + 1)
