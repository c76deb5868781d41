"""URL query ↔ ``AppState``: exact round trips, fallbacks with messages, and ``resize``.

The tables at the top are the specification; the tests below only walk them. The URL's
fields come from ``ce_viz.state.URL_FIELDS``: every field there needs an example in
``EXAMPLES`` and a strategy in ``VALID_VALUES``, and the tests fail until it has them.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ce_viz.check import make_problem
from ce_viz.core import SUM_TOLERANCE, target_distribution
from ce_viz.fmt import url_number
from ce_viz.state import (
    ACTIVATIONS,
    BATCH_RANGE,
    DATASETS,
    DEFAULT,
    DESCENT_MODES,
    DIGIT_RANGE,
    H_RANGE,
    K_RANGE,
    L2_RANGE,
    LANDSCAPE_TABS,
    LAYER_TABS,
    LOGIT_LIMIT,
    LR_RANGE,
    NAME_MAX_CHARS,
    PLOTS,
    POINT_RANGE,
    PRESETS,
    PROBLEM_RANGE,
    REVEAL_RANGE,
    SMOOTHING_RANGE,
    SPAN_RANGE,
    STEPS_RANGE,
    T_RANGE,
    TOL_RANGE,
    TRAIN_DATA,
    TRAIN_K_RANGE,
    TRAIN_LOSSES,
    TRAIN_LR_RANGE,
    TRAIN_MODELS,
    TRAIN_N_RANGE,
    TRAIN_PRESETS,
    TRAIN_SEED_RANGE,
    TRAIN_STEPS_RANGE,
    URL_FIELDS,
    VIEWS,
    WHY_TABS,
    WIDTH_RANGE,
    WORST_RANGE,
    X_FEATURES,
    X_LIMIT,
    AppState,
    Parsed,
    parse_answers,
    parse_query,
    preset_state,
    problem_in_force,
    resize,
    to_query,
    train_preset_state,
    with_problem,
)

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

#: The URL's keys, in the order they are read and written, and the attribute each sets.
KEYS = [f.key for f in URL_FIELDS]
ATTR = {f.key: f.attr for f in URL_FIELDS}
ALWAYS = {f.key for f in URL_FIELDS if f.always}

#: One non-default value of every URL field, for K = 4: (the AppState value, its URL text).
EXAMPLES: dict[str, tuple[object, str]] = {
    "logits": ((0.5, -1.0, 2.0, 7.0), "0.5,-1,2,7"),
    "target": (2, "2"),
    "y": ((0.1, 0.2, 0.3, 0.4), "0.1,0.2,0.3,0.4"),
    "T": (2.5, "2.5"),
    "smoothing": (0.05, "0.05"),
    "names": (("a", "b", "c", "d"), "a,b,c,d"),
    "h": (0.001, "0.001"),
    "axes": ((3, 0), "3,0"),
    "plot": ("surface", "surface"),
    "field": (True, "1"),
    "span": (12.5, "12.5"),
    "slice": (2, "2"),
    "lr": (1.25, "1.25"),
    "steps": (321, "321"),
    "descent": ("all", "all"),
    "simplex": ((1, 2, 3), "1,2,3"),
    "my_p": ((0.1, 0.2, 0.7), "0.1,0.2,0.7"),
    "my_loss": (2.5, "2.5"),
    "my_grad": ((0.1, -0.2, 0.1), "0.1,-0.2,0.1"),
    "tol": (0.01, "0.01"),
    "present": (True, "1"),
    "data": ("sample10", "sample10"),
    "worst": (25, "25"),
    "tab": ("binary", "binary"),
    "part": ("slice", "slice"),
    "reveal": (4, "4"),
    "layer": ("digits", "digits"),
    "x": ((0.5, -2.0, 3.25), "0.5,-2,3.25"),
    "digit": (1234, "1234"),
    "problem": (1234, "1234"),
    "train_data": ("spiral", "spiral"),
    "train_seed": (7, "7"),
    "train_n": (500, "500"),
    "classes": (4, "4"),
    "model": ("mlp", "mlp"),
    "width": (16, "16"),
    "activation": ("relu", "relu"),
    "train_lr": (0.05, "0.05"),
    "train_steps": (250, "250"),
    "batch": (32, "32"),
    "l2": (0.001, "0.001"),
    "loss": ("mse", "mse"),
    "point": (42, "42"),
    "view": ("check", "check"),
}
#: The state the examples are given in: the example logits, everything else default.
EXAMPLE_BASE = AppState(logits=EXAMPLES["logits"][0])


def _example_state(keys: list[str]) -> AppState:
    """EXAMPLE_BASE with the example value of each of ``keys``."""
    return replace(EXAMPLE_BASE, **{ATTR[k]: EXAMPLES[k][0] for k in keys if k in EXAMPLES})


#: Every field set at once: with the soft target y (which a link carries instead of target),
#: and with the one-hot target.
EVERY_FIELD_Y = [k for k in KEYS if k != "target"]
EVERY_FIELD_TARGET = [k for k in KEYS if k != "y"]

#: States that must survive state → URL → state exactly (and URL → state → URL).
ROUND_TRIP_STATES: list[tuple[str, AppState]] = [
    ("default", DEFAULT),
    ("K=2", AppState(logits=(-1.5, 0.25), target=0)),
    ("K=20", AppState(logits=tuple(i - 9.5 for i in range(20)), target=19)),
    ("soft y", AppState(y=(0.1, 0.8, 0.1))),
    ("soft y K=2", AppState(logits=(0.0, 1.0), y=(0.25, 0.75))),
    ("soft y with zeros K=20", AppState(logits=(0.0,) * 20, y=(1.0,) + (0.0,) * 19)),
    ("smoothing", AppState(smoothing=0.1)),
    ("smoothing at its maximum", AppState(smoothing=SMOOTHING_RANGE[1])),
    ("T=0.01", AppState(T=0.01)),
    ("T=100", AppState(T=100.0)),
    ("T awkward", AppState(T=0.1 + 0.2)),
    ("names unicode", AppState(names=("chat 🐱", "na\u00efve", "狗"))),
    ("names markup kept verbatim", AppState(names=("<b>x</b>", "**b**", "$x$"))),
    ("names at the length limit", AppState(names=("x" * NAME_MAX_CHARS, "y", "z"))),
    ("h small", AppState(h=1e-12)),
    ("h large", AppState(h=0.1)),
    ("h awkward", AppState(h=3.3e-7)),
    *[(f"view {view}", AppState(view=view)) for view in VIEWS],
    ("huge logits", AppState(logits=(1e300, -1e300, 0.0))),
    ("tiny logits", AppState(logits=(5e-324, -5e-324, 1.0))),
    ("negative zero", AppState(logits=(-0.0, 1.0, 2.0))),
    (
        "everything at once",
        AppState(
            logits=(0.1 + 0.2, -7.25, 1e-7, 3.0),
            y=(0.0, 0.5, 0.25, 0.25),
            T=0.37,
            smoothing=0.05,
            names=("a", "b b", "ç", "🐱"),
            view="derivation",
            h=3e-7,
        ),
    ),
    ("every field, soft target", _example_state(EVERY_FIELD_Y)),
    ("every field, one-hot target", _example_state(EVERY_FIELD_TARGET)),
]

#: Canonical URLs (as ``to_query`` writes them) that must read back to the same URL.
CANONICAL_URLS: list[dict[str, str]] = [
    {"logits": "2,3,4", "target": "1", "T": "1", "smoothing": "0", "view": "gradient"},
    {
        "logits": "1e300,-1e300",
        "y": "0.5,0.5",
        "T": "0.01",
        "smoothing": "0.99",
        "names": "chat 🐱,na\u00efve",
        "h": "1e-12",
        "view": "derivation",
    },
    {
        "logits": "5e-324,0.30000000000000004,-2.5",
        "target": "2",
        "T": "100",
        "smoothing": "0.1",
        "names": "<b>x</b>,**b**,$x$",
        "view": "gradient",
    },
]

#: A good URL, and the state it gives. Each bad case below replaces one key of it.
GOOD_QUERY: dict[str, str] = {
    "logits": "1,2,3",
    "target": "2",
    "T": "2",
    "smoothing": "0.1",
    "names": "a,b,c",
    "h": "0.001",
    "view": "derivation",
}
GOOD_STATE = AppState(
    logits=(1.0, 2.0, 3.0),
    target=2,
    T=2.0,
    smoothing=0.1,
    names=("a", "b", "c"),
    h=0.001,
    view="derivation",
)

#: (key, bad text, fragments the one message must contain). The field falls back to its
#: default; every other field of GOOD_QUERY is kept.
BAD_VALUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("logits", "a,b", ("entry 1", "'a'", "not a number")),
    ("logits", "1,nan", ("entry 2", "'nan'", "not a finite number")),
    ("logits", "1,inf", ("entry 2", "'inf'", "not a finite number")),
    ("logits", "1,-inf", ("entry 2", "'-inf'", "not a finite number")),
    ("logits", "1e309,0", ("entry 1", "'1e309'", "too large")),
    ("logits", "1e301,0", ("entry 1", "'1e301'", "out of range", "1e300")),
    ("logits", "", ("between 2 and 20",)),
    ("logits", "1", ("between 2 and 20",)),
    ("logits", ",".join(["1"] * 21), ("21 values", "between 2 and 20")),
    ("logits", "1,,2", ("entry 2", "''", "not a number")),
    ("target", "x", ("'x'", "not a whole number")),
    ("target", "-1", ("-1 is not a class", "0, 1 or 2")),
    ("target", "3", ("3 is not a class", "0, 1 or 2")),
    ("target", "1.5", ("'1.5'", "not a whole number")),
    ("target", "", ("''", "not a whole number")),
    ("y", "0.5,0.6,0.1", ("sum to 1.2", "not 1")),
    ("y", "0.5,0.4,0.05", ("sum to 0.95", "not 1")),
    ("y", "-0.1,0.6,0.5", ("entry 1", "'-0.1'", "out of range")),
    ("y", "0.5,0.5", ("2 values given for 3 classes",)),
    ("y", "0.2,0.2,0.2,0.4", ("4 values given for 3 classes",)),
    ("y", "0.5,nan,0.5", ("entry 2", "not a finite number")),
    ("T", "0", ("0 is out of range", "0.01", "100")),
    ("T", "-1", ("-1 is out of range",)),
    ("T", "nan", ("'nan'", "not a finite number")),
    ("T", "1e9", ("1e9 is out of range",)),
    ("T", "hot", ("'hot'", "not a number")),
    ("smoothing", "1", ("1 is out of range", "0.99")),
    ("smoothing", "-0.1", ("-0.1 is out of range",)),
    ("smoothing", "abc", ("'abc'", "not a number")),
    ("h", "0", ("0 is out of range", "1e-12", "0.1")),
    ("h", "1", ("1 is out of range",)),
    ("names", "a,b", ("2 names given for 3 classes",)),
    ("names", "a,b,c,d", ("4 names given for 3 classes",)),
    ("names", "a,b,a", ("'a'", "used twice")),
    ("names", "na\u00efve,nai\u0308ve,c", ("used twice",)),  # equal after NFC
    ("names", "a,b," + "x" * (NAME_MAX_CHARS + 1), ("longer than 24 characters",)),
    ("names", "a,,c", ("empty",)),
    ("names", "a\x00,b,c", ("control character",)),
    ("names", "a\nb,c,d", ("control character",)),
    ("names", "<script>alert(1)</script>,b,c", ("longer than 24 characters",)),
    ("view", "nope", ("'nope'", "not a view", "gradient", "derivation")),
    ("point", "1000", ("1000 is out of range", "between 0 and 999")),
    ("point", "-1", ("-1 is out of range",)),
    ("point", "x", ("'x'", "not a whole number")),
    ("point", "2.5", ("'2.5'", "not a whole number")),
]

#: Queries that are accepted without any message: (query, the fields they set).
ACCEPTED: list[tuple[str, dict[str, str], dict[str, object]]] = [
    ("'+' turned space", {"logits": "1e 300,0"}, {"logits": (1e300, 0.0)}),
    ("'+' turned space, capital E", {"logits": "1E 2,0"}, {"logits": (100.0, 0.0)}),
    ("unicode minus", {"logits": "\u22121,2"}, {"logits": (-1.0, 2.0)}),
    ("spaces around numbers", {"logits": " 1 , 2 "}, {"logits": (1.0, 2.0)}),
    ("markup names kept", {"names": "<b>x</b>,**b**,$x$"}, {"names": ("<b>x</b>", "**b**", "$x$")}),
    ("names stripped", {"names": " cat , dog ,bird "}, {"names": ("cat", "dog", "bird")}),
    ("names NFC", {"names": "nai\u0308ve,b,c"}, {"names": ("na\u00efve", "b", "c")}),
    ("names emoji", {"names": "chat 🐱,b,c"}, {"names": ("chat 🐱", "b", "c")}),
    ("empty names: defaults", {"names": ""}, {"names": ()}),
    ("view any case", {"view": "DERIVATION"}, {"view": "derivation"}),
    ("target with plus", {"target": "+2"}, {"target": 2}),
    ("embed ignored", {"embed": "true", "embed_options": "dark_theme"}, {}),
    ("trackers ignored", {"utm_source": "x", "utm_medium": "y", "fbclid": "z"}, {}),
    ("nothing", {}, {}),
]

#: Extra message-bearing queries: (query, expected state, fragments of each message).
OTHER_MESSAGES: list[tuple[str, dict, AppState, tuple[tuple[str, ...], ...]]] = [
    ("unknown key", {"foo": "1", "T": "2"}, replace(DEFAULT, T=2.0), (("'foo'", "ignored"),)),
    (
        "repeated key: the last wins",
        {"logits": ["1,2", "3,4,5"], "T": "2"},
        replace(DEFAULT, logits=(3.0, 4.0, 5.0), T=2.0),
        (("logits", "2 times", "last"),),
    ),
    (
        "repeated bad then good",
        {"T": ["0", "3"]},
        replace(DEFAULT, T=3.0),
        (("T", "2 times"),),
    ),
    (
        "target and y both given",
        {"target": "0", "y": "0.2,0.3,0.5"},
        replace(DEFAULT, target=0, y=(0.2, 0.3, 0.5)),
        (("target and y", "soft target y is used"),),
    ),
    (
        "unicode minus in T is still out of range",
        {"T": "\u22120.5"},
        DEFAULT,
        (("T", "−0.5 is out of range"),),
    ),
]

_TRACEBACK = re.compile(r"Traceback|File \"|\b\w*(Error|Exception|Warning)\b|line \d+")


def _message_is_readable(message: object, key: str) -> bool:
    """A message is non-empty text naming its field, with no Python internals in it."""
    return (
        isinstance(message, str)
        and message.strip() != ""
        and (message.startswith(f"{key}:") or message.startswith(f"{key} ") or repr(key) in message)
        # The user's own text may be quoted back; judge only what ce-viz wrote around it.
        and _TRACEBACK.search(re.sub(r"'[^']*'", "''", message)) is None
    )


# --------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state"), ROUND_TRIP_STATES, ids=[n for n, _ in ROUND_TRIP_STATES]
)
def test_state_round_trips_through_the_url(name: str, state: AppState) -> None:
    """parse_query(to_query(s)) gives back s exactly, with no messages."""
    assert parse_query(to_query(state)) == (state, ())


@pytest.mark.parametrize(
    ("name", "state"), ROUND_TRIP_STATES, ids=[n for n, _ in ROUND_TRIP_STATES]
)
def test_url_round_trips_through_the_state(name: str, state: AppState) -> None:
    """A URL written by to_query reads back to a state that writes the same URL."""
    query = to_query(state)
    assert to_query(parse_query(query)[0]) == query


@pytest.mark.parametrize("query", CANONICAL_URLS)
def test_canonical_url_round_trips(query: dict[str, str]) -> None:
    """A hand-written canonical URL parses cleanly and is written back unchanged."""
    state, messages = parse_query(query)
    assert messages == ()
    assert to_query(state) == query


def test_huge_and_tiny_logits_are_read_back_bit_for_bit() -> None:
    """The extreme floats 1e300, -1e300 and 5e-324 come back as the very same doubles."""
    state = AppState(logits=(1e300, -1e300, 5e-324))
    parsed, _ = parse_query(to_query(state))
    assert np.array_equal(
        np.array(parsed.logits).view(np.int64), np.array(state.logits).view(np.int64)
    )


def test_negative_zero_is_written_as_zero() -> None:
    """-0.0 is written '0' and reads back as a (positive) zero equal to it."""
    query = to_query(AppState(logits=(-0.0, 1.0, 2.0)))
    assert query["logits"] == "0,1,2"
    parsed, _ = parse_query(query)
    assert parsed.logits[0] == 0.0
    assert math.copysign(1.0, parsed.logits[0]) == 1.0


def test_default_h_is_left_out_of_the_url() -> None:
    """The URL carries h only when it differs from the default."""
    assert "h" not in to_query(DEFAULT)
    assert to_query(replace(DEFAULT, h=1e-6))["h"] == "1e-06"


def test_soft_target_replaces_target_in_the_url() -> None:
    """With a soft y the URL carries y and no target."""
    query = to_query(AppState(y=(0.1, 0.8, 0.1)))
    assert query["y"] == "0.1,0.8,0.1"
    assert "target" not in query


# --------------------------------------------------------------------------------------
# Random valid states
# --------------------------------------------------------------------------------------

_NAME_CHARS = st.characters(
    exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"),
    include_characters=" ",
    exclude_characters=",",
)
_NAMES = st.text(_NAME_CHARS, min_size=1, max_size=NAME_MAX_CHARS).filter(
    # A leading = + - @ is refused: a spreadsheet would run the CSV cell as a formula.
    lambda n: n == n.strip() and unicodedata.normalize("NFC", n) == n and n[0] not in "=+-@"
)


def _finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _classes(K: int, n: int) -> st.SearchStrategy[tuple[int, ...] | None]:
    """``n`` different classes of K, in any order; None (not chosen) when K is too small."""
    if n > K:
        return st.none()
    return st.lists(st.integers(0, K - 1), min_size=n, max_size=n, unique=True).map(tuple)


@st.composite
def _soft_targets(draw: st.DrawFn, K: int) -> tuple[float, ...]:
    weights = draw(st.lists(_finite(0.0, 1.0), min_size=K, max_size=K))
    total = math.fsum(weights)
    assume(total > 0)
    y = tuple(w / total for w in weights)
    assume(abs(math.fsum(y) - 1.0) <= SUM_TOLERANCE)
    return y


_ANSWERS = st.lists(_finite(-LOGIT_LIMIT, LOGIT_LIMIT), min_size=1, max_size=K_RANGE[1]).map(tuple)

#: For each URL field, given K: any value a user can reach, as the AppState holds it. A field
#: of URL_FIELDS missing here fails test_every_url_field_has_a_valid_value_strategy.
VALID_VALUES: dict[str, Callable[[int], st.SearchStrategy[object]]] = {
    "logits": lambda K: st.lists(_finite(-LOGIT_LIMIT, LOGIT_LIMIT), min_size=K, max_size=K).map(
        tuple
    ),
    "target": lambda K: st.integers(0, K - 1),
    "y": _soft_targets,
    "T": lambda K: _finite(*T_RANGE),
    "smoothing": lambda K: _finite(*SMOOTHING_RANGE),
    "names": lambda K: st.one_of(
        st.just(()), st.lists(_NAMES, min_size=K, max_size=K, unique=True).map(tuple)
    ),
    "h": lambda K: _finite(*H_RANGE),
    "axes": lambda K: _classes(K, 2),
    "plot": lambda K: st.sampled_from(PLOTS),
    "field": lambda K: st.booleans(),
    "span": lambda K: _finite(*SPAN_RANGE),
    "slice": lambda K: st.integers(0, K - 1),
    "lr": lambda K: _finite(*LR_RANGE),
    "steps": lambda K: st.integers(*STEPS_RANGE),
    "descent": lambda K: st.sampled_from(DESCENT_MODES),
    "simplex": lambda K: _classes(K, 3),
    "my_p": lambda K: _ANSWERS,
    "my_loss": lambda K: _finite(-LOGIT_LIMIT, LOGIT_LIMIT),
    "my_grad": lambda K: _ANSWERS,
    "tol": lambda K: _finite(*TOL_RANGE),
    "present": lambda K: st.booleans(),
    "data": lambda K: st.sampled_from(DATASETS),
    "worst": lambda K: st.integers(*WORST_RANGE),
    "tab": lambda K: st.sampled_from(sorted(WHY_TABS)),
    "part": lambda K: st.sampled_from(sorted(LANDSCAPE_TABS)),
    "reveal": lambda K: st.integers(*REVEAL_RANGE),
    "layer": lambda K: st.sampled_from(sorted(LAYER_TABS)),
    "x": lambda K: st.lists(
        _finite(-X_LIMIT, X_LIMIT), min_size=X_FEATURES, max_size=X_FEATURES
    ).map(tuple),
    "digit": lambda K: st.integers(*DIGIT_RANGE),
    "problem": lambda K: st.integers(*PROBLEM_RANGE),
    "train_data": lambda K: st.sampled_from(TRAIN_DATA),
    "train_seed": lambda K: st.integers(*TRAIN_SEED_RANGE),
    "train_n": lambda K: st.integers(*TRAIN_N_RANGE),
    "classes": lambda K: st.integers(*TRAIN_K_RANGE),
    "model": lambda K: st.sampled_from(TRAIN_MODELS),
    "width": lambda K: st.integers(*WIDTH_RANGE),
    "activation": lambda K: st.sampled_from(ACTIVATIONS),
    "train_lr": lambda K: _finite(*TRAIN_LR_RANGE),
    "train_steps": lambda K: st.integers(*TRAIN_STEPS_RANGE),
    "batch": lambda K: st.integers(*BATCH_RANGE),
    "l2": lambda K: _finite(*L2_RANGE),
    "loss": lambda K: st.sampled_from(TRAIN_LOSSES),
    "point": lambda K: st.one_of(st.none(), st.integers(*POINT_RANGE)),
    "view": lambda K: st.sampled_from(sorted(VIEWS)),
}


def test_every_url_field_has_a_valid_value_strategy() -> None:
    """A new URL field is round-tripped as soon as it exists: it needs a strategy here."""
    assert list(VALID_VALUES) == KEYS


@st.composite
def valid_states(draw: st.DrawFn) -> AppState:
    """Any state a user can reach: each URL field left at its default or drawn from its
    valid values, every float from its allowed range."""
    K = draw(st.integers(*K_RANGE))
    state = AppState(logits=draw(VALID_VALUES["logits"](K)))
    for f in URL_FIELDS:
        if f.key != "logits" and draw(st.booleans()):
            state = replace(state, **{f.attr: draw(VALID_VALUES[f.key](K))})
    if state.y is not None:
        # A URL with y carries no target (y replaces it), so target is the default there.
        state = replace(state, target=DEFAULT.target)
    return state


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(valid_states())
def test_random_valid_states_round_trip_exactly(state: AppState) -> None:
    """Every valid state survives state → URL → state and URL → state → URL exactly."""
    query = to_query(state)
    parsed, messages = parse_query(query)
    assert messages == ()
    assert parsed == state
    assert to_query(parsed) == query
    assert all(isinstance(v, str) for v in query.values())


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(valid_states())
def test_random_valid_states_give_a_target_distribution(state: AppState) -> None:
    """Every valid state's y_vector is a length-K distribution the core accepts."""
    y = state.y_vector()
    assert y.shape == (state.K,)
    assert np.all(y >= 0)
    assert abs(math.fsum(y) - 1.0) <= 1e-9


# --------------------------------------------------------------------------------------
# Bad values: a message, the field's default, the rest kept
# --------------------------------------------------------------------------------------


def _bad_id(case: tuple[str, str, tuple[str, ...]]) -> str:
    key, text, _ = case
    return f"{key}={text[:30]!r}"


@pytest.mark.parametrize(
    ("key", "text", "fragments"), BAD_VALUES, ids=[_bad_id(c) for c in BAD_VALUES]
)
def test_bad_value_falls_back_with_one_message(
    key: str, text: str, fragments: tuple[str, ...]
) -> None:
    """A bad field keeps its default, the others are kept, and one message says why."""
    state, messages = parse_query({**GOOD_QUERY, key: text})
    assert state == replace(GOOD_STATE, **{ATTR[key]: getattr(DEFAULT, ATTR[key])})
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith(f"{key}: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize(
    ("key", "text", "fragments"), BAD_VALUES, ids=[_bad_id(c) for c in BAD_VALUES]
)
def test_bad_value_keeps_the_base_value(key: str, text: str, fragments: tuple[str, ...]) -> None:
    """Given a base state, a bad field keeps the base's value rather than the default."""
    state, messages = parse_query({key: text}, base=GOOD_STATE)
    assert state == GOOD_STATE
    assert len(messages) == 1
    assert messages[0].startswith(f"{key}: ")


def test_bad_y_keeps_the_one_hot_target() -> None:
    """When y is bad, the target given beside it is used."""
    state, messages = parse_query({"target": "0", "y": "0.7,0.7,0.7"})
    assert (state.target, state.y) == (0, None)
    assert state.true_class == 0
    assert len(messages) == 1


def test_bad_target_is_checked_against_the_new_number_of_classes() -> None:
    """With logits=1,2 the target must be 0 or 1: target=2 is refused, the logits kept."""
    state, messages = parse_query({"logits": "1,2", "target": "2"})
    assert state.logits == (1.0, 2.0)
    assert state.target == 1
    assert messages == (
        "target: 2 is not a class; with 2 classes it must be 0 or 1 (counting from 0).",
    )


def test_hundred_thousand_logits_are_refused_quickly() -> None:
    """10**5 logits are refused in well under half a second, the message naming the limit."""
    text = ",".join(["1.5"] * 10**5)
    start = time.perf_counter()
    state, messages = parse_query({"logits": text, "T": "2"})
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert state == replace(DEFAULT, T=2.0)
    assert len(messages) == 1
    assert messages[0].startswith("logits: ")
    assert str(K_RANGE[1]) in messages[0]
    assert len(messages[0]) < 200


@pytest.mark.parametrize(("name", "query", "changes"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_queries_give_no_message(name: str, query: dict, changes: dict) -> None:
    """Tolerated spellings and foreign parameters are read (or ignored) without a message."""
    assert parse_query(query) == (replace(DEFAULT, **changes), ())


@pytest.mark.parametrize(
    ("name", "query", "expected", "fragments"), OTHER_MESSAGES, ids=[c[0] for c in OTHER_MESSAGES]
)
def test_other_messages(
    name: str, query: dict, expected: AppState, fragments: tuple[tuple[str, ...], ...]
) -> None:
    """Unknown keys, repeated keys and y-with-target each give their message and state."""
    state, messages = parse_query(query)
    assert state == expected
    assert len(messages) == len(fragments)
    for message, wanted in zip(messages, fragments, strict=True):
        for fragment in wanted:
            assert fragment in message, (fragment, message)


def test_messages_come_in_url_field_order() -> None:
    """Several bad fields each give one message, in the URL's field order."""
    _, messages = parse_query({"view": "nope", "T": "0", "logits": "x,1"})
    assert [m.split(":")[0] for m in messages] == ["logits", "T", "view"]


@pytest.mark.parametrize("text", ["--1", "+-1", "-+1", "++1"])
def test_doubled_sign_target_gives_a_message(text: str) -> None:
    """A target with a doubled sign ('--1') gives a message instead of raising."""
    state, messages = parse_query({"target": text})
    assert state == DEFAULT
    assert len(messages) == 1
    assert messages[0].startswith("target: ")


# --------------------------------------------------------------------------------------
# Messages are readable
# --------------------------------------------------------------------------------------


def _all_table_messages() -> list[tuple[str, str]]:
    found = []
    for key, text, _ in BAD_VALUES:
        found += [(key, m) for m in parse_query({**GOOD_QUERY, key: text})[1]]
    found += [("logits", m) for m in parse_query({"logits": ",".join(["1"] * 10**5)})[1]]
    for _, query, _, _ in OTHER_MESSAGES:
        keys = [k for k in query if k in {"foo", "logits", "T", "target"}]
        for message in parse_query(query)[1]:
            found.append((next(k for k in keys if k in message), message))
    return found


def test_every_message_is_readable_and_names_its_field() -> None:
    """Every message is non-empty text that names its field and shows no Python internals."""
    found = _all_table_messages()
    assert len(found) >= len(BAD_VALUES) + len(OTHER_MESSAGES)
    for key, message in found:
        assert _message_is_readable(message, key), message


@settings(max_examples=400, deadline=None, database=None)
@given(key=st.sampled_from(KEYS), text=st.text(max_size=60))
def test_any_text_in_any_field_gives_a_state_or_a_readable_message(key: str, text: str) -> None:
    """Arbitrary text in any URL field never raises: the field is set or kept, the rest is
    untouched, and each message is readable. A field gives one message, except the class
    lists (axes, simplex), which may give one for each bad class."""
    query = {key: text, "T": "2"} if key != "T" else {key: text}
    state, messages = parse_query(query)
    assert isinstance(state, AppState)
    assert len(messages) <= min(3, text.count(",") + 1)
    for message in messages:
        assert _message_is_readable(message, key), message
    if messages:
        assert getattr(state, ATTR[key]) == getattr(DEFAULT, ATTR[key])
    # New logits may resize the state, and problem= alone sets the logits and the true class
    # (see test_a_problem_link_alone_sets_the_seeds_logits); nothing else changes another field.
    if key == "problem" and state.problem is not None:
        others = [k for k in KEYS if k not in {key, "T", "logits", "target"}]
        assert all(getattr(state, ATTR[k]) == getattr(DEFAULT, ATTR[k]) for k in others)
    elif key != "logits":
        others = [k for k in KEYS if k not in {key, "T"}]
        assert all(getattr(state, ATTR[k]) == getattr(DEFAULT, ATTR[k]) for k in others)


_TARGET_TEXT = st.text(max_size=20)


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.one_of(_TARGET_TEXT, st.from_regex(r"[ ]?[+-]?[0-9]{1,14}[ ]?", fullmatch=True)))
def test_any_target_text_gives_a_class_or_a_readable_message(text: str) -> None:
    """Arbitrary target text never raises: a valid class, or the default with a message."""
    state, messages = parse_query({"target": text})
    assert 0 <= state.target < state.K
    for message in messages:
        assert _message_is_readable(message, "target"), message
    assert (state.target == DEFAULT.target) or not messages


# --------------------------------------------------------------------------------------
# resize and the AppState properties
# --------------------------------------------------------------------------------------


def test_resize_grow_pads_with_zeros() -> None:
    """Growing K keeps the logits and appends zeros."""
    assert resize(DEFAULT, 5).logits == (2.0, 3.0, 4.0, 0.0, 0.0)
    largest = K_RANGE[1]
    assert len(resize(DEFAULT, largest).logits) == largest


def test_resize_shrink_truncates_and_clamps_the_target() -> None:
    """Shrinking K drops the last logits and moves a target past the end to the last class."""
    state = AppState(logits=(1.0, 2.0, 3.0, 4.0), target=3)
    small = resize(state, 2)
    assert small.logits == (1.0, 2.0)
    assert small.target == 1
    assert resize(AppState(logits=(1.0, 2.0, 3.0, 4.0), target=0), 2).target == 0


def test_resize_clears_y_and_names() -> None:
    """A new K resets the soft target and the names, which no longer fit."""
    state = AppState(y=(0.2, 0.3, 0.5), names=("a", "b", "c"), T=3.0, view="derivation")
    for K in (2, 4):
        new = resize(state, K)
        assert new.y is None
        assert new.names == ()
        assert (new.T, new.view, new.smoothing, new.h) == (3.0, "derivation", 0.0, 1e-5)


def test_resize_to_the_same_K_changes_nothing() -> None:
    """Resizing to the current K returns the state unchanged, y and names included."""
    state = AppState(y=(0.2, 0.3, 0.5), names=("a", "b", "c"))
    assert resize(state, 3) == state


def test_parse_query_resizes_the_base_for_new_logits() -> None:
    """New logits with another K reset the base's y and names and clamp its target."""
    base = AppState(
        logits=(1.0, 2.0, 3.0, 4.0), target=3, y=(0.25,) * 4, names=("a", "b", "c", "d")
    )
    state, messages = parse_query({"logits": "5,6"}, base=base)
    assert messages == ()
    assert state == AppState(logits=(5.0, 6.0), target=1)


def test_class_names_default_and_given() -> None:
    """Without names the classes are 'class 0', 'class 1', ...; given names are used as is."""
    assert DEFAULT.class_names == ("class 0", "class 1", "class 2")
    assert AppState(logits=(0.0,) * 12).class_names[11] == "class 11"
    assert AppState(names=("<b>x</b>", "b", "c")).class_names == ("<b>x</b>", "b", "c")


def test_true_class_is_the_target_or_the_heaviest_soft_class() -> None:
    """true_class is target for a one-hot target, and argmax y (first on ties) for a soft one."""
    assert AppState(target=2).true_class == 2
    assert AppState(target=1, y=(0.1, 0.2, 0.7)).true_class == 2
    assert AppState(target=2, y=(0.4, 0.4, 0.2)).true_class == 0


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.99])
def test_y_vector_equals_target_distribution(smoothing: float) -> None:
    """y_vector is the core's target_distribution, for one-hot and soft targets, smoothed."""
    one_hot = AppState(target=0, smoothing=smoothing)
    assert np.array_equal(one_hot.y_vector(), target_distribution(3, target=0, smoothing=smoothing))
    soft = AppState(y=(0.1, 0.8, 0.1), smoothing=smoothing)
    assert np.array_equal(
        soft.y_vector(), target_distribution(3, y=np.array([0.1, 0.8, 0.1]), smoothing=smoothing)
    )
    if smoothing:
        assert one_hot.y_vector().min() == pytest.approx(smoothing / 3)


def test_o_is_a_float_array_of_the_logits() -> None:
    """o() returns the logits as a float64 array of shape (K,)."""
    o = AppState(logits=(1e300, -1.0)).o()
    assert o.dtype == np.float64
    assert o.tolist() == [1e300, -1.0]


# --------------------------------------------------------------------------------------
# Every control round-trips, and every preset loads exactly
# --------------------------------------------------------------------------------------


def test_every_url_field_has_an_example() -> None:
    """A new URL field is round-tripped as soon as it exists: it needs an example here."""
    assert list(EXAMPLES) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_each_field_reads_and_writes_its_example(key: str) -> None:
    """Each field's example text reads as its value (with the logits it needs), is written
    back as the same text, and the state round-trips; nothing else changes."""
    value, text = EXAMPLES[key]
    expected = _example_state([key])
    assert parse_query({"logits": EXAMPLES["logits"][1], key: text}) == (expected, ())
    assert getattr(expected, ATTR[key]) == value
    assert to_query(expected)[key] == text
    assert parse_query(to_query(expected)) == (expected, ())


@pytest.mark.parametrize("key", KEYS)
def test_each_field_is_written_only_when_it_must_be(key: str) -> None:
    """logits, target (or y), T, smoothing, names (when given) and view are always written;
    every other field only when it differs from the default (axes, slice and simplex: once
    chosen), even if the link spelt out the default."""
    default_written = to_query(EXAMPLE_BASE)
    changed = to_query(_example_state([key]))
    assert key in changed
    if key in ALWAYS:
        assert (key in default_written) == (key not in {"y", "names"})
    else:
        assert key not in default_written
        default_text = next(f for f in URL_FIELDS if f.key == key).write(DEFAULT)
        if default_text is not None:
            spelt_out, messages = parse_query({key: default_text})
            assert messages == ()
            assert to_query(spelt_out) == to_query(DEFAULT)


@pytest.mark.parametrize("keys", [EVERY_FIELD_Y, EVERY_FIELD_TARGET], ids=["y", "target"])
def test_every_field_at_once_round_trips_through_the_url(keys: list[str]) -> None:
    """A link that sets every field gives a state that writes back the very same link, its
    keys in the table's order with view last."""
    query = {key: EXAMPLES[key][1] for key in keys}
    state, messages = parse_query(query)
    assert messages == ()
    assert state == _example_state(keys)
    assert list(to_query(state).items()) == list(query.items())
    assert list(to_query(state))[-1] == "view"
    assert parse_query(to_query(state)) == (state, ())


def test_url_keys_are_written_in_the_table_order() -> None:
    """to_query writes the keys in URL_FIELDS' order, and parse_query reads every one."""
    written = list(to_query(_example_state(EVERY_FIELD_Y)))
    assert written == [k for k in KEYS if k != "target"]
    assert list(to_query(DEFAULT)) == ["logits", "target", "T", "smoothing", "view"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_loads_exactly(name: str) -> None:
    """A preset's state is exactly its link's settings, on the view it was clicked from."""
    _, query = PRESETS[name]
    state = preset_state(name, view="landscape")
    written = to_query(state)
    for key, value in query.items():
        assert written[key] == value
    assert state.view == "landscape"
    assert state == parse_query({**query, "view": "landscape"})[0]


@pytest.mark.parametrize("name", list(TRAIN_PRESETS))
def test_each_train_preset_loads_exactly_on_the_train_view(name: str) -> None:
    """A "Watch it learn" story is its link's settings on view=train, read with no message
    and written back as given."""
    _, query = TRAIN_PRESETS[name]
    state, messages = parse_query({**query, "view": "train"})
    assert messages == ()
    assert train_preset_state(name) == state
    assert state.view == "train"
    written = to_query(state)
    for key, value in query.items():
        assert written.get(key, next(f for f in URL_FIELDS if f.key == key).write(DEFAULT)) == (
            value
        )


def test_a_chosen_point_is_written_and_none_is_left_out() -> None:
    """point= is in the link once a point is chosen (0 included), and absent before."""
    assert "point" not in to_query(DEFAULT)
    assert to_query(replace(DEFAULT, point=0))["point"] == "0"
    assert parse_query({"point": "0"}) == (replace(DEFAULT, point=0), ())


# --------------------------------------------------------------------------------------
# The check view's fields: problem= and the student's answers
# --------------------------------------------------------------------------------------


def test_a_problem_link_alone_sets_the_seeds_logits() -> None:
    """?problem=N (and no logits, target or y) gives problem N's logits and true class;
    other settings in the link stand."""
    made = make_problem(4821)
    state, messages = parse_query({"problem": "4821", "T": "2", "view": "check"})
    assert messages == ()
    assert (state.logits, state.target, state.y) == (made.logits, made.target, None)
    assert (state.problem, state.T, state.view) == (4821, 2.0, "check")
    assert problem_in_force(state)


def test_a_problem_link_with_logits_keeps_the_links_logits() -> None:
    """A link that carries logits (as the app's own do) uses them as they stand; problem=
    only says where they came from, and the page no longer names it once they differ."""
    state, messages = parse_query({"logits": "1,2", "target": "0", "problem": "4821"})
    assert messages == ()
    assert (state.logits, state.target, state.problem) == ((1.0, 2.0), 0, 4821)
    assert not problem_in_force(state)


def test_a_link_from_a_problem_reads_back_as_the_same_problem() -> None:
    """The app's link for a problem carries its seed, logits and true class, consistently."""
    state = with_problem(replace(DEFAULT, view="check"), 4821)
    query = to_query(state)
    assert query["problem"] == "4821"
    assert query["logits"] == ",".join(url_number(v) for v in make_problem(4821).logits)
    assert parse_query(query) == (state, ())
    alone, _ = parse_query({"problem": query["problem"], "view": "check"})
    assert alone == state


def test_answers_start_blank_and_a_blank_answer_is_none() -> None:
    """The default state has no answers (a link leaves them out); an empty answer in a link
    is no answer, with no message, never 0."""
    assert (DEFAULT.my_p, DEFAULT.my_loss, DEFAULT.my_grad) == (None, None, None)
    assert not {"my_p", "my_loss", "my_grad"} & to_query(DEFAULT).keys()
    state, messages = parse_query({"my_p": "", "my_loss": " ", "my_grad": ""})
    assert messages == ()
    assert (state.my_p, state.my_loss, state.my_grad) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Your p: 'abc' is not a number."),
        ("1,,2", "Your p: entry 2 is empty; type a number between each two commas."),
        ("0.1, 0.2,", "Your p: entry 3 is empty; type a number between each two commas."),
        ("0.1,x", "Your p: entry 2, 'x', is not a number."),
        (",".join(["1"] * 21), "Your p: 21 values given; ce-viz takes at most 20."),
    ],
)
def test_bad_answer_text_names_the_box(text: str, message: str) -> None:
    """Bad answer text gets a plain message naming the box by its label."""
    assert parse_answers(text, "Your p") == Parsed(None, (message,))
