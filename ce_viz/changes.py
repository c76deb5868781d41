"""How a user's action changes the state: pure functions from one ``AppState`` to the next.

The page's widgets call these through ``ce_viz.views.session``; nothing here imports
Streamlit, so each rule is tested on its own (tests/test_changes.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ce_viz.fmt import fmt_short
from ce_viz.state import (
    DEFAULT,
    PROBLEM_RANGE,
    AppState,
    parse_names,
    preset_state,
    resize,
    with_problem,
)

__all__ = [
    "from_row",
    "new_problem",
    "pick_axis",
    "pick_soft",
    "pick_tab",
    "set_logit",
    "settings_in_force",
    "with_preset",
]


def set_logit(state: AppState, i: int, value: float) -> AppState:
    """The state with logit ``i`` set to ``value``.

    >>> set_logit(DEFAULT, 0, 5.0).logits
    (5.0, 3.0, 4.0)
    """
    logits = list(state.logits)
    logits[i] = float(value)
    return replace(state, logits=tuple(logits))


def pick_soft(state: AppState, soft: bool) -> AppState:
    """Switch between a true class and a soft target.

    A soft target starts from the one-hot target (smoothing still applies on top); going
    back keeps the soft target's heaviest class as the true class.

    >>> pick_soft(DEFAULT, True).y
    (0.0, 1.0, 0.0)
    >>> pick_soft(pick_soft(DEFAULT, True), False).target
    1
    """
    if soft:
        return replace(state, y=tuple(float(i == state.target) for i in range(state.K)))
    return replace(state, y=None, target=state.true_class)


def pick_axis(state: AppState, which: int, chosen: int) -> AppState:
    """The landscape's plane with axis ``which`` (0 horizontal, 1 vertical) set to class
    ``chosen``; picking the other axis's class swaps the two.

    >>> pick_axis(DEFAULT, 0, 2).axes
    (2, 1)
    """
    axes = list(state.plane)
    if chosen == axes[1 - which]:
        axes[1 - which] = axes[which]
    axes[which] = chosen
    return replace(state, axes=(axes[0], axes[1]))


def pick_tab(state: AppState, field: str, tabs: dict[str, str], label: str) -> AppState:
    """The state with the tab shown as ``label`` open: ``field`` holds its name in ``tabs``.

    >>> pick_tab(DEFAULT, "why_tab", {"mse": "CE vs MSE", "binary": "Two"}, "Two").why_tab
    'binary'
    """
    names = {shown: name for name, shown in tabs.items()}
    return replace(state, **{field: names[label]})


def with_preset(state: AppState, name: str) -> AppState:
    """A preset's whole state, on the view that is open.

    >>> with_preset(replace(DEFAULT, view="landscape"), "uniform").view
    'landscape'
    """
    return preset_state(name, view=state.view)


def from_row(
    state: AppState, logits: Sequence[float], y: Sequence[float], names: Sequence[str]
) -> AppState:
    """One row of a batch as the single sample, on the gradient view: its logits, its
    target (a true class when one-hot, else soft), no smoothing, and its class names
    (columns ``logit_0, logit_1, ...`` name no classes, so the default names stay).

    >>> s = from_row(DEFAULT, [1.0, 2.0], [0.0, 1.0], ["cat", "dog"])
    >>> s.logits, s.target, s.y, s.names, s.view
    ((1.0, 2.0), 1, None, ('cat', 'dog'), 'gradient')
    """
    one_hot = int(np.count_nonzero(y)) == 1
    plain = tuple(names) == tuple(str(i) for i in range(len(names)))
    parsed = parse_names("" if plain else ",".join(names), len(names))
    return replace(
        resize(state, len(logits)),
        logits=tuple(float(v) for v in logits),
        target=int(np.argmax(y)),
        y=None if one_hot else tuple(float(v) for v in y),
        smoothing=0.0,
        names=parsed.value if parsed.ok else (),
        view="gradient",
    )


def settings_in_force(state: AppState) -> list[str]:
    """Temperature, smoothing and names where they differ from the defaults, each as a
    short phrase (the sidebar's expander names them, so a closed one still says so).

    >>> settings_in_force(replace(DEFAULT, T=2.0, names=("a", "b", "c")))
    ['T = 2', 'names set']
    """
    changed = []
    if state.T != DEFAULT.T:
        changed.append(f"T = {fmt_short(state.T)}")
    if state.smoothing != DEFAULT.smoothing:
        changed.append(f"ε = {fmt_short(state.smoothing)}")
    if state.names != DEFAULT.names:
        changed.append("names set")
    return changed


def new_problem(state: AppState, seed: int) -> AppState:
    """The check view's "New problem": problem ``seed``'s logits and true class, and blank
    answer boxes (answers to the old problem would be marked against the new one). A seed
    equal to the current problem's is moved on by one, so the problem always changes.

    >>> s = new_problem(replace(DEFAULT, my_p=(0.1, 0.2, 0.7), view="check"), 42)
    >>> s.problem, s.my_p, s.view
    (42, None, 'check')
    """
    if seed == state.problem:
        seed = seed % PROBLEM_RANGE[1] + PROBLEM_RANGE[0]
    return replace(with_problem(state, seed), my_p=None, my_loss=None, my_grad=None)
