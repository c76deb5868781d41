"""The "Why it works" and "Batch" views in real headless Chromium: the linked Temperature
tab with its 1/T chart, and a bad upload that names its problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shoot, wait_for_app
from tests.e2e.test_browser import metric_value
from tests.test_batch import TWENTY_FIVE, twenty_five_problems

pytestmark = pytest.mark.browser

#: Lecture recipe 8 (README): high temperature, opened on its tab.
RECIPE_8 = "logits=2,3,4&target=1&T=5&tab=temperature&view=why"


def test_the_temperature_link_opens_on_the_1_over_t_chart(page: Page, app_url: str) -> None:
    """The recipe link opens the Temperature tab, which draws the gradient's size against
    T with the 1/T line and your T, and says so (with the numbers) to a screen reader."""
    page.goto(f"{app_url}/?{RECIPE_8}")
    wait_for_app(page)
    expect(page.locator('[role="tab"][aria-selected="true"]')).to_have_text("Temperature")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="The gradient scales like 1/T")
    )
    expect(chart).to_have_count(1)
    # The curve and the 1/T line are drawn as paths, your T as a marker.
    assert chart.locator("g.trace.scatter path.js-line").count() == 2
    assert chart.locator("g.trace.scatter path.point").count() == 1
    expect(chart.locator(".legendtext", has_text="exactly 1/T, through your T")).to_have_count(1)
    # ‖(p − y)/T‖ at T = 5 for logits 2, 3, 4 and true class 1 is 0.1654.
    expect(chart).to_have_attribute("aria-label", re.compile(r"0\.1654 at your T = 5"))
    assert page.js_errors == []  # type: ignore[attr-defined]
    shoot(page, "why-temperature")


def test_a_csv_with_25_problems_names_20_and_5_more(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    """Uploading a file with 25 bad cells shows one error box listing the first 20, each by
    row and column, then "and 5 more"; no traceback, and no progress bar left behind."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(twenty_five_problems())
    page.goto(f"{app_url}/?view=batch&data=upload")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    box = page.locator('[data-testid="stAlertContentError"]')
    expect(box).to_contain_text("it has 25 problems", timeout=30000)
    items = box.locator("li")
    expect(items).to_have_count(21)
    for i, (row, column, _, what) in enumerate(TWENTY_FIVE[:20]):
        text = items.nth(i).inner_text()
        assert text.startswith(f"row {row}, column '{column}': "), text
        assert what in text
    expect(items.nth(20)).to_have_text("and 5 more")
    assert page.locator('[data-testid="stException"]').count() == 0
    # The reading's progress bar goes with the reading (it once stayed at 100 %).
    expect(page.locator('[data-testid="stProgress"]')).to_have_count(0)
    shoot(page, "batch-25-problems")


def test_the_batch_temperature_box_changes_the_mean_loss(page: Page, app_url: str) -> None:
    """The batch page's own Temperature box: typing 2 re-reads the sample at T = 2, and
    the Mean loss and the link follow."""
    page.goto(f"{app_url}/?view=batch")
    wait_for_app(page)
    before = metric_value(page, "Mean loss")
    box = page.get_by_role("spinbutton", name="Temperature T")
    box.fill("2")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]T=2(&|$)"))
    wait_for_app(page)
    expect(page.locator('[data-testid="stMetric"]').first).not_to_contain_text(before)
