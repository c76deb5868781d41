"""The figures of one layer back: every number drawn is the one passed in, signed colours
are centred and shared, the true class is marked, the text is readable, the payload small,
and every figure valid in full for Plotly."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from ce_viz.digits import digit_model, evaluate_digit
from ce_viz.figures.layer import (
    computation_graph_figure,
    digit_gradient_figure,
    digit_image_figure,
    grad_o_name,
    outer_product_figure,
    short_vector,
)
from ce_viz.figures.style import DIVERGING, PALETTE
from ce_viz.layer import HiddenWeights, hidden_layer, linear_layer
from tests.plotted import plotted

MINUS = "\u2212"

LINEAR = linear_layer(
    [1.0, 2.0, -0.5], [[1.0, 0.0, 0.5], [0.0, 1.0, -1.0], [0.3, 0.2, 0.1]], [0.0, 0.1, 0.0], y=0
)
HIDDEN = hidden_layer(
    [1.0, -2.0],
    HiddenWeights(
        W1=[[1.0, 0.5], [-1.0, 0.2], [0.3, 0.3]],
        b1=[0.0, 0.0, 0.1],
        W2=[[1.0, 0.0, 0.5], [0.0, 1.0, -1.0]],
        b2=[0.0, 0.0],
    ),
    y=1,
)


def _wrong_digit() -> int:
    return int(digit_model().wrong()[0])


def _numbers(text: str) -> list[float]:
    """The decimal numbers written in ``text`` (Unicode minus read as a sign)."""
    return [float(m) for m in re.findall(r"-?\d+\.\d+", text.replace(MINUS, "-"))]


def _texts(fig: go.Figure) -> list[str]:
    """Every piece of text a reader sees: titles, annotations, tick labels, cell text."""
    spec = fig.to_dict()
    layout = spec["layout"]
    texts = [layout["title"]["text"]]
    texts += [a["text"] for a in layout.get("annotations", [])]
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            texts += list(value.get("ticktext", []))
            texts.append(value.get("title", {}).get("text", ""))
    for trace in spec["data"]:
        text = trace.get("text")
        if isinstance(text, list):
            texts += [t for row in text for t in (row if isinstance(row, list) else [row])]
    return texts


def _fonts(value: object) -> list[float]:
    """Every font size anywhere in a figure's spec."""
    if isinstance(value, dict):
        found = [value["size"]] if "size" in value and isinstance(value["size"], int) else []
        return found + [s for key, v in value.items() if key != "size" for s in _fonts(v)]
    if isinstance(value, list):
        return [s for v in value for s in _fonts(v)]
    return []


def _all_figures() -> list[go.Figure]:
    e = evaluate_digit(_wrong_digit())
    return [
        computation_graph_figure(LINEAR),
        computation_graph_figure(HIDDEN),
        computation_graph_figure(e.layer),
        outer_product_figure(LINEAR.grad_W, LINEAR.grad_o, LINEAR.x, ["cat", "dog", "bird"]),
        digit_image_figure(e.image, e.label, e.predicted),
        digit_gradient_figure(e.grad_images, e.p_minus_y, e.label),
    ]


def test_short_vector_shows_its_first_entries_and_how_many() -> None:
    assert short_vector([0.5, -1.25, 2.0, 3.0, 4.0]) == f"[0.50, {MINUS}1.25, 2.00, …] (5)"
    assert short_vector([0.25, -1.0]) == f"[0.25, {MINUS}1.00]"


def test_graph_nodes_carry_the_forward_values_and_edges_the_gradients() -> None:
    notes = [a["text"] for a in computation_graph_figure(LINEAR).to_dict()["layout"]["annotations"]]
    joined = "\n".join(notes)

    def shown(prefix: str) -> list[float]:
        (note,) = [n for n in notes if n.startswith(prefix)]
        return _numbers(note.split("=")[-1])

    np.testing.assert_allclose(shown("x ="), LINEAR.x, atol=0.005)
    np.testing.assert_allclose(shown("o ="), LINEAR.o, atol=0.005)
    np.testing.assert_allclose(shown("p ="), LINEAR.p, atol=0.005)
    np.testing.assert_allclose(shown("L ="), [LINEAR.loss], atol=5e-5)
    # The gradients, from their own lines on the edges.
    grad_lines = {n.split("<br>")[0]: n for n in notes if n.startswith("↑")}
    dx = next(v for k, v in grad_lines.items() if "∂L/∂x" in k)
    do = next(v for k, v in grad_lines.items() if "∂L/∂o" in k)
    np.testing.assert_allclose(_numbers(dx.split("<br>")[1]), LINEAR.grad_x, atol=0.005)
    np.testing.assert_allclose(_numbers(do.split("<br>")[1]), LINEAR.grad_o, atol=0.005)
    for name in ("W, b", "y", "∂L/∂W", "∂L/∂b", "softmax"):
        assert name in joined


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a "#rrggbb" colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("step", [LINEAR, HIDDEN], ids=["linear", "hidden"])
def test_graph_text_reads_on_light_and_dark_pages(step) -> None:
    """Every colour the graph writes text in (its annotations' fonts and the grey spans of
    the forward steps) is at least 3.9:1 against a white page and against Streamlit's dark
    one: one colour cannot reach 4.5:1 on both, and p's blue was 3.6:1 on the dark page,
    y's orange 2.3:1 on the white one."""
    notes = computation_graph_figure(step).to_dict()["layout"]["annotations"]
    colours = {note["font"]["color"] for note in notes if note["text"].strip()}
    for note in notes:
        colours |= set(re.findall(r"color:(#[0-9A-Fa-f]{6})", note["text"]))
    assert len(colours) >= 4
    for colour in colours:
        for page in ("#FFFFFF", "#0E1117"):
            assert _contrast(colour, page) >= 3.9, (colour, page)


def test_graph_hovers_give_every_entry() -> None:
    notes = computation_graph_figure(LINEAR).to_dict()["layout"]["annotations"]
    hovers = [a["hovertext"] for a in notes if "hovertext" in a]
    np.testing.assert_allclose(_numbers(hovers[0]), LINEAR.x, atol=5e-5)
    by_text = {a["text"].split("<br>")[0]: a.get("hovertext", "") for a in notes}
    (do,) = [h for text, h in by_text.items() if "∂L/∂o" in text]
    np.testing.assert_allclose(_numbers(do), LINEAR.grad_o, atol=5e-5)
    e = evaluate_digit(0)  # 64 inputs: the hover still gives them all
    notes = computation_graph_figure(e.layer).to_dict()["layout"]["annotations"]
    (x,) = [a["hovertext"] for a in notes if a["text"].startswith("x =")]
    np.testing.assert_allclose(_numbers(x), e.layer.x, atol=5e-5)


def test_hidden_graph_shows_the_hidden_error() -> None:
    notes = [a["text"] for a in computation_graph_figure(HIDDEN).to_dict()["layout"]["annotations"]]
    (delta,) = [n for n in notes if n.startswith("↑ δ")]
    np.testing.assert_allclose(_numbers(delta.split("<br>")[1]), HIDDEN.delta, atol=0.005)
    (h,) = [n for n in notes if n.startswith("h =")]
    np.testing.assert_allclose(_numbers(h.split("=")[-1]), HIDDEN.h, atol=0.005)
    assert any("W₂, b₂" in n for n in notes)
    assert any("W₁, b₁" in n for n in notes)


def test_outer_product_draws_the_matrix_centred_with_its_factors_on_the_axes() -> None:
    names = ["cat", "dog", "bird"]
    fig = outer_product_figure(LINEAR.grad_W, LINEAR.grad_o, LINEAR.x, names)
    spec = fig.to_dict()
    (heat,) = spec["data"]
    np.testing.assert_array_equal(plotted(heat["z"]), LINEAR.grad_W)
    assert heat["zmid"] == 0
    assert heat["zmin"] == -heat["zmax"]
    assert heat["zmax"] == pytest.approx(np.abs(LINEAR.grad_W).max())
    assert heat["colorscale"] == DIVERGING
    cells = np.array([[_numbers(t)[0] for t in row] for row in heat["text"]])
    np.testing.assert_allclose(cells, LINEAR.grad_W, atol=0.005)
    rows = spec["layout"]["yaxis"]["ticktext"]
    np.testing.assert_allclose([_numbers(t)[0] for t in rows], LINEAR.grad_o, atol=0.005)
    assert [t.split(":")[0] for t in rows] == names
    columns = spec["layout"]["xaxis"]["ticktext"]
    np.testing.assert_allclose([_numbers(t)[0] for t in columns], LINEAR.x, atol=0.005)


def test_outer_product_leaves_cell_text_out_when_too_many_columns() -> None:
    e = evaluate_digit(0)
    fig = outer_product_figure(e.layer.grad_W, e.p_minus_y, e.layer.x, [str(i) for i in range(10)])
    assert "text" not in fig.to_dict()["data"][0]


def test_digit_image_is_the_image_rows_down_square() -> None:
    e = evaluate_digit(_wrong_digit())
    spec = digit_image_figure(e.image, e.label, e.predicted).to_dict()
    np.testing.assert_array_equal(plotted(spec["data"][0]["z"]), e.image)
    y = spec["layout"]["yaxis"]
    assert y["autorange"] == "reversed"
    assert y["scaleanchor"] == "x"
    title = spec["layout"]["title"]["text"]
    assert f"Digit {e.label}" in title
    assert f"predicted {e.predicted}" in title


def test_digit_gradients_share_one_symmetric_range_and_mark_the_true_class() -> None:
    e = evaluate_digit(_wrong_digit())
    spec = digit_gradient_figure(e.grad_images, e.p_minus_y, e.label).to_dict()
    traces, layout = spec["data"], spec["layout"]
    assert len(traces) == 10
    for j, trace in enumerate(traces):
        np.testing.assert_allclose(plotted(trace["z"]), e.grad_images[j], rtol=1e-6, atol=1e-7)
        assert trace["coloraxis"] == "coloraxis"
        assert "zmin" not in trace
    colours = layout["coloraxis"]
    assert colours["cmin"] == -colours["cmax"]
    assert colours["cmax"] == pytest.approx(np.abs(e.grad_images).max())
    # The signed scale's two ends, fading to clear at 0: a near-zero image is the page.
    scale = colours["colorscale"]
    assert [scale[0], scale[-1]] == [DIVERGING[0], DIVERGING[-1]]
    middle = [colour for at, colour in scale if at == 0.5]
    assert middle
    assert all(c.startswith("rgba(") and c.endswith(",0)") for c in middle)
    titles = [a["text"] for a in layout["annotations"]]
    np.testing.assert_allclose([_numbers(t)[0] for t in titles], e.p_minus_y, atol=0.005)
    starred = [j for j, t in enumerate(titles) if "★" in t]
    assert starred == [e.label]
    # Every image framed (a near-zero one is otherwise only the page), the true class's
    # in y's colour and thicker.
    frames = {shape["xref"]: shape for shape in layout["shapes"]}
    assert len(frames) == len(layout["shapes"]) == 10
    suffix = "" if e.label == 0 else str(e.label + 1)
    thick = [x for x, shape in frames.items() if shape["line"]["color"] == PALETTE["y"]]
    assert thick == [f"x{suffix}"]
    assert frames[f"x{suffix}"]["line"]["width"] > frames["x" if suffix else "x2"]["line"]["width"]
    for j in range(10):  # every image square, rows down
        y = layout["yaxis" if j == 0 else f"yaxis{j + 1}"]
        assert y["autorange"] == "reversed"
        assert y["scaleanchor"] == ("x" if j == 0 else f"x{j + 1}")


def test_text_is_readable_and_has_no_raw_underscores() -> None:
    for fig in _all_figures():
        for text in _texts(fig):
            assert "_" not in text, text
        assert min(_fonts(fig.to_dict())) >= 12


def test_digit_grid_payload_is_small() -> None:
    e = evaluate_digit(_wrong_digit())
    fig = digit_gradient_figure(e.grad_images, e.p_minus_y, e.label)
    assert len(json.dumps(fig.to_dict())) < 200_000
    assert len(fig.to_json()) < 200_000


def test_every_figure_validates_in_full() -> None:
    for fig in _all_figures():
        go.Figure(fig.to_dict())


def test_outer_product_reads_on_a_phone() -> None:
    """Three columns fit a 390-pixel phone: each cell and row label writes its number in
    two fixed decimals, or, where those would read 0.00, in fixed decimals to its first
    significant digit (never 2.32e-03, never a "+0.00" that is not zero); each column
    label is two short lines, and the cells' numbers stand in for a colour bar; with more
    columns the colour bar is back."""
    tiny = linear_layer([1.0, -0.5, 2.0], [[1, 0, 0], [0, 1, 0], [0, 0, -2]], [3, 2, 0], y=1)
    assert tiny.p[2] < 0.005  # a row whose p − y reads 0.00 to two decimals
    spec = outer_product_figure(tiny.grad_W, tiny.grad_o, tiny.x, ["a", "b", "c"]).to_dict()
    (heat,) = spec["data"]
    cells = [t for row in heat["text"] for t in row]
    rows = spec["layout"]["yaxis"]["ticktext"]
    for text in cells + [r.split(": ")[1] for r in rows]:
        assert re.fullmatch(r"[+\u2212](\d+\.\d\d|0\.0\d*[1-9])", text), text
    shown = np.array([_numbers(t)[0] for t in cells])
    np.testing.assert_allclose(shown, tiny.grad_W.ravel(), atol=0.005 + 1e-12)
    small = np.abs(tiny.grad_W.ravel()) < 0.005
    assert small.any()
    assert np.all(shown[small] != 0)  # a small number is not written as zero
    np.testing.assert_allclose(shown[small], tiny.grad_W.ravel()[small], rtol=0.5)
    columns = spec["layout"]["xaxis"]["ticktext"]
    assert all(len(line) <= 6 for c in columns for line in c.split("<br>")), columns
    assert heat["showscale"] is False
    e = evaluate_digit(0)
    wide = outer_product_figure(e.layer.grad_W, e.p_minus_y, e.layer.x, [str(i) for i in range(10)])
    assert wide.to_dict()["data"][0].get("showscale", True) is True


def test_graph_lines_are_short_enough_for_a_phone() -> None:
    """No line on the computation graphs is longer than the widest backward line (the
    ∂L/∂W₂ one): a longer one ran past a phone's screen and was cut off."""
    for step in (LINEAR, HIDDEN):
        notes = computation_graph_figure(step).to_dict()["layout"]["annotations"]
        lines = [re.sub(r"<[^>]+>", "", line) for n in notes for line in n["text"].split("<br>")]
        assert max(len(line) for line in lines) <= len("↑ ∂L/∂W₂ = (p − y) hᵀ, ∂L/∂b₂ = p − y")


def test_digit_grid_at_a_phone_height_leaves_no_gap_between_rows() -> None:
    """At the phone height each image's row is about as tall as the image is wide on a
    390-pixel screen (358 pixels of chart): the square image fills its row, with no band
    of empty space under it (at the wide screen's height each row was twice as tall)."""
    e = evaluate_digit(0)
    layout = digit_gradient_figure(e.grad_images, e.p_minus_y, 0, height=360).to_dict()["layout"]
    margin = layout["margin"]
    plot_height = layout["height"] - margin["t"] - margin["b"]
    plot_width = 358 - margin["l"] - margin["r"]
    for j in range(10):
        suffix = "" if j == 0 else str(j + 1)
        x0, x1 = layout[f"xaxis{suffix}"]["domain"]
        y0, y1 = layout[f"yaxis{suffix}"]["domain"]
        image = (x1 - x0) * plot_width  # square: as tall as it is wide
        assert image <= (y1 - y0) * plot_height <= 1.25 * image


def test_digit_grid_images_are_large_on_a_wide_screen() -> None:
    """On a 1920-pixel screen (a chart about 1,440 pixels wide) each of the ten ∂L/∂W
    images is at least 160 pixels tall, square in a cell that is wider than tall: at a
    500-pixel figure they were 116 pixels, with as much white space again beside each."""
    e = evaluate_digit(0)
    layout = digit_gradient_figure(e.grad_images, e.p_minus_y, 0).to_dict()["layout"]
    margin = layout["margin"]
    plot_height = layout["height"] - margin["t"] - margin["b"]
    plot_width = 1440 - margin["l"] - margin["r"]
    for j in range(10):
        suffix = "" if j == 0 else str(j + 1)
        x0, x1 = layout[f"xaxis{suffix}"]["domain"]
        y0, y1 = layout[f"yaxis{suffix}"]["domain"]
        assert min((x1 - x0) * plot_width, (y1 - y0) * plot_height) >= 160


@pytest.mark.parametrize(
    ("T", "loss", "title", "rows"),
    [
        (1.0, "ce", "∂L/∂W = (p − y) xᵀ", "class: p − y"),
        (2.0, "ce", "∂L/∂W = (p − y) xᵀ/T", "class: (p − y)/T"),
        (2.0, "mse", "∂L/∂W = 2J(p − y) xᵀ", "class: 2J(p − y)"),
    ],
)
def test_outer_product_names_its_factor_once(T: float, loss: str, title: str, rows: str) -> None:
    """The outer product's title and rows' axis name ∂L/∂o's factor as the loss and T have
    it (the rows are (p − y)/T at T ≠ 1), with one pair of brackets: "((p − y)/T) xᵀ" read
    badly, so the /T goes to the end; the graph beside it writes its products the same
    way."""
    step = linear_layer(LINEAR.x, [[1.0, 0.0, 0.5], [0.0, 1.0, -1.0]], [0.0, 0.1], 1, T, loss=loss)
    spec = outer_product_figure(step.grad_W, step.grad_o, step.x, ["a", "b"], grad_o_name(step))
    layout = spec.to_dict()["layout"]
    assert layout["title"]["text"] == title
    assert layout["yaxis"]["title"]["text"] == rows
    graph = computation_graph_figure(step).to_dict()["layout"]["annotations"]
    words = " ".join(a["text"] for a in graph)
    assert ("(p − y)/T" in words) == (loss == "ce" and T != 1)
    assert "((" not in words
    assert ("∂L/∂W = " + title.split(" = ", 1)[1]) in words
