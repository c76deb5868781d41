"""The layer rules: the maths never imports the drawing or page code, no module reaches into
another module's private names, and the input checks live in one place, ``ce_viz._checks``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ce_viz"

NO_UI = ("streamlit", "plotly")
NO_UI_NO_PANDAS = ("streamlit", "plotly", "pandas")

# (module, packages it must not pull in). Every maths module is here. analysis builds the
# per-class table with pandas and batch reads CSV with it; check and the command line
# evaluate through analysis, so they load pandas too. None of them loads Plotly or Streamlit.
LAYERS = [
    ("ce_viz", NO_UI_NO_PANDAS),
    ("ce_viz._checks", NO_UI_NO_PANDAS),
    ("ce_viz._reduce", NO_UI_NO_PANDAS),
    ("ce_viz.core", NO_UI_NO_PANDAS),
    ("ce_viz.landscape", NO_UI_NO_PANDAS),
    ("ce_viz.theory", NO_UI_NO_PANDAS),
    ("ce_viz.fmt", NO_UI_NO_PANDAS),
    ("ce_viz.state", NO_UI_NO_PANDAS),
    ("ce_viz.analysis", NO_UI),
    ("ce_viz.check", NO_UI),
    ("ce_viz.batch", NO_UI),
    ("ce_viz.__main__", NO_UI),
    ("ce_viz.changes", NO_UI_NO_PANDAS),
    ("ce_viz.scenes", NO_UI),
    ("ce_viz.layer", NO_UI_NO_PANDAS),
    ("ce_viz.digits", NO_UI_NO_PANDAS),
    ("ce_viz.datasets", NO_UI),
    ("ce_viz.train", NO_UI_NO_PANDAS),
    ("ce_viz.figures", ("streamlit",)),
]

#: The maths modules, whose input checks must come from ce_viz._checks.
MATHS = [
    *("core", "landscape", "theory", "analysis", "check", "batch", "fmt", "__main__"),
    *("layer", "digits", "datasets", "train"),
]

#: Message stems of the shared checks: each is written once, in ce_viz/_checks.py.
CHECK_MESSAGES = [
    "logits must be numbers",
    "logits must be a vector of class scores",
    "need at least 2 classes",
    "must be finite, got",
    "takes one sample of logits",
    "must be a number, got",
    "must be a finite number > 0",
    "target y must be numbers",
    "does not match logits of shape",
    "target y must be finite and non-negative",
    "target y must sum to 1",
    "the number of classes K must",
    "the target class must",
    "axis must be a class",
    "axes must be two",
    "steps must be a whole number",
    "smoothing eps must",
    "must be a non-empty 1-D array of finite numbers",
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


# --------------------------------------------------------------------------------------
# No module imports another module's private names
# --------------------------------------------------------------------------------------


def _is_private(name: str) -> bool:
    """``_name`` but not ``__name__``."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this project."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_internal_module(dotted: str) -> bool:
    """A package-internal module such as ``ce_viz._checks``: its own name is private, its
    functions are public within the package."""
    return (
        dotted.startswith("ce_viz.") and _is_private(dotted.split(".")[-1]) and _is_module(dotted)
    )


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``a.b.c`` for a chain of names, with the first name replaced by the module it is bound
    to; None for anything else."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


def private_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Where ``source`` (the module ``module``) takes a private name of another ce_viz
    module: by ``from m import _name``, or as ``m._name`` on a module it imported."""
    found = []
    aliases: dict[str, str] = {}  # local name -> the ce_viz module bound to it
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "ce_viz" or alias.name.startswith("ce_viz."):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not (target == "ce_viz" or target.startswith("ce_viz.")):
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if _is_private(alias.name) and not _is_internal_module(full):
                    found.append(f"line {node.lineno}: from {target} import {alias.name}")
                if _is_module(full):
                    aliases[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = _dotted(node.value, aliases)
            if (
                owner is not None
                and owner != module
                and _is_module(owner)
                and not _is_internal_module(f"{owner}.{node.attr}")
            ):
                found.append(f"line {node.lineno}: {owner}.{node.attr}")
    return found


def _module_of(path: Path) -> tuple[str, bool]:
    """The dotted name of a source file, and whether it is a package's ``__init__``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


SOURCES = [*sorted(PACKAGE.rglob("*.py")), ROOT / "app.py"]


def test_the_scan_covers_the_package_and_the_app() -> None:
    """The sources scanned include every maths module, the internal ones and app.py."""
    names = {_module_of(path)[0] for path in SOURCES}
    assert {f"ce_viz.{m}" for m in MATHS} <= names
    assert {"ce_viz", "ce_viz._checks", "ce_viz._reduce", "ce_viz.views", "app"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_takes_another_modules_private_names(path: Path) -> None:
    """A name with a leading underscore stays in its module; what several modules share
    lives, public, in a package-internal module such as ce_viz._checks."""
    module, is_package = _module_of(path)
    assert private_imports(path.read_text(), module, is_package) == []


#: (source, the module it is, how many private takings it holds)
PRIVATE_CASES = [
    ("from ce_viz.core import _stable_softmax, softmax", "ce_viz.landscape", 1),
    ("from ce_viz.core import (\n    _check_logits,\n    _check_y,\n)", "ce_viz.theory", 2),
    ("from .core import _stable_softmax", "ce_viz.landscape", 1),
    ("from ..fmt import _WORD_JOINER", "ce_viz.views.why", 1),
    ("from ce_viz._checks import _index_text", "ce_viz.core", 1),
    ("from ce_viz import core\ncore._stable_softmax(o, 1.0)", "ce_viz.theory", 1),
    ("import ce_viz.core as c\nc._BY_CLASS", "ce_viz.theory", 1),
    ("import ce_viz.core\nce_viz.core._stable_softmax", "app", 1),
    ("from ce_viz.core import softmax, CEVizError", "ce_viz.theory", 0),
    ("from ce_viz._checks import check_logits, is_index", "ce_viz.core", 0),
    ("from ce_viz import _checks\n_checks.check_y", "ce_viz.landscape", 0),
    ("import ce_viz._checks as checks\nchecks.check_K(3)", "ce_viz.core", 0),
    ("from ce_viz.core import __all__", "ce_viz.theory", 0),
    ("from numpy import _core\nx._private", "ce_viz.core", 0),
    ("def f(self):\n    return self._cache", "ce_viz.state", 0),
]


@pytest.mark.parametrize(("source", "module", "count"), PRIVATE_CASES)
def test_the_private_name_rule_catches_what_it_must(source: str, module: str, count: int) -> None:
    """The scan finds each private taking and passes public and package-internal names."""
    assert len(private_imports(source, module)) == count


# --------------------------------------------------------------------------------------
# The input checks live in ce_viz._checks
# --------------------------------------------------------------------------------------


def _messages(tree: ast.AST) -> str:
    """The string literals of every ``raise`` in ``tree`` (the literal parts of f-strings
    included), one a line."""
    return "\n".join(
        n.value
        for r in ast.walk(tree)
        if isinstance(r, ast.Raise)
        for n in ast.walk(r)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _bool_exclusions(tree: ast.AST) -> list[int]:
    """The lines of ``isinstance(x, bool)``: the integer-but-not-bool test, written out."""
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "isinstance"
        and len(n.args) == 2
        and "bool" in {e.id for e in ast.walk(n.args[1]) if isinstance(e, ast.Name)}
    ]


def test_the_checks_module_holds_every_check_message() -> None:
    """Each shared message is raised in ce_viz/_checks.py, which holds the integer-not-bool
    test too: the search below looks for things that are there."""
    tree = ast.parse((PACKAGE / "_checks.py").read_text())
    text = _messages(tree)
    assert [stem for stem in CHECK_MESSAGES if stem not in text] == []
    assert _bool_exclusions(tree) != []


@pytest.mark.parametrize("name", MATHS)
def test_maths_modules_write_no_check_of_their_own(name: str) -> None:
    """No maths module spells out a shared check again: none of its messages, and no
    ``isinstance(x, bool)`` (``_checks.is_index`` is the one)."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    text = _messages(tree)
    assert [stem for stem in CHECK_MESSAGES if stem in text] == []
    assert _bool_exclusions(tree) == []


# --------------------------------------------------------------------------------------
# Who may import whom: every module of the package, by its place
# --------------------------------------------------------------------------------------

VIEWS_DIR = PACKAGE / "views"
FIGURES_DIR = PACKAGE / "figures"
#: The page's shared pieces: not views, so views may import them.
PAGE_PIECES = {"__init__", "common", "session", "sidebar"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as both a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _place(path: Path) -> str:
    if path.parent == VIEWS_DIR:
        return "page" if path.stem in PAGE_PIECES else "view"
    if path.parent == FIGURES_DIR:
        return "figures"
    return "maths"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_place() -> None:
    """The rules below cover every module: the views, the page pieces, the figures, and
    the maths (everything else), with some of each."""
    places = {_place(path) for path in MODULES}
    assert places == {"view", "page", "figures", "maths"}
    assert len(MODULES) >= 25


@pytest.mark.parametrize("path", [p for p in MODULES if _place(p) == "view"], ids=str)
def test_views_import_no_numpy_and_no_other_view(path: Path) -> None:
    """A view lays out widgets and figures: it imports no NumPy (its numbers come from the
    maths) and no other view (shared pieces live in views.common, session and sidebar)."""
    imports = imported_modules(path)
    assert not {m for m in imports if m == "numpy" or m.startswith("numpy.")}, imports
    views = {p.stem for p in VIEWS_DIR.glob("*.py") if p.stem not in PAGE_PIECES}
    others = {m for m in imports if m.startswith("ce_viz.views.")} - {
        f"ce_viz.views.{piece}" for piece in PAGE_PIECES
    }
    assert not {m for m in others if m.split(".")[2] in views}, others


@pytest.mark.parametrize("path", [p for p in MODULES if _place(p) == "figures"], ids=str)
def test_figures_import_only_their_style_and_the_maths(path: Path) -> None:
    """A figure builder takes arrays and returns a figure: from ce_viz it imports only the
    shared style (and, in the package's __init__, the builders it re-exports) and the maths,
    never the page."""
    ours = {m for m in imported_modules(path) if m.startswith("ce_viz.")}
    assert not {m for m in ours if m.startswith("ce_viz.views")}, ours
    figure_modules = {m for m in ours if m.startswith("ce_viz.figures.")}
    if path.stem != "__init__":
        assert {m.split(".")[2] for m in figure_modules} <= {"style"}, figure_modules


@pytest.mark.parametrize("path", [p for p in MODULES if _place(p) == "maths"], ids=str)
def test_maths_imports_no_plotly_streamlit_figures_or_views(path: Path) -> None:
    """The maths never reaches up: no Plotly, no Streamlit, no figures, no views."""
    imports = imported_modules(path)
    upward = {
        m
        for m in imports
        if m.split(".")[0] in {"plotly", "streamlit"}
        or m.startswith(("ce_viz.figures", "ce_viz.views"))
    }
    assert not upward, upward


def test_only_the_session_module_touches_session_state_or_query_params() -> None:
    """st.session_state and st.query_params appear in ce_viz/views/session.py alone."""
    touching = [
        _module_name(path)
        for path in [*MODULES, ROOT / "app.py"]
        if "session_state" in path.read_text() or "query_params" in path.read_text()
    ]
    assert touching == ["ce_viz.views.session"]


def test_the_import_rules_catch_a_view_importing_a_view(tmp_path: Path) -> None:
    """The scan sees both spellings of an import."""
    source = tmp_path / "v.py"
    source.write_text("import numpy as np\nfrom ce_viz.views.landscape import plane_figure\n")
    assert {"numpy", "ce_viz.views.landscape", "ce_viz.views.landscape.plane_figure"} <= (
        imported_modules(source)
    )


# --------------------------------------------------------------------------------------
# Function size: at most 60 lines (docstring aside) and 7 parameters, everywhere
# --------------------------------------------------------------------------------------

MAX_LINES, MAX_PARAMETERS = 60, 7


def function_sizes(path: Path) -> list[tuple[str, int, int]]:
    """(name, lines after the docstring, parameters without self/cls) of each function."""
    sizes = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        first = body[0]
        docstring = isinstance(first, ast.Expr) and isinstance(
            getattr(first, "value", None), ast.Constant
        )
        start = body[1].lineno if docstring and len(body) > 1 else first.lineno
        args = node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        count = len(names) + bool(args.vararg) + bool(args.kwarg)
        count -= bool(names) and names[0] in {"self", "cls"}
        sizes.append((node.name, (node.end_lineno or start) - start + 1, count))
    return sizes


@pytest.mark.parametrize("path", [*MODULES, ROOT / "app.py"], ids=str)
def test_no_function_is_long_or_takes_many_parameters(path: Path) -> None:
    """Every function of the package and the app: at most 60 lines and 7 parameters (a
    figure with many inputs takes one dataclass)."""
    too_big = [
        size for size in function_sizes(path) if size[1] > MAX_LINES or size[2] > MAX_PARAMETERS
    ]
    assert not too_big, too_big


def test_the_size_rule_measures_what_it_must(tmp_path: Path) -> None:
    source = tmp_path / "f.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    source.write_text(
        f'def long(a, b):\n    """Doc."""\n{body}\n\n'
        "def wide(self, a, b, c, d, e, f, g, *h):\n    return 1\n"
    )
    assert function_sizes(source) == [("long", 61, 2), ("wide", 1, 8)]


def test_colours_are_written_only_in_the_style_module() -> None:
    """No hex or rgba colour literal anywhere but ce_viz/figures/style.py, and the logit
    label and the LaTeX 1/T are written only in ce_viz/fmt.py."""
    import re

    colour = re.compile(r"[\"'](#[0-9A-Fa-f]{6}|rgba?\()")
    label = re.compile(r"f\"o\{[a-z]\} · ")
    over_t = '\\frac{1}{T}"'
    for path in [*MODULES, ROOT / "app.py"]:
        text = path.read_text()
        if path.name != "style.py":
            assert not colour.search(text), path
        if path.name != "fmt.py":
            assert not label.search(text), path
            assert over_t not in text, path


def test_every_module_of_the_package_has_a_layer() -> None:
    """A new module must be placed in LAYERS (and its maths in MATHS) before its imports and
    messages are checked: a module nobody listed would escape both checks."""
    root = Path(__file__).resolve().parents[1] / "ce_viz"
    modules = {f"ce_viz.{p.stem}" for p in root.glob("*.py") if p.stem != "__init__"}
    listed = {name for name, _ in LAYERS}
    assert modules - listed == set()
    private = {"_checks", "_reduce", "state", "changes", "scenes"}
    assert {m.removeprefix("ce_viz.") for m in modules} - set(MATHS) <= private
