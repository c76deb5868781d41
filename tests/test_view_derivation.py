"""The derivation view (AppTest): its step-by-step reveal for a lecturer, and formulas
that are split on purpose rather than wider than the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_app, warnings_text

#: The one-hot derivation's equations: softmax, the loss, the quotient rule and the true
#: class's gradient, the other classes' rule and values, the result.
ONE_HOT_LINES = 7
#: With a soft target: softmax, the loss, the general rule, the result.
SOFT_LINES = 4


def derivation_lines(at: AppTest) -> list[str]:
    """The derivation's typeset equations, without the textbook's slips in the expander."""
    slips = {x.value for e in at.expander for x in e.latex}
    return [x.value for x in at.main.latex if x.value not in slips]


def reveal_caption(at: AppTest) -> str:
    """The caption beside the reveal buttons ("Line n of N" or "All N lines shown")."""
    (caption,) = [c.value for c in at.caption if "line" in c.value.lower()[:20]]
    return caption


def test_reveal_shows_the_first_lines_and_next_adds_one() -> None:
    """reveal=2 shows exactly two equations and says "Line 2 of 7"; Next shows a third and
    the link says reveal=3."""
    at = run_app(view="derivation", reveal="2")
    lines = derivation_lines(at)
    assert len(lines) == 2
    assert r"\sum_i e^{o_i}" in lines[0]
    assert r"\log p_i" in lines[1]
    assert reveal_caption(at) == f"Line 2 of {ONE_HOT_LINES}"
    at.button(key="reveal_next").click().run()
    assert len(derivation_lines(at)) == 3
    assert at.query_params["reveal"] == "3"
    assert reveal_caption(at) == f"Line 3 of {ONE_HOT_LINES}"


def test_reveal_hides_the_text_of_steps_not_reached() -> None:
    """At reveal=2 the caption on line 2 shows, but step 3's lead-in does not."""
    at = run_app(view="derivation", reveal="2")
    text = " ".join(m.value for m in at.main.markdown)
    assert "Cross-entropy" in text
    assert "The true class" not in text
    assert any("unrounded p" in c.value for c in at.caption)


def test_previous_first_and_show_all() -> None:
    """Previous takes a line away, First line goes back to one, Show all shows every line
    and drops reveal= from the link; the buttons that would do nothing are disabled."""
    at = run_app(view="derivation", reveal="3")
    at.button(key="reveal_previous").click().run()
    assert len(derivation_lines(at)) == 2
    assert at.query_params["reveal"] == "2"
    at.button(key="reveal_first").click().run()
    assert len(derivation_lines(at)) == 1
    assert at.button(key="reveal_previous").disabled
    assert at.button(key="reveal_first").disabled
    at.button(key="reveal_show").click().run()
    assert len(derivation_lines(at)) == ONE_HOT_LINES
    assert "reveal" not in at.query_params
    assert at.button(key="reveal_show").disabled
    assert reveal_caption(at) == f"All {ONE_HOT_LINES} lines shown"


def test_next_stops_at_the_last_line() -> None:
    """At the last line Next is disabled; Previous from "show all" goes to the line before
    the last."""
    at = run_app(view="derivation", reveal=str(ONE_HOT_LINES))
    assert at.button(key="reveal_next").disabled
    at = run_app(view="derivation")
    at.button(key="reveal_previous").click().run()
    assert len(derivation_lines(at)) == ONE_HOT_LINES - 1


@pytest.mark.parametrize(
    ("query", "total"),
    [({}, ONE_HOT_LINES), ({"logits": "1,2", "y": "0.3,0.7", "T": "2"}, SOFT_LINES)],
)
def test_a_reveal_past_the_end_clamps_to_the_lines_there_are(query, total: int) -> None:
    """reveal=30 shows every line of this derivation (7 one-hot, 4 soft) and names the
    last one: "Line N of N", with Next disabled."""
    at = run_app(view="derivation", reveal="30", **query)
    assert len(derivation_lines(at)) == total
    assert reveal_caption(at) == f"Line {total} of {total}"
    assert at.button(key="reveal_next").disabled


def test_a_bad_reveal_in_the_link_is_named_and_everything_shows() -> None:
    """reveal=abc and reveal=99 are each named in the link warning; the derivation shows
    in full and the rest of the link applies."""
    for bad in ("abc", "99"):
        at = run_app(view="derivation", reveal=bad, logits="1,2,3,4")
        assert "reveal" in warnings_text(at)
        assert len(derivation_lines(at)) == ONE_HOT_LINES
        assert at.query_params["logits"] == "1,2,3,4"


def test_reveal_works_in_presentation_mode() -> None:
    """With present=1 the same buttons step through the derivation."""
    at = run_app(view="derivation", reveal="1", present="1")
    at.button(key="reveal_next").click().run()
    assert len(derivation_lines(at)) == 2
    assert at.query_params["reveal"] == "2"
    assert at.query_params["present"] == "1"


def test_long_formulas_are_split_into_aligned_lines_at_k_20() -> None:
    """At K = 20 softmax's o and p, and the loss, sit on aligned lines, and the other
    classes' gradients go five to a row: no formula holds all 19 of them in one row."""
    logits = ",".join(str(i % 10 + 1) for i in range(20))
    at = run_app(view="derivation", logits=logits, target="3")
    lines = derivation_lines(at)
    assert r"\begin{aligned}o &=" in lines[0]
    assert r"\\ p &=" in lines[0]
    assert r"\begin{aligned}y &=" in lines[1]
    (per_class,) = [x for x in lines if r"\begin{gathered}" in x]
    rows = per_class.split(r"\\[0.4em]")
    assert len(rows) == 4
    assert all(row.count(r"\partial L") <= 5 for row in rows)
    assert sum(row.count(r"\partial L") for row in rows) == 19


# The share box's QR code, which goes with presenting (the sidebar has no test file of its
# own; its browser test is tests/e2e/test_present.py).


def open_share_box(at: AppTest) -> AppTest:
    """Open the share popover as a click would: its QR code is drawn only while open."""
    at.session_state["share_open"] = True
    return at.run()


def test_share_box_shows_a_qr_code_and_offers_it_large() -> None:
    """Opened, the share box shows one QR image named for its link; "Show the QR code
    large" closes the box and opens a dialog with a second, larger one."""
    at = open_share_box(run_app(view="derivation", logits="1,2,3"))
    (link,) = [c.value for c in at.code]
    (image,) = at.get("image")
    assert image.proto.imgs[0].alt == f"QR code of the link {link}"
    at.button(key="qr_large").click().run()
    assert not at.exception
    assert at.session_state["share_open"] is False
    images = at.get("image")
    assert len(images) == 1  # the closed box's image is gone; the dialog's remains
    assert images[0].proto.imgs[0].alt == f"QR code of the link {link}"


def test_a_link_too_long_for_a_qr_code_says_so() -> None:
    """Twenty 24-character names in a 3-byte script make a link longer than any QR code
    holds: the box says so instead of failing."""
    names = ",".join("字" * 23 + chr(ord("一") + i) for i in range(20))
    logits = ",".join(str(i) for i in range(20))
    at = open_share_box(run_app(view="derivation", logits=logits, target="0", names=names))
    assert not at.exception
    assert not at.get("image")
    assert any("too long for a QR code" in c.value for c in at.caption)


def test_the_readme_recipe_opens_the_derivation_one_line_at_a_time() -> None:
    """Lecture recipe 1 is the derivation in presentation mode at its first line."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (query,) = re.findall(r"^1\. `\?([^`]+)`", text, flags=re.MULTILINE)
    at = run_app(**dict(part.split("=", 1) for part in query.split("&")))
    assert len(derivation_lines(at)) == 1
    assert reveal_caption(at) == f"Line 1 of {ONE_HOT_LINES}"
    assert at.query_params["present"] == "1"


def test_presenting_offers_the_qr_code_on_the_page_itself() -> None:
    """In presentation mode the sidebar is folded away: a button on the page opens the
    large QR code of the current link in one click; at a desk there is no such button."""
    assert not [b for b in run_app(view="gradient").button if b.key == "qr_main"]
    at = run_app(view="gradient", logits="1,2,3", present="1")
    at.button(key="qr_main").click().run()
    assert not at.exception
    (image,) = at.get("image")
    assert image.proto.imgs[0].alt.startswith("QR code of the link ")
    assert "logits=1,2,3" in image.proto.imgs[0].alt
    assert "present=1" in image.proto.imgs[0].alt
