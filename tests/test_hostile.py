"""Hostile links: every bad query value gets a clear message and never an exception.

Each case is a whole query; the page must run without an exception, show a warning that
names the bad setting, and keep the default sample (loss 1.4076) where the bad value was
the logits, or the state the rest of the link asked for.
"""

from __future__ import annotations

import pytest

from tests.apptest import metric, run_app, warnings_text

LONG = ",".join(["1"] * 5000)
HUGE_K = ",".join(["0"] * 100_000)

# (query, a phrase the warning must contain)
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
    ({"logits": ["1,2", "3,4,5"]}, "logits was given 2 times"),
]


@pytest.mark.parametrize(("query", "phrase"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_link_value_is_named_without_an_exception(query: dict, phrase: str) -> None:
    """A hostile value gets a warning naming it; the page still shows a loss."""
    at = run_app(**query)
    assert phrase in warnings_text(at)
    assert float(metric(at, "Loss")) >= 0


# Odd but valid: accepted as written, without a message.
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
    """Unusual spellings of valid values load as written, with no warning."""
    at = run_app(**query)
    assert not at.warning
    for key, value in expected.items():
        assert at.query_params[key] == value
