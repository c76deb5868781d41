"""The baseline for bench/budget.py: the smallest Streamlit app of the same kind, one
metric and one Plotly bar chart, recomputed from one number input."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

x = st.number_input("exact o1", value=3.0, key="num_1")
p = np.exp([2.0, x, 4.0]) / np.exp([2.0, x, 4.0]).sum()
st.metric("Loss", f"{-np.log(p[1]):.4f}")
st.plotly_chart(go.Figure(go.Bar(y=p)), width="stretch")
