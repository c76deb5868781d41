"""Every Streamlit cache in the app is bounded by entries and by age, so no input a user
sends can make the server hold more than the limits allow."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "ce_viz").rglob("*.py"))]


def cache_decorators() -> list[tuple[str, ast.Call]]:
    """(where, call) for every ``st.cache_data(...)`` or ``st.cache_resource(...)``."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr.startswith("cache_"):
                    assert isinstance(decorator, ast.Call), f"{path.name}:{node.name} unbounded"
                    found.append((f"{path.name}:{node.name}", decorator))
    return found


def test_the_app_has_caches() -> None:
    """The check below looks at something: the sample file and the finite-difference sweep
    are cached (a grid or a descent is not: computing one costs less than a cache miss)."""
    assert {where for where, _ in cache_decorators()} >= {
        "batch.py:_sample_bytes",
        "common.py:cached_fd_sweep",
    }


def test_every_cache_has_max_entries_and_a_ttl() -> None:
    """Each cache states max_entries (a count) and ttl (an age)."""
    for where, call in cache_decorators():
        keywords = {k.arg for k in call.keywords}
        assert {"max_entries", "ttl"} <= keywords, where
