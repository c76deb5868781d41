"""The app's state: one frozen ``AppState``, read from the URL and the widgets, written back.

Every parser here collects problems as readable messages instead of raising. A field whose
text is bad keeps its last good value (on a fresh page, the default), and the message says
what was wrong, so one typo in a shared link never throws away the rest of the state.

The URL format::

    ?logits=2,3,4&target=1&T=1&smoothing=0&view=gradient
    ?logits=2,3,4&y=0.1,0.8,0.1&names=cat,dog,bird&h=1e-05&view=derivation
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ce_viz.core import SUM_TOLERANCE, target_distribution
from ce_viz.fmt import url_number

__all__ = [
    "DEFAULT",
    "H_RANGE",
    "K_RANGE",
    "LOGIT_LIMIT",
    "NAME_MAX_CHARS",
    "SMOOTHING_RANGE",
    "T_RANGE",
    "VIEWS",
    "AppState",
    "Parsed",
    "parse_names",
    "parse_number",
    "parse_query",
    "parse_vector",
    "resize",
    "to_query",
]

#: The views, by their ``view=`` name, with the label shown on the page.
VIEWS: dict[str, str] = {"gradient": "Gradient", "derivation": "Derivation"}

K_RANGE = (2, 20)
T_RANGE = (0.01, 100.0)
SMOOTHING_RANGE = (0.0, 0.99)
H_RANGE = (1e-12, 0.1)
#: The core is accurate for any finite logit; the UI accepts up to this magnitude.
LOGIT_LIMIT = 1e300
NAME_MAX_CHARS = 24
#: Longer query values are refused before parsing (10^5 classes is ~200 kB of text).
MAX_PARAM_CHARS = 2000
#: Parameters that the hosting platform or link trackers add; never ours, never an error.
FOREIGN_PARAMS = frozenset({"embed", "embed_options", "fbclid", "gclid"})


@dataclass(frozen=True)
class AppState:
    """Everything a view needs, and everything a shared link carries.

    ``y`` is a soft target that replaces the one-hot ``target`` when given; ``names`` is
    empty for the default names ``class 0, class 1, ...``.
    """

    logits: tuple[float, ...] = (2.0, 3.0, 4.0)
    target: int = 1
    y: tuple[float, ...] | None = None
    T: float = 1.0
    smoothing: float = 0.0
    names: tuple[str, ...] = ()
    view: str = "gradient"
    h: float = 1e-5

    @property
    def K(self) -> int:
        """The number of classes."""
        return len(self.logits)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The names to show: the user's, or ``class 0, class 1, ...``."""
        return self.names or tuple(f"class {i}" for i in range(self.K))

    @property
    def true_class(self) -> int:
        """``k``: the one-hot target, or the heaviest class of a soft target."""
        return self.target if self.y is None else int(np.argmax(self.y))

    def o(self) -> np.ndarray:
        """The logits as an array, shape (K,)."""
        return np.array(self.logits, dtype=np.float64)

    def y_vector(self) -> np.ndarray:
        """The target distribution after label smoothing, shape (K,)."""
        if self.y is None:
            return target_distribution(self.K, target=self.target, smoothing=self.smoothing)
        return target_distribution(self.K, y=np.array(self.y), smoothing=self.smoothing)


DEFAULT = AppState()


@dataclass(frozen=True)
class Parsed:
    """A parse result: the value (``None`` when the text was bad) and what was wrong."""

    value: Any
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether the text gave a value."""
        return self.value is not None


def _show(text: str, limit: int = 40) -> str:
    """Quote user text for a message, shortened, with control characters made visible."""
    text = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _bad_char(name: str) -> bool:
    """Control, surrogate and direction-override characters; joiners (ZWJ) are fine."""
    for c in name:
        category = unicodedata.category(c)
        if (
            category in {"Cc", "Cs", "Co", "Cn"}
            or "\u202a" <= c <= "\u202e"
            or "\u2066" <= c <= "\u2069"
        ):
            return True
    return False


def _to_float(text: str) -> float | None:
    # A '+' in a hand-typed URL arrives as a space: "1e 300" means 1e+300.
    cleaned = text.strip().replace("\u2212", "-").replace("e ", "e+").replace("E ", "E+")
    if not cleaned or not all(c in "0123456789+-.eE" for c in cleaned):
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_number(text: str, what: str, lo: float, hi: float) -> Parsed:
    """Read one number in ``[lo, hi]``.

    >>> parse_number("0.5", "T", 0.01, 100).value
    0.5
    >>> parse_number("nan", "T", 0.01, 100).messages
    ("T: 'nan' is not a finite number.",)
    >>> parse_number("0", "T", 0.01, 100).messages
    ('T: 0 is out of range; it must be between 0.01 and 100.',)
    """
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(None, (f"{what}: the value is too long ({len(text)} characters).",))
    x = _to_float(text)
    if x is None:
        if text.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            return Parsed(None, (f"{what}: {_show(text)} is not a finite number.",))
        return Parsed(None, (f"{what}: {_show(text)} is not a number.",))
    if not math.isfinite(x):
        return Parsed(None, (f"{what}: {_show(text)} is too large to be a finite number.",))
    if not lo <= x <= hi:
        return Parsed(
            None,
            (
                f"{what}: {text.strip()[:40]} is out of range; it must be between "
                f"{url_number(lo)} and {url_number(hi)}.",
            ),
        )
    return Parsed(0.0 if x == 0 else x)


def parse_vector(text: str, what: str, lo: float, hi: float, count: int | None = None) -> Parsed:
    """Read comma-separated numbers in ``[lo, hi]``, ``count`` of them or ``K_RANGE`` many.

    >>> parse_vector("2, 3, 4", "logits", -1e300, 1e300).value
    (2.0, 3.0, 4.0)
    >>> parse_vector("2,x,4", "logits", -1e300, 1e300).messages
    ("logits: entry 2, 'x', is not a number.",)
    """
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(
            None,
            (
                f"{what}: the list is too long ({len(text)} characters); "
                f"ce-viz takes at most {K_RANGE[1]} classes.",
            ),
        )
    parts = text.split(",")
    if count is None and not K_RANGE[0] <= len(parts) <= K_RANGE[1]:
        return Parsed(
            None,
            (
                f"{what}: {_count(len(parts), 'value')} given; ce-viz takes between "
                f"{K_RANGE[0]} and {K_RANGE[1]} classes.",
            ),
        )
    if count is not None and len(parts) != count:
        return Parsed(None, (f"{what}: {_count(len(parts), 'value')} given for {count} classes.",))
    values = []
    for i, part in enumerate(parts, start=1):
        one = parse_number(part, what, lo, hi)
        if not one.ok:
            reason = one.messages[0].split(": ", 1)[1]
            for shown in (_show(part), part.strip()[:40]):
                reason = reason.removeprefix(f"{shown} ")
            return Parsed(None, (f"{what}: entry {i}, {_show(part.strip())}, {reason}",))
        values.append(one.value)
    return Parsed(tuple(values))


def parse_target(text: str, K: int) -> Parsed:
    """Read the true class: an integer in ``0..K-1``.

    >>> parse_target("2", 3).value
    2
    >>> parse_target("3", 3).messages
    ('target: 3 is not a class; with 3 classes it must be 0, 1 or 2 (counting from 0).',)
    """
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", stripped):
        return Parsed(None, (f"target: {_show(text)} is not a whole number.",))
    k = int(stripped)
    if not 0 <= k < K:
        choices = ", ".join(str(i) for i in range(K - 1)) + f" or {K - 1}"
        return Parsed(
            None,
            (
                f"target: {k} is not a class; with {K} classes it must be {choices} "
                "(counting from 0).",
            ),
        )
    return Parsed(k)


def parse_y(text: str, K: int) -> Parsed:
    """Read a soft target: ``K`` non-negative numbers that sum to 1.

    >>> parse_y("0.1,0.8,0.1", 3).value
    (0.1, 0.8, 0.1)
    >>> parse_y("0.5,0.6", 2).messages
    ('y: the values sum to 1.1, not 1.',)
    """
    parsed = parse_vector(text, "y", 0.0, 1.0, count=K)
    if not parsed.ok:
        return parsed
    total = math.fsum(parsed.value)
    if abs(total - 1.0) > SUM_TOLERANCE:
        return Parsed(None, (f"y: the values sum to {total:.12g}, not 1.",))
    return parsed


def parse_names(text: str, K: int) -> Parsed:
    """Read class names: ``K`` distinct, comma-separated, printable names.

    Names are plain text wherever they are shown; here they are only checked for shape.

    >>> parse_names("cat, dog, bird", 3).value
    ('cat', 'dog', 'bird')
    >>> parse_names("cat,cat", 2).messages
    ("names: 'cat' is used twice; each class needs its own name.",)
    """
    if not text.strip():
        return Parsed(())
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(None, (f"names: the list is too long ({len(text)} characters).",))
    names = tuple(unicodedata.normalize("NFC", part.strip()) for part in text.split(","))
    if len(names) != K:
        return Parsed(None, (f"names: {_count(len(names), 'name')} given for {K} classes.",))
    for name in names:
        if not name:
            return Parsed(None, ("names: a name is empty.",))
        if len(name) > NAME_MAX_CHARS:
            return Parsed(
                None, (f"names: {_show(name)} is longer than {NAME_MAX_CHARS} characters.",)
            )
        if _bad_char(name):
            return Parsed(None, (f"names: {_show(name)} has a control character.",))
        if name[0] in "=+-@":
            return Parsed(
                None,
                (
                    f"names: {_show(name)} starts with {name[0]}; a spreadsheet opening the "
                    "CSV would run it as a formula.",
                ),
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return Parsed(
                None, (f"names: {_show(name)} is used twice; each class needs its own name.",)
            )
        seen.add(name)
    return Parsed(names)


def parse_view(text: str) -> Parsed:
    """Read the view name.

    >>> parse_view("derivation").value
    'derivation'
    """
    name = text.strip().lower()
    if name in VIEWS:
        return Parsed(name)
    return Parsed(None, (f"view: {_show(text)} is not a view; choose one of {', '.join(VIEWS)}.",))


def resize(state: AppState, K: int) -> AppState:
    """Change the number of classes: new logits are 0, and what no longer fits is reset.

    >>> resize(DEFAULT, 4).logits
    (2.0, 3.0, 4.0, 0.0)
    >>> resize(DEFAULT, 2).target
    1
    """
    if K == state.K:
        return state
    logits = (state.logits + (0.0,) * K)[:K]
    return replace(
        state,
        logits=logits,
        target=min(state.target, K - 1),
        y=None,
        names=(),
    )


# Each field of the URL: (key, parser given the text and the state so far, the field to set).
_FieldParser = Callable[[str, AppState], Parsed]
_FIELDS: tuple[tuple[str, _FieldParser, str], ...] = (
    ("logits", lambda t, s: parse_vector(t, "logits", -LOGIT_LIMIT, LOGIT_LIMIT), "logits"),
    ("target", lambda t, s: parse_target(t, s.K), "target"),
    ("y", lambda t, s: parse_y(t, s.K), "y"),
    ("T", lambda t, s: parse_number(t, "T", *T_RANGE), "T"),
    ("smoothing", lambda t, s: parse_number(t, "smoothing", *SMOOTHING_RANGE), "smoothing"),
    ("names", lambda t, s: parse_names(t, s.K), "names"),
    ("h", lambda t, s: parse_number(t, "h", *H_RANGE), "h"),
    ("view", lambda t, s: parse_view(t), "view"),
)


def parse_query(
    params: Mapping[str, str | Sequence[str]], base: AppState = DEFAULT
) -> tuple[AppState, tuple[str, ...]]:
    """Read a URL query into an ``AppState``; bad or missing fields keep ``base``'s values.

    ``params`` maps each key to its value, or to all its values when the key is repeated
    (the last one counts). Returns the state and the messages, in URL-field order.

    >>> state, messages = parse_query({"logits": "1,2", "target": "5", "T": "2"})
    >>> state.logits, state.target, state.T
    ((1.0, 2.0), 1, 2.0)
    >>> messages
    ('target: 5 is not a class; with 2 classes it must be 0 or 1 (counting from 0).',)
    """
    messages: list[str] = []
    state = base
    values: dict[str, str] = {}
    for key, raw in params.items():
        all_values = [raw] if isinstance(raw, str) else list(raw)
        if key in FOREIGN_PARAMS or key.startswith("utm_"):
            continue
        if key not in {name for name, _, _ in _FIELDS}:
            messages.append(f"{_show(key)} is not a setting ce-viz knows; it was ignored.")
            continue
        if not all_values:
            continue
        if len(all_values) > 1:
            messages.append(f"{key} was given {len(all_values)} times; the last one is used.")
        values[key] = all_values[-1]
    for key, parse, attr in _FIELDS:
        if key not in values:
            continue
        parsed = parse(values[key], state)
        messages.extend(parsed.messages)
        if parsed.ok:
            state = resize(state, len(parsed.value)) if key == "logits" else state
            state = replace(state, **{attr: parsed.value})
    if "y" in values and "target" in values and state.y is not None:
        messages.append("target and y were both given; the soft target y is used.")
    return state, tuple(messages)


def to_query(state: AppState) -> dict[str, str]:
    """Write a state as URL query parameters: exact, and read back by :func:`parse_query`.

    >>> to_query(DEFAULT)
    {'logits': '2,3,4', 'target': '1', 'T': '1', 'smoothing': '0', 'view': 'gradient'}
    """
    query = {"logits": ",".join(url_number(v) for v in state.logits)}
    if state.y is None:
        query["target"] = str(state.target)
    else:
        query["y"] = ",".join(url_number(v) for v in state.y)
    query["T"] = url_number(state.T)
    query["smoothing"] = url_number(state.smoothing)
    if state.names:
        query["names"] = ",".join(state.names)
    if state.h != DEFAULT.h:
        query["h"] = url_number(state.h)
    query["view"] = state.view
    return query
