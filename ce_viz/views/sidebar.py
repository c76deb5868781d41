"""The sidebar: the share link, the presets, the inputs every view shares, and the row of
view buttons at the top of the page. Each widget shows the state and writes through
``ce_viz.views.session``; the rules for what a change does are ``ce_viz.changes``."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import segno
import streamlit as st

from ce_viz.changes import pick_soft, set_logit, settings_in_force, with_preset
from ce_viz.fmt import escape_markdown, fmt_short, subscript
from ce_viz.state import (
    K_RANGE,
    LOGIT_LIMIT,
    PRESETS,
    SMOOTHING_RANGE,
    TRAIN_PRESETS,
    VIEWS,
    AppState,
    parse_names,
    parse_y,
    resize,
    train_preset_state,
)
from ce_viz.views import session
from ce_viz.views.common import MORE_SETTINGS, link_to, show_error, temperature_input

#: The sliders cover the interesting range; the number boxes take any logit.
SLIDER_RANGE = (-10.0, 10.0)


def _clamp(x: float) -> float:
    return min(max(x, SLIDER_RANGE[0]), SLIDER_RANGE[1])


def _on_K() -> None:
    session.apply(resize, int(session.value("K")))
    session.set_error("names", ())
    session.set_error("y", ())


def _on_logit(i: int, source: str) -> None:
    typed = session.value(f"{source}_{i}")
    if typed is None:  # an emptied box: keep the logit, and say so
        kept = session.state().logits[i]
        session.set_error("logits", (f"The box for o{i} was empty; o{i} stays {fmt_short(kept)}.",))
        return
    session.set_error("logits", ())
    session.apply(set_logit, i, float(typed))


def _on_soft() -> None:
    session.apply(pick_soft, bool(session.value("soft")))
    session.set_error("y", ())


def _on_y_text() -> None:
    parsed = parse_y(session.value("y_text"), session.state().K)
    session.set_error("y", parsed.messages)
    if parsed.ok:
        session.update(y=parsed.value)


def _on_names() -> None:
    parsed = parse_names(session.value("names_text"), session.state().K)
    session.set_error("names", parsed.messages)
    if parsed.ok:
        session.update(names=parsed.value)


def _more_settings_label(state: AppState) -> str:
    """The expander's label, naming the settings in force, so a closed expander still says
    what applies."""
    changed = settings_in_force(state)
    return MORE_SETTINGS + (f" · {', '.join(changed)}" if changed else "")


def _seed_widgets(state: AppState) -> None:
    session.seed("K", state.K)
    for i, v in enumerate(state.logits):
        session.seed(f"num_{i}", v)
        session.seed(f"slider_{i}", _clamp(v))
    session.seed("soft", state.y is not None)
    # Free-text boxes keep what the user typed while it is being corrected.
    if session.error("names") is None:
        session.seed("names_text", ", ".join(state.names))
    if session.error("y") is None and state.y is not None:
        session.seed("y_text", ", ".join(f"{v:g}" for v in state.y))


def _on_picked(key: str, load: Callable[[str], AppState]) -> None:
    """A preset clicked in the pills ``key``: the state ``load`` makes of its name."""
    name = session.value(key)
    if name:
        session.replace_all(load(name))
        session.seed(key, None)  # so the same preset can be clicked again


def _picker(
    key: str,
    table: Mapping[str, tuple[str, object]],
    load: Callable[[str], AppState],
    help_text: str,
) -> None:
    """Pills of the presets in ``table`` (name: (label, settings)); one click loads one."""
    st.pills(
        "Presets",
        options=list(table),
        format_func=lambda name: table[name][0],
        key=key,
        on_change=_on_picked,
        args=(key, load),
        help=help_text,
    )


def preset_picker() -> None:
    """One click loads a preset: the whole state but the view, and the URL follows."""
    _picker(
        "preset",
        PRESETS,
        lambda name: with_preset(session.state(), name),
        "Each loads a ready-made example; the link in the address bar follows.",
    )


def _train_story(name: str) -> AppState:
    """A "Watch it learn" story's state; it trains on its own data, not an upload."""
    session.forget("train_upload")
    return train_preset_state(name, session.state().present)


def train_preset_picker() -> None:
    """One click loads a "Watch it learn" story: its data, model and training settings."""
    _picker(
        "train_preset",
        TRAIN_PRESETS,
        _train_story,
        "Each loads a ready-made training; the link in the address bar follows.",
    )


@st.cache_data(max_entries=32, ttl="1h", show_spinner=False)  # a few kB each
def qr_png(link: str, size: int) -> bytes:
    """``link`` as a QR code at most ``size`` pixels wide: a PNG, black on white whatever
    the theme, so a phone reads it off a projector. Each module is a whole number of
    pixels, so the page shows these very bytes, unscaled and sharp (segno draws it; about
    25 ms, so only while the share box is open)."""
    code = segno.make(link, error="m")
    width, _ = code.symbol_size(scale=1, border=4)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size // width), border=4)
    return buffer.getvalue()


def _qr_image(link: str, size: int) -> bool:
    """Show the QR code of ``link``; False (and say so) if the link is too long for one."""
    try:
        png = qr_png(link, size)
    except segno.DataOverflowError:
        st.caption("This link is too long for a QR code: copy it instead.")
        return False
    st.image(
        png,
        width="content",  # as drawn: Streamlit would otherwise resample it
        output_format="PNG",
        alt=f"QR code of the link {link}",
    )
    return True


def _on_large_qr() -> None:
    session.seed("share_open", False)
    session.keep("qr_dialog", True)


@st.dialog("Scan to open this view", width="large")
def _large_qr(link: str) -> None:
    with st.container(horizontal_alignment="center"):
        _qr_image(link, 700)
    st.caption(link)


def qr_button() -> None:
    """In presentation mode, one click on the page itself shows the link as a large QR
    code (the sidebar, where the share box is, is folded away)."""
    st.button(
        "QR code",
        icon=":material/qr_code_2:",
        key="qr_main",
        on_click=_on_large_qr,
        help="For the students in the hall: scan to open this exact view.",
    )


def share_link(state: AppState) -> None:
    """A "Share" button that opens the link to this exact view, in a box with a copy button
    and the same link as a QR code for the students in the hall (shown large on request).

    The box sits in a popover because the browser fetches the code block's highlighter
    (1.5 MB of script) only when it is first shown: keeping it out of the first paint is
    part of the page-load budget (``python -m bench budget``). The QR code is drawn only
    while the box is open.
    """
    link = link_to(state)
    box = st.popover(
        "Share this exact view",
        icon=":material/link:",
        width="stretch",
        key="share_open",
        on_change="rerun",
    )
    with box:
        st.code(link, language=None, wrap_lines=True)
        st.caption(
            "Anyone who opens this link sees these inputs and this view. The address bar "
            "holds the same link and follows every change."
        )
        if box.open and _qr_image(link, 300 if state.present else 240):
            st.button(
                "Show the QR code large",
                icon=":material/qr_code_2:",
                key="qr_large",
                on_click=_on_large_qr,
                help="For a hall: the code fills the screen, readable from the back rows.",
            )
    # Opened after the box closes: the open box would sit on top of the dialog.
    if session.kept("qr_dialog"):
        session.forget("qr_dialog")
        _large_qr(link)


def sidebar(state: AppState) -> None:
    """Draw the inputs in the sidebar, each showing ``state``."""
    with st.sidebar:
        share_link(state)
        if state.view == "batch":
            # The batch view reads its own data: the one-sample inputs would do nothing.
            st.caption("The batch view reads a whole file; its settings are on the page.")
            _presentation_toggle()
            return
    _seed_widgets(state)
    if state.view == "train":
        # Watch it learn trains on its own points: of the sample's inputs only T and the
        # smoothing apply to it.
        with st.sidebar:
            train_preset_picker()
            st.caption(
                "Watch it learn has its settings on the page; T and ε apply here. A link "
                "carries every setting but not an uploaded file."
            )
            _more_settings(state)
            _presentation_toggle()
        return
    if state.view == "layer":
        with st.sidebar:
            _layer_inputs(state)
        return
    with st.sidebar:
        preset_picker()
        st.header("Inputs")
        _classes_input()
        _logit_inputs(state)
        _target_inputs(state)
        _more_settings(state)
        _presentation_toggle()


def _classes_input() -> None:
    """The number of classes K."""
    st.number_input(
        "Number of classes K",
        min_value=K_RANGE[0],
        max_value=K_RANGE[1],
        step=1,
        key="K",
        on_change=_on_K,
    )


def _layer_inputs(state: AppState) -> None:
    """One layer back computes its logits (o = Wx + b), so the logit boxes and the
    presets, which set logits, are left out; the digits tab has its own trained model, so
    there none of the sample's inputs apply."""
    if state.layer_tab == "digits":
        st.caption(
            "The digits' model fixes its own 10 classes, T = 1 and no smoothing: none of "
            "the sample's inputs apply to it."
        )
        _presentation_toggle()
        return
    st.header("Inputs")
    st.caption(
        "The logits come from $o = Wx + b$ on the page; K, the target, T, ε and the names "
        "apply to it."
    )
    _classes_input()
    _target_inputs(state)
    _more_settings(state)
    _presentation_toggle()


def _presentation_toggle() -> None:
    """Presentation mode on or off (present=1 in the link)."""
    st.toggle(
        "Presentation mode",
        help="Larger type everywhere, and the sidebar folded away on the next visit of "
        "the link (present=1).",
        **session.bound("present"),
    )


def _logit_inputs(state: AppState) -> None:
    """A slider and an exact box for each logit."""
    names = state.class_names
    st.markdown("**Logits o**")
    for i in range(state.K):
        # One horizontal container a row (columns would send a block for each of the
        # two); page.css sets the slider and the box 3 : 2 by the key.
        row = st.container(horizontal=True, vertical_alignment="bottom", key=f"logit_row_{i}")
        out_of_range = not SLIDER_RANGE[0] <= state.logits[i] <= SLIDER_RANGE[1]
        row.slider(
            f"o{subscript(i)} · {escape_markdown(names[i])}",
            min_value=SLIDER_RANGE[0],
            max_value=SLIDER_RANGE[1],
            step=0.1,
            key=f"slider_{i}",
            on_change=_on_logit,
            args=(i, "slider"),
            disabled=out_of_range,
            help="Beyond the slider's range: type the value in the box." if out_of_range else None,
        )
        row.number_input(
            f"exact o{i}",
            min_value=-LOGIT_LIMIT,
            max_value=LOGIT_LIMIT,
            step=0.1,
            format="%g",
            value=None,  # an emptied box reads as None, not as the lowest logit
            key=f"num_{i}",
            on_change=_on_logit,
            args=(i, "num"),
            label_visibility="collapsed",
        )
    show_error("logits")


def _target_inputs(state: AppState) -> None:
    """The true class, or a soft target typed as numbers."""
    names = state.class_names
    st.markdown("**Target y**")
    st.toggle(
        "Soft target",
        key="soft",
        on_change=_on_soft,
        help="A distribution over classes instead of one true class.",
    )
    if state.y is None:
        st.selectbox(
            "True class k",
            options=list(range(state.K)),
            format_func=lambda i: f"{i}: {names[i]}",
            **session.bound("target"),
        )
    else:
        st.text_input("y, comma-separated, summing to 1", key="y_text", on_change=_on_y_text)
        show_error("y")


def _more_settings(state: AppState) -> None:
    """Temperature, smoothing and names, in an expander read only when opened (so the
    first paint stays light: python -m bench budget); it opens by itself when a link or
    preset sets one of them."""
    with st.expander(
        _more_settings_label(state),
        expanded=bool(settings_in_force(state)),
        key="more_open",
        on_change="rerun",
    ) as more:
        if not more.open:
            return
        st.number_input(
            "Label smoothing ε",
            min_value=SMOOTHING_RANGE[0],
            max_value=SMOOTHING_RANGE[1],
            step=0.01,
            format="%g",
            **session.bound("smoothing"),
            help="y ← (1 − ε)·y + ε/K",
        )
        temperature_input(st, "p = softmax(o / T)")
        st.text_input(
            "Class names (optional)",
            key="names_text",
            placeholder="cat, dog, bird",
            on_change=_on_names,
            help=f"{state.K} names, comma-separated, shown as plain text.",
        )
        show_error("names")


def view_picker(state: AppState) -> str:
    """The row of view buttons at the top of the page; returns the open view."""
    st.segmented_control(
        "View",
        options=list(VIEWS),
        format_func=VIEWS.__getitem__,
        label_visibility="collapsed",
        **session.bound("view"),
        required=True,
    )
    return state.view


def show_url_messages() -> None:
    """Say what in the link could not be used, once, at the top of the page."""
    messages = session.url_messages()
    session.keep(session.URL_MESSAGES_SHOWN, bool(messages))
    if messages:
        body = "\n".join(f"- {escape_markdown(m)}" for m in messages)
        st.warning(
            "**Some settings in the link could not be used**; the rest of the link was "
            f"applied, and defaults stand in for these:\n\n{body}",
            icon=":material/link_off:",
        )
