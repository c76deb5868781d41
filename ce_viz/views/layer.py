"""The "One layer back" view: from p − y to the weights. A linear layer o = W x + b on a
small sample you can edit (and the same with one hidden layer), and a softmax-regression
model of the 8x8 handwritten digits, one digit's ∂L/∂W drawn as ten images."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ce_viz.digits import DigitEvaluation, digit_model, evaluate_digit
from ce_viz.figures import (
    digit_gradient_figure,
    digit_image_figure,
    gradient_figure,
    probability_figure,
)
from ce_viz.figures.layer import GRID_HEIGHT, GRID_PHONE_HEIGHT
from ce_viz.fmt import (
    escape_markdown,
    fmt,
    named_values,
    tex,
    tex_column,
    tex_matrix,
    tex_slash_t,
    url_number,
)
from ce_viz.layer import (
    EXAMPLE_SEED,
    EXAMPLE_WIDTH,
    LinearPass,
    example_hidden_weights,
    example_weights,
    hidden_layer,
    linear_layer,
)
from ce_viz.state import (
    DEFAULT,
    DIGIT_RANGE,
    LAYER_TABS,
    X_FEATURES,
    X_LIMIT,
    AppState,
    parse_vector,
)
from ce_viz.views import session
from ce_viz.views.common import chart, gradient_link, graph_chart, on_phone, outer_chart

#: The x text box's error field and key.
X_FIELD = "x_text"
DIGIT_NAMES = tuple(str(j) for j in range(10))
#: The x box's and the digit box's width in pixels: room for their label at a projector's
#: type, not a 1,400-pixel bar for three numbers or one index.
BOX_WIDTH = 420
#: On a phone the gallery of wrong digits is a strip two pills high that scrolls sideways
#: (wrapped, its 39 pills took seven rows and pushed the digit off the screen); while more
#: lies to the right its edge fades, as a wide formula's does (page.css's keyframes).
GALLERY_STYLE = (
    "<style>@media (max-width: 640px) {"
    ".st-key-wrong_pick, .st-key-wrong_pick [data-testid='stButtonGroup'] {max-width: 100%}"
    ".st-key-wrong_pick [role='radiogroup'] {display: grid; grid-auto-flow: column; "
    "grid-template-rows: repeat(2, auto); grid-auto-columns: max-content; "
    "justify-content: start; overflow-x: auto; "
    "padding-bottom: 0.25rem; animation: formula-continues linear both; "
    "animation-timeline: scroll(self inline)}}</style>"
)


def render(state: AppState) -> None:
    """Draw the "One layer back" view for ``state``."""
    st.subheader("One layer back")
    sections = {"linear": lambda: _linear(state), "digits": lambda: _digits(state)}
    tabs = st.tabs(list(LAYER_TABS.values()), **session.bound_tabs("layer"))
    for tab, name in zip(tabs, LAYER_TABS, strict=True):
        with tab:
            if tab.open:  # only the open tab is built (layer= in the link names it)
                sections[name]()


def _gradient_link(state: AppState, **sample: object) -> None:
    """The button that opens this panel's logits and target (``sample``: fields of the
    state) in the gradient view; presentation mode goes along, the other views' settings
    do not."""
    shown = replace(DEFAULT, **sample, present=state.present, view="gradient")
    gradient_link(shown, "Open these logits in the gradient view")


# --------------------------------------------------------------------------------------
# A linear layer
# --------------------------------------------------------------------------------------


def _x_box(state: AppState) -> None:
    """The sample x as comma-separated numbers; bad text is named under the box."""
    if session.error(X_FIELD) is None:
        session.seed(X_FIELD, ", ".join(url_number(v) for v in state.x))
    st.text_input(
        f"Sample x ({X_FEATURES} features)",
        key=X_FIELD,
        width=BOX_WIDTH,
        on_change=_on_x,
        help=f"{X_FEATURES} comma-separated numbers, each between −{url_number(X_LIMIT)} "
        f"and {url_number(X_LIMIT)}.",
    )
    message = session.error(X_FIELD)
    if message:
        st.warning(escape_markdown(message), icon=":material/edit:")


def _on_x() -> None:
    parsed = parse_vector(
        session.value(X_FIELD) or "", "x", -X_LIMIT, X_LIMIT, count=X_FEATURES, unit="features"
    )
    session.set_error(X_FIELD, parsed.messages)
    if parsed.ok:
        session.update(x=parsed.value)


def _linear(state: AppState) -> None:
    st.markdown(
        "**Here the logits are not entered by hand: they come from a linear layer** "
        f"$o = Wx + b$. Edit the sample $x$; $W$ and $b$ are fixed (drawn once from seed "
        f"{EXAMPLE_SEED} and rounded to one decimal). The number of classes $K$, the true "
        "class $k$, $T$ and the smoothing are set in the sidebar."
    )
    _x_box(state)
    W, b = example_weights(state.K, X_FEATURES)
    step = linear_layer(state.x, W, b, state.y_vector(), state.T)
    forward, backward = st.columns(2)  # side by side on a wide screen, stacked on a phone
    with forward:
        _linear_forward(state, W, b, step)
    with backward:
        _linear_gradients(state, W, step)
    graph, outer = st.columns([2, 3])
    with graph:
        graph_chart(step, "layer_graph_chart")
    with outer:
        outer_chart(step, state.class_names, "outer_chart")
    _hidden(state)


def _linear_forward(state: AppState, W, b, step: LinearPass) -> None:
    """W, b, x, o and p, and the link that opens o in the gradient view."""
    # One short equation a line, or a row of an aligned block: each fits a phone's width.
    st.latex(rf"W = {tex_matrix(W, None)}")
    st.latex(rf"b = {tex_column(b, None)},\quad x = {tex_column(step.x, None)}")
    st.latex(rf"o = Wx + b = {tex_column(step.o)}")
    over_t = tex_slash_t(state.T)
    st.latex(rf"p = \mathrm{{softmax}}(o{over_t}) = {tex_column(step.p)}")
    _gradient_link(
        state,
        logits=tuple(step.o.tolist()),
        target=state.target,
        y=state.y,
        T=state.T,
        smoothing=state.smoothing,
        names=state.names,
    )


def _linear_gradients(state: AppState, W, step: LinearPass) -> None:
    over_t = tex_slash_t(state.T)
    st.latex(
        rf"\frac{{\partial L}}{{\partial b}} = \frac{{\partial L}}{{\partial o}} "
        rf"= (p - y){over_t} = {tex_column(step.grad_b)}"
    )
    st.latex(
        rf"\begin{{aligned}}\frac{{\partial L}}{{\partial x}} &= W^\top (p - y){over_t} \\"
        rf"&= {tex_matrix(W.T, None)}{tex_column(step.grad_o)} \\"
        rf"&= {tex_column(step.grad_x)}\end{{aligned}}"
    )
    st.markdown(
        r"and $\partial L/\partial W = (p - y)\,x^\top$: each class's row of $W$ moves along "
        r"$x$, scaled by that class's $p_j - y_j$ (the heatmap below)."
    )


def _hidden(state: AppState) -> None:
    st.markdown("#### With one hidden layer")
    step = hidden_layer(
        state.x, example_hidden_weights(state.K, X_FEATURES), state.y_vector(), "tanh", state.T
    )
    over_t = tex_slash_t(state.T)
    words, graph = st.columns([3, 2])
    with words:
        st.markdown(
            f"$z = W_1 x + b_1$, $h = \\sigma(z) = \\tanh(z)$ ({EXAMPLE_WIDTH} units), "
            "$o = W_2 h + b_2$, the weights fixed as above. The output layer is the linear "
            "layer with input $h$; one step further back the error is"
        )
        st.latex(
            rf"\begin{{aligned}}\delta &= W_2^\top (p - y){over_t} \odot \sigma'(z) \\"
            rf"&= {tex_column(step.output.grad_x)} \odot {tex_column(step.slope)} \\"
            rf"&= {tex_column(step.delta)}\end{{aligned}}"
        )
        st.markdown(
            r"so $\partial L/\partial W_1 = \delta\, x^\top$ and "
            r"$\partial L/\partial x = W_1^\top \delta$: the same outer product and "
            r"transpose as the linear layer, with $\delta$ in the place of $p - y$."
        )
    with graph:
        graph_chart(step, "hidden_graph_chart")


# --------------------------------------------------------------------------------------
# Handwritten digits
# --------------------------------------------------------------------------------------


def _on_wrong_pick() -> None:
    picked = session.value("wrong_pick")
    if picked is not None:  # clicking the chosen one again clears the pills: keep the digit
        session.update(digit=int(picked))


def _digit_pickers(state: AppState) -> None:
    model = digit_model()
    wrong = model.wrong().tolist()
    st.number_input(
        f"Digit by index ({DIGIT_RANGE[0]}–{DIGIT_RANGE[1]})",
        min_value=DIGIT_RANGE[0],
        max_value=DIGIT_RANGE[1],
        step=1,
        width=BOX_WIDTH,
        **session.bound("digit"),
    )
    session.seed("wrong_pick", state.digit if state.digit in wrong else None)
    st.html(GALLERY_STYLE)
    st.pills(
        f"Or one of the {len(wrong)} digits the model gets wrong "
        f"(training accuracy {fmt(100 * model.accuracy, 1)} %)",
        options=wrong,
        format_func=lambda i: f"#{i}",
        key="wrong_pick",
        on_change=_on_wrong_pick,
    )


def _digits(state: AppState) -> None:
    st.markdown(
        "A softmax-regression model $o = Wx + b$ of the 8×8 handwritten digits that "
        "scikit-learn ships: $x$ is the 64 pixels (scaled to 0..1), $W$ is 10×64, trained "
        "on all 1797 digits by gradient descent on the mean cross-entropy."
    )
    _digit_pickers(state)
    e = evaluate_digit(state.digit)
    with st.container(horizontal=True, key="digit_metrics"):  # one row on a phone too
        st.metric("True class", str(e.label))
        st.metric("Predicted", str(e.predicted))
        st.metric("Loss", fmt(e.layer.loss))
    _gradient_link(state, logits=tuple(e.logits.tolist()), target=e.label, names=DIGIT_NAMES)
    image, probabilities, gradient = st.columns(3)  # stacked on a phone
    with image:
        chart(
            digit_image_figure(e.image, e.label, e.predicted),
            "digit_chart",
            f"Digit #{e.index}, an 8×8 grey image of a {e.label}; the model predicts "
            f"{e.predicted}.",
        )
    with probabilities:
        chart(
            probability_figure(DIGIT_NAMES, e.p, e.layer.y, e.label),
            "digit_p_chart",
            f"Bar chart of the model's probabilities p: {named_values(DIGIT_NAMES, e.p)}.",
        )
    with gradient:
        chart(
            gradient_figure(DIGIT_NAMES, e.p_minus_y, e.label),
            "digit_grad_chart",
            f"Bar chart of p − y: {named_values(DIGIT_NAMES, e.p_minus_y)}.",
        )
    _digit_gradient(e)


def _digit_gradient(e: DigitEvaluation) -> None:
    k, j = e.label, e.predicted
    most = (
        "" if e.correct else f", most from the predicted class {j}'s ($p_{{{j}}} = {tex(e.p[j])}$)"
    )
    st.markdown(
        r"$\partial L/\partial W = (p - y)\,x^\top$: row $j$ is the image scaled by "
        rf"$p_j - y_j$. The true class's row is $-(1 - p_{{{k}}})\,x = {tex(e.p_minus_y[k])}"
        rf"\,x$, so a descent step **adds** the image to class {k}'s weights (pulls them "
        r"toward it); every other row is $+p_j\,x$, so a step **subtracts** it from theirs "
        f"(pushes them away){most}."
    )
    height = GRID_PHONE_HEIGHT if on_phone() else GRID_HEIGHT
    chart(
        digit_gradient_figure(e.grad_images, e.p_minus_y, k, height=height),
        "digit_dw_chart",
        f"Ten 8×8 images of ∂L/∂W, one per class, class {k} framed; each is the digit scaled "
        f"by p − y: {named_values(DIGIT_NAMES, e.p_minus_y)}.",
    )
