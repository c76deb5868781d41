"""Number and text formatting: the one place that decides how a number looks.

Page text uses a true minus sign (U+2212), which reads better when projected; CSV and
URLs use plain ASCII at full precision, and the command line plain ASCII at six decimals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "MINUS",
    "csv_text",
    "escape_markdown",
    "fmt",
    "fmt_percent",
    "fmt_plain",
    "fmt_short",
    "fmt_signed",
    "latex_document",
    "logit_label",
    "named_values",
    "plotly_text",
    "quote",
    "round_number",
    "shorten",
    "tex",
    "tex_column",
    "tex_matrix",
    "tex_over_t",
    "tex_slash_t",
    "tex_vector",
    "url_number",
]

MINUS = "\u2212"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$^=&])")

#: Where GFM's autolink-literal step (mdast-util-gfm-autolink-literal) needs two characters
#: side by side: "www" then "." for www.x.y, ":" then "//" for http(s)://x.y, and a name
#: character then "@" for a@x.y. That step reads the text after backslash escapes are
#: resolved, so escaping alone cannot stop it; a character between the two does. A text
#: that ends in "www" gets one too, for the sentence that puts a full stop after it.
_AUTOLINK_JOINTS = re.compile(r"(?<=www)(?=\.|\Z)|(?<=:)(?=//)|(?=@)", re.IGNORECASE)
#: U+2060 WORD JOINER: invisible, and in none of the autolink patterns' character classes.
_WORD_JOINER = "\u2060"


def fmt(x: float, digits: int = 4, scientific: bool = True) -> str:
    """Format a number for the page: fixed decimals, scientific for very large or small.

    With ``scientific=False`` a tiny number shows as the zero it is to ``digits`` decimals.

    >>> fmt(0.2447284710547976)
    '0.2447'
    >>> fmt(-0.7552715289452024)
    '−0.7553'
    >>> fmt(2e300)
    '2.0000e+300'
    >>> fmt(float("inf"))
    '∞'
    >>> fmt(-5.5e-17, scientific=False)
    '0.0000'
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    if x != 0 and (abs(x) >= 1e6 or (scientific and abs(x) < 10.0 ** (-digits))):
        text = f"{x:.{digits}e}"
    else:
        text = f"{x:.{digits}f}"
    if text.startswith("-"):
        # -0.0000 is zero as far as the reader can tell
        stripped = text[1:]
        return stripped if float(stripped) == 0 else MINUS + stripped
    return text


def fmt_signed(x: float, digits: int = 4) -> str:
    """Like :func:`fmt` but always with a sign, so the sign is readable without colour.

    >>> fmt_signed(0.09003057317038046)
    '+0.0900'
    >>> fmt_signed(-0.755)
    '−0.7550'
    """
    text = fmt(x, digits)
    return text if text.startswith(MINUS) or math.isnan(x) else "+" + text


def fmt_short(x: float) -> str:
    """Up to six significant digits, no trailing zeros: for settings such as T or ε.

    >>> fmt_short(1.5), fmt_short(-0.25), fmt_short(1e-5)
    ('1.5', '−0.25', '1e-05')
    """
    return f"{x:.6g}".replace("-", MINUS, 1) if x < 0 else f"{x:.6g}"


def fmt_percent(share: float) -> str:
    """A share as a whole percent, rounded, except that nothing short of all reads 100 %
    and nothing above none reads 0 % (199 of 200 points right is 99 %, not 100 %).

    >>> fmt_percent(0.874), fmt_percent(199 / 200), fmt_percent(1.0), fmt_percent(1e-9)
    ('87%', '99%', '100%', '1%')
    """
    whole = round(100 * share)
    if whole == 100 and share < 1.0:
        whole = 99
    elif whole == 0 and share > 0.0:
        whole = 1
    return f"{whole}%"


def fmt_plain(x: float) -> str:
    """Format a number for a terminal, in ASCII: six decimals, or six significant digits
    for huge, tiny or infinite values; a zero shows without a sign.

    >>> [fmt_plain(v) for v in (1.4076059644443804, -0.755, -0.0, 2e-22, 3e300, float("inf"))]
    ['1.407606', '-0.755000', '0.000000', '2e-22', '3e+300', 'inf']
    """
    x = float(x) + 0.0  # no "-0.000000"
    if x == 0.0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.6f}"
    return f"{x:.6g}"


def tex(x: float, digits: int | None = 4, scientific: bool = True) -> str:
    r"""Format a number for LaTeX, with ``\times 10^{n}`` for scientific notation.

    ``digits=None`` gives the short form of :func:`fmt_short`; ``scientific`` is as in
    :func:`fmt`.

    >>> tex(-0.7552715289452024)
    '-0.7553'
    >>> tex(3.5e-20, 2)
    '3.50 \\times 10^{-20}'
    >>> tex(2.0, None), tex(1e300, None)
    ('2', '1 \\times 10^{300}')
    """
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = fmt_short(x) if digits is None else fmt(x, digits, scientific)
    text = text.replace(MINUS, "-")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def tex_vector(values: Iterable[float], digits: int | None = 4) -> str:
    r"""A vector as a LaTeX row matrix.

    >>> tex_vector([0.5, -2.0], 1)
    '\\begin{pmatrix}0.5 & -2.0\\end{pmatrix}'
    """
    return r"\begin{pmatrix}" + r" & ".join(tex(v, digits) for v in values) + r"\end{pmatrix}"


def tex_matrix(rows: Iterable[Iterable[float]], digits: int | None = 4) -> str:
    r"""A matrix as LaTeX, one row per item of ``rows`` (a column vector: one value a row).

    >>> tex_matrix([[1.0, -0.5], [2.0, 0.0]], None)
    '\\begin{pmatrix}1 & -0.5 \\\\ 2 & 0\\end{pmatrix}'
    """
    body = r" \\ ".join(r" & ".join(tex(v, digits) for v in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def tex_column(values: Iterable[float], digits: int | None = 4) -> str:
    r"""A vector as a LaTeX column (``digits=None``: each as short as it reads exactly).

    >>> tex_column([1.0, -0.5], None)
    '\\begin{pmatrix}1 \\\\ -0.5\\end{pmatrix}'
    """
    return tex_matrix([[v] for v in values], digits)


def url_number(x: float) -> str:
    """The shortest text that reads back as exactly ``x``, for URLs and CSV.

    >>> url_number(2.0), url_number(0.1), url_number(-1e300), url_number(-0.0)
    ('2', '0.1', '-1e300', '0')
    """
    if x == 0:
        return "0"
    text = repr(float(x)).replace("e+", "e")
    return text[:-2] if text.endswith(".0") else text


def escape_markdown(text: str) -> str:
    r"""Escape text so Streamlit's markdown shows it literally (no links, HTML or LaTeX).

    Markdown syntax is backslash-escaped. Bare addresses (``www.x.y``, ``http://x.y``,
    ``a@x.y``) would still become links, so an invisible word joiner (U+2060) splits each
    at the one place its pattern needs two characters side by side.

    >>> escape_markdown("**bold** <b>x</b> $y$")
    '\\*\\*bold\\*\\* \\<b\\>x\\</b\\> \\$y\\$'
    >>> escape_markdown("www.a.b https://a.b x@a.b 1.5").replace("\u2060", "|")
    'www|\\.a\\.b https\\:|//a\\.b x|@a\\.b 1\\.5'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK_JOINTS.sub(_WORD_JOINER, text))


_SUBSCRIPT_DIGITS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def subscript(n: int) -> str:
    """An integer in Unicode subscript digits, for labels that cannot typeset LaTeX.

    >>> "o" + subscript(12)
    'o₁₂'
    """
    return str(n).translate(_SUBSCRIPT_DIGITS)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters: a longer text keeps its start and ends with an ellipsis.

    >>> shorten("a_very_long_class_name", 10), shorten("cat", 10)
    ('a_very_lo…', 'cat')
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def quote(text: str, limit: int = 40) -> str:
    """Quote user text for a message: shortened, with control characters made visible.

    However long the text a user sent, the message that quotes it stays readable.

    >>> quote("cat"), quote("x" * 50, 8), quote("a" + chr(10) + "b") == repr("a\ufffdb")
    ("'cat'", "'xxxxxxx…'", True)
    """
    text = shorten(str(text), limit)
    return repr("".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text))


#: Characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell for a CSV the app writes: a spreadsheet must show it, never run it.

    A cell that starts with ``= + - @``, a tab or a carriage return gets a leading single
    quote (OWASP's rule). Apply it to text cells only: numbers stay numbers.

    >>> print(csv_text('=HYPERLINK("http://x")'), csv_text("cat"), csv_text("-1"))
    '=HYPERLINK("http://x") cat '-1
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def plotly_text(text: str) -> str:
    """Escape text for Plotly labels, which read a subset of HTML: show tags literally.

    >>> plotly_text("<b>cat</b> & dog")
    '&lt;b&gt;cat&lt;/b&gt; &amp; dog'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def latex_document(equations: list[str], title: str) -> str:
    r"""A standalone LaTeX document with one ``equation*`` per equation.

    >>> doc = latex_document(["x = 1"], "Title")
    >>> doc.startswith("\\documentclass"), "\nx = 1\n" in doc, doc.endswith("\\end{document}\n")
    (True, True, True)
    """
    body = "\n".join(f"\\begin{{equation*}}\n{eq}\n\\end{{equation*}}" for eq in equations)
    # amsmath's matrices take 10 columns unless told more: a 20-class vector needs 20.
    columns = max((row.count("&") + 1 for eq in equations for row in eq.split("\\\\")), default=1)
    wide = f"\\setcounter{{MaxMatrixCols}}{{{columns}}}\n" if columns > 10 else ""
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n"
        f"{wide}\\begin{{document}}\n\\section*{{{title}}}\n{body}\n\\end{{document}}\n"
    )


def logit_label(i: int, name: str) -> str:
    """How a logit is named on axes, pickers and messages: its index and its class.

    >>> logit_label(2, "bird")
    'o2 · bird'
    """
    return f"o{i} · {name}"


def tex_over_t(T: float) -> str:
    r"""The LaTeX factor 1/T, or nothing at T = 1 (where the formulas read without it).

    >>> tex_over_t(1.0), tex_over_t(2.0)
    ('', '\\frac{1}{T}')
    """
    return "" if T == 1 else r"\frac{1}{T}"


def tex_slash_t(T: float) -> str:
    r"""``/T`` after a quantity in LaTeX (``o/T``, ``(p - y)/T``), or nothing at T = 1.

    >>> tex_slash_t(1.0), tex_slash_t(0.5)
    ('', '/T')
    """
    return "" if T == 1 else "/T"


def named_values(names: Sequence[str], values: Sequence[float], limit: int = 10) -> str:
    """Values by name for a chart's text alternative: at most ``limit``, then how many more.

    >>> named_values(["cat", "dog", "bird"], [0.09003, 0.2447, 0.6652])
    'cat 0.0900, dog 0.2447, bird 0.6652'
    >>> named_values([str(i) for i in range(12)], [0.0] * 12, limit=2)
    '0 0.0000, 1 0.0000 and 10 more'
    """
    pairs = list(zip(names, values, strict=True))[:limit]
    shown = ", ".join(f"{name} {fmt(float(v))}" for name, v in pairs)
    more = len(values) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def round_number(x: float, up: bool, mantissas: Sequence[float] = (1.0, 2.0, 5.0)) -> float:
    """The round number next to ``x``: a mantissa from ``mantissas`` (in [1, 10), rising)
    times a power of ten, the smallest at least ``x`` (``up``) or the largest at most ``x``;
    0 for anything but a finite positive ``x``. For a chart's steps and scales, which a
    reader takes in at a glance ("× 100", levels 0.25 apart).

    >>> round_number(116.0, up=False), round_number(0.3, up=False), round_number(5.0, up=False)
    (100.0, 0.2, 5.0)
    >>> round_number(0.53, up=True, mantissas=(1.0, 2.0, 2.5, 5.0)), round_number(0.0, up=True)
    (1.0, 0.0)
    """
    if not (math.isfinite(x) and x > 0):
        return 0.0
    power = 10.0 ** math.floor(math.log10(x))
    if power > x:  # log10 rounded up to the next integer just below a power of ten
        power /= 10.0
    if up:
        return next(m * power for m in (*mantissas, 10.0) if m * power >= x)
    return next((m * power for m in reversed(mantissas) if m * power <= x), power)


def fmt_sig(x: float, digits: int = 3) -> str:
    """A number to ``digits`` significant digits, for the ends of a sweep in a chart's text
    alternative: a sweep from 10^-1.5 reads "0.0316", not "0.0316228".

    >>> fmt_sig(10**-1.5), fmt_sig(10**1.5), fmt_sig(-1234.5), fmt_sig(1e-5)
    ('0.0316', '31.6', '−1230', '1e-05')
    """
    return fmt_short(float(f"{x:.{digits}g}"))
