"""Number and text formatting: page text, LaTeX, URLs, markdown and Plotly labels."""

from __future__ import annotations

import html
import math
import re
import urllib.parse
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz.fmt import (
    MINUS,
    escape_markdown,
    fmt,
    fmt_short,
    fmt_signed,
    latex_document,
    plotly_text,
    round_number,
    tex,
    tex_vector,
    url_number,
)

INF = math.inf
NAN = math.nan

#: (x, digits, scientific, expected fmt text)
FMT_CASES = [
    (0.2447284710547976, 4, True, "0.2447"),
    (-0.7552715289452024, 4, True, MINUS + "0.7553"),
    (-0.00001, 4, True, MINUS + "1.0000e-05"),
    (0.00001, 4, True, "1.0000e-05"),
    (-0.0001, 4, True, MINUS + "0.0001"),
    (-0.00001, 4, False, "0.0000"),
    (-5.5e-17, 4, False, "0.0000"),
    (-0.00004, 4, False, "0.0000"),
    (-0.00006, 4, False, MINUS + "0.0001"),
    (0.0, 4, True, "0.0000"),
    (-0.0, 4, True, "0.0000"),
    (2e300, 4, True, "2.0000e+300"),
    (-2e300, 4, True, MINUS + "2.0000e+300"),
    (1e6, 4, True, "1.0000e+06"),
    (999999.0, 2, True, "999999.00"),
    (5e-324, 4, True, "4.9407e-324"),
    (1.5, 2, True, "1.50"),
    (-1.5, 0, True, MINUS + "2"),
    (INF, 4, True, "∞"),
    (-INF, 4, True, MINUS + "∞"),
    (NAN, 4, True, "NaN"),
]

#: (x, expected fmt_signed text) at 4 digits
FMT_SIGNED_CASES = [
    (0.09003057317038046, "+0.0900"),
    (-0.7552715289452024, MINUS + "0.7553"),
    (-0.755, MINUS + "0.7550"),
    (0.6652409557748219, "+0.6652"),
    (1e-20, "+1.0000e-20"),
    (-1e-20, MINUS + "1.0000e-20"),
    (0.0, "+0.0000"),
    (INF, "+∞"),
    (-INF, MINUS + "∞"),
]

#: (x, digits, expected LaTeX)
TEX_CASES = [
    (-0.7552715289452024, 4, "-0.7553"),
    (0.5, 4, "0.5000"),
    (3.5e-20, 2, r"3.50 \times 10^{-20}"),
    (-1e-5, 4, r"-1.0000 \times 10^{-5}"),
    (2e300, 4, r"2.0000 \times 10^{300}"),
    (1e6, 1, r"1.0 \times 10^{6}"),
    (INF, 4, r"\infty"),
    (-INF, 4, r"-\infty"),
]

#: (x, expected URL text)
URL_CASES = [
    (2.0, "2"),
    (0.1, "0.1"),
    (-1e300, "-1e300"),
    (1e300, "1e300"),
    (-0.0, "0"),
    (0.0, "0"),
    (1e16, "1e16"),
    (1e-5, "1e-05"),
    (5e-324, "5e-324"),
    (0.1 + 0.2, "0.30000000000000004"),
    (123456789.0, "123456789"),
    (1.7976931348623157e308, "1.7976931348623157e308"),
    (-2.5, "-2.5"),
]

#: (x, expected fmt_short text)
FMT_SHORT_CASES = [(1.5, "1.5"), (-0.25, MINUS + "0.25"), (1e-5, "1e-05"), (100.0, "100")]

#: Characters with a meaning in Streamlit markdown: CommonMark's, plus $ (LaTeX) and
#: ':' (emoji shortcodes and :colour[...] directives).
MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:"

#: U+2060 WORD JOINER, which escape_markdown puts where an autolink would start.
WJ = "\u2060"

#: (text, expected escape_markdown output)
MARKDOWN_CASES = [
    ("**bold** <b>x</b> $y$", r"\*\*bold\*\* \<b\>x\</b\> \$y\$"),
    ("[link](http://x)", "\\[link\\]\\(http\\:" + WJ + "//x\\)"),
    (":red[alert]", r"\:red\[alert\]"),
    ("# title", r"\# title"),
    ("1. item", r"1\. item"),
    ("a_b", r"a\_b"),
    ("back\\slash", r"back\\slash"),
    ("plain text", "plain text"),
    ("chat 🐱", "chat 🐱"),
]

#: Names that GFM's autolink-literal step turns into links: (text, the escaped form, which
#: shows the word joiner as "|").
AUTOLINK_CASES = [
    ("https://evil.example/a", r"https\:|//evil\.example/a"),
    ("http://evil.example", r"http\:|//evil\.example"),
    ("HTTPS://EVIL.EXAMPLE", r"HTTPS\:|//EVIL\.EXAMPLE"),
    ("www.evil.example", r"www|\.evil\.example"),
    ("WwW.evil.example", r"WwW|\.evil\.example"),
    ("x@evil.example", r"x|@evil\.example"),
    ("a.b+c@evil.example", r"a\.b\+c|@evil\.example"),
    ("see www.a.b/c?d", r"see www|\.a\.b/c?d"),
]

#: Escaped text that a page ends a sentence with: f"...{escape_markdown(text)}." must hold
#: no autolink either, though the full stop is the page's.
SENTENCE_CASES = ["ends in www", "WWW"]

#: Text with none of those patterns comes out with no word joiner.
NO_AUTOLINK = ["1.5", "a.b", "v2.0: final", "ww.x", "http:/x", "ftp.x", "10:30", "cat"]

#: (text, expected plotly_text output)
PLOTLY_CASES = [
    ("<b>cat</b> & dog", "&lt;b&gt;cat&lt;/b&gt; &amp; dog"),
    ("a<br>b", "a&lt;br&gt;b"),
    ("&lt;", "&amp;lt;"),
    ('<a href="x">y</a>', '&lt;a href="x"&gt;y&lt;/a&gt;'),
    ("plain", "plain"),
]

FINITE = st.floats(allow_nan=False, allow_infinity=False)


def _unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


#: mdast-util-gfm-autolink-literal's two patterns, as Streamlit's bundle has them. JavaScript's
#: \w is ASCII-only, hence re.ASCII.
_GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE | re.ASCII)
_GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII)


def _gfm_autolinks(text: str) -> list[str]:
    """What the autolink-literal step would link in a text node, tried at every position.

    Looser than the real step (it skips the check of the character before a match and
    the trimming of trailing punctuation), so a text it passes is safe.
    """
    found = []
    for i in range(len(text)):
        url = _GFM_URL.match(text, i)
        if url:
            domain = url[2] if url[1].lower().startswith("http") else url[1] + url[2]
            if len(domain.split(".")) >= 2:  # isCorrectDomain's first test
                found.append(url[0])
        email = _GFM_EMAIL.match(text, i)
        if email and not re.search(r"[-\d_]$", email[2]):
            found.append(email[0])
    return found


# --------------------------------------------------------------------------------------
# fmt, fmt_signed, fmt_short
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "digits", "scientific", "expected"), FMT_CASES)
def test_fmt(x: float, digits: int, scientific: bool, expected: str) -> None:
    """fmt gives the table's text: U+2212 minus, scientific for tiny/huge, no '−0.0000'."""
    assert fmt(x, digits, scientific=scientific) == expected


@settings(max_examples=200, database=None)
@given(FINITE)
def test_fmt_never_shows_an_ascii_minus_sign_in_front(x: float) -> None:
    """A formatted number never starts with '-'; a negative shown nonzero starts with '−'."""
    text = fmt(x)
    assert not text.startswith("-")
    assert "--" not in text
    if text.startswith(MINUS):
        assert x < 0


@pytest.mark.parametrize(("x", "expected"), FMT_SIGNED_CASES)
def test_fmt_signed(x: float, expected: str) -> None:
    """fmt_signed always shows a sign: '+' or U+2212."""
    assert fmt_signed(x) == expected


@settings(max_examples=200, database=None)
@given(FINITE)
def test_fmt_signed_always_starts_with_a_sign(x: float) -> None:
    """Every finite number's signed text starts with '+' or '−' and is fmt's text otherwise."""
    text = fmt_signed(x)
    assert text[0] in {"+", MINUS}
    assert text.lstrip("+") == fmt(x)


@pytest.mark.parametrize(("x", "expected"), FMT_SHORT_CASES)
def test_fmt_short(x: float, expected: str) -> None:
    """fmt_short gives up to six significant digits with a U+2212 minus."""
    assert fmt_short(x) == expected


# --------------------------------------------------------------------------------------
# tex
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "digits", "expected"), TEX_CASES)
def test_tex(x: float, digits: int, expected: str) -> None:
    r"""tex uses an ASCII minus and \times 10^{n} for scientific notation."""
    assert tex(x, digits) == expected


@settings(max_examples=200, database=None)
@given(FINITE)
def test_tex_is_plain_latex(x: float) -> None:
    r"""tex never contains U+2212 or an 'e' exponent, and its value matches x to 4 digits."""
    text = tex(x)
    assert MINUS not in text
    assert re.search(r"\d[eE][+-]?\d", text) is None
    number = re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", text)
    # Decimal, not float: 1.7977e308 is a fine rounding of the largest double, yet overflows.
    error = abs(Decimal(number) - Decimal(x))
    assert error <= Decimal("1e-4") * abs(Decimal(x)) + Decimal("5e-5")


# --------------------------------------------------------------------------------------
# url_number
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "expected"), URL_CASES)
def test_url_number(x: float, expected: str) -> None:
    """url_number gives the table's short, exact, ASCII text."""
    assert url_number(x) == expected
    assert float(expected) == x


@settings(max_examples=500, database=None)
@given(FINITE)
def test_url_number_round_trips_any_finite_float(x: float) -> None:
    """float(url_number(x)) == x for every finite x, with no '+' or space to mangle in a URL."""
    text = url_number(x)
    assert float(text) == x
    assert "+" not in text
    assert " " not in text
    assert text.isascii()
    assert urllib.parse.unquote_plus(urllib.parse.quote_plus(text)) == text
    assert urllib.parse.quote(text, safe="") == text


@settings(max_examples=200, database=None)
@given(FINITE)
def test_url_number_is_no_longer_than_repr(x: float) -> None:
    """url_number is never longer than Python's shortest repr of the float."""
    assert len(url_number(x)) <= len(repr(x))


# --------------------------------------------------------------------------------------
# escape_markdown
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), MARKDOWN_CASES)
def test_escape_markdown(text: str, expected: str) -> None:
    """escape_markdown backslash-escapes markdown syntax and leaves other text alone."""
    assert escape_markdown(text) == expected


@pytest.mark.parametrize("char", list(MARKDOWN_SPECIALS))
def test_escape_markdown_escapes_each_special_character(char: str) -> None:
    """Each markdown special character on its own comes out backslash-escaped."""
    assert escape_markdown(char) == "\\" + char
    assert escape_markdown(f"a{char}b") == f"a\\{char}b"


@settings(max_examples=300, database=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(MARKDOWN_SPECIALS), st.characters())))
def test_escape_markdown_escapes_every_special_and_unescapes(text: str) -> None:
    """In the output every special is escaped; removing the backslashes and the word
    joiners gives the input."""
    out = escape_markdown(text)
    assert _unescape_markdown(out).replace(WJ, "") == text.replace(WJ, "")
    i = 0
    while i < len(out):
        if out[i] == "\\":
            assert i + 1 < len(out)
            i += 2
        else:
            assert out[i] not in MARKDOWN_SPECIALS, (out, i)
            i += 1


@pytest.mark.parametrize(("text", "expected"), AUTOLINK_CASES)
def test_escape_markdown_splits_autolinks_with_a_word_joiner(text: str, expected: str) -> None:
    """A URL, www. or e-mail name gets an invisible word joiner where its link would start,
    and the markdown a browser sees no longer holds a link."""
    assert _gfm_autolinks(text), "the case must be a link before escaping"
    out = escape_markdown(text)
    assert out.replace(WJ, "|") == expected
    assert _gfm_autolinks(_unescape_markdown(out)) == []
    assert _unescape_markdown(out).replace(WJ, "") == text


@pytest.mark.parametrize("text", SENTENCE_CASES)
def test_escaped_text_followed_by_a_full_stop_holds_no_autolink(text: str) -> None:
    """A full stop the page writes after escaped text cannot complete a www. link."""
    assert _gfm_autolinks(f"true: {text}."), "the case must be a link before escaping"
    assert _gfm_autolinks(_unescape_markdown(f"true: {escape_markdown(text)}.")) == []


@pytest.mark.parametrize("text", NO_AUTOLINK)
def test_escape_markdown_adds_no_word_joiner_to_ordinary_text(text: str) -> None:
    """Numbers, versions and times, with no address pattern, get no word joiner."""
    assert WJ not in escape_markdown(text)


@settings(max_examples=500, database=None)
@given(
    st.lists(
        st.sampled_from(["www", "http", "https", "://", ".", "@", "/", "w", "a", "-", "_", " "]),
        max_size=12,
    ).map("".join)
)
def test_escape_markdown_leaves_no_autolink(text: str) -> None:
    """However URL-like pieces are combined, the escaped text holds no autolink literal."""
    assert _gfm_autolinks(_unescape_markdown(escape_markdown(text))) == []


# --------------------------------------------------------------------------------------
# plotly_text
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), PLOTLY_CASES)
def test_plotly_text(text: str, expected: str) -> None:
    """plotly_text escapes &, < and > so Plotly shows tags literally."""
    assert plotly_text(text) == expected


@settings(max_examples=300, database=None)
@given(st.text(alphabet=st.one_of(st.sampled_from("<>&;#/bia"), st.characters())))
def test_plotly_text_shows_any_text_literally(text: str) -> None:
    """The output holds no tag brackets, and HTML-unescaping it gives the input back."""
    out = plotly_text(text)
    assert "<" not in out
    assert ">" not in out
    assert html.unescape(out) == text


@pytest.mark.parametrize("K", [3, 10, 11, 20])
def test_latex_download_allows_a_vector_of_every_class(K: int) -> None:
    """amsmath's pmatrix takes 10 columns unless MaxMatrixCols says more: a derivation
    with a K-class vector must raise it to K (K > 10), or LaTeX stops with an error."""
    vector = tex_vector(range(K))
    doc = latex_document([rf"p = {vector}", r"\begin{aligned} a &= 1 \\ b &= 2 \end{aligned}"], "T")
    found = re.findall(r"\\setcounter\{MaxMatrixCols\}\{(\d+)\}", doc)
    if K <= 10:
        assert found == []
    else:
        assert len(found) == 1
        assert int(found[0]) >= K
        assert doc.index("MaxMatrixCols") < doc.index(r"\begin{document}")


@settings(max_examples=300)
@given(st.floats(min_value=1e-300, max_value=1e300))
def test_round_number_is_a_round_neighbour(x: float) -> None:
    """Down: the largest of 1, 2 and 5 times a power of ten at most x (so over x / 2.5);
    up: the smallest of 1, 2, 2.5 and 5 times one at least x (so under 2x)."""
    down = round_number(x, up=False)
    up = round_number(x, up=True, mantissas=(1.0, 2.0, 2.5, 5.0))
    assert x / 2.5 < down <= x
    assert x <= up < 2 * x
    for value, ladder in ((down, (1.0, 2.0, 5.0)), (up, (1.0, 2.0, 2.5, 5.0, 10.0))):
        power = 10.0 ** math.floor(math.log10(value))
        assert any(math.isclose(value, m * power, rel_tol=1e-12) for m in ladder)


@pytest.mark.parametrize("x", [0.0, -3.0, INF, -INF, NAN])
def test_round_number_of_no_positive_number_is_zero(x: float) -> None:
    assert round_number(x, up=False) == round_number(x, up=True) == 0.0


@pytest.mark.parametrize("x", [1e-5, 0.01, 1.0, 100.0, 1e12])
def test_round_number_keeps_a_power_of_ten(x: float) -> None:
    assert round_number(x, up=False) == round_number(x, up=True) == x
