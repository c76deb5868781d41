"""The sidebar, and the one path by which the URL and the widgets change ``AppState``.

``st.session_state["state"]`` holds the canonical ``AppState``. It is read from the URL on a
session's first run; after that every widget writes to it through a callback, and the page
writes it back to the URL at the end of each run. Widgets only display it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from ce_viz.fmt import escape_markdown, fmt_short, subscript
from ce_viz.state import (
    DEFAULT,
    H_RANGE,
    K_RANGE,
    LANDSCAPE_TABS,
    LOGIT_LIMIT,
    PRESETS,
    SMOOTHING_RANGE,
    T_RANGE,
    VIEWS,
    WHY_TABS,
    AppState,
    parse_answers,
    parse_names,
    parse_query,
    parse_y,
    preset_state,
    resize,
    to_query,
)

#: The sliders cover the interesting range; the number boxes take any logit.
SLIDER_RANGE = (-10.0, 10.0)

ss = st.session_state


def presenting() -> bool:
    """Whether the page is in presentation mode; safe to call before set_page_config."""
    if "state" in ss:
        return bool(ss["state"].present)
    return st.query_params.get("present", "0").strip().lower() in {"1", "true", "on", "yes"}


def current_state() -> AppState:
    """The session's state, read from the URL on the first run."""
    if "state" not in ss:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        state, messages = parse_query(params)
        ss["state"] = state
        ss["url_messages"] = messages
        ss["input_errors"] = {}
    return ss["state"]


def _update(**changes: Any) -> None:
    ss["state"] = replace(ss["state"], **changes)
    # Once the user changes something, the link's complaints are history.
    ss["url_messages"] = ()


def _set_error(field: str, messages: tuple[str, ...]) -> None:
    errors = dict(ss.get("input_errors", {}))
    if messages:
        errors[field] = " ".join(messages)
    else:
        errors.pop(field, None)
    ss["input_errors"] = errors


def _seed(key: str, value: Any) -> None:
    """Show ``value`` in the widget ``key`` (before the widget is drawn this run)."""
    if ss.get(key) != value:
        ss[key] = value


def _clamp(x: float) -> float:
    return min(max(x, SLIDER_RANGE[0]), SLIDER_RANGE[1])


def _on_K() -> None:
    ss["state"] = resize(ss["state"], int(ss["K"]))
    ss["url_messages"] = ()
    _set_error("names", ())
    _set_error("y", ())


def _on_logit(i: int, source: str) -> None:
    value = float(ss[f"{source}_{i}"])
    logits = list(ss["state"].logits)
    logits[i] = value
    _update(logits=tuple(logits))


def _on_soft() -> None:
    state: AppState = ss["state"]
    if ss["soft"]:
        # Start from the one-hot target, before smoothing, which still applies on top.
        _update(y=tuple(float(i == state.target) for i in range(state.K)))
    else:
        _update(y=None, target=state.true_class)
    _set_error("y", ())


def _on_y_text() -> None:
    parsed = parse_y(ss["y_text"], ss["state"].K)
    _set_error("y", parsed.messages)
    if parsed.ok:
        _update(y=parsed.value)


def _on_names() -> None:
    parsed = parse_names(ss["names_text"], ss["state"].K)
    _set_error("names", parsed.messages)
    if parsed.ok:
        _update(names=parsed.value)


def _on_field(field: str) -> None:
    _update(**{field: ss[field]})


def bound(field: str, shown: Any = None) -> dict[str, Any]:
    """Keyword arguments that tie a widget to the ``AppState`` field of the same name.

    The widget shows the state's value (or ``shown``, for a field whose None means "the
    default") and writes changes back through one callback. Call it as
    ``st.slider(..., **bound("lr"))``; the widget's key is the field's name.
    """
    _seed(field, getattr(ss["state"], field) if shown is None else shown)
    return {"key": field, "on_change": _on_field, "args": (field,)}


#: Each view's tabs: the state field that holds the open one, and the tabs by name.
_TABS: dict[str, tuple[str, dict[str, str]]] = {
    "why": ("why_tab", WHY_TABS),
    "landscape": ("landscape_tab", LANDSCAPE_TABS),
}


def _on_tab(field: str, tabs: dict[str, str]) -> None:
    names = {label: name for name, label in tabs.items()}
    _update(**{field: names[ss[field]]})


def bound_tabs(view: str) -> dict[str, Any]:
    """Keyword arguments for a view's ``st.tabs``: the open tab is the state's (``tab=`` or
    ``part=`` in the link), and a change reruns, so only the open tab's content is built."""
    field, tabs = _TABS[view]
    _seed(field, tabs[getattr(ss["state"], field)])
    return {"key": field, "on_change": _on_tab, "args": (field, tabs)}


def _on_axis(which: int) -> None:
    axes = list(ss["state"].plane)
    new = int(ss[f"axis_{which}"])
    if new == axes[1 - which]:
        axes[1 - which] = axes[which]  # picking the other axis's class swaps the two
    axes[which] = new
    _update(axes=(axes[0], axes[1]))


def _on_vector(field: str) -> None:
    parsed = parse_answers(ss[f"{field}_text"], field)
    _set_error(field, parsed.messages)
    if parsed.ok:
        _update(**{field: parsed.value})


def vector_input(label: str, field: str, help: str | None = None) -> None:
    """A text box for a vector field of ``AppState``, comma-separated; bad text is named."""
    if field not in ss.get("input_errors", {}):
        _seed(f"{field}_text", ", ".join(f"{v:g}" for v in getattr(ss["state"], field)))
    st.text_input(label, key=f"{field}_text", on_change=_on_vector, args=(field,), help=help)
    _show_error(field)


def _on_preset() -> None:
    name = ss.get("preset")
    if name:
        ss["state"] = preset_state(name, view=ss["state"].view)
        ss["url_messages"] = ()
        ss["input_errors"] = {}
        _reveal_more_settings(ss["state"])
        ss["preset"] = None  # so the same preset can be clicked again


def preset_picker() -> None:
    """One click loads a preset: the whole state but the view, and the URL follows."""
    st.pills(
        "Presets",
        options=list(PRESETS),
        format_func=lambda name: PRESETS[name][0],
        key="preset",
        on_change=_on_preset,
        help="Each loads a ready-made example; the link in the address bar follows.",
    )


def share_link(state: AppState) -> None:
    """A "Share" button that opens the link to this exact view, in a box with a copy button.

    The box sits in a popover because the browser fetches the code block's highlighter
    (1.5 MB of script) only when it is first shown: keeping it out of the first paint is
    part of the page-load budget (``python -m bench budget``).
    """
    base = (st.context.url or "").split("?", 1)[0]
    with st.popover("Share this exact view", icon=":material/link:", width="stretch"):
        st.code(f"{base}?{urlencode(to_query(state), safe=',')}", language=None, wrap_lines=True)
        st.caption(
            "Anyone who opens this link sees these inputs and this view. The address bar "
            "holds the same link and follows every change."
        )


def load_sample(logits: Any, y: Any, names: Any) -> None:
    """Load one row of a batch into the single-sample views (a button's callback)."""
    state: AppState = ss["state"]
    one_hot = int(np.count_nonzero(y)) == 1
    # Columns logit_0, logit_1, ... name no classes: keep the default names then.
    plain = tuple(names) == tuple(str(i) for i in range(len(names)))
    parsed_names = parse_names("" if plain else ",".join(names), len(names))
    ss["state"] = replace(
        resize(state, len(logits)),
        logits=tuple(float(v) for v in logits),
        target=int(np.argmax(y)),
        y=None if one_hot else tuple(float(v) for v in y),
        smoothing=0.0,
        names=parsed_names.value if parsed_names.ok else (),
        view="gradient",
    )
    ss["url_messages"] = ()
    ss["input_errors"] = {}
    _reveal_more_settings(ss["state"])


def _on_trio() -> None:
    chosen = sorted(int(c) for c in ss["trio"])
    if len(chosen) == 3:
        _set_error("trio", ())
        _update(trio=(chosen[0], chosen[1], chosen[2]))
    else:
        _set_error("trio", ("Pick exactly three classes for the simplex.",))


def trio_picker(state: AppState) -> None:
    """Choose the simplex's three classes; a choice of more or fewer is named, not used."""
    names = state.class_names
    if "trio" not in ss.get("input_errors", {}):
        _seed("trio", list(state.simplex_classes))
    st.multiselect(
        "Three classes",
        options=list(range(state.K)),
        format_func=lambda i: f"o{i} · {names[i]}",
        max_selections=3,
        key="trio",
        on_change=_on_trio,
    )
    _show_error("trio")


def axis_pickers(state: AppState, columns: Any) -> None:
    """Two selectors for the landscape's plane, in the two given columns."""
    names = state.class_names
    for which, (column, label) in enumerate(
        zip(columns, ("Horizontal axis", "Vertical axis"), strict=True)
    ):
        _seed(f"axis_{which}", state.plane[which])
        column.selectbox(
            label,
            options=list(range(state.K)),
            format_func=lambda i: f"o{i} · {names[i]}",
            key=f"axis_{which}",
            on_change=_on_axis,
            args=(which,),
        )


def _seed_widgets(state: AppState) -> None:
    _seed("K", state.K)
    for i, v in enumerate(state.logits):
        _seed(f"num_{i}", v)
        _seed(f"slider_{i}", _clamp(v))
    _seed("soft", state.y is not None)
    # Free-text boxes keep what the user typed while it is being corrected.
    if "names" not in ss.get("input_errors", {}):
        _seed("names_text", ", ".join(state.names))
    if "y" not in ss.get("input_errors", {}) and state.y is not None:
        _seed("y_text", ", ".join(f"{v:g}" for v in state.y))


def _show_error(field: str) -> None:
    message = ss.get("input_errors", {}).get(field)
    if message:
        st.error(escape_markdown(message), icon=":material/error:")


#: The sidebar expander with the settings most links leave at their defaults.
MORE_SETTINGS = "Temperature, smoothing, names"


def _settings_in_force(state: AppState) -> list[str]:
    """The expander's settings that differ from the defaults, each as a short phrase."""
    changed = []
    if state.T != DEFAULT.T:
        changed.append(f"T = {fmt_short(state.T)}")
    if state.smoothing != DEFAULT.smoothing:
        changed.append(f"ε = {fmt_short(state.smoothing)}")
    if state.names != DEFAULT.names:
        changed.append("names set")
    return changed


def _reveal_more_settings(state: AppState) -> None:
    """Open the settings expander when a whole new state sets one of its settings."""
    if _settings_in_force(state):
        ss["more_open"] = True


def more_settings_label(state: AppState) -> str:
    """The expander's label, naming the settings in force, so a closed expander still says
    what applies."""
    changed = _settings_in_force(state)
    return MORE_SETTINGS + (f" · {', '.join(changed)}" if changed else "")


def sidebar(state: AppState) -> None:
    """Draw the inputs in the sidebar, each showing ``state``."""
    _seed_widgets(state)
    names = state.class_names
    with st.sidebar:
        share_link(state)
        preset_picker()
        st.header("Inputs")
        st.number_input(
            "Number of classes K",
            min_value=K_RANGE[0],
            max_value=K_RANGE[1],
            step=1,
            key="K",
            on_change=_on_K,
        )
        st.markdown("**Logits o**")
        for i in range(state.K):
            left, right = st.columns([3, 2], vertical_alignment="bottom")
            out_of_range = not SLIDER_RANGE[0] <= state.logits[i] <= SLIDER_RANGE[1]
            left.slider(
                f"o{subscript(i)} · {escape_markdown(names[i])}",
                min_value=SLIDER_RANGE[0],
                max_value=SLIDER_RANGE[1],
                step=0.1,
                key=f"slider_{i}",
                on_change=_on_logit,
                args=(i, "slider"),
                disabled=out_of_range,
                help="Beyond the slider's range: type the value in the box."
                if out_of_range
                else None,
            )
            right.number_input(
                f"exact o{i}",
                min_value=-LOGIT_LIMIT,
                max_value=LOGIT_LIMIT,
                step=0.1,
                format="%g",
                key=f"num_{i}",
                on_change=_on_logit,
                args=(i, "num"),
                label_visibility="collapsed",
            )
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
                **bound("target"),
            )
        else:
            st.text_input(
                "y, comma-separated, summing to 1",
                key="y_text",
                on_change=_on_y_text,
            )
            _show_error("y")
        # Read only when opened, so the first paint stays light (python -m bench budget);
        # it opens by itself when a link or preset sets one of them.
        with st.expander(
            more_settings_label(state),
            expanded=bool(_settings_in_force(state)),
            key="more_open",
            on_change="rerun",
        ) as more:
            if more.open:
                st.number_input(
                    "Label smoothing ε",
                    min_value=SMOOTHING_RANGE[0],
                    max_value=SMOOTHING_RANGE[1],
                    step=0.01,
                    format="%g",
                    **bound("smoothing"),
                    help="y ← (1 − ε)·y + ε/K",
                )
                st.number_input(
                    "Temperature T",
                    min_value=T_RANGE[0],
                    max_value=T_RANGE[1],
                    step=0.1,
                    format="%g",
                    **bound("T"),
                    help="p = softmax(o / T)",
                )
                st.text_input(
                    "Class names (optional)",
                    key="names_text",
                    placeholder="cat, dog, bird",
                    on_change=_on_names,
                    help=f"{state.K} names, comma-separated, shown as plain text.",
                )
                _show_error("names")
        st.toggle(
            "Presentation mode",
            help="Larger type on every chart, and the sidebar folded away on the next "
            "visit of the link (present=1).",
            **bound("present"),
        )


def view_picker(state: AppState) -> str:
    """The row of view buttons at the top of the page; returns the open view."""
    st.segmented_control(
        "View",
        options=list(VIEWS),
        format_func=VIEWS.__getitem__,
        label_visibility="collapsed",
        **bound("view"),
        required=True,
    )
    return ss["state"].view


def fd_step_picker(state: AppState) -> float:
    """A slider over powers of ten for the finite-difference step ``h``."""
    steps = sorted({10.0**e for e in range(-12, 0)} | {state.h})
    steps = [h for h in steps if H_RANGE[0] <= h <= H_RANGE[1]]
    st.select_slider(
        "Finite-difference step h",
        options=steps,
        format_func=lambda h: f"{h:.0e}",
        **bound("h"),
    )
    return ss["state"].h


def show_url_messages() -> None:
    """Say what in the link could not be used, once, at the top of the page."""
    messages = ss.get("url_messages", ())
    if messages:
        body = "\n".join(f"- {escape_markdown(m)}" for m in messages)
        st.warning(
            "**Some settings in the link could not be used**; the rest of the link was "
            f"applied, and defaults stand in for these:\n\n{body}",
            icon=":material/link_off:",
        )


def sync_url(state: AppState) -> None:
    """Write the state to the address bar, so copying it shares this exact view.

    Except while a page opened with no query still shows the defaults: Streamlit drops a
    query of over 1000 parameters (or 512 KiB) and only logs it, so such a link reaches the
    script as no query at all, and nothing the script can see tells the two apart. Left
    alone, the address bar keeps that link for its owner to see and shorten; the bare
    address shares the defaults all the same.
    """
    if not st.query_params and state == DEFAULT:
        return
    query = to_query(state)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
