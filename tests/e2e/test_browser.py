"""What a person sees in real headless Chromium."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.load import cpu_s
from tests.e2e.conftest import ARTIFACTS, enter, received_frames, shoot, wait_for_app

pytestmark = pytest.mark.browser


def metric_value(page: Page, label: str) -> str:
    """The displayed value of the st.metric whose label is ``label``."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{label}$"))
    )
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_default_view_shows_seed_loss_and_charts(page: Page, app_url: str) -> None:
    """The first screen shows the seed's loss 1.4076 and draws both Plotly charts."""
    page.goto(app_url)
    wait_for_app(page)
    assert metric_value(page, "Loss") == "1.4076"
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(2)
    # Each chart drew its bars: SVG paths inside Plotly's bar layer.
    for i in range(2):
        assert charts.nth(i).locator("g.trace.bars path").count() >= 3
    assert page.js_errors == []  # type: ignore[attr-defined]
    shoot(page, "gradient-default")


def test_url_state_sets_loss_and_typing_a_logit_updates_it(page: Page, app_url: str) -> None:
    """A shared link sets the state; typing a logit recomputes the loss and the URL."""
    page.goto(f"{app_url}/?logits=0,0&target=0&view=gradient")
    wait_for_app(page)
    assert metric_value(page, "Loss") == "0.6931"  # log 2
    box = page.get_by_label("exact o1")
    box.fill("1")
    box.press("Enter")
    page.wait_for_url(re.compile(r"logits=0%2C1|logits=0,1"))
    wait_for_app(page)
    assert metric_value(page, "Loss") == "1.3133"  # log(1 + e)


def test_share_popover_and_table_expander_open_on_click(page: Page, app_url: str) -> None:
    """The share link and the class table are fetched only when asked for, and then show
    the link to this exact state and the numbers for every class."""
    page.goto(f"{app_url}/?logits=0,0&target=0")
    wait_for_app(page)
    assert page.locator('[data-testid="stCode"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    page.get_by_role("button", name="Share this exact view").click()
    code = page.locator('[data-testid="stCode"]')
    expect(code).to_contain_text("?logits=0,0&target=0&T=1&smoothing=0&view=gradient")
    code.hover()
    expect(code.get_by_role("button", name="Copy to clipboard")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_text("Table: o, p, y and ∂L/∂o for each class").click()
    grid = page.locator('[data-testid="stDataFrame"]')
    expect(grid).to_be_visible()
    shoot(page, "gradient-table-open")


def test_bad_link_shows_message_and_injected_names_stay_text(page: Page, app_url: str) -> None:
    """A hostile link gets a clear message; script in a name neither runs nor renders."""
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a dialog opened")))
    page.goto(f"{app_url}/?logits=1,2,nan&names=<img src=x onerror=alert(1)>,b,c&target=9")
    wait_for_app(page)
    warning = page.locator('[data-testid="stAlertContentWarning"]')
    expect(warning).to_contain_text("logits: entry 3, 'nan', is not a finite number")
    expect(warning).to_contain_text("target: 9 is not a class")
    assert page.locator("img[src=x]").count() == 0
    assert metric_value(page, "Loss") == "1.4076"  # defaults stand in for the bad logits
    assert page.locator('[data-testid="stException"]').count() == 0


def test_derivation_view_renders_latex_and_fd_check(page: Page, app_url: str) -> None:
    """The derivation typesets the corrected −0.7553 and the check agrees; −0.775, the
    seed derivation's slip, appears only where the page quotes that derivation, in its
    expander (one boxed entry), never as the app's own result."""
    page.goto(f"{app_url}/?view=derivation")
    wait_for_app(page)
    page.wait_for_selector(".katex-display")
    main = page.locator('[data-testid="stMain"]')
    quoted = main.locator('[data-testid="stExpander"]')
    tex = 'annotation[encoding="application/x-tex"]'
    everywhere = main.locator(tex).all_text_contents()
    in_quote = quoted.locator(tex).all_text_contents()
    assert any("= -0.7553" in t for t in everywhere)
    slipped = [t for t in everywhere if re.search(r"-0\.775(?!\d)", t)]
    assert slipped == [t for t in in_quote if re.search(r"-0\.775(?!\d)", t)]
    assert len(slipped) == 1
    assert "boxed{-0.775}" in slipped[0]
    assert page.locator(".katex-display").count() >= 6
    expect(page.get_by_text("agree", exact=True)).to_be_visible()
    shoot(page, "derivation-default")


def test_download_csv_has_full_precision(page: Page, app_url: str) -> None:
    """The Download CSV button saves the five columns with floats that read back exactly."""
    page.goto(f"{app_url}/?logits=0.1,0.2,1e-300&target=2")
    wait_for_app(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(info.value.path()).read_text()
    lines = text.strip().splitlines()
    assert lines[0] == "class,logit,probability,target,gradient"
    rows = [line.split(",") for line in lines[1:]]
    assert [float(r[1]) for r in rows] == [0.1, 0.2, 1e-300]
    # Full precision: p_0 = e^0.1 / (e^0.1 + e^0.2 + e^1e-300), written to 17 digits.
    p0 = math.exp(0.1) / (math.exp(0.1) + math.exp(0.2) + 1.0)
    assert float(rows[0][2]) == pytest.approx(p0, rel=1e-15)
    assert len(rows[0][2].lstrip("0.")) >= 15


def test_markdown_and_html_in_names_show_literally(page: Page, app_url: str) -> None:
    """Names with markdown, HTML or LaTeX are shown as typed, in every place they appear."""
    page.goto(f"{app_url}/?logits=1,5,2&names=<b>cat</b>,**dog**,$x$&target=0")
    wait_for_app(page)
    assert metric_value(page, "Predicted class") == "**dog**"
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("**dog**")
    expect(sidebar).to_contain_text("<b>cat</b>")
    assert page.locator("b", has_text="cat").count() == 0
    ticks = page.locator('[data-testid="stPlotlyChart"] .xtick text')
    expect(ticks.filter(has_text=re.compile(r"^\*\*dog\*\*$")).first).to_be_attached()
    expect(ticks.filter(has_text=re.compile(r"^<b>cat</b> ★$")).first).to_be_attached()


#: Names that GFM's autolink-literal step would turn into links: a URL, www. and an e-mail.
LINK_NAMES = "https://evil.example/a,www.evil.example,x@evil.example"


def test_names_that_look_like_links_stay_plain_text(page: Page, app_url: str) -> None:
    """URL, www. and e-mail names show as text, never as <a>, in the sidebar and the metric."""
    page.goto(f"{app_url}/?logits=2,3,4&target=0&names={LINK_NAMES}")
    wait_for_app(page)
    # The sliders and metrics come with the run that follows the address's rewrite.
    expect(page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]')).to_have_count(3)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(4)
    wait_for_app(page)
    links = {}
    for area in ("stMain", "stSidebar"):
        hrefs = page.locator(f'[data-testid="{area}"] a').evaluate_all("a => a.map(e => e.href)")
        # Heading anchors link to this page, whose address holds the names.
        links[area] = [h for h in hrefs if "evil" in h and not h.startswith(app_url)]
    assert links == {"stMain": [], "stSidebar": []}
    # The word joiners that stop the autolinks are invisible; the text is the names.
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    for name in LINK_NAMES.split(","):
        assert name in sidebar
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Predicted class")
    assert metric.locator("a").count() == 0
    assert metric_value(page, "Predicted class").replace("\u2060", "") == "x@evil.example"
    assert "evil.example" in page.locator('[data-testid="stMain"]').inner_text()
    shoot(page, "names-that-look-like-links")


def test_landscape_view_draws_the_surface_and_plays_descent(page: Page, app_url: str) -> None:
    """view=landscape draws the contour plot; Play moves the descent marker along the path."""
    page.goto(f"{app_url}/?view=landscape&steps=40")
    wait_for_app(page)
    landscape = page.locator('[data-testid="stPlotlyChart"]').first
    expect(landscape.locator("g.contourlevel path").first).to_be_attached()
    assert landscape.locator("g.contourlevel path").count() > 10
    slider_readout = landscape.locator(".slider-container text.slider-label").first
    expect(slider_readout).to_have_text("step 0")
    landscape.get_by_text("▶ Play").click()
    expect(slider_readout).to_have_text("step 40", timeout=20000)
    shoot(page, "landscape-default")


def test_descent_controls_rerun_only_their_fragment(page: Page, app_url: str) -> None:
    """Changing the learning rate re-sends the plane but not the rest of the page (its title,
    which a whole rerun sends again); a logit change reruns the whole page."""
    received = received_frames(page)
    page.goto(f"{app_url}/?view=landscape")
    wait_for_app(page)
    received.clear()
    enter(page, page.get_by_role("spinbutton", name="Learning rate"), "1.25", r"lr=1\.25")
    after_lr = b"".join(received)
    assert b"landscape_chart" in after_lr
    assert b"why the gradient is p" not in after_lr
    received.clear()
    enter(page, page.get_by_label("exact o0"), "1", r"logits=1(%2C|,)3")
    after_logit = b"".join(received)
    assert b"landscape_chart" in after_logit
    assert b"why the gradient is p" in after_logit


def test_jacobian_view_draws_the_heatmap(page: Page, app_url: str) -> None:
    """view=jacobian draws the heatmap with its values in the cells and typesets the chain rule."""
    page.goto(f"{app_url}/?view=jacobian")
    wait_for_app(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator("g.hm image, g.heatmaplayer image").first).to_be_attached()
    expect(chart.get_by_text("0.185", exact=True)).to_be_attached()
    page.wait_for_selector(".katex-display")
    shoot(page, "jacobian-default")


def test_why_view_tabs_switch(page: Page, app_url: str) -> None:
    """view=why opens on CE vs MSE; the stability tab replaces it with its tables, and the
    address bar then links to that tab."""
    page.goto(f"{app_url}/?view=why")
    wait_for_app(page)
    title = "Gradient on the true class: cross-entropy against MSE"
    expect(page.get_by_text(title)).to_be_visible()
    page.get_by_role("tab", name="Numerical stability").click()
    stability = page.get_by_role("tabpanel", name="Numerical stability")
    expect(stability.get_by_text("gives NaN", exact=False)).to_be_visible()
    expect(stability.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_text(title)).to_be_hidden()
    page.wait_for_url(re.compile(r"tab=stability"))  # the open tab is in the link
    shoot(page, "why-stability")


def test_simplex_view_draws_the_ternary_plot(page: Page, app_url: str) -> None:
    """view=simplex draws one chart: the triangle and the logit-space plane, each filled
    by the loss's contours."""
    page.goto(f"{app_url}/?view=simplex&steps=30")
    wait_for_app(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(1)
    expect(charts.first.locator("g.contourfill path").first).to_be_attached()
    assert charts.first.locator("g.contourcarpetlayer g.contour").count() == 2
    shoot(page, "simplex-default")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_presentation_mode_in_both_themes(browser, app_url: str, scheme: str) -> None:
    """present=1 folds the sidebar away and enlarges chart type, legibly in either theme."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{app_url}/?present=1&view=gradient")
    wait_for_app(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
    tick = page.locator('[data-testid="stPlotlyChart"] .xtick text').first
    assert float(tick.evaluate("t => parseFloat(t.style.fontSize)")) >= 22
    background = page.locator('[data-testid="stApp"]').evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    level = sum(int(v) for v in re.findall(r"\d+", background)[:3]) / 3
    assert (level < 80) if scheme == "dark" else (level > 200), background
    shoot(page, f"presentation-{scheme}")
    context.close()


def test_preset_loads_in_one_click(page: Page, app_url: str) -> None:
    """Clicking the 'Huge logits' preset loads it and puts it in the address bar."""
    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Huge logits", exact=True).click()
    page.wait_for_url(re.compile(r"logits=1000(%2C|,)0(%2C|,)-1000"))
    wait_for_app(page)
    assert metric_value(page, "Loss") == "2000.0000"


def _type_textbook_answers(page: Page) -> None:
    """Type the textbook derivation's numbers for logits 2, 3, 4 and true class 1."""
    _set_box(page, "Your p", "0.090, 0.245, 0.665")
    expect(page.get_by_text("The 3 numbers you typed are right; 4 to go.")).to_be_visible()
    _set_box(page, "Your loss L", "1.406")
    expect(page.get_by_text("1 of the 4 numbers you typed need another look.")).to_be_visible()
    _set_box(page, "Your ∂L/∂o", "0.090, -0.775, 0.665")


def test_check_my_work_finds_the_seed_slip(page: Page, app_url: str) -> None:
    """view=check starts blank; the textbook derivation's numbers typed in get its two slips
    named (1.406: a loss from rounded p; −0.775: a slip in pₖ − 1), and the exact −0.7553
    stays hidden until asked for."""
    page.goto(f"{app_url}/?view=check")
    wait_for_app(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    _type_textbook_answers(page)
    expect(page.get_by_text("2 of the 7 numbers you typed need another look.")).to_be_visible()
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Loss from rounded p", exact=True).first).to_be_visible()
    expect(main.get_by_text("Arithmetic slip in pₖ − 1", exact=True).first).to_be_visible()
    assert "0.7553" not in main.inner_text()
    shoot(page, "check-seed")


def test_derivation_latex_download_has_the_live_numbers(page: Page, app_url: str) -> None:
    """Download LaTeX gives a standalone document holding the corrected −0.7553."""
    page.goto(f"{app_url}/?view=derivation")
    wait_for_app(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download LaTeX").click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("\\documentclass")
    assert "= -0.7553" in text
    assert text.count("\\begin{equation*}") >= 6


def test_controls_work_from_the_keyboard(page: Page, app_url: str) -> None:
    """Tab reaches a logit's exact box; typing and Enter recompute the loss, no mouse."""
    page.goto(f"{app_url}/?logits=0,0&target=0")
    wait_for_app(page)
    for _ in range(60):
        page.keyboard.press("Tab")
        label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        if label == "exact o1":
            break
    else:
        pytest.fail("Tab never reached the exact box of o1")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"logits=0(%2C|,)1"))
    wait_for_app(page)
    assert metric_value(page, "Loss") == "1.3133"


def test_batch_upload_shows_mean_loss(page: Page, app_url: str, tmp_path: Path) -> None:
    """Uploading a CSV in Chromium shows its Mean loss; a bad file shows a named error."""
    good = tmp_path / "good.csv"
    good.write_text("logit_cat,logit_dog,label\n0,0,cat\n0,0,dog\n")
    page.goto(f"{app_url}/?view=batch&data=upload")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=30000)
    wait_for_app(page)
    assert metric_value(page, "Mean loss") == "0.6931"
    shoot(page, "batch-upload")
    bad = tmp_path / "bad.csv"
    bad.write_text("logit_cat,logit_dog,label\n0,zero,cat\n")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    expect(page.get_by_text("row 1, column 'logit_dog': 'zero' is not a number")).to_be_visible(
        timeout=30000
    )
    assert page.locator('[data-testid="stException"]').count() == 0


def test_batch_upload_over_the_limit_is_refused(page: Page, app_url: str, tmp_path: Path) -> None:
    """A file over .streamlit/config.toml's 50 MB limit is refused with a message."""
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.write(b"logit_0,logit_1,label\n")
        f.write(b"1.0,2.0,0\n" * 5_300_000)  # ~53 MB
    page.goto(f"{app_url}/?view=batch&data=upload")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    expect(page.get_by_text(re.compile(r"must be 50(\.0)?\s?MB or smaller"))).to_be_visible()
    assert page.locator('[data-testid="stMetric"]').count() == 0


def test_closing_the_page_stops_reading_an_upload(browser, app_server, tmp_path: Path) -> None:
    """A 49.9 MB upload (8.3 million rows, the costliest shape the limit allows) costs the
    server about a CPU-second to read (0.56–1.02 s measured here since reading got faster;
    2.6–2.9 s before); closed 0.3 s into the read, the server stops within a chunk: less
    than a quarter of a whole read's CPU follows the close. Were it to read on, about
    three quarters would."""
    pid, url = app_server
    tall = tmp_path / "tall.csv"
    header = b"logit_0,logit_1,label\n"
    tall.write_bytes(header + b"0,0,0\n" * ((49_900_000 - len(header)) // 6))
    spent = {}
    for close_early in (False, True):
        page = browser.new_page()
        page.goto(f"{url}/?view=batch&data=upload")
        wait_for_app(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tall))
        expect(page.locator('[data-testid="stProgress"]')).to_be_visible(timeout=60000)
        if close_early:
            page.wait_for_timeout(300)
            page.close()
            start = cpu_s(pid)
            page_gone = 6.0  # seconds: more than a whole read takes here
            browser.new_page().wait_for_timeout(page_gone * 1000)
            spent["after close"] = cpu_s(pid) - start
        else:
            start = cpu_s(pid)
            expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=120000)
            spent["whole read"] = cpu_s(pid) - start
            assert metric_value(page, "Rows") == f"{(49_900_000 - len(header)) // 6:,}"
            page.close()
    assert spent["whole read"] > 0.3, spent  # enough to tell stopping from reading on
    assert spent["after close"] < 0.25 * spent["whole read"], spent


HOSTILE_LINKS = [
    "names=<script>window.injected=1</script>,b,c",
    "names=<img src=x onerror=window.injected=1>,b,c",
    "names=[x](javascript:window.injected=1),b,c",
    "view=<svg onload=window.injected=1>",
    "logits=<b>1</b>,2&target=<i>0</i>",
    "names=$\\href{javascript:alert(1)}{x}$,b,c",
]


@pytest.mark.parametrize("query", HOSTILE_LINKS)
def test_nothing_injected_runs_or_renders(page: Page, app_url: str, query: str) -> None:
    """Script, HTML, markdown links or LaTeX in a link neither run nor become elements."""
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a dialog opened")))
    page.goto(f"{app_url}/?{query}")
    wait_for_app(page)
    assert page.evaluate("() => window.injected") is None
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("script, img[src=x], svg[onload], a[href^='javascript']").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]


VIEWPORTS = {"projector": (1920, 1080), "phone": (390, 844)}
ALL_VIEWS = ["gradient", "derivation", "landscape", "simplex", "jacobian", "why", "check", "batch"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_view_renders_at_every_size_and_theme(
    browser, app_url: str, viewport: str, scheme: str
) -> None:
    """Each view draws without an error in light and dark, at projector and phone sizes."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for view in ALL_VIEWS:
        page.goto(f"{app_url}/?view={view}")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, view
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, view
        shoot(page, f"{view}-{viewport}-{scheme}")
    assert errors == []
    context.close()


#: Nine distinct names of 24 characters, the longest a name may be.
LONG_NAMES = [
    "golden_retriever_puppy_a",
    "siamese_cat_sleeping_b_x",
    "red_tailed_hawk_flying_c",
    "atlantic_salmon_river_dd",
    "monarch_butterfly_wing_e",
    "green_sea_turtle_swim_ff",
    "african_elephant_herd_gg",
    "emperor_penguin_colony_h",
    "arctic_fox_winter_coat_i",
]


def _overlaps(a: dict, b: dict) -> bool:
    """Whether two bounding boxes share more than a pixel's sliver."""
    return (
        min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
        and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_long_names_leave_the_gradient_charts_readable(browser, app_url: str, viewport) -> None:
    """K = 9 names of 24 characters: the bars lie flat (from 6 classes on), every class
    keeps a level tick label, no tick label runs into the legend, and the plot keeps a
    good share of the chart's width and height."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    names = ",".join(LONG_NAMES)
    page.goto(f"{app_url}/?logits=1,2,3,4,5,6,7,8,9&target=0&names={names}")
    wait_for_app(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(2)
    expect(charts.first.locator(".ytick text")).to_have_count(9)
    wait_for_app(page)
    shoot(page, f"long-names-{viewport}")
    for i in range(2):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(ARTIFACTS / f"long-names-{viewport}-chart{i}.png"))
        box = chart.bounding_box()
        plot = chart.locator(".nsewdrag").first.bounding_box()
        legend = chart.locator("g.legend").bounding_box()
        ticks = [t.bounding_box() for t in chart.locator(".ytick text").all()]
        assert box is not None
        assert plot is not None
        assert legend is not None
        assert len(ticks) == 9
        assert None not in ticks, f"chart {i}: a class lost its tick label"
        texts = chart.locator(".ytick text").all_text_contents()
        assert all(0 < len(t.removesuffix(" ★")) <= 24 for t in texts), texts
        assert not [t for t in ticks if _overlaps(t, legend)], f"chart {i}: ticks hit the legend"
        assert all(t["y"] + t["height"] <= legend["y"] + 1 for t in ticks)
        # Level labels, one per row: no two overlap, and each lies left of the plot.
        assert not [1 for a, b in itertools.pairwise(ticks) if _overlaps(a, b)], texts
        assert all(t["x"] + t["width"] <= plot["x"] + 1 for t in ticks)
        assert plot["width"] >= 0.5 * box["width"], (i, plot, box)
        assert plot["height"] >= 0.35 * box["height"], (i, plot, box)
    context.close()


def test_long_csv_headers_leave_the_heatmap_its_height(page: Page, app_url: str, tmp_path) -> None:
    """A CSV whose nine class columns have 49-character names (a header has no length
    limit): the gradient matrix keeps most of its 520 px for the rows instead of giving
    it to the column labels, which are cut to 14 characters."""
    data = tmp_path / "long.csv"
    header = ",".join(f"logit_{n}_{n}" for n in LONG_NAMES) + ",label"
    rows = [",".join(str((r * 7 + c) % 5) for c in range(9)) + f",{r % 9}" for r in range(30)]
    data.write_text("\n".join([header, *rows]) + "\n")
    page.goto(f"{app_url}/?view=batch&data=upload")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(data))
    heatmap = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Gradient matrix")
    expect(heatmap.locator(".xtick text")).to_have_count(9, timeout=30000)
    wait_for_app(page)
    heatmap.scroll_into_view_if_needed()
    heatmap.screenshot(path=str(ARTIFACTS / "long-names-heatmap.png"))
    plot = heatmap.locator(".nsewdrag").first.bounding_box()
    assert plot is not None
    assert plot["height"] >= 0.5 * 520, plot
    texts = heatmap.locator(".xtick text").all_text_contents()
    assert all(len(t) <= 14 for t in texts), texts


def _set_box(page: Page, label: str, value: str) -> None:
    """Type ``value`` into the input labelled ``label`` and commit it with Enter."""
    box = page.get_by_label(label, exact=True).and_(page.locator("input"))
    box.fill(value)
    box.press("Enter")


def test_jacobian_view_follows_the_temperature(page: Page, app_url: str) -> None:
    """Changing T in the sidebar rescales the Jacobian's cells (J = (diag p − ppᵀ)/T)."""
    page.goto(f"{app_url}/?view=jacobian&logits=0,0&target=0")
    wait_for_app(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.get_by_text("0.250", exact=True).first).to_be_attached()
    page.get_by_text("Temperature, smoothing, names").click()
    _set_box(page, "Temperature T", "2")
    page.wait_for_url(re.compile(r"T=2"))
    wait_for_app(page)
    expect(chart.get_by_text("0.125", exact=True).first).to_be_attached()


def test_check_view_marks_a_corrected_answer(page: Page, app_url: str) -> None:
    """Fixing −0.775 to −0.755 and 1.406 to 1.408 turns the verdict to all right."""
    page.goto(f"{app_url}/?view=check")
    wait_for_app(page)
    _type_textbook_answers(page)
    expect(page.get_by_text("2 of the 7 numbers you typed need another look.")).to_be_visible()
    _set_box(page, "Your ∂L/∂o", "0.09, -0.755, 0.665")
    expect(page.get_by_text("1 of the 7 numbers you typed need another look.")).to_be_visible()
    _set_box(page, "Your loss L", "1.408")
    expect(page.get_by_text("All 7 numbers are right.")).to_be_visible()


def test_simplex_view_follows_a_preset(page: Page, app_url: str) -> None:
    """A preset clicked on the simplex view loads its logits and stays on the simplex."""
    page.goto(f"{app_url}/?view=simplex")
    wait_for_app(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Uniform", exact=True).click()
    page.wait_for_url(re.compile(r"logits=0(%2C|,)0(%2C|,)0"))
    wait_for_app(page)
    assert "view=simplex" in page.url
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator("g.contourcarpetlayer g.contour")).to_have_count(2)
