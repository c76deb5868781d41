"""Extreme but valid links on every view: a message or a result, never an exception.

Links accept logits up to ±1e300, T in [0.01, 100], smoothing up to 0.99 and 2 to 20
classes. Each view in ``ce_viz.state.VIEWS`` runs on a matrix of such links through
AppTest (RuntimeWarnings are errors under the test configuration), and every chart's figure
JSON must hold only finite numbers, with grids that did not collapse, and every text on the
page must be free of NaN and inf.

The matrix is the logit sets below on every view (the batch view ignores the logits, so
it runs only with the temperatures), each with T = 0.01, T = 100 and smoothing 0.99; the two
soft targets on the three-class sets; and the landscape's options at their limits on the
sets whose descent and grid take distinct paths. Dropped: the soft targets on the 2- and
20-class sets (y must have K entries), and the landscape options at T = 100 (the gradient
shrinks by 1/T, the same path as T = 1 with a smaller step).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ce_viz.fmt import fmt, fmt_signed, url_number
from ce_viz.landscape import descend_relative
from ce_viz.state import VIEWS
from tests.apptest import run_app

#: The check view marks wrong answers in a red box on purpose: that one is no failure.
VERDICT = re.compile(r"\d+ of \d+ numbers need another look\.")

LOGITS: dict[str, str] = {
    "far": "1e300,-1e300,0",
    "equal": "1e300,1e300,1e300",
    "two": "-1e300,0",
    "tiny": "1e-300,0,0",
    "1e15": "1e15,0,-1e15",
    "spread20": ",".join(url_number(v) for v in np.linspace(-1e300, 1e300, 20)),
}
THREE = [name for name, text in LOGITS.items() if text.count(",") == 2]
VARIANTS: dict[str, dict[str, str]] = {
    "T=1": {},
    "T=0.01": {"T": "0.01"},
    "T=100": {"T": "100"},
    "smoothing=0.99": {"smoothing": "0.99"},
}
SOFT: dict[str, dict[str, str]] = {"y=001": {"y": "0,0,1"}, "y=.5.50": {"y": "0.5,0.5,0"}}
#: The landscape's options at their limits: the surface, the arrow field, the longest and
#: fastest descent over the widest range, moving every logit.
LIMITS = {"steps": "500", "lr": "20", "span": "50", "descent": "all"}
OPTIONS: dict[str, dict[str, str]] = {
    "surface": {"plot": "surface", **LIMITS},
    "field": {"field": "1", **LIMITS},
    "field-T=0.01": {"field": "1", "T": "0.01", **LIMITS},
}

LOGIT_VIEWS = [v for v in VIEWS if v != "batch"]
#: Every view, and the landscape's second tab (part=slice), which builds its own chart.
VIEW_PARTS = [(v, {}) for v in LOGIT_VIEWS] + [("landscape", {"part": "slice"})]


def _links() -> Iterator[Any]:
    for name, logits in LOGITS.items():
        variants = {**VARIANTS, **(SOFT if name in THREE else {})}
        for variant, extra in variants.items():
            for view, part in VIEW_PARTS:
                yield pytest.param(
                    {"logits": logits, **extra, "view": view, **part},
                    id=f"{view}{'-' + part['part'] if part else ''}-{name}-{variant}",
                )
    for variant in ("T=0.01", "T=100"):
        yield pytest.param({**VARIANTS[variant], "view": "batch"}, id=f"batch-{variant}")
    for name in ("far", "1e15", "spread20", "tiny"):
        for option, extra in OPTIONS.items():
            for view in ("landscape", "simplex"):
                if view == "simplex" and option != "field":
                    continue
                yield pytest.param(
                    {"logits": LOGITS[name], **extra, "view": view}, id=f"{view}-{name}-{option}"
                )


def numbers(node: Any) -> Iterator[tuple[np.ndarray, bool]]:
    """Every numeric array in a figure's JSON, and whether it was typed: typed arrays
    (``bdata`` with a ``dtype``) decoded, and the numbers of plain lists, with NaN for null,
    which is how Plotly's encoder writes NaN and inf there."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            raw = base64.b64decode(node["bdata"])
            yield np.frombuffer(raw, dtype=np.dtype(node["dtype"])), True
            return
        for value in node.values():
            yield from numbers(value)
    elif isinstance(node, list):
        plain = [v for v in node if not isinstance(v, (dict, list, str, bool))]
        # A list of nulls alone is a legend entry's dummy trace, never drawn.
        if plain and any(v is not None for v in plain):
            yield np.array([np.nan if v is None else v for v in plain], dtype=np.float64), False
        for value in node:
            if isinstance(value, (dict, list)):
                yield from numbers(value)


def assert_finite_figure(spec: str) -> None:
    """No number in the figure is infinite; a plain list holds only finite numbers (Plotly
    writes NaN and inf there as null); a typed array may hold NaN as a gap, but not only
    NaN; a grid's coordinates increase and a curve has more than one x (float32, or the
    logits' own spacing, did not collapse them)."""
    figure = json.loads(spec, parse_constant=lambda c: pytest.fail(f"{c} in the figure"))
    for array, typed in numbers(figure):
        values = array.astype(np.float64)
        assert not np.any(np.isinf(values)), values
        if typed and values.size > 1:
            # NaN in a typed array is a gap (segments, an empty bin): never all of it.
            assert np.any(np.isfinite(values)), values
        else:
            assert np.all(np.isfinite(values)), values
    for trace in figure["data"]:
        if trace["type"] in {"contour", "contourcarpet", "surface", "heatmap"}:
            for axis in ("a", "b") if trace["type"] == "contourcarpet" else ("x", "y"):
                grid, _ = next(numbers(trace.get(axis)), (None, False))
                if grid is not None and grid.dtype.kind == "f":
                    assert np.all(np.diff(grid) > 0), f"{axis} collapsed: {grid[:5]}"
        elif (
            trace["type"] == "scatter"
            and "lines" in trace.get("mode", "lines")
            and trace.get("legendgroup") != "path"  # a descent may stand still: p = y
        ):
            # A curve over more than two points needs more than one x to be one (NaN gaps
            # are not points: an arrow is tail, head, NaN, and may be vertical or nil).
            xs, _ = next(numbers(trace.get("x")), (None, False))
            if xs is not None and np.count_nonzero(~np.isnan(xs)) > 2:
                assert np.unique(xs[~np.isnan(xs)]).size > 1, f"x collapsed: {xs[:5]}"


#: NaN or inf written as a word, as numpy, Python and pandas spell them.
NOT_FINITE = re.compile(r"\b(nan|inf)\b|∞", re.IGNORECASE)
#: The why view's stability tab shows the naive formula's NaN on purpose, in words and in
#: its table.
NAIVE_TEXT = "the naive formula gives NaN"
NAIVE_COLUMN = "naive e^o / Σ e^o"
#: The check view leaves a missing answer (fewer values than classes) blank.
MISSING = "Missing:"


def page_texts(at: AppTest) -> Iterator[str]:
    """The text a person reads on the page, from every text element."""
    for kind in ("markdown", "caption", "info", "warning", "success", "latex", "subheader"):
        for element in at.get(kind):
            yield element.value
    for m in at.metric:
        yield f"{m.label}: {m.value}"
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        for trace in figure["data"]:
            yield str(trace.get("name", ""))
        yield json.dumps(figure["layout"].get("title", ""))


@pytest.mark.parametrize("query", list(_links()))
def test_extreme_link(query: dict[str, str]) -> None:
    """An extreme but valid link draws its view: no exception, no error box, finite charts
    and no NaN or inf on the page."""
    at = run_app(**query)  # asserts no exception
    errors = [e.value for e in at.error]
    if query["view"] == "check":
        errors = [e for e in errors if not VERDICT.fullmatch(e)]
    assert errors == []
    assert not any("could not be used" in w.value for w in at.warning)  # the link is valid
    for chart in at.get("plotly_chart"):
        assert_finite_figure(chart.proto.spec)
    for text in page_texts(at):
        assert not NOT_FINITE.search(text.replace(NAIVE_TEXT, "")), text
    for frame in at.dataframe:
        table = frame.value
        if "hint" in table.columns:
            table = table[~table["hint"].str.startswith(MISSING)]
        numeric = table.drop(columns=[NAIVE_COLUMN], errors="ignore").select_dtypes("number")
        assert np.all(np.isfinite(numeric.to_numpy(dtype=np.float64))), table


def test_the_finite_check_fails_on_what_it_must_catch() -> None:
    """The figure check rejects inf in a typed array, a null among numbers, an all-NaN
    array, a collapsed grid and a curve on one x, and accepts NaN gaps between segments."""
    f4 = np.dtype("f4").str.lstrip("<|")

    def typed(values: list[float]) -> dict[str, str]:
        raw = np.array(values, dtype=np.float32).tobytes()
        return {"dtype": f4, "bdata": base64.b64encode(raw).decode()}

    def spec(trace: dict[str, Any]) -> str:
        return json.dumps({"data": [trace], "layout": {}})

    assert_finite_figure(spec({"type": "scatter", "x": typed([0.0, 1.0, np.nan, 2.0, 3.0])}))
    bad = [
        {"type": "scatter", "x": typed([0.0, np.inf])},
        {"type": "scatter", "x": [0.0, None, 1.0]},
        {"type": "scatter", "x": typed([np.nan, np.nan])},
        {"type": "contour", "x": typed([1e15, 1e15 + 1.0]), "z": typed([0.0, 1.0])},
        {"type": "scatter", "mode": "lines", "x": [1e300] * 3, "y": [0.0, 1.0, 2.0]},
    ]
    for trace in bad:
        with pytest.raises(AssertionError):
            assert_finite_figure(spec(trace))


def figure(at: AppTest, key: str) -> dict[str, Any]:
    """The figure JSON of the chart with ``key``."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(chart.proto.spec)


def first_numbers(node: Any) -> np.ndarray:
    """The first numeric array in ``node`` as float64."""
    array, _ = next(numbers(node))
    return array.astype(np.float64)


def test_landscape_of_huge_logits_is_drawn_as_moves_from_them() -> None:
    """At logits (1e300, -1e300, 0) the page says the charts are measured from the current
    logits and gives L₀; the plane spans the moves (±6 and the path's 25), and the story
    tells the exact change of the loss and the gap that the relative run computes."""
    at = run_app(view="landscape", logits="1e300,-1e300,0")
    note = " ".join(i.value for i in at.info)
    assert "Measured from the current logits" in note
    assert f"L₀ = {fmt(2e300)}" in note
    plane = figure(at, "landscape_chart")
    x, y = (first_numbers(plane["data"][0][axis]) for axis in ("a", "b"))
    assert x[0] < -6.0 < 25.0 < x[-1]  # true class 1 rises by lr × 50 steps
    assert y[0] < -25.0 < 6.0 < y[-1]  # its rival, class 0, falls as much
    assert plane["data"][0]["colorbar"]["title"]["text"] == "L − L₀"
    run = descend_relative([1e300, -1e300, 0.0], [0.0, 1.0, 0.0], 0.5, 50, free=[1, 1, 0])
    assert f"changed by {fmt_signed(run.losses[-1])} from L₀" in note
    assert run.losses[-1] == pytest.approx(-50.0)


def test_moderate_logits_keep_the_landscape_at_their_own_values() -> None:
    """The huge-logits preset (±1000) is drawn as before: no note, the loss L itself."""
    at = run_app(view="landscape", logits="1000,0,-1000", target="2")
    assert not any("Measured from" in i.value for i in at.info)
    plane = figure(at, "landscape_chart")
    assert plane["data"][0]["colorbar"]["title"]["text"] == "L"
    x = first_numbers(plane["data"][0]["a"])
    assert x[0] <= -1006.0  # class 2's own logit, -1000, less the range of 6


def test_simplex_path_moves_where_the_float_logits_cannot() -> None:
    """At three equal logits of 1e300 descent still heads for the target's corner: the path
    of p leaves the centre of the triangle."""
    at = run_app(view="simplex", logits="1e300,1e300,1e300")
    chart = figure(at, "simplex_chart")
    path = next(
        t for t in chart["data"] if t.get("name") == "descent path" and t.get("xaxis") == "x2"
    )
    # The triangle: class 1 (the true class) at the bottom left, (0, 0); p_1 = 1 - x - y/√3.
    x, y = (first_numbers(path[axis]).astype(float) for axis in ("x", "y"))
    b = 1.0 - x - y / np.sqrt(3.0)
    assert b[0] == pytest.approx(1 / 3, abs=1e-6)
    assert b[-1] > 0.9
    assert "moves Δo from the current logits" in " ".join(c.value for c in at.caption)


def test_why_sweeps_a_huge_logit_by_moves() -> None:
    """The cross-entropy-against-MSE sweep of o_k = -1e300 runs over moves of ±15 and shows
    the confidently wrong push: 1 for cross-entropy, 0 for MSE."""
    at = run_app(view="why", logits="-1e300,0", target="0")
    sweep = figure(at, "ce_mse_chart")
    x = first_numbers(sweep["data"][0]["x"])
    assert (x[0], x[-1]) == (-15.0, 15.0)
    np.testing.assert_array_equal(first_numbers(sweep["data"][0]["y"]), np.ones(x.size))
    assert sweep["layout"]["xaxis"]["title"]["text"].startswith("Δo0")
