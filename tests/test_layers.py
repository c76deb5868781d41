"""The layer rules: the core never imports the drawing or page code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (module, packages it must not pull in)
LAYERS = [
    ("ce_viz", ("streamlit", "plotly", "pandas")),
    ("ce_viz.core", ("streamlit", "plotly", "pandas")),
    ("ce_viz.state", ("streamlit", "plotly", "pandas")),
    ("ce_viz.fmt", ("streamlit", "plotly", "pandas")),
    ("ce_viz.analysis", ("streamlit", "plotly")),
    ("ce_viz.figures", ("streamlit",)),
]


@pytest.mark.parametrize(("module", "forbidden"), LAYERS)
def test_module_does_not_import_upper_layers(module: str, forbidden: tuple[str, ...]) -> None:
    """Importing a lower-layer module in a fresh interpreter loads none of the upper ones."""
    code = f"import sys, {module}\nprint(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"


def test_app_py_holds_no_formula() -> None:
    """app.py only routes: it imports no NumPy and calls no core function."""
    source = (ROOT / "app.py").read_text()
    assert "import numpy" not in source
    for name in ("softmax", "cross_entropy", "grad_logits"):
        assert f"{name}(" not in source
