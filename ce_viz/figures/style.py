"""The look shared by every figure: the palette, the mode bar, and layout defaults.

Plotly only. The palette, the sign convention and the type sizes live here and only here.
"""

from __future__ import annotations

import binascii
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from ce_viz.fmt import plotly_text, shorten

__all__ = [
    "AXIS_TITLE_CHARS",
    "CLASS_COLOURS",
    "DIVERGING",
    "DIVERGING_CLEAR",
    "FONT_SIZE",
    "FOOT_LEGEND",
    "LABEL_CHARS",
    "LOG_TICKS",
    "MARKER_SCALE",
    "PALETTE",
    "PATH_LEGEND",
    "PLOTLY_CONFIG",
    "PRESENTATION_SCALE",
    "TITLE_SIZE",
    "VIRIDIS",
    "Spec",
    "TypedFigure",
    "arrow",
    "axis",
    "base_layout",
    "category_axis",
    "class_categories",
    "class_xaxis",
    "class_yaxis",
    "figure",
    "for_projector",
    "hline",
    "merge",
    "path_traces",
    "png_uri",
    "short_label",
    "spelled_out",
    "typed_array",
    "vline",
    "with_traces",
]

#: Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
PALETTE = {
    "p": "#0072B2",  # blue
    "y": "#E69F00",  # orange
    "raise": "#0072B2",  # negative gradient: descent raises this logit
    "lower": "#D55E00",  # positive gradient: descent lowers this logit
    "neutral": "#999999",
    "accent": "#009E73",  # bluish green
    "zero": "#F2F2F2",  # the middle of the signed scale: near 0, nearly no colour
    "readout": "#808080",  # grey text that reads on light and dark pages alike
    # p's blue as text: about 4.2:1 on a white page and on a dark one (p's own, 5.2 and 3.5).
    "p_text": "#3A7FC0",
    "y_text": "#A87600",  # y's orange as text: 4.0:1 on white, 4.5:1 dark (y's own, 2.3 on white)
    "lower_text": "#CC5800",  # the same for "lower": 4.2 and 4.5:1 (its own, 3.9:1 on white)
    "clear": "rgba(0,0,0,0)",  # drawn, not seen: hidden tick labels, outline-only bars
    "arrows": "rgba(255,255,255,0.85)",  # the descent field over the filled contours
    # A mark that reads on light and dark pages alike: ink over a white halo.
    "ink": "#000000",
    "halo": "#FFFFFF",
}

#: Shared by every chart: a camera button that saves a slide-sized PNG.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 3, "filename": "ce-viz"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

FONT_SIZE = 16
TITLE_SIZE = 20

#: A class name on a tick or in a legend is cut to this many characters; hovering shows it
#: whole. Fourteen characters at FONT_SIZE fit a class's slot at K = 9 on a 1920-pixel
#: screen, and keep slanted labels short enough to leave the plot its height on a phone.
LABEL_CHARS = 14
#: An axis title that names a logit, "o12 · name", keeps as much of the name as a tick does.
AXIS_TITLE_CHARS = LABEL_CHARS + len("o12 · ")
#: Tick labels too crowded to lie flat slant so that each ends at its tick: the last one
#: stays inside the figure instead of running off its right edge.
TICK_ANGLES = [0, -30, -90]

# --------------------------------------------------------------------------------------
# Figures from plain dicts
#
# A figure is written as the plain dicts of Plotly's JSON (``{"type": "bar", "x": ...}``)
# and wrapped once by ``figure``, which skips graph_objects' per-property validation: that
# validation was about 70 % of a rerun's server time (python -m bench cpu), and every
# builder's output is validated in full by the tests instead (tests/test_figures.py).
# --------------------------------------------------------------------------------------

#: A piece of a figure in Plotly's JSON form: a trace, a layout, an axis, an annotation.
Spec = dict[str, Any]


#: Plotly's default template is about 6 kB of JSON in every figure, and Streamlit's theme
#: replaces it in the browser anyway (the page looks the same without it, light and dark);
#: an empty one saves half the cost of sending a small figure.
NO_TEMPLATE: Spec = {}


#: plotly.js's names for the NumPy types it takes as typed arrays.
_TYPED_ARRAYS = {
    np.dtype(name): short
    for name, short in (
        ("int8", "i1"),
        ("uint8", "u1"),
        ("int16", "i2"),
        ("uint16", "u2"),
        ("int32", "i4"),
        ("uint32", "u4"),
        ("float32", "f4"),
        ("float64", "f8"),
    )
}
#: Keys whose arrays plotly.js wants as plain lists (plotly's own list, ``is_skipped_key``),
#: and the animation controls, which hold no arrays (not walked, so shared objects stay
#: shared).
_PLAIN_KEYS = frozenset({"geojson", "layer", "layers", "range", "sliders", "updatemenus"})


def typed_array(values: np.ndarray) -> Spec | np.ndarray:
    """A NumPy array as plotly.js's typed-array spec, ``{dtype, bdata[, shape]}``.

    The same spec as plotly's own ``to_typed_array_spec`` (which ``Figure.to_dict`` runs on
    every array it sends), without its checks for pandas and narwhals objects: those cost
    about 0.15 ms an array, more than the encoding. int64 goes as the narrowest integer
    type that holds it, as plotly does; a type plotly.js has no typed array for is left as
    it is.

    >>> typed_array(np.array([1.5, 2.0], dtype=np.float32))
    {'dtype': 'f4', 'bdata': 'AADAPwAAAEA='}
    """
    if values.size == 0:
        return values
    if values.dtype == np.int64:
        low, high = int(values.min()), int(values.max())
        for narrow in (np.int8, np.int16, np.int32):
            info = np.iinfo(narrow)
            if info.min <= low and high <= info.max:
                values = values.astype(narrow)
                break
        else:
            return values
    name = _TYPED_ARRAYS.get(values.dtype)
    if name is None:
        return values
    spec: Spec = {"dtype": name, "bdata": _base64_text(np.ascontiguousarray(values))}
    if values.ndim > 1:
        spec["shape"] = str(values.shape)[1:-1]
    return spec


def _base64_text(data: bytes | np.ndarray) -> str:
    """``data``'s bytes in base64 (the standard alphabet, no line breaks), as text."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: its length, its type, its data and their CRC-32."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_uri(pixels: np.ndarray, palette: np.ndarray) -> str:
    """An image of palette indices (rows, columns) with its RGBA ``palette`` (entries, 4;
    at most 256 entries) as a PNG data URI, for a layout image's ``source``: a byte a cell,
    so flat shades compress to a few kB. Row 0 is the image's top.

    Written here by the PNG standard's own recipe (the header, the palette, its opacities
    in a tRNS chunk, and the rows, each after a 0 "no filter" byte, deflated at level 1:
    nearly the size of level 9 on flat shades, several times faster): Pillow's image
    objects cost more than the deflate, for the frames (up to 25) of every training
    (``python -m bench train`` times one frame).

    >>> png_uri(np.zeros((2, 2), dtype=np.uint8), np.zeros((1, 4), dtype=np.uint8))[:22]
    'data:image/png;base64,'
    """
    pixels, palette = np.asarray(pixels), np.asarray(palette)
    if pixels.dtype.kind not in "iu" or palette.dtype.kind not in "iu":
        raise ValueError(
            f"need whole numbers: indices and palette bytes, got {pixels.dtype} and {palette.dtype}"
        )
    if pixels.ndim != 2 or palette.ndim != 2 or palette.shape[1] != 4 or 0 in pixels.shape:
        raise ValueError(
            f"need (rows, columns) indices and an (entries, 4) palette, got "
            f"{pixels.shape} and {palette.shape}"
        )
    if not 1 <= len(palette) <= 256 or int(pixels.min()) < 0 or pixels.max() >= len(palette):
        raise ValueError(
            f"every index must be one of the palette's {len(palette)} entries (at most 256)"
        )
    if int(palette.min()) < 0 or int(palette.max()) > 255:
        raise ValueError("the palette's red, green, blue and opacity must be bytes, 0 to 255")
    palette = palette.astype(np.uint8)
    rows, columns = pixels.shape
    lines = np.zeros((rows, columns + 1), dtype=np.uint8)  # column 0: filter type 0
    lines[:, 1:] = pixels
    png = b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            # Width, height, 8 bits an index, colour type 3 (palette), deflate, no
            # filters beyond each row's own byte, not interlaced.
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", columns, rows, 8, 3, 0, 0, 0)),
            _png_chunk(b"PLTE", palette[:, :3].tobytes()),
            _png_chunk(b"tRNS", palette[:, 3].tobytes()),
            _png_chunk(b"IDAT", zlib.compress(lines.tobytes(), 1)),
            _png_chunk(b"IEND", b""),
        )
    )
    return "data:image/png;base64," + _base64_text(png)


def _typed_arrays(value: Any) -> Any:
    """``value`` with every NumPy array in it (through dicts and lists) a typed array."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, dict):
        return {
            key: item if key in _PLAIN_KEYS else _typed_arrays(item) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_typed_arrays(item) for item in value]
    return value


class TypedFigure(go.Figure):
    """A ``go.Figure`` as :func:`figure` builds it: its arrays already typed arrays, and its
    traces, layout and frames kept as the plain dicts they were written as until something
    asks for Plotly's objects.

    Sending a figure needs only its dicts (Streamlit calls ``to_dict``). Plotly's own
    ``__init__`` builds an object for every trace and copies the whole spec even
    unvalidated: about a tenth of the landscape view's rerun (py-spy). So it runs only when
    an attribute Plotly keeps (``.data``, ``.layout``, ``update_layout`` ...) is first read;
    then the figure is an ordinary ``go.Figure``.

    ``to_dict`` copies the dicts as Plotly's does, but skips Plotly's search of every value
    for NumPy arrays to encode (``convert_to_base64``), which finds nothing here. An array
    put in later by Plotly's API is still sent right: as a list, by Plotly's JSON encoder.

    The frames become ``go.Frame`` objects only when something asks for them (``.frames``):
    at about 40 µs a frame even unvalidated, building 26 of them was a fifth of the
    landscape view's rerun.

    >>> fig = TypedFigure({"data": [{"type": "bar", "y": [1]}], "layout": {}})
    >>> fig.to_dict()["data"], fig.data[0].type
    ([{'type': 'bar', 'y': [1]}], 'bar')
    """

    def __init__(self, spec: Spec, frames: Sequence[Spec] = ()) -> None:
        self.__dict__.update(
            _spec=spec, _pending_frames=tuple(frames), _built_frames=(), _lazy=True
        )

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup fails: on a figure not yet built, any of
        # Plotly's attributes. Build it, then look again.
        state = self.__dict__
        if not state.get("_lazy"):
            raise AttributeError(name)
        state["_lazy"] = False
        pending = state["_pending_frames"]
        go.Figure.__init__(self, state["_spec"], _validate=False)
        state["_pending_frames"], state["_built_frames"] = pending, ()
        return getattr(self, name)

    @property
    def _frame_objs(self) -> tuple[go.Frame, ...]:
        pending = self.__dict__.get("_pending_frames")
        if pending:
            self.__dict__["_built_frames"] = tuple(
                go.Frame(frame, _validate=False) for frame in pending
            )
            self.__dict__["_pending_frames"] = ()
        return self.__dict__.get("_built_frames", ())

    @_frame_objs.setter
    def _frame_objs(self, frames: tuple[go.Frame, ...]) -> None:
        self.__dict__["_pending_frames"] = ()
        self.__dict__["_built_frames"] = tuple(frames)

    def to_dict(self) -> dict[str, Any]:
        state = self.__dict__
        if state.get("_lazy"):
            data, layout = state["_spec"]["data"], state["_spec"]["layout"]
        else:
            data, layout = self._data, self._layout
        spec: dict[str, Any] = {"data": _copied(data), "layout": _copied(layout)}
        pending = state.get("_pending_frames")
        frames = list(pending) if pending else [frame._props for frame in self._frame_objs]
        if frames:
            spec["frames"] = _copied(frames)
        return spec


def _copied(value: Any) -> Any:
    """``value`` with every dict and list in it copied, its leaves (numbers, strings, typed
    arrays' text) shared: what ``deepcopy`` gives a JSON-like spec, at a third of the cost
    (a cached figure is sent on every rerun; 25 frames of images made ``deepcopy`` a tenth
    of the training view's rerun, py-spy)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def figure(data: Sequence[Spec], layout: Spec, frames: Sequence[Spec] = ()) -> go.Figure:
    """A ``go.Figure`` of plain-dict traces, layout and frames, taken as they are, with
    every NumPy array already a typed array (see :func:`typed_array`).

    >>> fig = figure([{"type": "bar", "y": [1, 2]}], {"title": {"text": "t"}})
    >>> fig.data[0].type, fig.layout.title.text
    ('bar', 't')
    """
    data, layout, frames = _typed_arrays([list(data), layout, list(frames)])
    spec: Spec = {"data": data, "layout": {"template": NO_TEMPLATE, **layout}}
    # graph_objects validates frames in full even when the figure skips validation (a
    # quarter of the landscape view's rerun): kept as dicts instead (TypedFigure).
    return TypedFigure(spec, frames)


def with_traces(fig: go.Figure, traces: Sequence[Spec]) -> go.Figure:
    """A new figure: ``fig``'s traces, layout and frames (copied, so a cached figure is
    never changed) with ``traces`` drawn over them. Frames name the traces they move by
    index, so the new ones stay as they are through an animation.

    >>> fig = with_traces(figure([{"type": "bar", "y": [1]}], {}), [{"type": "bar"}])
    >>> [t["type"] for t in fig.to_dict()["data"]]
    ['bar', 'bar']
    """
    added = _typed_arrays(list(traces))
    state = fig.__dict__
    if isinstance(fig, TypedFigure) and state.get("_lazy"):
        # Its parts shared, not copied: the new figure's to_dict copies them, as every
        # TypedFigure's does, before anything can change them (on a cached figure with 25
        # frames, a copy here was a millisecond of every rerun).
        spec = state["_spec"]
        data = [*spec["data"], *added]
        return TypedFigure({"data": data, "layout": spec["layout"]}, state["_pending_frames"])
    spec = fig.to_dict()
    return TypedFigure(
        {"data": spec["data"] + added, "layout": spec["layout"]}, spec.get("frames", ())
    )


def merge(base: Mapping[str, Any], *more: Mapping[str, Any]) -> Spec:
    """A new dict: ``base`` with each of ``more`` merged in, nested dicts merged too.

    >>> merge({"font": {"size": 16}, "height": 400}, {"font": {"color": "red"}})
    {'font': {'size': 16, 'color': 'red'}, 'height': 400}
    """
    out = dict(base)
    for extra in more:
        for key, value in extra.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
    return out


def axis(**settings: Any) -> Spec:
    """An axis with the shared type sizes (the Streamlit theme would shrink them otherwise).

    >>> axis(title={"text": "p"})["title"]
    {'font': {'size': 16}, 'text': 'p'}
    """
    return merge(
        {"tickfont": {"size": FONT_SIZE}, "title": {"font": {"size": FONT_SIZE}}}, settings
    )


#: A log axis labelled at the powers of ten only, as plain numbers (0.0001, 0.1, 10): no
#: crowded minor labels, no SI prefixes such as "100µ".
LOG_TICKS: Spec = {"type": "log", "dtick": 1, "tickformat": "~g"}

#: The legend at the foot of the figure, below the x axis's labels and title: placed
#: against the figure, it keeps its own strip, and slanted tick labels take the room above.
FOOT_LEGEND: Spec = {"yref": "container", "y": 0.0, "yanchor": "bottom"}


#: The title hangs below the strip where the mode bar appears (26 px from the top, across
#: the right of the chart, and on a phone across most of its width: a tap shows it), and
#: pushes the plot down if it needs more room (a projector's larger type).
TITLE_BELOW_MODE_BAR: Spec = {
    "yref": "container",
    "y": 1.0,
    "yanchor": "top",
    "pad": {"t": 34},
    "automargin": True,
}


def base_layout(title: str, height: int = 480, uirevision: str = "keep", **more: Any) -> Spec:
    """The shared layout, type large enough to read when projected, with ``more`` merged.

    >>> layout = base_layout("p", 300, yaxis=axis(range=[0, 1]))
    >>> layout["height"], layout["yaxis"]["range"], layout["xaxis"]["tickfont"]
    (300, [0, 1], {'size': 16})
    """
    return merge(
        {
            "title": {
                "text": title,
                "font": {"size": TITLE_SIZE},
                "x": 0.0,
                "xanchor": "left",
                **TITLE_BELOW_MODE_BAR,
            },
            "font": {"size": FONT_SIZE},
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 72, "b": 40},
            "legend": {
                "orientation": "h",
                "yanchor": "top",
                "y": -0.12,
                "xanchor": "left",
                "x": 0.0,
                "font": {"size": FONT_SIZE},
            },
            "hoverlabel": {"font": {"size": FONT_SIZE}},
            "uirevision": uirevision,
            "xaxis": axis(),
            "yaxis": axis(),
        },
        more,
    )


def class_xaxis(names: Sequence[str], k: int | None) -> Spec:
    """An x axis of the classes at 0..K-1, the true class starred.

    The positions are integers, so names that shorten alike still get a slot each; the
    traces carry the whole names for their hover.

    >>> class_xaxis(["a", "b"], 1)["ticktext"]
    ['a', 'b ★']
    """
    return axis(
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=[short_label(n) + (" ★" if i == k else "") for i, n in enumerate(names)],
        range=[-0.6, len(names) - 0.4],
        autotickangles=TICK_ANGLES,
        automargin=True,
    )


def class_yaxis(names: Sequence[str], k: int | None) -> Spec:
    """A y axis of the classes at 0..K-1 for lying bars, the first class on top and the
    true class starred; the names lie level, so they are never slanted or crowded.

    >>> ax = class_yaxis(["a", "b"], 0)
    >>> ax["ticktext"], ax["range"]
    (['a ★', 'b'], [1.5, -0.5])
    """
    return merge(class_xaxis(names, k), {"range": [len(names) - 0.5, -0.5], "autotickangles": [0]})


def arrow(
    tail: tuple[float, float],
    head: tuple[float, float],
    colour: str,
    width: float = 3,
    size: float = 1.0,
) -> Spec:
    """An annotation that draws an arrow from ``tail`` to ``head`` in data coordinates."""
    return {
        "x": head[0],
        "y": head[1],
        "ax": tail[0],
        "ay": tail[1],
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": size,
        "arrowwidth": width,
        "arrowcolor": colour,
        "text": "",
    }


def hline(y: float, line: Spec) -> Spec:
    """A horizontal line across the plot at ``y``, as ``go.Figure.add_hline`` draws it."""
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": line,
    }


def short_label(name: str, limit: int = LABEL_CHARS) -> str:
    """A class name for a tick label or a legend: at most ``limit`` characters, then
    escaped for Plotly, so a long name cannot crowd the plot out.

    >>> short_label("<b>golden_retriever_puppy</b>")
    '&lt;b&gt;golden_ret…'
    """
    return plotly_text(shorten(name, limit))


def class_categories(names: Sequence[str]) -> list[str]:
    """The classes as a heatmap's categories: the whole names, escaped for Plotly.

    Class names are distinct, so these are too, even where two names shorten alike on
    the axis; the hover, which shows the category, names the class in full.

    >>> class_categories(["cat", "<b>"])
    ['cat', '&lt;b&gt;']
    """
    return [plotly_text(n) for n in names]


#: The most class labels one axis shows; with more classes every n-th is labelled.
MAX_CLASS_TICKS = 25


#: A descent path: a white line over a black casing, which stand out on every colour of the
#: Viridis scale. The legend's sample is the casing with a white square on it (markers too
#: small to see on the plot, drawn at legend size), so it reads on light and dark pages.
PATH_CASING = {"color": "#000000", "width": 6}
PATH_LINE = {"color": "#ffffff", "width": 3}
#: Merged into the legend of a figure with a path: symbols at legend size, not plot size.
PATH_LEGEND: Spec = {"itemsizing": "constant"}
PATH_LEGEND_MARKER = {"symbol": "square", "size": 1, "color": "#ffffff", "line": {"width": 0}}


def spelled_out(colours: Sequence[str]) -> list[list[float | str]]:
    """A named colour scale's stops as graph_objects' validation spells them out (the
    figures skip that validation, and plotly.js knows some names by other stops or not at
    all): the same scale goes to the browser as before.

    >>> spelled_out(["#000", "#888", "#fff"])
    [[0.0, '#000'], [0.5, '#888'], [1.0, '#fff']]
    """
    return [[i / (len(colours) - 1), colour] for i, colour in enumerate(colours)]


#: The signed scale of every heatmap, centred on 0: negative blue, positive orange, the
#: same meaning as the gradient bars (PALETTE's "raise" and "lower"), colour-blind safe.
DIVERGING = [[0.0, PALETTE["raise"]], [0.5, PALETTE["zero"]], [1.0, PALETTE["lower"]]]


def _clear(colour: str) -> str:
    """A "#rrggbb" colour made fully transparent."""
    return f"rgba({int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},0)"


#: The same two colours fading to clear at 0, for images with no numbers on them: near
#: zero they are the page, white or dark, not a white block glaring from a dark page; each
#: side fades in its own colour (towards a clear grey, a dark page saw grey mid-tones).
DIVERGING_CLEAR = [
    [0.0, PALETTE["raise"]],
    [0.5, _clear(PALETTE["raise"])],
    [0.5, _clear(PALETTE["lower"])],
    [1.0, PALETTE["lower"]],
]
#: The loss over the simplex: "Viridis".
VIRIDIS = spelled_out(plotly.colors.sequential.Viridis)
#: A qualitative sequence for one line per class (Okabe–Ito).
CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def category_axis(names: Sequence[str], slant: bool = True, **more: object) -> Spec:
    """A heatmap's class axis, drawn against :func:`class_categories`, labelled with the
    short names: every one of up to ``MAX_CLASS_TICKS`` classes, every n-th of more (the
    hover names each cell's class). ``slant``: the tick labels slant when crowded, as an x
    axis's do.

    >>> ax = category_axis(["cat", "dog"], slant=False, title={"text": "p"})
    >>> ax["type"], ax["tickvals"], ax["title"]
    ('category', ['cat', 'dog'], {'font': {'size': 16}, 'text': 'p'})
    """
    step = -(-len(names) // MAX_CLASS_TICKS)
    ticks: Spec = {
        "type": "category",
        "tickmode": "array",
        "tickvals": class_categories(names)[::step],
        "ticktext": [short_label(n) for n in names[::step]],
        "automargin": True,
    }
    if slant:
        ticks["autotickangles"] = TICK_ANGLES
    return axis(**ticks, **more)


def vline(x: float, line: Spec) -> Spec:
    """A vertical line up the plot at ``x``, as ``go.Figure.addvline`` draws it."""
    return {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
        "line": line,
    }


def path_traces(
    trace: str,
    hovertemplate: str | None = None,
    customdata: object = None,
    **coords: object,
) -> list[Spec]:
    """A descent path through ``coords`` (x/y, or a/b/c for ``trace`` "scatterternary"):
    a casing and a white line under one legend entry, "descent path"; the hover, if any,
    belongs to the white line. The layout must also set
    ``legend`` to include ``PATH_LEGEND``, so that the casing's marker shows in the legend.
    """
    common = {"type": trace, "name": "descent path", "legendgroup": "path", **coords}
    line: Spec = {
        **common,
        "mode": "lines",
        "line": PATH_LINE,
        "showlegend": False,
        **({"hoverinfo": "skip"} if hovertemplate is None else {"hovertemplate": hovertemplate}),
    }
    if customdata is not None:
        line["customdata"] = customdata
    casing = {
        **common,
        "mode": "lines+markers",
        "line": PATH_CASING,
        "marker": PATH_LEGEND_MARKER,
        "hoverinfo": "skip",
    }
    return [casing, line]


#: How much larger type and charts are in presentation mode: the page's own text grows 2x
#: (``views/present.css``); chart type, set in px, grows to about the same size as it.
PRESENTATION_SCALE = 1.75
#: How much larger markers are in presentation mode: their area grows with the type's
#: scale, their diameter by its square root (at 1.75x a training's 200 points, up to 17 px
#: each, covered the regions they sit in; at desk size a 5 px dot was lost from a hall).
MARKER_SCALE = PRESENTATION_SCALE**0.5


def for_projector(fig: go.Figure, max_height: int = 820) -> go.Figure:
    """The figure with every font scaled for the back of a lecture hall, and taller.

    Every 2-D, ternary and 3-D axis, the title, the legend, the hover labels, colour bars,
    trace text and the annotations grow by ``PRESENTATION_SCALE``; so does the height, up to
    ``max_height`` (a 1080-pixel screen less the tabs above the chart). The figure is
    rebuilt from its dicts, as :func:`figure` does.

    >>> fig = for_projector(figure([], base_layout("p", 400)))
    >>> fig.layout.height, fig.layout.font.size, fig.layout.xaxis.tickfont.size
    (700, 28, 28)
    """
    big = round(FONT_SIZE * PRESENTATION_SCALE)
    sized = {"font": {"size": big}}
    spec = fig.to_dict()
    layout = merge(
        spec.get("layout", {}),
        {
            "font": {"size": big},
            "title": {"font": {"size": round(TITLE_SIZE * PRESENTATION_SCALE)}},
            "legend": sized,
            "hoverlabel": sized,
        },
    )
    if "height" in layout:
        _projected_height(layout, max_height)
    axis_font = {"tickfont": {"size": big}, "title": sized}
    for key, value in list(layout.items()):
        if key.startswith(("xaxis", "yaxis")):
            layout[key] = merge(value, axis_font)
        elif key.startswith(("ternary", "scene")):
            layout[key] = {
                name: merge(part, axis_font) if name.endswith("axis") else part
                for name, part in value.items()
            }
    if "annotations" in layout:
        layout["annotations"] = [merge(a, sized) for a in layout["annotations"]]
    # The animation's buttons and its step readout, read from the back as well.
    if "updatemenus" in layout:
        layout["updatemenus"] = [merge(menu, sized) for menu in layout["updatemenus"]]
    if "sliders" in layout:
        layout["sliders"] = [merge(s, sized, {"currentvalue": sized}) for s in layout["sliders"]]
    data = [_projected_trace(trace, big) for trace in spec.get("data", [])]
    frames = [
        {**frame, "data": [_projected_marker(trace) for trace in frame["data"]]}
        if "data" in frame
        else frame
        for frame in spec.get("frames", ())
    ]
    return figure(data, layout, frames)


def _projected_height(layout: Spec, max_height: int) -> None:
    """Scale ``layout``'s height in place by ``PRESENTATION_SCALE``, up to ``max_height``.

    Play controls under the plot (``updatemenus``, ``sliders``) are placed in fractions of
    the plot area's height, in the bottom margin with the axis title and the legend: all
    of them grow with the type, so that margin grows by the same scale (and the figure by
    as much beyond ``max_height``, so that the plot keeps its size), and each control's
    offset below the plot scales too, as does a legend placed under the plot in its
    fractions. Without this the larger buttons sat on the x axis's title and the slider on
    the legend."""
    height = layout["height"]
    margin = layout.get("margin", {})
    scaled = round(height * PRESENTATION_SCALE)
    controls = [*layout.get("updatemenus", ()), *layout.get("sliders", ())]
    if not controls or "b" not in margin:
        layout["height"] = min(scaled, max_height)
        return
    top, bottom = margin.get("t", 0), margin["b"]
    grown = round(bottom * PRESENTATION_SCALE)
    layout["height"] = min(scaled, max_height + grown - bottom)
    layout["margin"] = {**margin, "b": grown}
    stretch = PRESENTATION_SCALE * (height - top - bottom) / (layout["height"] - top - grown)
    for key in ("updatemenus", "sliders"):
        if key in layout:
            layout[key] = [{**c, "y": c["y"] * stretch} if "y" in c else c for c in layout[key]]
    legend = layout.get("legend", {})
    if legend.get("yref", "paper") == "paper" and legend.get("y", 0) < 0:  # under the plot
        layout["legend"] = {**legend, "y": legend["y"] * stretch}


def _projected_trace(trace: Spec, big: int) -> Spec:
    """A trace's own type (colour bar, text in bars and cells) at the projector's size."""
    if "colorbar" in trace:
        trace = merge(
            trace, {"colorbar": {"tickfont": {"size": big}, "title": {"font": {"size": big}}}}
        )
    size = trace.get("textfont", {}).get("size")
    if isinstance(size, (int, float)):
        trace = merge(trace, {"textfont": {"size": round(size * PRESENTATION_SCALE)}})
    return _projected_marker(trace)


def _projected_marker(trace: Spec) -> Spec:
    """A trace (or an animation frame's part of one) with its markers ``MARKER_SCALE``
    times as wide: one size, or one per point as a list or a typed array."""
    size = trace.get("marker", {}).get("size")
    if size is None:
        return trace
    if isinstance(size, (int, float)):
        scaled: Any = size * MARKER_SCALE
    elif isinstance(size, dict):  # a typed array: its numbers scaled, as float32
        values = np.frombuffer(binascii.a2b_base64(size["bdata"]), dtype=size["dtype"])
        if "shape" in size:
            values = values.reshape([int(n) for n in str(size["shape"]).split(",")])
        scaled = typed_array((values * MARKER_SCALE).astype(np.float32))
    else:
        scaled = np.asarray(size, dtype=np.float64) * MARKER_SCALE
    return {**trace, "marker": {**trace["marker"], "size": scaled}}


def play_controls(
    labels: Sequence[str],
    plot_height: int,
    below: tuple[int, int],
    *,
    redraw: bool = False,
    start: int = 0,
    frame_ms: int = 100,
) -> Spec:
    """Play and pause buttons and a step slider for frames named ``labels``: the layout's
    ``updatemenus`` and ``sliders``, the buttons ``below[0]`` and the slider ``below[1]``
    pixels under a plot area ``plot_height`` pixels tall (the figure's height less its top
    and bottom margins). The slider starts at ``labels[start]``; frames last ``frame_ms``.

    ``redraw`` only for what Plotly cannot move without one (a 3-D scene's markers, an
    image): a redraw clears and rebuilds filled contours, so a 2-D plot with contours is
    never redrawn; Plotly then moves just the traces each frame lists. A redrawn frame has
    no transition: with one, an image left the plot for the whole of Play.

    The buttons sit on a row of their own above the slider, the slider's readout at that
    row's right end: on a phone the buttons used to cover the readout.

    >>> controls = play_controls(["0", "1"], 400, (90, 130), start=1)
    >>> menu, slider = controls["updatemenus"][0], controls["sliders"][0]
    >>> slider["active"], [b["label"] for b in menu["buttons"]]
    (1, ['▶ Play', '❚❚ Pause'])
    """
    still = {"duration": 0}
    play = {"frame": {"duration": frame_ms, "redraw": redraw}, "fromcurrent": True}
    play["transition"] = still
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    # One options object for every step: a copy of the figure copies it once, not per step.
    jump: Spec = {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw}}
    if redraw:
        jump["transition"] = still
    buttons = [
        {"label": "▶ Play", "method": "animate", "args": [None, play]},
        {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
    ]
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -below[0] / plot_height,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 10},
                "showactive": False,
                "buttons": buttons,
            }
        ],
        "sliders": [
            {
                "active": start,
                "x": 0.0,
                "len": 1.0,
                "y": -below[1] / plot_height,
                "yanchor": "top",
                # Grey reads on light and dark pages; at the right end it clears the buttons.
                "currentvalue": {
                    "prefix": "step ",
                    "xanchor": "right",
                    "font": {"size": FONT_SIZE, "color": PALETTE["readout"]},
                },
                "pad": {"t": 0, "b": 0, "l": 0, "r": 0},
                # Up to 26 positions: the tick labels would overlap, the readout says it.
                "ticklen": 0,
                "font": {"color": PALETTE["clear"]},
                "steps": [
                    {"label": label, "method": "animate", "args": [[label], jump]}
                    for label in labels
                ],
            }
        ],
    }
