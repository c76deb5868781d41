"""The look shared by every figure: the palette, the mode bar, and layout defaults.

Plotly only. The palette, the sign convention and the type sizes live here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ce_viz.fmt import plotly_text

__all__ = [
    "FONT_SIZE",
    "PALETTE",
    "PLOTLY_CONFIG",
    "PRESENTATION_SCALE",
    "TITLE_SIZE",
    "add_arrow",
    "add_path",
    "apply_layout",
    "class_axis",
    "for_projector",
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
    """Classes on the x axis at 0..K-1, the true class marked with a star."""
    labels = [plotly_text(n) + (" ★" if i == k else "") for i, n in enumerate(names)]
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=labels,
        range=[-0.6, len(names) - 0.4],
        title_text=None,
    )


def x_title(fig: go.Figure, text: str, **axis: object) -> go.Figure:
    """Title the x axis, and move a legend below the plot further down to clear it."""
    fig.update_xaxes(title_text=text, **axis)
    fig.update_layout(legend_y=-0.28, margin_b=90)
    return fig


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
