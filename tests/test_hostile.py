"""Hostile links: every bad query value gets a clear message and never an exception.

The link is read by ``parse_query`` alone, so almost every case is a unit test of it: the
message the page will show (naming the bad setting), and the state it keeps (the default
where the value was bad, everything else as the link asked). Three whole-app cases at the
end prove that the page shows exactly those messages, escaped so that nothing from the URL
runs as HTML or markdown, and runs on the state the rest of the link describes.
(``tests/test_fuzz_links.py`` runs the whole app on random links too.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from ce_viz.core import cross_entropy
from ce_viz.fmt import escape_markdown
from ce_viz.state import DEFAULT, URL_FIELDS, AppState, parse_query, to_query
from tests.apptest import metric, run_app, warnings_text

LONG = ",".join(["1"] * 5000)
HUGE_K = ",".join(["0"] * 100_000)
#: A message names what was wrong in a sentence, however long the text it quotes.
MESSAGE_MAX_CHARS = 300

# (query, a phrase the message must contain). Each query holds one bad setting: it gets one
# message, and the state stays the default.
BAD = [
    ({"logits": "a,b,c"}, "logits: entry 1, 'a', is not a number"),
    ({"logits": "1,nan,3"}, "is not a finite number"),
    ({"logits": "NaN,1"}, "is not a finite number"),
    ({"logits": "inf,1"}, "is not a finite number"),
    ({"logits": "-inf,1"}, "is not a finite number"),
    ({"logits": "1e309,1"}, "too large"),
    ({"logits": "1e308,1"}, "out of range"),
    ({"logits": "1e301,0"}, "out of range"),
    ({"logits": ""}, "logits"),
    ({"logits": ","}, "logits"),
    ({"logits": "1,,2"}, "entry 2"),
    ({"logits": "1"}, "1 value given"),
    ({"logits": ",".join(["1"] * 21)}, "21 values given"),
    ({"logits": LONG}, "too long"),
    ({"logits": HUGE_K}, "too long"),
    ({"logits": "１,２"}, "is not a number"),  # full-width digits
    ({"logits": "0x10,1"}, "is not a number"),
    ({"logits": "1;2;3"}, "logits"),
    ({"logits": "1 2 3"}, "logits"),
    ({"logits": "<script>alert(1)</script>,1"}, "is not a number"),
    ({"target": "x"}, "target: 'x' is not a whole number"),
    ({"target": "-1"}, "target: -1 is not a class"),
    ({"target": "3"}, "target: 3 is not a class"),
    ({"target": "1.5"}, "not a whole number"),
    ({"target": ""}, "not a whole number"),
    ({"target": "99999999999999999999"}, "not a whole number"),
    ({"target": "--1"}, "not a whole number"),
    ({"y": "0.5,0.6,0.1"}, "sum to 1.2"),
    ({"y": "0.3,0.3,0.3"}, "sum to 0.9"),
    ({"y": "-0.5,1.5,0"}, "y: entry 1"),
    ({"y": "1,0"}, "2 values given for 3 classes"),
    ({"y": "nan,0.5,0.5"}, "not a finite number"),
    ({"T": "-1"}, "T: -1 is out of range"),
    ({"T": "0"}, "T: 0 is out of range"),
    ({"T": "inf"}, "T: 'inf' is not a finite number"),
    ({"T": "1e-400"}, "T: 1e-400 is out of range"),
    ({"T": "abc"}, "T: 'abc' is not a number"),
    ({"smoothing": "1"}, "smoothing: 1 is out of range"),
    ({"smoothing": "-0.1"}, "smoothing: -0.1 is out of range"),
    ({"smoothing": "2"}, "out of range"),
    ({"names": "a,b"}, "2 names given for 3 classes"),
    ({"names": "a,a,b"}, "used twice"),
    ({"names": "a,,b"}, "a name is empty"),
    ({"names": "<script>alert(document.cookie)</script>,b,c"}, "longer than 24"),
    ({"names": "=cmd|' /C calc'!A0,b,c"}, "spreadsheet"),
    ({"names": "a\x00,b,c"}, "control character"),
    ({"names": "a\u202eb,c,d"}, "control character"),
    ({"names": ",".join(["n"] * 5000)}, "too long"),
    ({"view": "<img src=x onerror=alert(1)>"}, "is not a view"),
    ({"view": "../../etc/passwd"}, "is not a view"),
    ({"h": "0"}, "h: 0 is out of range"),
    ({"axes": "0,0"}, "axes: the two axes must be different"),
    ({"lr": "-1"}, "lr: -1 is out of range"),
    ({"steps": "1e9"}, "not a whole number"),
    ({"present": "maybe"}, "present: 'maybe' is not 1 or 0"),
    ({"__proto__": "x"}, "'__proto__' is not a setting"),
]


def _names_its_setting(message: str, key: str) -> bool:
    return message.startswith((f"{key}: ", repr(key)))


@pytest.mark.parametrize(("query", "phrase"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_link_value_is_named_and_the_default_kept(query: dict, phrase: str) -> None:
    """A hostile value gets one short message naming it; the state is the default."""
    (key,) = query
    state, messages = parse_query(query)
    assert len(messages) == 1, messages
    (message,) = messages
    assert phrase in message
    assert _names_its_setting(message, key), message
    assert len(message) <= MESSAGE_MAX_CHARS
    assert state == DEFAULT


def test_repeated_key_is_named_and_the_last_value_used() -> None:
    """A key given twice gets a message, and its last value is used."""
    state, messages = parse_query({"logits": ["1,2", "3,4,5"]})
    assert len(messages) == 1
    assert "logits was given 2 times" in messages[0]
    assert state == AppState(logits=(3.0, 4.0, 5.0))


#: Text no field accepts: markup, a huge run, a non-number, control and direction characters.
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "**b**",
    "a" * 100_000,
    "nan",
    "1e999999",
    "\x00\u202e",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=lambda t: repr(t[:12]))
@pytest.mark.parametrize("key", [f.key for f in URL_FIELDS])
def test_hostile_text_in_any_field_is_refused_and_named(key: str, text: str) -> None:
    """Every field of the link refuses hostile text with one short message naming it, and
    the state stays the default."""
    state, messages = parse_query({key: text})
    assert len(messages) == 1, messages
    assert _names_its_setting(messages[0], key), messages[0]
    assert len(messages[0]) <= MESSAGE_MAX_CHARS
    assert state == DEFAULT


# Odd but valid: accepted without a message, and written back as (query, written).
ODD_BUT_VALID = [
    ({"logits": "-0,0"}, {"logits": "0,0"}),
    ({"logits": "1e300,-1e300", "target": "1"}, {"logits": "1e300,-1e300"}),
    ({"logits": " 1 , 2 "}, {"logits": "1,2"}),
    ({"logits": "1e 2,0"}, {"logits": "100,0"}),  # a '+' sent as a space
    ({"logits": "−1,2"}, {"logits": "-1,2"}),  # a typographic minus
    ({"names": "chat 🐱,狗,naïve"}, {"names": "chat 🐱,狗,naïve"}),
    ({"names": "**b**,$x$,<i>"}, {"names": "**b**,$x$,<i>"}),
    ({"utm_source": "newsletter", "embed": "true"}, {"logits": "2,3,4"}),
]


@pytest.mark.parametrize(("query", "expected"), ODD_BUT_VALID)
def test_odd_but_valid_values_are_accepted(query: dict, expected: dict) -> None:
    """Unusual spellings of valid values load as written, with no message."""
    state, messages = parse_query(query)
    assert messages == ()
    written = to_query(state)
    for key, value in expected.items():
        assert written[key] == value


# --------------------------------------------------------------------------------------
# The whole page
# --------------------------------------------------------------------------------------

#: (query, the state the page must run on, phrases its warning must show, the URL's markup).
ON_THE_PAGE = [
    pytest.param(
        {"logits": "<script>alert(1)</script>,1"},
        DEFAULT,
        ["logits: entry 1, '<script>alert(1)</script>', is not a number"],
        ["<script"],
        id="bad logits: the default sample",
    ),
    pytest.param(
        {
            "logits": "1,2,3",
            "target": "0",
            "names": "**b**,$x$,<i>",
            "view": "<img src=x onerror=alert(1)>",
        },
        AppState(logits=(1.0, 2.0, 3.0), target=0, names=("**b**", "$x$", "<i>")),
        ["view: '<img src=x onerror=alert(1)>' is not a view"],
        ["<img", "<i>", "**b**", "$x$"],
        id="bad view: markup names kept as text",
    ),
    pytest.param(
        {
            "logits": ["1,2", "3,4,5"],
            "target": "2",
            "T": "abc",
            "smoothing": "0.1",
            "<b>x</b>": "1",
        },
        AppState(logits=(3.0, 4.0, 5.0), target=2, smoothing=0.1),
        [
            "'<b>x</b>' is not a setting ce-viz knows",
            "logits was given 2 times",
            "T: 'abc' is not a number",
        ],
        ["<b>"],
        id="several problems: the rest applied",
    ),
]


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _rendered_text(at: AppTest) -> Iterator[tuple[str, bool]]:
    """Every text the page renders: (text, True) for markdown, and (text, False) for Plotly
    figures, whose labels read a subset of HTML. No element may render raw HTML."""
    for node in (*_walk(at.main), *_walk(at.sidebar)):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        if getattr(node, "type", None) == "plotly_chart":
            yield json.dumps(json.loads(proto.spec), ensure_ascii=False), False
            continue
        fields = proto.DESCRIPTOR.fields_by_name
        assert not ("allow_html" in fields and proto.allow_html), "HTML allowed on the page"
        for name in ("body", "label", "help"):
            text = getattr(proto, name, None) if name in fields else None
            if isinstance(text, str):
                yield text, True


@pytest.mark.parametrize(("query", "expected", "phrases", "markup"), ON_THE_PAGE)
def test_the_page_shows_the_messages_escaped_and_keeps_the_rest(
    query: dict, expected: AppState, phrases: list[str], markup: list[str]
) -> None:
    """The page runs without an exception on the state the rest of the link describes, says
    in one warning exactly what parse_query said, each message escaped so no character of
    the URL is read as markdown or HTML, and nothing from the URL is shown as markup."""
    state, messages = parse_query(query)
    assert state == expected
    at = run_app(**query)

    assert not at.error
    (warning,) = at.warning
    assert "could not be used" in warning.value
    bullets = warning.value.split("\n\n", 1)[1].splitlines()
    assert bullets == [f"- {escape_markdown(m)}" for m in messages]
    for bullet in bullets:
        assert re.search(r"(?<!\\)[<>*_$`\[\]]", bullet[2:]) is None, bullet
    for phrase in phrases:
        assert phrase in warnings_text(at)
    rendered = list(_rendered_text(at))
    for raw in markup:
        # The URL's markup is on the page, escaped; nowhere is it left to act as markup.
        assert any(escape_markdown(raw) in text for text, markdown in rendered if markdown), raw
        for text, markdown in rendered:
            if markdown:
                assert raw not in re.sub(r"\\.", "", text, flags=re.DOTALL), (raw, text[:200])
            elif raw.startswith("<"):
                assert raw not in text, (raw, text[:200])

    assert at.session_state["state"] == expected
    loss = cross_entropy(expected.o(), expected.y_vector(), expected.T)
    assert metric(at, "Loss") == f"{loss:.4f}"
    assert dict(at.query_params) == to_query(expected)
