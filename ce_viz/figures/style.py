"""The look shared by every figure: the palette, the mode bar, and layout defaults.

Plotly only. The palette, the sign convention and the type sizes live here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from ce_viz.fmt import plotly_text, shorten

__all__ = [
    "AXIS_TITLE_CHARS",
    "FONT_SIZE",
    "FOOT_LEGEND",
    "LABEL_CHARS",
    "PALETTE",
    "PLOTLY_CONFIG",
    "PRESENTATION_SCALE",
    "TITLE_SIZE",
    "Spec",
    "add_arrow",
    "add_path",
    "apply_layout",
    "arrow",
    "axis",
    "base_layout",
    "class_axis",
    "class_categories",
    "class_xaxis",
    "figure",
    "for_projector",
    "hline",
    "label_categories",
    "legend_at_foot",
    "merge",
    "short_label",
    "x_title",
]

#: Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
PALETTE = {
    "p": "#0072B2",  # blue
    "y": "#E69F00",  # orange
    "raise": "#0072B2",  # negative gradient: descent raises this logit
    "lower": "#D55E00",  # positive gradient: descent lowers this logit
    "neutral": "#999999",
    "accent": "#009E73",  # bluish green
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


def figure(data: Sequence[Spec], layout: Spec, frames: Sequence[Spec] = ()) -> go.Figure:
    """A ``go.Figure`` of plain-dict traces, layout and frames, taken as they are.

    >>> fig = figure([{"type": "bar", "y": [1, 2]}], {"title": {"text": "t"}})
    >>> fig.data[0].type, fig.layout.title.text
    ('bar', 't')
    """
    spec: Spec = {"data": list(data), "layout": layout}
    if frames:
        spec["frames"] = list(frames)
    return go.Figure(spec, _validate=False)


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


#: The legend at the foot of the figure, below the x axis's labels and title: placed
#: against the figure, it keeps its own strip, and slanted tick labels take the room above.
FOOT_LEGEND: Spec = {"yref": "container", "y": 0.0, "yanchor": "bottom"}


def base_layout(title: str, height: int = 480, uirevision: str = "keep", **more: Any) -> Spec:
    """The shared layout, type large enough to read when projected, with ``more`` merged.

    >>> layout = base_layout("p", 300, yaxis=axis(range=[0, 1]))
    >>> layout["height"], layout["yaxis"]["range"], layout["xaxis"]["tickfont"]
    (300, [0, 1], {'size': 16})
    """
    return merge(
        {
            "title": {"text": title, "font": {"size": TITLE_SIZE}, "x": 0.0, "xanchor": "left"},
            "font": {"size": FONT_SIZE},
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
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
    """An x axis of the classes at 0..K-1, the true class starred (see :func:`class_axis`).

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


def apply_layout(
    fig: go.Figure, title: str, height: int = 480, uirevision: str = "keep"
) -> go.Figure:
    """Apply the shared layout: type large enough to read when projected."""
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}, "x": 0.0, "xanchor": "left"},
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0.0},
        hoverlabel={"font": {"size": FONT_SIZE}},
        uirevision=uirevision,
    )
    # Set on the axes too: the Streamlit theme would otherwise shrink the tick labels.
    axis_font = {"tickfont": {"size": FONT_SIZE}, "title": {"font": {"size": FONT_SIZE}}}
    fig.update_xaxes(**axis_font)
    fig.update_yaxes(**axis_font)
    fig.update_layout(legend_font_size=FONT_SIZE)
    return fig


def class_axis(fig: go.Figure, names: Sequence[str], k: int | None) -> None:
    """Classes on the x axis at 0..K-1, the true class marked with a star.

    The positions are integers, so names that shorten alike still get a slot each; the
    traces carry the whole names for their hover. The legend sits at the foot of the
    figure, below however much room slanted tick labels take.
    """
    labels = [short_label(n) + (" ★" if i == k else "") for i, n in enumerate(names)]
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=labels,
        range=[-0.6, len(names) - 0.4],
        title_text=None,
        autotickangles=TICK_ANGLES,
    )
    legend_at_foot(fig)


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


def label_categories(fig: go.Figure, names: Sequence[str], axes: str = "x") -> None:
    """Label a heatmap's class axes (``"x"``, ``"y"`` or ``"xy"``), drawn against
    :func:`class_categories`, with the short names: every one of up to
    ``MAX_CLASS_TICKS`` classes, every n-th of more (the hover names each cell's class)."""
    step = -(-len(names) // MAX_CLASS_TICKS)
    ticks = {
        "type": "category",
        "tickmode": "array",
        "tickvals": class_categories(names)[::step],
        "ticktext": [short_label(n) for n in names[::step]],
        "automargin": True,
    }
    if "x" in axes:
        fig.update_xaxes(**ticks, autotickangles=TICK_ANGLES)
    if "y" in axes:
        fig.update_yaxes(**ticks)


def legend_at_foot(fig: go.Figure) -> go.Figure:
    """Put the legend at the foot of the figure, below the x axis's labels and title.

    Placed against the figure, not the plot, the legend keeps its own strip of the margin,
    and the axis's labels, however many lines or however slanted, take the room above it.
    """
    fig.update_xaxes(automargin=True)
    fig.update_layout(legend={"yref": "container", "y": 0.0, "yanchor": "bottom"})
    return fig


def x_title(fig: go.Figure, text: str, **axis: object) -> go.Figure:
    """Title the x axis, with the legend at the foot of the figure, clear of the title."""
    fig.update_xaxes(title_text=text, **axis)
    return legend_at_foot(fig)


def add_arrow(
    fig: go.Figure,
    tail: tuple[float, float],
    head: tuple[float, float],
    colour: str,
    width: float = 3,
    size: float = 1.0,
) -> go.Figure:
    """An arrow from ``tail`` to ``head`` in data coordinates: drawn to the axes' scale."""
    fig.add_annotation(
        x=head[0],
        y=head[1],
        ax=tail[0],
        ay=tail[1],
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        showarrow=True,
        arrowhead=2,
        arrowsize=size,
        arrowwidth=width,
        arrowcolor=colour,
        text="",
    )
    return fig


#: A descent path: a white line over a black casing, which stand out on every colour of the
#: Viridis scale. The legend's sample is the casing with a white square on it (markers too
#: small to see on the plot, drawn at legend size), so it reads on light and dark pages.
PATH_CASING = {"color": "#000000", "width": 6}
PATH_LINE = {"color": "#ffffff", "width": 3}
PATH_LEGEND_MARKER = {"symbol": "square", "size": 1, "color": "#ffffff", "line": {"width": 0}}


def add_path(
    fig: go.Figure,
    trace: type[go.Scatter] | type[go.Scatterternary],
    hovertemplate: str | None = None,
    customdata: object = None,
    **coords: object,
) -> go.Figure:
    """Draw a descent path through ``coords`` (x/y, or a/b/c for a ternary trace) as one
    legend entry, "descent path"; the hover, if any, belongs to the white line. The legend
    draws its symbols at a constant size, so the casing's marker shows there."""
    common = {"name": "descent path", "legendgroup": "path", **coords}
    fig.add_trace(
        trace(
            mode="lines+markers",
            line=PATH_CASING,
            marker=PATH_LEGEND_MARKER,
            hoverinfo="skip",
            **common,
        )
    )
    hover = {"hoverinfo": "skip"} if hovertemplate is None else {"hovertemplate": hovertemplate}
    fig.add_trace(
        trace(
            mode="lines",
            line=PATH_LINE,
            showlegend=False,
            customdata=customdata,
            **hover,
            **common,
        )
    )
    fig.update_layout(legend_itemsizing="constant")
    return fig


#: How much larger type is in presentation mode.
PRESENTATION_SCALE = 1.4


def for_projector(fig: go.Figure) -> go.Figure:
    """The figure with every font scaled for the back of a lecture hall.

    Every 2-D axis, the title, the legend, the hover labels and the annotations grow by
    ``PRESENTATION_SCALE``; the figure is rebuilt from its dicts, as :func:`figure` does.
    """
    big = round(FONT_SIZE * PRESENTATION_SCALE)
    spec = fig.to_dict()
    layout = spec.get("layout", {})
    sized = {"font": {"size": big}}
    layout = merge(
        layout,
        {
            "font": {"size": big},
            "title": {"font": {"size": round(TITLE_SIZE * PRESENTATION_SCALE)}},
            "legend": sized,
            "hoverlabel": sized,
        },
    )
    for key in list(layout):
        if key.startswith(("xaxis", "yaxis")):
            layout[key] = merge(layout[key], {"tickfont": {"size": big}, "title": sized})
    if "annotations" in layout:
        layout["annotations"] = [merge(a, sized) for a in layout["annotations"]]
    return figure(spec.get("data", []), layout, spec.get("frames", ()))
