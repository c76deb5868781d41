"""The Streamlit layer: one module per view, plus the sidebar controls.

This is the only part of ce_viz that imports Streamlit. A view reads top to bottom:
inputs, compute (through the core), build figures, place them on the page.
"""
