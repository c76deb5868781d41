"""The "Watch it learn" view: a classifier trained on 2-D points by gradient descent from
p − y, its decision regions animated over the training, the loss and accuracy by step, and
the linear model's weight vectors with their descent steps."""

from __future__ import annotations

import streamlit as st

from ce_viz.core import CEVizError
from ce_viz.datasets import MAX_CLASSES, MAX_POINTS, Dataset, read_points
from ce_viz.figures import history_figure, regions_animation, weights_figure
from ce_viz.fmt import escape_markdown, fmt
from ce_viz.scenes import TrainScene
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
from ce_viz.views.common import MORE_SETTINGS, chart, training

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


def render(state: AppState) -> None:
    """Draw the "Watch it learn" view for ``state``."""
    st.subheader("Watch it learn")
    st.markdown(
        "A classifier on 2-D points, trained by gradient descent. Every step starts from "
        "$\\partial L/\\partial o = p - y$ for each point and passes it back to the weights. "
        "The shading is the predicted class, stronger where the model is surer; each "
        "point's size is its pull $\\sum_k |p_k - y_k|$. Press Play to watch the regions "
        "form."
    )
    data = _data_controls(state)
    _model_controls(state)
    st.caption(f"Temperature T and label smoothing are in the sidebar, under {MORE_SETTINGS}.")
    try:
        scene = training(state, data)
    except CEVizError as exc:
        st.error(escape_markdown(f"Training stopped: {exc}."), icon=":material/error:")
        return
    _charts(state, scene, "uploaded" if data is not None else DATA_LABELS[state.train_data])


def _on_data() -> None:
    """A preset is the state's; "Upload" is this session's (no link can carry the file),
    and the preset stays in the state to train on until a good file comes."""
    chosen = session.value("train_data")
    if chosen == UPLOAD:
        session.keep("train_upload", True)
    else:
        session.forget("train_upload")
        session.update(train_data=chosen)


def _data_controls(state: AppState) -> Dataset | None:
    """The data: a preset with its seed, points and classes, or an uploaded file (returned
    when it is good; None trains on the preset)."""
    uploading = bool(session.kept("train_upload"))
    preset, seed, points, classes = st.columns(4)
    session.seed("train_data", UPLOAD if uploading else state.train_data)
    preset.selectbox(
        "Data",
        (*TRAIN_DATA, UPLOAD),
        format_func=lambda name: DATA_LABELS.get(name, UPLOAD_LABEL),
        key="train_data",
        on_change=_on_data,
    )
    data = _uploaded(state) if uploading else None
    off = data is not None  # an uploaded file has its own points and classes
    seed.number_input(
        "Seed", *TRAIN_SEED_RANGE, step=1, disabled=off, **session.bound("train_seed")
    )
    points.slider("Points", *TRAIN_N_RANGE, step=10, disabled=off, **session.bound("train_n"))
    classes.slider("Classes K", *TRAIN_K_RANGE, disabled=off, **session.bound("train_classes"))
    return data


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


def _model_controls(state: AppState) -> None:
    """The model and how it is trained: width and activation only for the hidden layer."""
    model, loss, lr, steps = st.columns(4)
    model.radio(
        "Model", TRAIN_MODELS, format_func=MODEL_LABELS.__getitem__, **session.bound("model")
    )
    loss.radio("Loss", TRAIN_LOSSES, format_func=LOSS_LABELS.__getitem__, **session.bound("loss"))
    lr.number_input(
        "Learning rate", *TRAIN_LR_RANGE, step=0.05, format="%g", **session.bound("train_lr")
    )
    steps.slider("Steps", *TRAIN_STEPS_RANGE, step=10, **session.bound("train_steps"))
    width, activation, batch, l2 = st.columns(4)
    if state.model == "mlp":
        width.slider("Hidden width", *WIDTH_RANGE, **session.bound("width"))
        activation.radio("Activation", ACTIVATIONS, horizontal=True, **session.bound("activation"))
    batch.number_input(
        "Mini-batch (0: all points)",
        *BATCH_RANGE,
        step=10,
        **session.bound("batch"),
    )
    l2.number_input("L2 strength", *L2_RANGE, step=0.001, format="%g", **session.bound("l2"))


def _charts(state: AppState, scene: TrainScene, source: str) -> None:
    """The regions (animated), the history and, for the linear model, the weights;
    ``source`` names the data (a preset, or "uploaded")."""
    run = scene.run
    loss_name = LOSS_LABELS[state.loss].lower()
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
        chart(
            regions_animation(scene.regions, scene.frames),
            key="train_regions",
            alt=_regions_alt(state, scene, source),
        )
    with side:
        chart(history, key="train_history", alt=_history_alt(state, scene))
        if scene.W is not None and scene.W_grad is not None:
            weights = weights_figure(
                scene.W, scene.W_grad, scene.data.names, scene.x_range, scene.y_range
            )
            chart(weights, key="train_weights", alt=_weights_alt(scene))


def _regions_alt(state: AppState, scene: TrainScene, source: str) -> str:
    """The regions chart's text alternative: the data, the model and where it ended."""
    data, run = scene.data, scene.run
    index, pull = scene.largest_pull
    ring = "" if data.flipped is None else f" The mislabelled point, {data.flipped}, is ringed."
    return (
        f"Decision regions of {MODEL_LABELS[state.model].lower()} on {data.n} "
        f"{source.lower()} points in {data.K} classes, animated over "
        f"{state.train_steps} steps. After training the accuracy is "
        f"{run.accuracy[-1]:.0%} and the {LOSS_LABELS[state.loss].lower()} is "
        f"{fmt(run.loss[-1], 3)}. The largest pull, Σ|p − y| = {fmt(pull, 3)}, is point "
        f"{index}.{ring}"
    )


def _history_alt(state: AppState, scene: TrainScene) -> str:
    """The history chart's text alternative: the loss and accuracy at the start and end."""
    run = scene.run
    return (
        f"Loss and accuracy over {state.train_steps} steps: the loss goes from "
        f"{fmt(run.loss[0], 3)} to {fmt(run.loss[-1], 3)}, the accuracy from "
        f"{run.accuracy[0]:.0%} to {run.accuracy[-1]:.0%}."
    )


def _weights_alt(scene: TrainScene) -> str:
    """The weights chart's text alternative: each class's final weight vector."""
    vectors = "; ".join(
        f"class {name}: ({fmt(w[0], 3)}, {fmt(w[1], 3)})"
        for name, w in zip(scene.data.names, scene.W_vectors, strict=True)
    )
    return (
        "The linear model's weight vectors w_k from the origin, each with a dashed arrow "
        f"along −∂L/∂w_k, its next descent step (scaled). Final weights: {vectors}."
    )
