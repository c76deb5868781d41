"""ce-viz: see why the gradient of softmax + cross-entropy is p − y.

Run with ``streamlit run app.py``. This file only sets up the page and routes to a view.
"""

import streamlit as st

from ce_viz.views import (
    batch,
    check,
    derivation,
    gradient,
    jacobian,
    landscape,
    layer,
    quick,
    simplex,
    train,
    why,
)
from ce_viz.views.common import one_blas_thread, page_style
from ce_viz.views.session import current_state, presenting, sync_url
from ce_viz.views.sidebar import qr_button, show_url_messages, sidebar, view_picker

st.set_page_config(
    page_title="ce-viz · softmax + cross-entropy",
    page_icon=":material/functions:",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting() else "auto",
)

VIEW_RENDERERS = {
    "gradient": gradient.render,
    "derivation": derivation.render,
    "landscape": landscape.render,
    "simplex": simplex.render,
    "jacobian": jacobian.render,
    "why": why.render,
    "check": check.render,
    "batch": batch.render,
    "layer": layer.render,
    "train": train.render,
}

one_blas_thread()
state = current_state()
page_style(state.present)
sidebar(state)
if not presenting():
    st.title("ce-viz: why the gradient is p\u00a0−\u00a0y")
show_url_messages()
if state.present:  # one row: the views, and the QR code for the hall at its right
    views, qr = st.columns([6, 1], vertical_alignment="center")
    with qr:
        qr_button()
    with views:
        view = view_picker(state)
else:
    view = view_picker(state)
if view in quick.VIEWS:  # on a phone the sidebar covers the page: the sample's inputs here
    quick.quick_inputs(state)
VIEW_RENDERERS[view](state)
sync_url(state)
