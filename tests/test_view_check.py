"""The "Check my work" view as a student meets it, through AppTest: a blank exercise with the
problem on the page, typed answers marked one by one, slips named, answers on request."""

from __future__ import annotations

import math
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ce_viz.check import make_problem
from ce_viz.fmt import fmt, url_number
from tests.apptest import run_app, warnings_text

# The seed problem (logits 2, 3, 4, true class 1), from the closed forms.
_S = math.exp(2) + math.exp(3) + math.exp(4)
P = [math.exp(2) / _S, math.exp(3) / _S, math.exp(4) / _S]
L = -math.log(P[1])
G = [P[0], P[1] - 1.0, P[2]]
EXACT = ", ".join(f"{v:.6f}" for v in P), f"{L:.6f}", ", ".join(f"{v:.6f}" for v in G)


def table(at: AppTest):
    """The marks table: one row per number of the problem."""
    (found,) = [d.value for d in at.dataframe if "verdict" in d.value.columns]
    return found


def verdicts(at: AppTest) -> dict[str, str]:
    """Each number's verdict, by its row label (p₀, L, ∂L/∂o₁, ...)."""
    t = table(at)
    return dict(zip(t["number"], t["verdict"], strict=True))


def page_text(at: AppTest) -> str:
    """Every text on the page a student reads."""
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning]
    parts += [e.value for e in at.error] + [s.value for s in at.success]
    return "\n".join(parts).replace("\\", "")


def answer(at: AppTest, field: str, text: str) -> AppTest:
    """Type ``text`` into the answer box for ``field`` and press Enter."""
    return at.text_input(key=f"{field}_text").set_value(text).run()


def test_the_view_starts_blank() -> None:
    """The first screen: empty boxes, no verdict, no error or warning, no answers shown."""
    at = run_app(view="check")
    assert [at.text_input(key=f"{f}_text").value for f in ("my_p", "my_loss", "my_grad")] == [
        "",
        "",
        "",
    ]
    assert set(verdicts(at).values()) == {"not answered yet"}
    assert "exact" not in table(at).columns
    assert not at.error
    assert not at.warning
    assert not at.success
    text = page_text(at)
    assert "✓" not in text
    assert "✗" not in text
    for shown in (fmt(P[1]), fmt(L), fmt(G[1])):
        assert shown not in text
    assert not {"my_p", "my_loss", "my_grad"} & set(at.query_params)


def test_the_problem_is_written_on_the_page() -> None:
    """The logits, the true class, and T and a soft target when set, are on the page itself
    (a phone hides the sidebar, so the page never points there)."""
    at = run_app(view="check", logits="1.5,-2,0.25", y="0.2,0.5,0.3", T="2")
    text = page_text(at)
    assert "o = (1.5, −2, 0.25)" in text
    assert "y = (0.2, 0.5, 0.3)" in text
    assert "T = 2" in text
    assert "sidebar" not in text
    plain = page_text(run_app(view="check"))
    assert "o = (2, 3, 4)" in plain
    assert "k = 1" in plain
    assert "T = " not in plain


def test_new_problem_puts_its_seed_in_the_link_and_the_link_gives_it_again() -> None:
    """New problem: a seed in the URL, its logits on the page and in the URL, the answers
    blank; opening the link elsewhere gives the same problem."""
    at = run_app(view="check")
    answer(at, "my_p", "0.09, 0.245, 0.665")
    at.button(key="new_problem").click().run()
    seed = int(at.query_params["problem"])
    made = make_problem(seed)
    logits = ",".join(url_number(v) for v in made.logits)
    assert at.query_params["logits"] == logits
    assert at.query_params["target"] == str(made.target)
    assert "my_p" not in at.query_params
    assert at.text_input(key="my_p_text").value == ""
    assert set(verdicts(at).values()) == {"not answered yet"}
    shown = f"o = ({', '.join(fmt_logit(v) for v in made.logits)})"
    assert f"Problem {seed}." in page_text(at)
    assert shown in page_text(at)
    again = run_app(view="check", problem=str(seed))
    assert again.query_params["logits"] == logits
    assert shown in page_text(again)
    at.button(key="new_problem").click().run()
    assert int(at.query_params["problem"]) != seed


def fmt_logit(v: float) -> str:
    """A logit as the problem writes it: one decimal at most, a real minus sign."""
    return f"{v:g}".replace("-", "−")


def test_answers_are_shown_only_on_request() -> None:
    """No exact value until "Show the answers" is switched on; then every one, to 4 decimals."""
    at = run_app(view="check")
    answer(at, "my_p", "0.1, 0.2, 0.7")
    assert "exact" not in table(at).columns
    assert fmt(P[1]) not in page_text(at)
    at.toggle(key="check_reveal").set_value(True).run()
    exact = [f"{v:.4f}".replace("-", "−") for v in (*P, L, *G)]
    assert list(table(at)["exact"]) == exact


def test_each_verdict_waits_for_its_answer() -> None:
    """Typing p marks p alone: L and ∂L/∂o stay "not answered yet"."""
    at = answer(run_app(view="check"), "my_p", EXACT[0])
    marks = verdicts(at)
    assert [marks[f"p{s}"] for s in "₀₁₂"] == ["✓ right"] * 3
    assert marks["L"] == "not answered yet"
    assert marks["∂L/∂o₁"] == "not answered yet"
    assert "The 3 numbers you typed are right; 4 to go." in page_text(at)


def test_all_right_says_so() -> None:
    """The exact answers in all three boxes: all seven right."""
    at = run_app(view="check")
    for field, text in zip(("my_p", "my_loss", "my_grad"), EXACT, strict=True):
        answer(at, field, text)
    assert set(verdicts(at).values()) == {"✓ right"}
    assert "All 7 numbers are right." in page_text(at)
    assert not at.warning


def test_bad_text_names_the_box_and_clears_its_verdict() -> None:
    """'abc' after a right p: a plain message naming "Your p" (never my_p), and p is no
    longer marked right; the box keeps the text to fix."""
    at = answer(run_app(view="check"), "my_p", EXACT[0])
    assert verdicts(at)["p₁"] == "✓ right"
    answer(at, "my_p", "abc")
    assert "Your p: 'abc' is not a number." in warnings_text(at)
    assert "my_p" not in page_text(at)
    assert verdicts(at)["p₁"] == "not answered yet"
    assert at.text_input(key="my_p_text").value == "abc"
    answer(at, "my_loss", "1,,2")
    assert "Your loss L: '1,,2' is not a number." in warnings_text(at)
    answer(at, "my_grad", "0.1,,0.2")
    assert "Your ∂L/∂o: entry 2 is empty" in warnings_text(at)
    answer(at, "my_p", EXACT[0])
    assert "Your p:" not in warnings_text(at)
    assert verdicts(at)["p₁"] == "✓ right"


def test_an_emptied_box_is_not_answered_not_zero() -> None:
    """Emptying a box takes its answer away: no verdict, no message, nothing in the link."""
    at = run_app(view="check")
    answer(at, "my_loss", "1.4076")
    answer(at, "my_grad", "0, -4.0862, 0")
    assert verdicts(at)["L"] == "✓ right"
    answer(at, "my_loss", "")
    answer(at, "my_grad", "")
    marks = verdicts(at)
    assert marks["L"] == "not answered yet"
    assert marks["∂L/∂o₀"] == "not answered yet"  # 0 would have been "wrong"
    assert not at.warning
    assert not {"my_loss", "my_grad"} & set(at.query_params)


def test_the_textbook_derivations_numbers_get_their_slips_named() -> None:
    """Its p is right to 3 decimals; 1.406 is a loss from rounded p, −0.775 a slip in pₖ − 1."""
    at = run_app(view="check")
    answer(at, "my_p", "0.090, 0.245, 0.665")
    answer(at, "my_loss", "1.406")
    answer(at, "my_grad", "0.090, -0.775, 0.665")
    marks = verdicts(at)
    assert [marks[f"p{s}"] for s in "₀₁₂"] == ["✓ right"] * 3
    assert (marks["L"], marks["∂L/∂o₁"]) == ("✗ wrong", "✗ wrong")
    text = warnings_text(at).replace("**", "")
    assert "2 of the 7 numbers you typed need another look." in text
    assert "Loss from rounded p (L)" in text
    assert "Arithmetic slip in pₖ − 1 (∂L/∂o₁)" in text


def test_dl_dp_and_percentages_are_named_for_what_they_are() -> None:
    """(0, −4.0862, 0) is ∂L/∂p typed for ∂L/∂o; 9, 24.5, 66.5 are percentages."""
    at = run_app(view="check")
    answer(at, "my_grad", "0, -4.0862, 0")
    answer(at, "my_p", "9, 24.5, 66.5")
    text = warnings_text(at).replace("**", "")
    assert "∂L/∂p instead of ∂L/∂o (∂L/∂o₀, ∂L/∂o₁, ∂L/∂o₂)" in text
    assert "Percentages (p₀, p₁, p₂)" in text
    assert "subtraction" not in text
    assert "divide by the sum" not in text.lower()
    slips = dict(zip(table(at)["number"], table(at)["slip"], strict=True))
    assert slips["∂L/∂o₁"] == "∂L/∂p instead of ∂L/∂o"


def test_a_wrong_count_is_named_and_not_marked() -> None:
    """Four gradient values for three classes: the box's label and counts, no marks for
    ∂L/∂o; fixing the answer clears the note."""
    at = answer(run_app(view="check"), "my_grad", "0.09, -0.755, 0.665, 0")
    text = warnings_text(at)
    assert "Your ∂L/∂o: 4 values for 3 classes. Type one value for each class" in text
    assert verdicts(at)["∂L/∂o₀"] == "not answered yet"
    answer(at, "my_grad", EXACT[2])
    assert not at.warning
    assert verdicts(at)["∂L/∂o₀"] == "✓ right"


def test_a_link_with_extra_answers_or_more_classes_says_so() -> None:
    """A link's five values of p for three classes, or three for four classes, are named
    and not marked."""
    extra = run_app(view="check", my_p="0.09,0.245,0.665,0.9,0.9")
    assert "Your p: 5 values for 3 classes." in warnings_text(extra)
    assert len(table(extra)) == 7
    assert verdicts(extra)["p₀"] == "not answered yet"
    grown = run_app(view="check", logits="2,3,4,5", my_p="0.1,0.2,0.7", my_grad="0,0,0")
    text = warnings_text(grown)
    assert "Your p: 3 values for 4 classes." in text
    assert "Your ∂L/∂o: 3 values for 4 classes." in text


def test_class_names_stay_plain_text() -> None:
    """Names with markup label the numbers as typed, never as HTML or markdown."""
    at = run_app(view="check", names="<b>x</b>,**b**,c")
    answer(at, "my_grad", "0, -4.0862, 0")
    assert "p₀ (<b>x</b>)" in list(table(at)["number"])
    raw = "\n".join(w.value for w in at.warning)
    assert "∂L/∂o₁ \\(\\*\\*b\\*\\*\\)" in raw
    assert "\\<b\\>x\\</b\\>" in raw


def test_the_readme_recipe_gives_the_whole_class_one_problem() -> None:
    """Lecture recipe 10 is a problem link: it opens that problem, the same every time."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (query,) = re.findall(r"^10\. `\?([^`]+)`", text, flags=re.MULTILINE)
    params = dict(part.split("=", 1) for part in query.split("&"))
    made = make_problem(int(params["problem"]))
    at = run_app(**params)
    assert at.query_params["logits"] == ",".join(url_number(v) for v in made.logits)
    assert at.query_params["target"] == str(made.target)
    assert f"Problem {made.seed}." in page_text(at)
    assert not at.warning
