"""The "Watch it learn" view: a classifier trained on 2-D points by gradient descent from
p − y, its decision regions animated over the training, the loss and accuracy by step, and
the linear model's weight vectors with their descent steps."""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import partial

import streamlit as st

from ce_viz.changes import from_row
from ce_viz.core import CEVizError, FloatArray, target_distribution
from ce_viz.datasets import MAX_CLASSES, MAX_POINTS, Dataset, nearest_point, read_points
from ce_viz.figures import (
    chosen_point_traces,
    history_figure,
    weights_figure,
    with_traces,
)
from ce_viz.figures.train import CONTROLS_HEIGHT, SIZE_NAMES
from ce_viz.fmt import (
    escape_markdown,
    fmt,
    fmt_percent,
    tex_column,
    tex_matrix,
    tex_over_t,
    tex_slash_t,
)
from ce_viz.layer import HiddenLayerPass, LinearPass
from ce_viz.scenes import TrainScene, point_pass
from ce_viz.state import (
    ACTIVATIONS,
    BATCH_RANGE,
    L2_RANGE,
    TRAIN_DATA,
    TRAIN_K_RANGE,
    TRAIN_LOSSES,
    TRAIN_LR_RANGE,
    TRAIN_MODELS,
    TRAIN_N_RANGE,
    TRAIN_SEED_RANGE,
    TRAIN_STEPS_RANGE,
    WIDTH_RANGE,
    AppState,
)
from ce_viz.views import session
from ce_viz.views.common import (
    MORE_SETTINGS,
    PROJECTED_HEIGHT,
    chart,
    gradient_link,
    graph_chart,
    outer_chart,
    regions_chart,
    training,
)

DATA_LABELS = {
    "blobs": "Blobs",
    "moons": "Moons",
    "spiral": "Spiral",
    "overlapping": "Overlapping blobs",
    "mislabelled": "One mislabelled point",
}
#: The data picker's choice that shows a file uploader (a link can't carry the file, so it
#: is this session's, not the state's).
UPLOAD = "upload"
UPLOAD_LABEL = "Upload a CSV"
MODEL_LABELS = {"softmax": "Softmax regression", "mlp": "One hidden layer"}
LOSS_LABELS = {"ce": "Cross-entropy", "mse": "MSE on p"}
#: The loss in a sentence and on the history's axis and legend (MSE keeps its capitals).
LOSS_NAMES = {"ce": "cross-entropy", "mse": "MSE on p"}
#: After the gradient view link's words, by the loss.
LINK_NOTE = {"ce": "", "mse": " (under cross-entropy)"}
#: The introduction's one sentence on a projector too.
STEP_SENTENCE = (
    "Every step starts from each point's $\\partial L/\\partial o$ (cross-entropy's is $p - y$)"
)


def render(state: AppState) -> None:
    """Draw the "Watch it learn" view for ``state``."""
    st.subheader("Watch it learn")
    if state.present:  # the lecturer says the rest; the charts' keys say what is drawn
        st.markdown(f"{STEP_SENTENCE}. Press Play to watch the regions form.")
    else:
        st.markdown(
            f"A classifier on 2-D points, trained by gradient descent. {STEP_SENTENCE} and "
            "passes it back to the weights. The shading is the predicted class, stronger "
            "where the model is surer; each point's size is $\\sum_k |p_k - y_k|$, its pull "
            "under cross-entropy (MSE on p passes back only $2J(p - y)$, small where p is "
            "sure). "
            "Press Play to watch the regions form; click a point to follow it one layer "
            "back, below the charts."
        )
    _training_page()


@st.fragment
def _training_page() -> None:
    """Everything below the introduction. Its controls rerun only this part of the page:
    an edit that trains again does not also redraw the sidebar, the title and the views'
    tabs, which it cannot change. It reads the state at its start (a callback may just
    have changed it) and ends as every fragment does (``session.end_fragment``)."""
    with ONE_PAGE:
        _page(session.state())
    session.end_fragment()


#: One session's "Watch it learn" page at a time in the server's process. Python runs one
#: thread at a time anyway: a class on this view at once (each student training a model of
#: their own) only took turns every few milliseconds, at twice the CPU for the same work
#: and with every student's temporaries held meanwhile. In turn, python -m bench hall 100
#: --view train: 35 ms of server CPU a rerun and an edit p95 of 1.0 s, against 85 ms and
#: 8.6 s side by side. Other views do not wait for it.
ONE_PAGE = threading.Lock()


def _page(state: AppState) -> None:
    """The view below its introduction: the controls, the training, its charts and the
    chosen point one layer back."""
    data = _controls(state)
    try:
        scene = training(state, data)
    except CEVizError as exc:
        st.error(escape_markdown(f"Training stopped: {exc}."), icon=":material/error:")
        return
    if scene.diverged:
        _charts(state, scene, data, None)
        return
    i = _chosen_point(state, scene)
    step = point_pass(scene, i)
    _charts(state, scene, data, (i, step))
    _point_panel(state, scene, i, step)


def _on_data() -> None:
    """A preset is the state's; "Upload" is this session's (no link can carry the file),
    and the preset stays in the state to train on until a good file comes."""
    chosen = session.value("train_data")
    if chosen == UPLOAD:
        session.keep("train_upload", True)
    else:
        session.forget("train_upload")
        session.update(train_data=chosen)


def _controls(state: AppState) -> Dataset | None:
    """The settings a lesson changes, on one row (the data, the model, the loss, the
    learning rate, the steps and a hidden layer's width), the rest in an expander; returns
    the uploaded data set when one is chosen and good (None trains on the preset). On a
    projector they are set smaller (views/present.css), still on one row: the charts,
    what the hall reads, then start on the first screen."""
    with st.container(key="train_controls"):
        return _control_row(state)


def _control_row(state: AppState) -> Dataset | None:
    """:func:`_controls`' widgets."""
    uploading = bool(session.kept("train_upload"))
    # One horizontal container, not columns: this fragment reruns at every edit, and
    # columns send a block of their own for each setting.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    session.seed("train_data", UPLOAD if uploading else state.train_data)
    row.selectbox(
        "Data",
        (*TRAIN_DATA, UPLOAD),
        format_func=lambda name: DATA_LABELS.get(name, UPLOAD_LABEL),
        key="train_data",
        on_change=_on_data,
    )
    row.selectbox(
        "Model", TRAIN_MODELS, format_func=MODEL_LABELS.__getitem__, **session.bound("model")
    )
    row.selectbox(
        "Loss", TRAIN_LOSSES, format_func=LOSS_LABELS.__getitem__, **session.bound("loss")
    )
    row.number_input(
        "Learning rate", *TRAIN_LR_RANGE, step=0.05, format="%g", **session.bound("train_lr")
    )
    row.slider("Steps", *TRAIN_STEPS_RANGE, step=10, **session.bound("train_steps"))
    if state.model == "mlp":
        row.slider("Hidden width", *WIDTH_RANGE, **session.bound("width"))
    data = _uploaded(state) if uploading else None
    _details(state, uploaded=data is not None)
    return data


def _details_label(state: AppState) -> str:
    """The expander's title: the settings inside it, so they show while it is shut."""
    batch = "full batch" if state.batch == 0 else f"batches of {state.batch}"
    words = [f"seed {state.train_seed}", f"{state.train_n} points", f"K = {state.train_classes}"]
    if state.model == "mlp":
        words.append(state.activation)
    return "More: " + ", ".join([*words, batch, f"L2 {state.l2:g}"])


def _details(state: AppState, uploaded: bool) -> None:
    """The data's seed, size and classes (not for an uploaded file, which has its own),
    the activation, mini-batches and L2: built only while the expander is open."""
    with session.expander(
        _details_label(state), key="train_details_open", icon=":material/tune:"
    ) as box:
        if not box.open:
            return
        seed, points, classes, activation, batch, l2 = st.columns(6)
        seed.number_input(
            "Seed", *TRAIN_SEED_RANGE, step=1, disabled=uploaded, **session.bound("train_seed")
        )
        points.slider(
            "Points", *TRAIN_N_RANGE, step=10, disabled=uploaded, **session.bound("train_n")
        )
        classes.slider(
            "Classes K", *TRAIN_K_RANGE, disabled=uploaded, **session.bound("train_classes")
        )
        if state.model == "mlp":
            activation.radio(
                "Activation", ACTIVATIONS, horizontal=True, **session.bound("activation")
            )
        batch.number_input("Mini-batch (0: all)", *BATCH_RANGE, step=10, **session.bound("batch"))
        l2.number_input("L2 strength", *L2_RANGE, step=0.001, format="%g", **session.bound("l2"))
        st.caption(f"Temperature T and label smoothing are in the sidebar, under {MORE_SETTINGS}.")


def _uploaded(state: AppState) -> Dataset | None:
    """The uploaded points, read once per file; a bad file is named, and the preset's
    points train meanwhile."""
    file = st.file_uploader(
        "CSV of points: columns x1, x2 and label",
        type=["csv"],
        key="train_file",
        help=f"2 to {MAX_CLASSES} classes (numbers or names), at most {MAX_POINTS:,} points.",
    )
    preset = DATA_LABELS[state.train_data]
    if file is None:
        st.info(
            f"Choose a CSV with the columns x1, x2 and label. Until then the {preset} "
            "preset trains.",
            icon=":material/upload_file:",
        )
        return None
    kept = session.kept("train_points")
    if kept is None or kept[0] != file.file_id:
        try:
            kept = (file.file_id, read_points(file.getvalue()))
        except CEVizError as exc:
            kept = (file.file_id, str(exc))
        session.keep("train_points", kept)
    if isinstance(kept[1], str):
        st.error(
            f"This file can't be used: {escape_markdown(kept[1])}. The {preset} preset "
            "trains instead.",
            icon=":material/error:",
        )
        return None
    data = kept[1]
    st.caption(
        f"{data.n:,} points in {data.K} classes from {escape_markdown(file.name)}. A shared "
        "link can't carry the file: it opens on the preset's points."
    )
    return data


def _charts(
    state: AppState,
    scene: TrainScene,
    data: Dataset | None,
    chosen: tuple[int, LinearPass | HiddenLayerPass] | None,
) -> None:
    """The regions (animated), the history and, for the linear model, the weights; ``data``
    is the uploaded data set trained on, None for the state's preset; ``chosen`` the point
    the panel follows and its pass (None when the training diverged)."""
    run = scene.run
    loss_name = LOSS_NAMES[state.loss]
    history = history_figure(scene.steps, run.loss, run.accuracy, loss_name)
    if scene.regions is None or scene.frames is None:
        st.error(
            "The training diverged: the loss is no longer a finite number. Lower the "
            "learning rate.",
            icon=":material/error:",
        )
        chart(history, key="train_history", alt=_history_alt(state, scene))
        return
    regions, side = st.columns([3, 2])
    with regions:
        _regions_chart(state, scene, data, chosen)
    with side:
        chart(history, key="train_history", alt=_history_alt(state, scene))
        if scene.W is not None and scene.W_grad is not None:
            weights = weights_figure(
                scene.W, scene.W_grad, scene.data.names, scene.x_range, scene.y_range
            )
            chart(weights, key="train_weights", alt=_weights_alt(scene.data.names, scene.W))


def _regions_chart(
    state: AppState,
    scene: TrainScene,
    data: Dataset | None,
    chosen: tuple[int, LinearPass | HiddenLayerPass] | None,
) -> None:
    """The animated regions (built once per training, ``common.regions_chart``), with the
    chosen point ringed and its −∂L/∂x drawn; clicking a point opens it in the panel."""
    source = "uploaded" if data is not None else DATA_LABELS[state.train_data]
    fig = regions_chart(state, data)
    if chosen is not None:
        i, step = chosen
        fig = with_traces(fig, chosen_point_traces(step.x, step.grad_x, scene.x_range, i))
    chart(
        fig,
        key="train_regions",
        alt=_regions_alt(state, scene, source),
        # On a projector the one-screen cap is for the title and the plot: under it the
        # controls and legend, with the larger type and key, squeezed the plot below its
        # desk size.
        max_height=PROJECTED_HEIGHT + CONTROLS_HEIGHT,
        on_select=partial(_on_pick, scene.data.X),
        selection_mode="points",
    )


def _on_pick(X: FloatArray) -> None:
    """A point clicked on the regions chart is the panel's point: the nearest of the
    data's points ``X`` to the click (the chart sends its coordinates rounded)."""
    event = session.value("train_regions") or {}
    picked = event.get("selection", {}).get("points", [])
    if picked:
        session.update(point=nearest_point(X, picked[0]["x"], picked[0]["y"]))


def _regions_alt(state: AppState, scene: TrainScene, source: str) -> str:
    """The regions chart's text alternative: the data, the model and where it ended."""
    data, run = scene.data, scene.run
    index, pull = scene.largest_pull
    ring = "" if data.flipped is None else f" The mislabelled point, {data.flipped}, is ringed."
    return (
        f"Decision regions of {MODEL_LABELS[state.model].lower()} on {data.n} points "
        f"({source.lower()}) in {data.K} classes, animated over "
        f"{state.train_steps} steps. After training the accuracy is "
        f"{fmt_percent(run.accuracy[-1])} and the {LOSS_NAMES[state.loss]} is "
        f"{fmt(run.loss[-1], 3)}. The largest {SIZE_NAMES[state.loss]}, Σ|p − y| = "
        f"{fmt(pull, 3)}, is point "
        f"{index}.{ring}"
    )


def _history_alt(state: AppState, scene: TrainScene) -> str:
    """The history chart's text alternative: the loss and accuracy at the start and end."""
    run = scene.run
    return (
        f"Loss and accuracy over {state.train_steps} steps: the loss goes from "
        f"{fmt(run.loss[0], 3)} to {fmt(run.loss[-1], 3)}, the accuracy from "
        f"{fmt_percent(run.accuracy[0])} to {fmt_percent(run.accuracy[-1])}."
    )


def _weights_alt(names: tuple[str, ...], W: FloatArray) -> str:
    """The weights chart's text alternative: each class's final weight vector (rows of W)."""
    vectors = "; ".join(
        f"class {name}: ({fmt(w[0], 3)}, {fmt(w[1], 3)})" for name, w in zip(names, W, strict=True)
    )
    return (
        "The linear model's weight vectors w_k from the origin, each with a dashed arrow "
        f"along −∂L/∂w_k, its next descent step (scaled). Final weights: {vectors}."
    )


# --------------------------------------------------------------------------------------
# One layer back for one point
# --------------------------------------------------------------------------------------


def _largest(loss: str) -> str:
    """The point with the largest Σ|p − y|, named as the regions' key names its size."""
    return f"the point with the largest {SIZE_NAMES[loss]} Σ|p − y|"


def _chosen_point(state: AppState, scene: TrainScene) -> int:
    """The chosen point, or the one with the largest Σ|p − y| when none is chosen or the chosen one
    is not in this data (which is then said)."""
    largest, _ = scene.largest_pull
    n = scene.data.n
    if state.point is None:
        return largest
    if state.point < n:
        return state.point
    st.warning(
        f"point: {state.point} is not a point of this data set, which has {n:,} points "
        f"(0 to {n - 1:,}); point {largest}, {_largest(state.loss)}, is shown instead.",
        icon=":material/link_off:",
    )
    return largest


def _point_panel(
    state: AppState, scene: TrainScene, i: int, step: LinearPass | HiddenLayerPass
) -> None:
    """One layer back for the chosen point: its x, o, p, p − y, ∂L/∂W and ∂L/∂x with the
    trained weights, the computation graph and the outer product, and a link that opens
    its logits in the gradient view."""
    data = scene.data
    out = step.output if isinstance(step, HiddenLayerPass) else step
    name = data.names[int(data.labels[i])]
    st.markdown(f"#### One layer back for point {i}")
    box, words = st.columns([1, 3], vertical_alignment="bottom")
    box.number_input(
        "Point",
        min_value=0,
        max_value=data.n - 1,
        step=1,
        # Empty, the default point greyed in it, until a point is chosen: a box holding a
        # number nobody typed sent it back as a choice (point= in the link) when the data
        # changed under it between two quick edits.
        value=None,
        placeholder=str(i),
        help="Its index in the data (point= in the link), or click it on the regions chart; "
        f"empty: {_largest(state.loss)}.",
        **session.bound("point", shown=state.point if i == state.point else None),
    )
    words.markdown(
        f"Point {i} at $x = ({fmt(step.x[0], 3)}, {fmt(step.x[1], 3)})$, label "
        f"**{escape_markdown(name)}**, through the trained model. These gradients are this "
        "point's alone; a training step averages them over all the points."
    )
    if state.loss == "mse":
        st.caption(
            "This training used MSE on p, L = Σ(p − y)², so the panel does too: its ∂L/∂o "
            "is 2J(p − y), with J = ∂p/∂o the softmax's Jacobian. It starts from the same "
            "p − y as cross-entropy, whose ∂L/∂o is p − y itself (over T); compare the "
            "p − y and ∂L/∂o vectors below. Where p is sure and wrong, J all but vanishes."
        )
    equations, graph = st.columns([3, 2])
    target = target_distribution(data.K, int(data.labels[i]))
    sample = replace(from_row(state, out.o, target, data.names), smoothing=state.smoothing)
    with equations:  # the link under the equations, as on "One layer back"
        _point_equations(state, step)
        # The gradient view is cross-entropy's: under MSE its loss and p − y differ from
        # the panel's, which the link's words say before the numbers do.
        gradient_link(sample, f"Open its logits in the gradient view{LINK_NOTE[state.loss]}")
    with graph:  # the outer product under the graph: across the page its 2 columns sprawled
        graph_chart(step, "train_point_graph", f"of point {i}")
        if not isinstance(step, HiddenLayerPass):
            # Its columns x₁, x₂: the points' coordinates are x1 and x2 on the charts.
            outer_chart(out, data.names, "train_point_outer", first_input=1)


def _point_equations(state: AppState, step: LinearPass | HiddenLayerPass) -> None:
    """The point's forward values and gradients under the training's loss, one short
    equation a line (a hidden layer's vectors are in the graph beside: a column of 32
    would not fit). Under MSE, p − y has a line of its own, before 2J(p − y)."""
    hidden = isinstance(step, HiddenLayerPass)
    out = step.output if hidden else step
    over_t = tex_slash_t(state.T)
    mse = out.loss_name == "mse"
    if mse:
        grad = before = "2J(p - y)"
    else:
        grad = rf"(p - y){over_t}"
        before = rf"{tex_over_t(state.T)}(p - y)"  # (p − y)/T, written before x or h
    if hidden:
        st.latex(r"h = \sigma(W_1 x + b_1),\quad o = W_2 h + b_2")
        st.latex(rf"o = {tex_column(out.o)}")
    else:
        st.latex(rf"o = Wx + b = {tex_column(out.o)}")
    st.latex(rf"p = \mathrm{{softmax}}(o{over_t}) = {tex_column(out.p)}")
    if mse:
        st.latex(rf"p - y = {tex_column(out.residual)}")
    st.latex(rf"\frac{{\partial L}}{{\partial o}} = {grad} = {tex_column(out.grad_o)}")
    if hidden:
        st.latex(rf"\frac{{\partial L}}{{\partial W_2}} = {before}\,h^\top")
        st.latex(rf"\delta = W_2^\top {grad} \odot \sigma'(z)")
        st.latex(r"\frac{\partial L}{\partial W_1} = \delta\, x^\top")
        st.latex(
            rf"\frac{{\partial L}}{{\partial x}} = W_1^\top \delta = {tex_column(step.grad_x)}"
        )
        return
    st.latex(
        rf"\frac{{\partial L}}{{\partial W}} = {before}\,x^\top "
        rf"= {tex_matrix(out.grad_W)}"
    )
    st.latex(rf"\frac{{\partial L}}{{\partial x}} = W^\top {grad} = {tex_column(step.grad_x)}")
