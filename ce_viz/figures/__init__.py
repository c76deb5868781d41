"""Plotly figure builders: arrays and labels in, ``go.Figure`` out.

No mathematics happens here: every number drawn is passed in, computed by the core.
"""

from ce_viz.figures.batch import calibration_figure, gradient_heatmap, loss_histogram
from ce_viz.figures.landscape import (
    ABSOLUTE_LIMIT,
    LandscapeData,
    SliceData,
    descent_figure,
    draws_absolute,
    landscape_figure,
    slice_figure,
)
from ce_viz.figures.layer import (
    computation_graph_figure,
    digit_gradient_figure,
    digit_image_figure,
    grad_o_name,
    outer_product_figure,
    product_text,
)
from ce_viz.figures.sample import fd_error_figure, gradient_figure, probability_figure
from ce_viz.figures.simplex import simplex_figure
from ce_viz.figures.style import (
    FONT_SIZE,
    PALETTE,
    PLOTLY_CONFIG,
    PRESENTATION_SCALE,
    for_projector,
    with_traces,
)
from ce_viz.figures.theory import (
    ce_vs_mse_figure,
    distillation_figure,
    jacobian_figure,
    smoothing_figure,
    temperature_figure,
    temperature_gradient_figure,
)
from ce_viz.figures.train import (
    REGIONS_HEIGHT,
    REGIONS_PHONE_HEIGHT,
    RegionsData,
    RegionsFrames,
    chosen_point_traces,
    history_figure,
    regions_animation,
    regions_figure,
    weights_figure,
)

__all__ = [
    "ABSOLUTE_LIMIT",
    "FONT_SIZE",
    "PALETTE",
    "PLOTLY_CONFIG",
    "PRESENTATION_SCALE",
    "REGIONS_HEIGHT",
    "REGIONS_PHONE_HEIGHT",
    "LandscapeData",
    "RegionsData",
    "RegionsFrames",
    "SliceData",
    "calibration_figure",
    "ce_vs_mse_figure",
    "chosen_point_traces",
    "computation_graph_figure",
    "descent_figure",
    "digit_gradient_figure",
    "digit_image_figure",
    "distillation_figure",
    "draws_absolute",
    "fd_error_figure",
    "for_projector",
    "grad_o_name",
    "gradient_figure",
    "gradient_heatmap",
    "history_figure",
    "jacobian_figure",
    "landscape_figure",
    "loss_histogram",
    "outer_product_figure",
    "probability_figure",
    "product_text",
    "regions_animation",
    "regions_figure",
    "simplex_figure",
    "slice_figure",
    "smoothing_figure",
    "temperature_figure",
    "temperature_gradient_figure",
    "weights_figure",
    "with_traces",
]
