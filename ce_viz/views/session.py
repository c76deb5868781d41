"""The page's memory: the only code that touches ``st.session_state`` and ``st.query_params``.

``st.session_state["state"]`` holds the canonical ``AppState``. It is read from the URL on a
session's first run; after that every widget writes to it through a callback (each a pure
change from ``ce_viz.changes`` or a field set), and the page writes it back to the URL at
the end of each run. Widgets only display it. A run reads the state once and passes it
down; a fragment, which reruns alone, reads it once at its start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import streamlit as st

from ce_viz.changes import pick_tab, settings_in_force
from ce_viz.state import (
    DEFAULT,
    LANDSCAPE_TABS,
    LAYER_TABS,
    WHY_TABS,
    AppState,
    parse_flag,
    parse_query,
    to_query,
)

__all__ = [
    "URL_MESSAGES_SHOWN",
    "apply",
    "bound",
    "bound_tabs",
    "current_state",
    "end_fragment",
    "error",
    "forget",
    "keep",
    "kept",
    "presenting",
    "replace_all",
    "seed",
    "set_error",
    "state",
    "sync_url",
    "update",
    "url_messages",
    "value",
]

ss = st.session_state
#: Whether the page's top shows the link's complaints (``sidebar.show_url_messages`` keeps
#: it; :func:`end_fragment` reads it).
URL_MESSAGES_SHOWN = "url_messages_shown"

#: Each view's tabs: the state field that holds the open one, and the tabs by name.
_TABS: dict[str, tuple[str, dict[str, str]]] = {
    "why": ("why_tab", WHY_TABS),
    "landscape": ("landscape_tab", LANDSCAPE_TABS),
    "layer": ("layer_tab", LAYER_TABS),
}


def presenting() -> bool:
    """Whether the page is in presentation mode; safe to call before set_page_config."""
    if "state" in ss:
        return bool(ss["state"].present)
    return bool(parse_flag(st.query_params.get("present", "0"), "present").value)


def current_state() -> AppState:
    """The session's state, read from the URL on the first run."""
    if "state" not in ss:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        parsed, messages = parse_query(params)
        ss["state"] = parsed
        ss["url_messages"] = messages
        ss["input_errors"] = {}
    return ss["state"]


def state() -> AppState:
    """The state as it is now: for a fragment, which reruns without the page."""
    return ss["state"]


def update(**changes: Any) -> None:
    """Set fields of the state. Once the user changes something, the link's complaints
    are history."""
    ss["state"] = replace(ss["state"], **changes)
    ss["url_messages"] = ()


def apply(change: Callable[..., AppState], *args: Any) -> None:
    """Replace the state with ``change(state, *args)``: one of ``ce_viz.changes``."""
    ss["state"] = change(ss["state"], *args)
    ss["url_messages"] = ()


def replace_all(new: AppState) -> None:
    """A whole new state (a preset, a batch row): old complaints and errors go, and the
    sidebar's settings expander opens if the new state sets one of its settings."""
    ss["state"] = new
    ss["url_messages"] = ()
    ss["input_errors"] = {}
    if settings_in_force(new):
        ss["more_open"] = True


def value(key: str) -> Any:
    """The value of the widget ``key`` (in its callback), or None."""
    return ss.get(key)


def seed(key: str, shown: Any) -> None:
    """Show ``shown`` in the widget ``key`` (before the widget is drawn this run)."""
    if ss.get(key) != shown:
        ss[key] = shown


def set_error(field: str, messages: tuple[str, ...]) -> None:
    """Remember what was wrong with the text typed for ``field`` (none: forget it)."""
    errors = dict(ss.get("input_errors", {}))
    if messages:
        errors[field] = " ".join(messages)
    else:
        errors.pop(field, None)
    ss["input_errors"] = errors


def error(field: str) -> str | None:
    """What was wrong with the text typed for ``field``, if anything."""
    return ss.get("input_errors", {}).get(field)


def url_messages() -> tuple[str, ...]:
    """What in the link could not be used (until the user changes something)."""
    return ss.get("url_messages", ())


def end_fragment() -> None:
    """A fragment's last step: write the state to the address bar; and when the page
    above it still shows the link's complaints, which an edit in the fragment has just
    made history, rerun the whole page once to take them away (a fragment cannot redraw
    what lies outside it)."""
    sync_url(ss["state"])
    if kept(URL_MESSAGES_SHOWN) and not url_messages():
        forget(URL_MESSAGES_SHOWN)
        st.rerun(scope="app")


def _on_field(field: str) -> None:
    update(**{field: ss[field]})


#: ``bound``'s default: the widget shows the state's own value.
_STATE_VALUE = object()


def bound(field: str, shown: Any = _STATE_VALUE) -> dict[str, Any]:
    """Keyword arguments that tie a widget to the ``AppState`` field of the same name.

    The widget shows the state's value (or ``shown``: what a field whose None means "the
    default" shows, or None for an empty box) and writes changes back through one
    callback. Call it as ``st.slider(..., **bound("lr"))``; the widget's key is the
    field's name.
    """
    seed(field, getattr(ss["state"], field) if shown is _STATE_VALUE else shown)
    return {"key": field, "on_change": _on_field, "args": (field,)}


def _on_tab(field: str, tabs: dict[str, str]) -> None:
    apply(pick_tab, field, tabs, ss[field])


def bound_tabs(view: str) -> dict[str, Any]:
    """Keyword arguments for a view's ``st.tabs``: the open tab is the state's (``tab=`` or
    ``part=`` in the link), and a change reruns, so only the open tab's content is built."""
    field, tabs = _TABS[view]
    seed(field, tabs[getattr(ss["state"], field)])
    return {"key": field, "on_change": _on_tab, "args": (field, tabs)}


@contextmanager
def expander(label: str, key: str, **options: Any) -> Iterator[Any]:
    """A lazy expander (it reruns the page when opened or shut, and its ``open`` says
    whether to build its content) that opens as it was when its label has changed: a
    label that tells its settings is part of its identity, so a change made inside it was
    a new expander, shut."""
    was_open = f"{key}_was_open"
    with st.expander(
        label, expanded=bool(ss.get(was_open)), key=key, on_change="rerun", **options
    ) as box:
        ss[was_open] = box.open
        yield box


def kept(key: str) -> Any:
    """What a view kept for this session under ``key`` (None if nothing)."""
    return ss.get(key)


def keep(key: str, kept_value: Any) -> None:
    """Keep ``kept_value`` for this session (a batch summary, say) under ``key``."""
    ss[key] = kept_value


def forget(key: str) -> None:
    """Let go of what was kept under ``key``."""
    ss.pop(key, None)


def sync_url(current: AppState) -> None:
    """Write the state to the address bar, so copying it shares this exact view.

    Except while a page opened with no query still shows the defaults: Streamlit drops a
    query of over 1000 parameters (or 512 KiB) and only logs it, so such a link reaches the
    script as no query at all, and nothing the script can see tells the two apart. Left
    alone, the address bar keeps that link for its owner to see and shorten; the bare
    address shares the defaults all the same.
    """
    if not st.query_params and current == DEFAULT:
        return
    query = to_query(current)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
