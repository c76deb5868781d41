"""The app's state: one frozen ``AppState``, read from the URL and the widgets, written back.

Every parser here collects problems as readable messages instead of raising. A field whose
text is bad keeps its last good value (on a fresh page, the default), and the message says
what was wrong, so one typo in a shared link never throws away the rest of the state.

The URL format (every parameter is an entry of ``URL_FIELDS``, which both
``parse_query`` and ``to_query`` read)::

    ?logits=2,3,4&target=1&T=1&smoothing=0&view=gradient
    ?logits=2,3,4&y=0.1,0.8,0.1&names=cat,dog,bird&h=1e-05&view=derivation
    ?problem=4821&view=check

``problem=N`` names a generated exercise (``ce_viz.check.make_problem``). A link with
``problem=`` and none of ``logits=``, ``target=`` and ``y=`` takes its logits and true
class from the seed, so ``?problem=4821&view=check`` on the board gives the whole class one
problem. A link the app writes carries the logits and the true class as well; whenever a
link has them, they are used as they stand, and ``problem=`` only says where they came from
(the check view names the problem only while they are still the seed's).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ce_viz.check import make_problem
from ce_viz.core import SUM_TOLERANCE, target_distribution
from ce_viz.fmt import quote, url_number

__all__ = [
    "ACTIVATIONS",
    "BATCH_RANGE",
    "DATASETS",
    "DEFAULT",
    "DESCENT_MODES",
    "DIGIT_RANGE",
    "H_RANGE",
    "K_RANGE",
    "L2_RANGE",
    "LANDSCAPE_TABS",
    "LAYER_TABS",
    "LOGIT_LIMIT",
    "LR_RANGE",
    "NAME_MAX_CHARS",
    "PLOTS",
    "POINT_RANGE",
    "PRESETS",
    "PROBLEM_RANGE",
    "REVEAL_RANGE",
    "SMOOTHING_RANGE",
    "SPAN_RANGE",
    "STEPS_RANGE",
    "TOL_RANGE",
    "TRAIN_DATA",
    "TRAIN_K_RANGE",
    "TRAIN_LOSSES",
    "TRAIN_LR_RANGE",
    "TRAIN_MODELS",
    "TRAIN_N_RANGE",
    "TRAIN_PRESETS",
    "TRAIN_SEED_RANGE",
    "TRAIN_STEPS_RANGE",
    "T_RANGE",
    "URL_FIELDS",
    "URL_KEYS",
    "VIEWS",
    "WHY_TABS",
    "WIDTH_RANGE",
    "WORST_RANGE",
    "X_FEATURES",
    "X_LIMIT",
    "AppState",
    "Parsed",
    "UrlField",
    "parse_answer",
    "parse_answers",
    "parse_axes",
    "parse_class",
    "parse_names",
    "parse_number",
    "parse_query",
    "parse_trio",
    "parse_vector",
    "preset_state",
    "problem_in_force",
    "resize",
    "to_query",
    "train_preset_state",
    "with_problem",
]

#: The views, by their ``view=`` name, with the label shown on the page.
VIEWS: dict[str, str] = {
    "gradient": "Gradient",
    "derivation": "Derivation",
    "landscape": "Loss landscape",
    "simplex": "Simplex",
    "jacobian": "Jacobian",
    "why": "Why it works",
    "check": "Check my work",
    "batch": "Batch",
    "layer": "One layer back",
    "train": "Watch it learn",
}
#: "Watch it learn": the data presets (``ce_viz.datasets.PRESETS``), the models and their
#: settings, as a link names them.
TRAIN_DATA = ("blobs", "moons", "spiral", "overlapping", "mislabelled")
TRAIN_MODELS = ("softmax", "mlp")
ACTIVATIONS = ("tanh", "relu")
TRAIN_LOSSES = ("ce", "mse")
#: The batch view's data: a built-in sample, or an uploaded file.
DATASETS = ("sample3", "sample10", "upload")
#: The "Why it works" view's tabs, by their ``tab=`` name, with the label shown.
WHY_TABS: dict[str, str] = {
    "mse": "Cross-entropy vs MSE",
    "temperature": "Temperature",
    "smoothing": "Label smoothing",
    "stability": "Numerical stability",
    "binary": "Two classes",
}
#: The "Loss landscape" view's tabs, by their ``part=`` name, with the label shown.
LANDSCAPE_TABS: dict[str, str] = {
    "plane": "The plane and gradient descent",
    "slice": "One logit at a time",
}
#: The "One layer back" view's tabs, by their ``layer=`` name, with the label shown.
LAYER_TABS: dict[str, str] = {
    "linear": "A linear layer",
    "digits": "Handwritten digits",
}
#: How the landscape is drawn, and which logits gradient descent may move.
PLOTS = ("contour", "surface")
DESCENT_MODES = ("plane", "all")

K_RANGE = (2, 20)
T_RANGE = (0.01, 100.0)
SMOOTHING_RANGE = (0.0, 0.99)
H_RANGE = (1e-12, 0.1)
LR_RANGE = (0.001, 20.0)
STEPS_RANGE = (0, 500)
SPAN_RANGE = (1.0, 50.0)
TOL_RANGE = (1e-12, 1.0)
WORST_RANGE = (1, 100)
#: "Watch it learn": the data's seed, points (two per class at K = 5 up to
#: ``datasets.MAX_POINTS``) and classes, the hidden width, the training's learning rate,
#: steps (``train.MAX_STEPS``), mini-batch size (0: full batch) and L2 strength.
TRAIN_SEED_RANGE = (0, 999_999)
TRAIN_N_RANGE = (10, 1000)
TRAIN_K_RANGE = (2, 5)
WIDTH_RANGE = (2, 32)
TRAIN_LR_RANGE = (0.001, 10.0)
TRAIN_STEPS_RANGE = (0, 500)
BATCH_RANGE = (0, 1000)
L2_RANGE = (0.0, 1.0)
#: The selected point's index: within the most points a data set may have (the view
#: checks it against the data it trained on).
POINT_RANGE = (0, TRAIN_N_RANGE[1] - 1)
#: The derivation's step-by-step reveal: 0 shows every line, n the first n.
REVEAL_RANGE = (0, 40)
#: "Check my work": the seeds a "New problem" may carry.
PROBLEM_RANGE = (1, 999_999)
#: "One layer back": the editable sample x (D features, each within X_LIMIT in size) and
#: the digits' indices (the 1797 images of ``ce_viz.digits``).
X_FEATURES = 3
X_LIMIT = 100.0
DIGIT_RANGE = (0, 1796)
#: The core is accurate for any finite logit; the UI accepts up to this magnitude.
LOGIT_LIMIT = 1e300
NAME_MAX_CHARS = 24
#: Longer query values are refused before parsing (10^5 classes is ~200 kB of text).
MAX_PARAM_CHARS = 2000
#: Parameters that the hosting platform or link trackers add; never ours, never an error.
FOREIGN_PARAMS = frozenset({"embed", "embed_options", "fbclid", "gclid"})


@dataclass(frozen=True)
class AppState:
    """Everything a view needs, and everything a shared link carries.

    ``y`` is a soft target that replaces the one-hot ``target`` when given; ``names`` is
    empty for the default names ``class 0, class 1, ...``.
    """

    logits: tuple[float, ...] = (2.0, 3.0, 4.0)
    target: int = 1
    y: tuple[float, ...] | None = None
    T: float = 1.0
    smoothing: float = 0.0
    names: tuple[str, ...] = ()
    view: str = "gradient"
    h: float = 1e-5
    # The loss landscape. ``axes`` and ``slice_axis`` are None until chosen: then they
    # follow the true class (see ``plane`` and ``slice_class``).
    axes: tuple[int, int] | None = None
    plot: str = "contour"
    arrows: bool = False
    span: float = 6.0
    slice_axis: int | None = None
    lr: float = 0.5
    steps: int = 50
    descent: str = "plane"
    # The simplex view's three classes; None until chosen (see ``simplex_classes``).
    trio: tuple[int, int, int] | None = None
    # "Check my work": a student's hand-computed answers, None until typed (a blank box is
    # not answered, never 0), and the tolerance that counts as right (3 decimals).
    my_p: tuple[float, ...] | None = None
    my_loss: float | None = None
    my_grad: tuple[float, ...] | None = None
    tol: float = 0.0005
    # Presentation mode: bigger type, the sidebar folded away.
    present: bool = False
    # The batch view: which data, and how many of the worst rows to list.
    dataset: str = "sample3"
    worst: int = 10
    # The "Why it works" view's open tab, and the "Loss landscape" view's.
    why_tab: str = "mse"
    landscape_tab: str = "plane"
    # The derivation's reveal: 0 shows every line, n only the first n (a lecturer's
    # "next line" steps through it).
    reveal: int = 0
    # "Check my work": the seed of the generated problem, None for the logits as given
    # (see ``problem_in_force``: the logits may have been changed since).
    problem: int | None = None
    # "One layer back": the open tab, the linear layer's sample x, and the chosen digit.
    layer_tab: str = "linear"
    x: tuple[float, ...] = (1.0, -0.5, 2.0)
    digit: int = 0
    # "Watch it learn": the data, the model and how it is trained (T and smoothing are the
    # sample's, set in the sidebar).
    train_data: str = "blobs"
    train_seed: int = 0
    train_n: int = 200
    train_classes: int = 3
    model: str = "softmax"
    width: int = 8
    activation: str = "tanh"
    train_lr: float = 0.5
    train_steps: int = 100
    batch: int = 0
    l2: float = 0.0
    loss: str = "ce"
    # The point opened in "one layer back for point i"; None for the point with the
    # largest pull.
    point: int | None = None

    @property
    def K(self) -> int:
        """The number of classes."""
        return len(self.logits)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The names to show: the user's, or ``class 0, class 1, ...``."""
        return self.names or tuple(f"class {i}" for i in range(self.K))

    @property
    def true_class(self) -> int:
        """``k``: the one-hot target, or the heaviest class of a soft target."""
        return self.target if self.y is None else int(np.argmax(self.y))

    @property
    def plane(self) -> tuple[int, int]:
        """The landscape's two logits: chosen, or the true class and the strongest wrong one."""
        if self.axes is not None:
            return self.axes
        wrong = [i for i in range(self.K) if i != self.true_class]
        return self.true_class, max(wrong, key=lambda i: self.logits[i])

    @property
    def simplex_classes(self) -> tuple[int, int, int]:
        """The simplex's three classes: chosen, or the true class and the two strongest others.

        Needs K >= 3; the simplex view says so instead of drawing when K = 2.
        """
        if self.trio is not None:
            return self.trio
        others = sorted(
            (i for i in range(self.K) if i != self.true_class), key=lambda i: -self.logits[i]
        )
        chosen = sorted([self.true_class, *others[:2]])
        return (chosen[0], chosen[1], chosen[2 % len(chosen)])

    @property
    def slice_class(self) -> int:
        """The logit of the 1-D slice: chosen, or the true class."""
        return self.true_class if self.slice_axis is None else self.slice_axis

    def o(self) -> np.ndarray:
        """The logits as an array, shape (K,)."""
        return np.array(self.logits, dtype=np.float64)

    def y_vector(self) -> np.ndarray:
        """The target distribution after label smoothing, shape (K,)."""
        if self.y is None:
            return target_distribution(self.K, target=self.target, smoothing=self.smoothing)
        return target_distribution(self.K, y=np.array(self.y), smoothing=self.smoothing)


DEFAULT = AppState()


@dataclass(frozen=True)
class Parsed:
    """A parse result: the value (``None`` when the text was bad) and what was wrong."""

    value: Any
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether the text gave a value."""
        return self.value is not None


def _plural(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _bad_char(name: str) -> bool:
    """Control, surrogate and direction-override characters; joiners (ZWJ) are fine."""
    for c in name:
        category = unicodedata.category(c)
        if (
            category in {"Cc", "Cs", "Co", "Cn"}
            or "\u202a" <= c <= "\u202e"
            or "\u2066" <= c <= "\u2069"
        ):
            return True
    return False


def _to_float(text: str) -> float | None:
    # A '+' in a hand-typed URL arrives as a space: "1e 300" means 1e+300.
    cleaned = text.strip().replace("\u2212", "-").replace("e ", "e+").replace("E ", "E+")
    if not cleaned or not all(c in "0123456789+-.eE" for c in cleaned):
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_number(text: str, what: str, lo: float, hi: float) -> Parsed:
    """Read one number in ``[lo, hi]``.

    >>> parse_number("0.5", "T", 0.01, 100).value
    0.5
    >>> parse_number("nan", "T", 0.01, 100).messages
    ("T: 'nan' is not a finite number.",)
    >>> parse_number("0", "T", 0.01, 100).messages
    ('T: 0 is out of range; it must be between 0.01 and 100.',)
    """
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(None, (f"{what}: the value is too long ({len(text)} characters).",))
    x = _to_float(text)
    if x is None:
        if text.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            return Parsed(None, (f"{what}: {quote(text)} is not a finite number.",))
        return Parsed(None, (f"{what}: {quote(text)} is not a number.",))
    if not math.isfinite(x):
        return Parsed(None, (f"{what}: {quote(text)} is too large to be a finite number.",))
    if not lo <= x <= hi:
        return Parsed(
            None,
            (
                f"{what}: {text.strip()[:40]} is out of range; it must be between "
                f"{url_number(lo)} and {url_number(hi)}.",
            ),
        )
    return Parsed(0.0 if x == 0 else x)


def parse_vector(
    text: str, what: str, lo: float, hi: float, count: int | None = None, unit: str = "classes"
) -> Parsed:
    """Read comma-separated numbers in ``[lo, hi]``, ``count`` of them (one per ``unit``,
    named in the message when the count is wrong) or ``K_RANGE`` many.

    >>> parse_vector("2, 3, 4", "logits", -1e300, 1e300).value
    (2.0, 3.0, 4.0)
    >>> parse_vector("2,x,4", "logits", -1e300, 1e300).messages
    ("logits: entry 2, 'x', is not a number.",)
    """
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(
            None,
            (
                f"{what}: the list is too long ({len(text)} characters); "
                f"ce-viz takes at most {K_RANGE[1]} classes.",
            ),
        )
    parts = text.split(",")
    if count is None and not K_RANGE[0] <= len(parts) <= K_RANGE[1]:
        return Parsed(
            None,
            (
                f"{what}: {_plural(len(parts), 'value')} given; ce-viz takes between "
                f"{K_RANGE[0]} and {K_RANGE[1]} classes.",
            ),
        )
    if count is not None and len(parts) != count:
        return Parsed(None, (f"{what}: {_plural(len(parts), 'value')} given for {count} {unit}.",))
    values = []
    for i, part in enumerate(parts, start=1):
        one = parse_number(part, what, lo, hi)
        if not one.ok:
            reason = one.messages[0].split(": ", 1)[1]
            for shown in (quote(part), part.strip()[:40]):
                reason = reason.removeprefix(f"{shown} ")
            return Parsed(None, (f"{what}: entry {i}, {quote(part.strip())}, {reason}",))
        values.append(one.value)
    return Parsed(tuple(values))


def parse_int(text: str, what: str, lo: int, hi: int) -> Parsed:
    """Read a whole number in ``[lo, hi]``.

    >>> parse_int("50", "steps", 0, 500).value
    50
    >>> parse_int("5.5", "steps", 0, 500).messages
    ("steps: '5.5' is not a whole number.",)
    """
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", stripped):
        return Parsed(None, (f"{what}: {quote(text)} is not a whole number.",))
    n = int(stripped)
    if not lo <= n <= hi:
        return Parsed(None, (f"{what}: {n} is out of range; it must be between {lo} and {hi}.",))
    return Parsed(n)


def parse_class(text: str, what: str, K: int) -> Parsed:
    """Read a class index: a whole number in ``0..K-1``.

    >>> parse_class("2", "target", 3).value
    2
    >>> parse_class("3", "target", 3).messages
    ('target: 3 is not a class; with 3 classes it must be 0, 1 or 2 (counting from 0).',)
    """
    parsed = parse_int(text, what, -(10**12), 10**12)
    if not parsed.ok:
        return parsed
    k = parsed.value
    if not 0 <= k < K:
        choices = ", ".join(str(i) for i in range(K - 1)) + f" or {K - 1}"
        return Parsed(
            None,
            (
                f"{what}: {k} is not a class; with {K} classes it must be {choices} "
                "(counting from 0).",
            ),
        )
    return Parsed(k)


def parse_target(text: str, K: int) -> Parsed:
    """Read the true class ``k``.

    >>> parse_target("2", 3).value
    2
    """
    return parse_class(text, "target", K)


def parse_axes(text: str, K: int) -> Parsed:
    """Read the landscape's plane: two different class indices.

    >>> parse_axes("0,2", 3).value
    (0, 2)
    >>> parse_axes("1,1", 3).messages
    ('axes: the two axes must be different classes.',)
    """
    parts = text.split(",")
    if len(parts) != 2:
        return Parsed(None, (f"axes: {quote(text)} is not two class indices like 0,2.",))
    first, second = (parse_class(part, "axes", K) for part in parts)
    if not first.ok or not second.ok:
        return Parsed(None, first.messages + second.messages)
    if first.value == second.value:
        return Parsed(None, ("axes: the two axes must be different classes.",))
    return Parsed((first.value, second.value))


def parse_trio(text: str, K: int) -> Parsed:
    """Read the simplex's three classes: three different class indices.

    >>> parse_trio("0,2,3", 4).value
    (0, 2, 3)
    >>> parse_trio("0,1", 3).messages
    ("simplex: '0,1' is not three class indices like 0,1,2.",)
    """
    parts = text.split(",")
    if len(parts) != 3:
        return Parsed(None, (f"simplex: {quote(text)} is not three class indices like 0,1,2.",))
    parsed = [parse_class(part, "simplex", K) for part in parts]
    if not all(p.ok for p in parsed):
        return Parsed(None, tuple(m for p in parsed for m in p.messages))
    values = tuple(p.value for p in parsed)
    if len(set(values)) != 3:
        return Parsed(None, ("simplex: the three classes must be different.",))
    return Parsed(values)


def parse_answers(text: str, what: str) -> Parsed:
    """Read a student's answer vector: 1 to K_RANGE[1] numbers (checked against K later).

    Blank text is no answer yet: no value and no message. ``what`` names the box (its
    label on the page, or the link's key) in every message.

    >>> parse_answers("0.09, 0.245, 0.665", "Your p").value
    (0.09, 0.245, 0.665)
    >>> parse_answers("abc", "Your p").messages
    ("Your p: 'abc' is not a number.",)
    >>> parse_answers("1,,2", "Your p").messages
    ('Your p: entry 2 is empty; type a number between each two commas.',)
    >>> parse_answers("  ", "Your p")
    Parsed(value=None, messages=())
    """
    if not text.strip():
        return Parsed(None)
    parts = text.split(",")
    if len(parts) > K_RANGE[1]:
        return Parsed(
            None, (f"{what}: {len(parts)} values given; ce-viz takes at most {K_RANGE[1]}.",)
        )
    for i, part in enumerate(parts, start=1):
        if not part.strip():
            return Parsed(
                None, (f"{what}: entry {i} is empty; type a number between each two commas.",)
            )
    if len(parts) == 1:
        one = parse_answer(text, what)
        return Parsed((one.value,)) if one.ok else one
    return parse_vector(text, what, -LOGIT_LIMIT, LOGIT_LIMIT, count=len(parts))


def parse_answer(text: str, what: str) -> Parsed:
    """Read one answer (the loss); blank text is no answer yet, with no message.

    >>> parse_answer("1.4076", "Your loss L").value
    1.4076
    >>> parse_answer("", "Your loss L")
    Parsed(value=None, messages=())
    """
    if not text.strip():
        return Parsed(None)
    return parse_number(text, what, -LOGIT_LIMIT, LOGIT_LIMIT)


def with_problem(state: AppState, seed: int) -> AppState:
    """The state with problem ``seed``'s logits and true class (no soft target); T,
    smoothing and the rest stay, and what no longer fits a new K is reset.

    >>> s = with_problem(DEFAULT, 42)
    >>> s.problem, s.logits == make_problem(42).logits, s.y
    (42, True, None)
    """
    made = make_problem(seed)
    return replace(
        resize(state, len(made.logits)),
        logits=made.logits,
        target=made.target,
        y=None,
        problem=seed,
    )


def problem_in_force(state: AppState) -> bool:
    """Whether the state's logits and true class are still those of its ``problem`` seed.

    >>> problem_in_force(with_problem(DEFAULT, 42)), problem_in_force(DEFAULT)
    (True, False)
    """
    if state.problem is None:
        return False
    made = make_problem(state.problem)
    return state.y is None and (state.logits, state.target) == (made.logits, made.target)


#: One click loads each of these: (label, the link's settings). The view stays as it is.
PRESETS: dict[str, tuple[str, dict[str, str]]] = {
    "seed": ("Seed example", {"logits": "2,3,4", "target": "1"}),
    "uniform": ("Uniform", {"logits": "0,0,0", "target": "0"}),
    "right": ("Confident and right", {"logits": "8,1,-2", "target": "0"}),
    "wrong": ("Confident and wrong", {"logits": "-3,8,1", "target": "0"}),
    "huge": ("Huge logits", {"logits": "1000,0,-1000", "target": "2"}),
    "soft": ("Soft target", {"logits": "2,3,4", "y": "0.1,0.8,0.1"}),
    "smooth": ("Label smoothing", {"logits": "2,3,4", "target": "1", "smoothing": "0.1"}),
    "hot": ("High temperature", {"logits": "2,3,4", "target": "1", "T": "5"}),
    "ten": (
        "10 classes",
        {
            "logits": "1.2,-0.5,3.1,0.4,2.2,-1.3,0.8,2.9,-0.2,1.7",
            "target": "7",
            "names": "zero,one,two,three,four,five,six,seven,eight,nine",
        },
    ),
}


#: "Watch it learn"'s stories, one click each: (label, the link's settings), on view=train.
#: Every setting training reads is spelt out, so a story is the same whatever came before.
TRAIN_PRESETS: dict[str, tuple[str, dict[str, str]]] = {
    "linear_blobs": (
        "Linear on blobs",
        {"train_data": "blobs", "model": "softmax", "train_lr": "0.5", "train_steps": "100"},
    ),
    # Softmax regression's boundaries are lines: it stalls near 88 % on two moons.
    "linear_moons": (
        "A line cannot split moons",
        {
            "train_data": "moons",
            "classes": "2",
            "model": "softmax",
            "train_lr": "1",
            "train_steps": "300",
        },
    ),
    # 16 tanh units reach 99 % of the 3-arm spiral in 500 steps at lr 1 (tests measure it).
    "mlp_spiral": (
        "A hidden layer learns the spiral",
        {
            "train_data": "spiral",
            "model": "mlp",
            "width": "16",
            "activation": "tanh",
            "train_lr": "1",
            "train_steps": "500",
        },
    ),
    # MSE on p barely moves a confidently wrong point: its p − y is large, its ∂L/∂x near 0.
    "mislabelled_mse": (
        "One mislabelled point: CE vs MSE",
        {"train_data": "mislabelled", "loss": "mse", "train_lr": "1", "train_steps": "300"},
    ),
    # Each step overshoots: the loss bounces from 0.4 to over 4 and ends above its start.
    "lr_high": (
        "Learning rate too high",
        {"train_data": "overlapping", "model": "softmax", "train_lr": "10", "train_steps": "100"},
    ),
}


def train_preset_state(name: str, present: bool = False) -> AppState:
    """The state a "Watch it learn" story loads: its settings on view=train, presentation
    mode as it was, the rest the defaults.

    >>> s = train_preset_state("mlp_spiral")
    >>> s.view, s.train_data, s.model, s.width
    ('train', 'spiral', 'mlp', 16)
    """
    _, query = TRAIN_PRESETS[name]
    state, messages = parse_query({**query, "view": "train"})
    if messages:  # a preset is ours: a message here is a bug, caught by the tests
        raise ValueError(f"train preset {name!r}: {messages}")
    return replace(state, present=present)


def preset_state(name: str, view: str = DEFAULT.view) -> AppState:
    """The state a preset loads, on the given view.

    >>> preset_state("huge").logits
    (1000.0, 0.0, -1000.0)
    """
    _, query = PRESETS[name]
    state, messages = parse_query({**query, "view": view})
    if messages:  # a preset is ours: a message here is a bug, caught by the tests
        raise ValueError(f"preset {name!r}: {messages}")
    return state


def parse_choice(text: str, what: str, choices: Sequence[str]) -> Parsed:
    """Read one of a few words.

    >>> parse_choice("Surface", "plot", ("contour", "surface")).value
    'surface'
    """
    word = text.strip().lower()
    if word in choices:
        return Parsed(word)
    return Parsed(None, (f"{what}: {quote(text)} is not one of {', '.join(choices)}.",))


def parse_flag(text: str, what: str) -> Parsed:
    """Read an on/off switch: 1 or 0 (also true/false, on/off, yes/no).

    >>> parse_flag("1", "field").value, parse_flag("off", "field").value
    (True, False)
    """
    word = text.strip().lower()
    if word in {"1", "true", "on", "yes"}:
        return Parsed(True)
    if word in {"0", "false", "off", "no"}:
        return Parsed(False)
    return Parsed(None, (f"{what}: {quote(text)} is not 1 or 0.",))


def parse_y(text: str, K: int) -> Parsed:
    """Read a soft target: ``K`` non-negative numbers that sum to 1.

    >>> parse_y("0.1,0.8,0.1", 3).value
    (0.1, 0.8, 0.1)
    >>> parse_y("0.5,0.6", 2).messages
    ('y: the values sum to 1.1, not 1.',)
    """
    parsed = parse_vector(text, "y", 0.0, 1.0, count=K)
    if not parsed.ok:
        return parsed
    total = math.fsum(parsed.value)
    if abs(total - 1.0) > SUM_TOLERANCE:
        return Parsed(None, (f"y: the values sum to {total:.12g}, not 1.",))
    return parsed


def parse_names(text: str, K: int) -> Parsed:
    """Read class names: ``K`` distinct, comma-separated, printable names.

    Names are plain text wherever they are shown; here they are only checked for shape.

    >>> parse_names("cat, dog, bird", 3).value
    ('cat', 'dog', 'bird')
    >>> parse_names("cat,cat", 2).messages
    ("names: 'cat' is used twice; each class needs its own name.",)
    """
    if not text.strip():
        return Parsed(())
    if len(text) > MAX_PARAM_CHARS:
        return Parsed(None, (f"names: the list is too long ({len(text)} characters).",))
    names = tuple(unicodedata.normalize("NFC", part.strip()) for part in text.split(","))
    if len(names) != K:
        return Parsed(None, (f"names: {_plural(len(names), 'name')} given for {K} classes.",))
    for name in names:
        if not name:
            return Parsed(None, ("names: a name is empty.",))
        if len(name) > NAME_MAX_CHARS:
            return Parsed(
                None, (f"names: {quote(name)} is longer than {NAME_MAX_CHARS} characters.",)
            )
        if _bad_char(name):
            return Parsed(None, (f"names: {quote(name)} has a control character.",))
        if name[0] in "=+-@":
            return Parsed(
                None,
                (
                    f"names: {quote(name)} starts with {name[0]}; a spreadsheet opening the "
                    "CSV would run it as a formula.",
                ),
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return Parsed(
                None, (f"names: {quote(name)} is used twice; each class needs its own name.",)
            )
        seen.add(name)
    return Parsed(names)


def parse_view(text: str) -> Parsed:
    """Read the view name.

    >>> parse_view("derivation").value
    'derivation'
    """
    name = text.strip().lower()
    if name in VIEWS:
        return Parsed(name)
    return Parsed(None, (f"view: {quote(text)} is not a view; choose one of {', '.join(VIEWS)}.",))


def resize(state: AppState, K: int) -> AppState:
    """Change the number of classes: new logits are 0, and what no longer fits is reset.

    >>> resize(DEFAULT, 4).logits
    (2.0, 3.0, 4.0, 0.0)
    >>> resize(DEFAULT, 2).target
    1
    """
    if K == state.K:
        return state
    logits = (state.logits + (0.0,) * K)[:K]
    return replace(
        state,
        logits=logits,
        target=min(state.target, K - 1),
        y=None,
        names=(),
        axes=state.axes if state.axes is not None and max(state.axes) < K else None,
        slice_axis=state.slice_axis
        if state.slice_axis is not None and state.slice_axis < K
        else None,
        trio=state.trio if state.trio is not None and max(state.trio) < K else None,
    )


_Parse = Callable[[str, AppState], Parsed]
_Write = Callable[[AppState], str | None]


@dataclass(frozen=True)
class UrlField:
    """One parameter of the link: how it is read, and how it is written.

    ``parse`` reads the key's text given the state read so far (the fields before it: a
    class index is checked against the logits' K); its value goes to the ``AppState``
    attribute ``attr``. ``write`` gives the text the link carries, or ``None`` for nothing.
    A field marked ``always`` is written whenever ``write`` gives text; the others only when
    that text differs from the default state's, so a link stays short and reads as what
    was set.

    A new parameter is one entry in ``URL_FIELDS`` (and its ``AppState`` attribute); the
    tests in ``tests/test_state.py`` and ``tests/test_fuzz_links.py`` fail until they are
    given a valid value for it.

    >>> [f.key for f in URL_FIELDS if f.always]
    ['logits', 'target', 'y', 'T', 'smoothing', 'names', 'view']
    >>> next(f for f in URL_FIELDS if f.key == "slice").attr
    'slice_axis'
    """

    key: str
    attr: str
    parse: _Parse
    write: _Write
    always: bool = False


def _number(key: str, lo: float, hi: float, *, always: bool = False) -> UrlField:
    """A number in ``[lo, hi]``, written at full precision."""
    return UrlField(
        key,
        key,
        lambda t, s: parse_number(t, key, lo, hi),
        lambda s: url_number(getattr(s, key)),
        always=always,
    )


def _whole(key: str, lo: int, hi: int, attr: str | None = None) -> UrlField:
    """A whole number in ``[lo, hi]``."""
    attr = attr or key
    return UrlField(
        key, attr, lambda t, s: parse_int(t, key, lo, hi), lambda s: str(getattr(s, attr))
    )


def _choice(key: str, choices: Sequence[str], attr: str | None = None) -> UrlField:
    """One of a few words."""
    attr = attr or key
    words = tuple(choices)
    return UrlField(key, attr, lambda t, s: parse_choice(t, key, words), lambda s: getattr(s, attr))


def _flag(key: str, attr: str | None = None) -> UrlField:
    """An on/off switch, written 1 or 0."""
    attr = attr or key
    return UrlField(
        key, attr, lambda t, s: parse_flag(t, key), lambda s: str(int(getattr(s, attr)))
    )


def _answers(key: str) -> UrlField:
    """A student's answer vector, written at full precision once given."""

    def write(s: AppState) -> str | None:
        value = getattr(s, key)
        return None if value is None else ",".join(url_number(v) for v in value)

    return UrlField(key, key, lambda t, s: parse_answers(t, key), write)


def _classes(key: str, attr: str, parse: _Parse) -> UrlField:
    """Chosen class indices (one, or a tuple), written only once chosen."""

    def write(s: AppState) -> str | None:
        value = getattr(s, attr)
        if value is None:
            return None
        return str(value) if isinstance(value, int) else ",".join(str(c) for c in value)

    return UrlField(key, attr, parse, write)


#: The link's format: every parameter, in the order it is read and written. ``parse_query``
#: reads it, ``to_query`` writes it, and the tests walk it; ``view`` comes last.
URL_FIELDS: tuple[UrlField, ...] = (
    UrlField(
        "logits",
        "logits",
        lambda t, s: parse_vector(t, "logits", -LOGIT_LIMIT, LOGIT_LIMIT),
        lambda s: ",".join(url_number(v) for v in s.logits),
        always=True,
    ),
    # A one-hot target, or the soft target y that replaces it: a link carries one of them.
    UrlField(
        "target",
        "target",
        lambda t, s: parse_target(t, s.K),
        lambda s: str(s.target) if s.y is None else None,
        always=True,
    ),
    UrlField(
        "y",
        "y",
        lambda t, s: parse_y(t, s.K),
        lambda s: None if s.y is None else ",".join(url_number(v) for v in s.y),
        always=True,
    ),
    _number("T", *T_RANGE, always=True),
    _number("smoothing", *SMOOTHING_RANGE, always=True),
    UrlField(
        "names",
        "names",
        lambda t, s: parse_names(t, s.K),
        lambda s: ",".join(s.names) if s.names else None,
        always=True,
    ),
    _number("h", *H_RANGE),
    _classes("axes", "axes", lambda t, s: parse_axes(t, s.K)),
    _choice("plot", PLOTS),
    _flag("field", "arrows"),
    _number("span", *SPAN_RANGE),
    _classes("slice", "slice_axis", lambda t, s: parse_class(t, "slice", s.K)),
    _number("lr", *LR_RANGE),
    _whole("steps", *STEPS_RANGE),
    _choice("descent", DESCENT_MODES),
    _classes("simplex", "trio", lambda t, s: parse_trio(t, s.K)),
    _answers("my_p"),
    UrlField(
        "my_loss",
        "my_loss",
        lambda t, s: parse_answer(t, "my_loss"),
        lambda s: None if s.my_loss is None else url_number(s.my_loss),
    ),
    _answers("my_grad"),
    _number("tol", *TOL_RANGE),
    _flag("present"),
    _choice("data", DATASETS, attr="dataset"),
    _whole("worst", *WORST_RANGE),
    _choice("tab", WHY_TABS, attr="why_tab"),
    _choice("part", LANDSCAPE_TABS, attr="landscape_tab"),
    _whole("reveal", *REVEAL_RANGE),
    _choice("layer", LAYER_TABS, attr="layer_tab"),
    UrlField(
        "x",
        "x",
        lambda t, s: parse_vector(t, "x", -X_LIMIT, X_LIMIT, count=X_FEATURES, unit="features"),
        lambda s: ",".join(url_number(v) for v in s.x),
    ),
    _whole("digit", *DIGIT_RANGE),
    UrlField(
        "problem",
        "problem",
        lambda t, s: parse_int(t, "problem", *PROBLEM_RANGE),
        lambda s: None if s.problem is None else str(s.problem),
    ),
    _choice("train_data", TRAIN_DATA),
    _whole("train_seed", *TRAIN_SEED_RANGE),
    _whole("train_n", *TRAIN_N_RANGE),
    _whole("classes", *TRAIN_K_RANGE, attr="train_classes"),
    _choice("model", TRAIN_MODELS),
    _whole("width", *WIDTH_RANGE),
    _choice("activation", ACTIVATIONS),
    _number("train_lr", *TRAIN_LR_RANGE),
    _whole("train_steps", *TRAIN_STEPS_RANGE),
    _whole("batch", *BATCH_RANGE),
    _number("l2", *L2_RANGE),
    _choice("loss", TRAIN_LOSSES),
    UrlField(
        "point",
        "point",
        lambda t, s: parse_int(t, "point", *POINT_RANGE),
        lambda s: None if s.point is None else str(s.point),
    ),
    UrlField("view", "view", lambda t, s: parse_view(t), lambda s: s.view, always=True),
)
#: The keys a link may carry.
URL_KEYS = frozenset(f.key for f in URL_FIELDS)
#: Each optional field's text in the default state: a link leaves out what matches it.
_DEFAULT_TEXT = {f.key: f.write(DEFAULT) for f in URL_FIELDS if not f.always}


def parse_query(
    params: Mapping[str, str | Sequence[str]], base: AppState = DEFAULT
) -> tuple[AppState, tuple[str, ...]]:
    """Read a URL query into an ``AppState``; bad or missing fields keep ``base``'s values.

    ``params`` maps each key to its value, or to all its values when the key is repeated
    (the last one counts). Returns the state and the messages, in URL-field order.

    >>> state, messages = parse_query({"logits": "1,2", "target": "5", "T": "2"})
    >>> state.logits, state.target, state.T
    ((1.0, 2.0), 1, 2.0)
    >>> messages
    ('target: 5 is not a class; with 2 classes it must be 0 or 1 (counting from 0).',)
    """
    messages: list[str] = []
    state = base
    values: dict[str, str] = {}
    for key, raw in params.items():
        all_values = [raw] if isinstance(raw, str) else list(raw)
        if key in FOREIGN_PARAMS or key.startswith("utm_"):
            continue
        if key not in URL_KEYS:
            messages.append(f"{quote(key)} is not a setting ce-viz knows; it was ignored.")
            continue
        if not all_values:
            continue
        if len(all_values) > 1:
            messages.append(f"{key} was given {len(all_values)} times; the last one is used.")
        values[key] = all_values[-1]
    for f in URL_FIELDS:
        if f.key not in values:
            continue
        parsed = f.parse(values[f.key], state)
        messages.extend(parsed.messages)
        if parsed.ok:
            # New logits set K: what no longer fits is reset before the rest is read.
            state = resize(state, len(parsed.value)) if f.key == "logits" else state
            state = replace(state, **{f.attr: parsed.value})
            if f.key == "problem" and not {"logits", "target", "y"} & values.keys():
                state = with_problem(state, parsed.value)
    if "y" in values and "target" in values and state.y is not None:
        messages.append("target and y were both given; the soft target y is used.")
    return state, tuple(messages)


def to_query(state: AppState) -> dict[str, str]:
    """Write a state as URL query parameters: exact, and read back by :func:`parse_query`.

    >>> to_query(DEFAULT)
    {'logits': '2,3,4', 'target': '1', 'T': '1', 'smoothing': '0', 'view': 'gradient'}
    """
    query: dict[str, str] = {}
    for f in URL_FIELDS:
        text = f.write(state)
        if text is not None and (f.always or text != _DEFAULT_TEXT[f.key]):
            query[f.key] = text
    return query
