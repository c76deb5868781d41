"""The rules for what a user's action does to the state, without Streamlit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ce_viz.changes import (
    from_row,
    new_problem,
    pick_axis,
    pick_soft,
    pick_tab,
    set_logit,
    settings_in_force,
    with_preset,
)
from ce_viz.check import make_problem
from ce_viz.state import (
    DEFAULT,
    LANDSCAPE_TABS,
    PRESETS,
    PROBLEM_RANGE,
    WHY_TABS,
    preset_state,
    problem_in_force,
)

FOUR = replace(DEFAULT, logits=(1.0, 2.0, 3.0, 4.0), target=0)


def test_set_logit_changes_one_logit_and_nothing_else() -> None:
    changed = set_logit(FOUR, 2, -7.5)
    assert changed.logits == (1.0, 2.0, -7.5, 4.0)
    assert replace(changed, logits=FOUR.logits) == FOUR


@pytest.mark.parametrize("target", [0, 1, 2])
def test_soft_target_starts_one_hot_and_goes_back_to_its_heaviest_class(target: int) -> None:
    hard = replace(DEFAULT, target=target)
    soft = pick_soft(hard, True)
    assert soft.y == tuple(float(i == target) for i in range(3))
    assert pick_soft(replace(soft, y=(0.2, 0.1, 0.7)), False) == replace(hard, target=2)


def test_picking_an_axis_sets_it_and_picking_the_other_axis_class_swaps() -> None:
    """FOUR's default plane is (true class 0, strongest other 3)."""
    assert FOUR.plane == (0, 3)
    assert pick_axis(FOUR, 0, 1).axes == (1, 3)
    assert pick_axis(FOUR, 1, 2).axes == (0, 2)
    assert pick_axis(FOUR, 0, 3).axes == (3, 0)  # the vertical axis's class: a swap
    assert pick_axis(FOUR, 1, 0).axes == (3, 0)


@pytest.mark.parametrize(
    ("field", "tabs"), [("why_tab", WHY_TABS), ("landscape_tab", LANDSCAPE_TABS)]
)
def test_picking_a_tab_by_its_label_stores_its_name(field: str, tabs: dict[str, str]) -> None:
    for name, label in tabs.items():
        assert getattr(pick_tab(DEFAULT, field, tabs, label), field) == name


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_preset_keeps_the_open_view(name: str) -> None:
    assert with_preset(replace(DEFAULT, view="simplex"), name) == preset_state(name, "simplex")


def test_a_batch_row_becomes_the_sample_on_the_gradient_view() -> None:
    """A one-hot row gives a true class; a soft row a soft target; numbered columns keep
    the default names; smoothing is reset, and K follows the row."""
    start = replace(FOUR, smoothing=0.2, view="batch")
    hard = from_row(start, [0.5, -1.0], [0.0, 1.0], ["cat", "dog"])
    assert (hard.logits, hard.target, hard.y, hard.names) == ((0.5, -1.0), 1, None, ("cat", "dog"))
    assert (hard.smoothing, hard.view, hard.K) == (0.0, "gradient", 2)
    soft = from_row(start, [1.0, 2.0, 3.0], [0.2, 0.3, 0.5], ["0", "1", "2"])
    assert soft.y == (0.2, 0.3, 0.5)
    assert soft.target == 2
    assert soft.names == ()


def test_settings_in_force_name_what_differs_from_the_defaults() -> None:
    assert settings_in_force(DEFAULT) == []
    assert settings_in_force(replace(DEFAULT, smoothing=0.1, T=0.5)) == ["T = 0.5", "ε = 0.1"]


def test_a_new_problem_takes_its_seeds_logits_and_blanks_the_answers() -> None:
    """New problem: the seed's logits and true class (no soft target), answers blank, the
    seed in the state (so in the link), and T, smoothing and the view kept."""
    start = replace(
        DEFAULT,
        y=(0.1, 0.8, 0.1),
        T=2.0,
        smoothing=0.1,
        view="check",
        my_p=(0.1, 0.2, 0.7),
        my_loss=1.0,
        my_grad=(0.1, -0.8, 0.7),
    )
    made = make_problem(77)
    new = new_problem(start, 77)
    assert (new.logits, new.target, new.y, new.problem) == (made.logits, made.target, None, 77)
    assert (new.my_p, new.my_loss, new.my_grad) == (None, None, None)
    assert (new.T, new.smoothing, new.view) == (2.0, 0.1, "check")
    assert problem_in_force(new)


def test_a_new_problem_always_changes_the_problem() -> None:
    """A drawn seed equal to the current problem's moves on, so the button never does nothing."""
    current = new_problem(DEFAULT, 5)
    assert new_problem(current, 5).problem == 6
    last = new_problem(DEFAULT, PROBLEM_RANGE[1])
    assert new_problem(last, PROBLEM_RANGE[1]).problem == PROBLEM_RANGE[0]


def test_a_new_problem_of_another_size_resets_what_no_longer_fits() -> None:
    """From four named classes to a three-class problem: the names and the plane reset."""
    seed = next(s for s in range(1, 100) if len(make_problem(s).logits) == 3)
    start = replace(FOUR, names=("a", "b", "c", "d"), axes=(0, 3))
    new = new_problem(start, seed)
    assert new.K == 3
    assert (new.names, new.axes) == ((), None)


def test_changing_a_logit_ends_the_problem_in_force() -> None:
    """Once a logit is changed the page no longer calls it problem N."""
    new = new_problem(DEFAULT, 9)
    assert problem_in_force(new)
    assert not problem_in_force(set_logit(new, 0, new.logits[0] + 1))
