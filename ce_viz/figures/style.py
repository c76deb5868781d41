"""The look shared by every figure: the palette, the mode bar, and layout defaults.

Plotly only. The palette, the sign convention and the type sizes live here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ce_viz.fmt import plotly_text, shorten

__all__ = [
    "AXIS_TITLE_CHARS",
    "FONT_SIZE",
    "LABEL_CHARS",
    "PALETTE",
    "PLOTLY_CONFIG",
    "PRESENTATION_SCALE",
    "TITLE_SIZE",
    "add_arrow",
    "add_path",
    "apply_layout",
    "class_axis",
    "class_categories",
    "for_projector",
    "label_categories",
    "legend_at_foot",
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
    """Scale every font of a finished figure for the back of a lecture hall."""
    big = round(FONT_SIZE * PRESENTATION_SCALE)
    fig.update_layout(
        font_size=big,
        title_font_size=round(TITLE_SIZE * PRESENTATION_SCALE),
        legend_font_size=big,
        hoverlabel_font_size=big,
    )
    fig.update_xaxes(tickfont_size=big, title_font_size=big)
    fig.update_yaxes(tickfont_size=big, title_font_size=big)
    fig.update_annotations(font_size=big)
    return fig
