"""Server cost of "Watch it learn" (``view=train``) against the minimal app, side by side.

    python -m bench train            (from the project root)
    python -m bench.train ROUNDS     (reruns per measurement; default 20)

Every rerun runs under ``streamlit.testing.v1.AppTest`` in this process and is measured as
process CPU (``time.process_time``, every thread), like ``python -m bench cpu``. The view
and the minimal app (``bench/minimal_app.py``) alternate, round by round, so that noise from
a shared machine hits them alike; medians are compared.

* **retrain**: a new learning rate typed each rerun, never seen before, so nothing cached
  can answer. The rerun trains the default model (softmax regression, 200 blob points, 100
  steps), evaluates the 21 snapshots (every 5th step) on the 60 x 60 grid, builds the
  animated regions (21 PNG frames) and sends every chart.
* **replay**: the learning rate switched between two values already trained. The training
  and the animated regions come from the shared caches: what a rerun costs a class that
  opened one link, or a student going back to a setting.
* **pick a point**: another point typed into the Point box (1 to 100, cycling): the
  training and the regions come from the caches; the point's panel is computed afresh.
* **the same under streamlit run**: the minimal app and ce-viz each served, with one
  websocket session per kind of rerun, each edit sent as a browser sends it (a box drawn
  in a fragment sends the fragment's id, and the server reruns that alone; "whole page"
  sends the same retrain without it), the kinds in turn, ``SERVED_BLOCK`` of each a round;
  the server's CPU from /proc. ``python -m bench browser`` measures it with Chromium.
* **payload**: the JSON of every chart on the page, in bytes, for the default link and for
  the largest settings a link can ask for (1,000 spiral points in 5 classes, a hidden
  layer of 32, 480 steps (25 frames, the most; 500 keep 21), mini-batches of 10).
* **largest training**: the CPU of one training at those largest settings (the first visit
  of such a link pays it; the cache serves the rest).
* **where a retrain's time goes**: the maths and the figure a retrain computes, each timed
  alone at the default settings (``time.process_time``, the mean of ``PART_CALLS`` calls
  after one, the pieces taking turns, BLAS on one thread as the app sets it):
  ``train.train``, all of ``scenes.train_scene`` (the training, the 21 snapshots on the
  grid a few at a time, the pulls; and beside it with the snapshots as one product,
  ``ONE_PRODUCT_CELLS``) and
  ``figures.regions_animation`` (the PNG frames and the animated figure), and
  ``style.png_uri`` on one 60 x 60 frame (the last).

Targets (issue "One layer back, and a classifier you can watch learn"): each rerun at most
5x the minimal app; every page's figures under 1 MB. The exit status is 0 when all are met.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.cpu import Driver, compare
from bench.load import Box, cpu_s, open_session, rerun
from bench.serve import served

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 20
PART_CALLS = 50
#: ``train.STACK_CELLS`` before it was cut to keep the snapshots in the CPU's cache: the
#: default training's 21 snapshots in one product.
ONE_PRODUCT_CELLS = 400_000
CPU_TARGET = 5.0
#: Reruns of each kind a round, under ``streamlit run`` (/proc counts CPU in 10 ms ticks).
SERVED_BLOCK = 10
#: The train view's query and the box its served sessions edit.
TRAIN_BOX = ("view=train", "train_lr")
PAYLOAD_TARGET = 1_000_000
#: The largest settings a link can ask for (each at its limit in ``state``; the steps
#: where the frames are most: 480 steps keep 25, every 20th, and 500 keep 21, every 25th).
LARGEST = {
    "view": "train",
    "train_data": "spiral",
    "train_n": "1000",
    "classes": "5",
    "model": "mlp",
    "width": "32",
    "train_steps": "480",
    "batch": "10",
}


class Replay(Driver):
    """The train view rerun with its learning rate switched between two trained values."""

    VALUES = (0.5, 0.55)

    def edit(self) -> Any:
        return self.at.number_input(key=self.box).set_value(self.VALUES[self.edits % 2])


class Session:
    """One session of an app under ``streamlit run``, on its websocket, editing one number
    box as a browser does: the box's new value, and its fragment's id when it is drawn in
    one (then the server reruns that fragment alone)."""

    def __init__(self, port: int, query: str, box: str, values: Callable[[int], float]) -> None:
        self.ws = open_session(port)
        self.query = query
        _, error, ids = rerun(self.ws, None, query)
        assert error is None, error
        self.box: Box = ids[box]
        self.values = values
        self.edits = 0

    def edit(self, whole: bool = False) -> None:
        """The next value typed in, and its rerun (``whole``: sent without the fragment's
        id, so the whole page reruns, as under AppTest)."""
        self.edits += 1
        box = Box(self.box.id) if whole else self.box
        _, error, _ = rerun(self.ws, (box, self.values(self.edits)), self.query)
        assert error is None, error


@contextlib.contextmanager
def served_sessions() -> Iterator[dict[str, tuple[int, Session, bool]]]:
    """The minimal app and ce-viz's train view, each under its own ``streamlit run``, with a
    session for each kind of rerun: kind -> (the server's pid, the session, whole page)."""
    with contextlib.ExitStack() as stack:
        (mini, mini_url), (app, app_url) = (
            stack.enter_context(served(ROOT / script))
            for script in ("bench/minimal_app.py", "app.py")
        )
        mini_port, app_port = (int(url.rsplit(":", 1)[1]) for url in (mini_url, app_url))
        kinds = {
            "minimal app": (
                mini.pid,
                Session(mini_port, "", "num_1", lambda k: 3.0 + 0.001 * k),
                False,
            ),
            # New learning rates each time: every rerun trains again.
            "retrain": (app.pid, Session(app_port, *TRAIN_BOX, lambda k: 0.2 + 0.0001 * k), False),
            "  whole page": (
                app.pid,
                Session(app_port, *TRAIN_BOX, lambda k: 0.25 + 0.0001 * k),
                True,
            ),
            "replay": (
                app.pid,
                Session(app_port, *TRAIN_BOX, lambda k: Replay.VALUES[k % 2]),
                False,
            ),
        }
        for _, session, _ in kinds.values():
            stack.callback(session.ws.close)
        yield kinds


def served_ratios(rounds: int) -> bool:
    """Server CPU per rerun under ``streamlit run``: each kind of rerun in turn, one at a
    time (a replay's two trainings stay in the cache), ``SERVED_BLOCK`` of each a round;
    print each kind's median over ``rounds`` rounds and its ratio to the minimal app's;
    whether the retrain and the replay are within ``CPU_TARGET``."""
    times: dict[str, list[float]] = {}
    with served_sessions() as kinds:
        for _, session, whole in kinds.values():  # warm-up: imports, first values
            for _ in range(3):
                session.edit(whole)
        for _ in range(rounds):
            spent = dict.fromkeys(kinds, 0.0)
            for _ in range(SERVED_BLOCK):
                for name, (pid, session, whole) in kinds.items():
                    start = cpu_s(pid)
                    session.edit(whole)
                    spent[name] += cpu_s(pid) - start
            for name, total in spent.items():
                times.setdefault(name, []).append(total / SERVED_BLOCK)
    base = statistics.median(times["minimal app"])
    print(
        f"The same under streamlit run, as a browser edits (the train view's controls rerun "
        f"their fragment alone; 'whole page': the edit sent without it, as AppTest runs it). "
        f"Server CPU from /proc, {SERVED_BLOCK} reruns a round, median of {rounds} rounds"
    )
    print()
    header = f"{'rerun of':<14} {'ms CPU':>8} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    met = True
    for name, spent_ms in times.items():
        ratio = statistics.median(spent_ms) / base
        ok = name not in ("retrain", "replay") or ratio <= CPU_TARGET
        met = met and ok
        flag = "" if ok else f"   <- over {CPU_TARGET:g}x"
        print(f"{name:<14} {1e3 * statistics.median(spent_ms):8.1f} {ratio:7.2f}{flag}")
    return met


def payload(query: dict[str, str]) -> tuple[int, float]:
    """The bytes of every chart's JSON on the page for ``query``, and the CPU seconds of
    that first run (a fresh app: nothing cached in this process for these settings)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params.update(query)
    start = time.process_time()
    at.run()
    spent = time.process_time() - start
    assert not at.exception, [e.value for e in at.exception]
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart")), spent


def parts() -> dict[str, float]:
    """Milliseconds of CPU of each piece of a retrain at the default settings, alone."""
    from threadpoolctl import threadpool_limits

    from ce_viz import scenes, train
    from ce_viz.figures import regions_animation
    from ce_viz.figures.style import png_uri
    from ce_viz.figures.train import region_palette, region_shades
    from ce_viz.state import AppState

    state = AppState(view="train")
    data, config = scenes.train_dataset(state), scenes.train_config(state)
    scene = scenes.train_scene(state)
    assert scene.regions is not None
    assert scene.frames is not None
    regions, frames = scene.regions, scene.frames
    frame = region_shades(frames.top[-1], frames.p_top[-1], data.K)[::-1]
    palette = region_palette(data.K)

    def one_product() -> object:
        """The scene with its snapshots as one product, as before ``STACK_CELLS`` was cut
        to fit the CPU's cache: the baseline for the line above it."""
        saved, train.STACK_CELLS = train.STACK_CELLS, ONE_PRODUCT_CELLS
        try:
            return scenes.train_scene(state)
        finally:
            train.STACK_CELLS = saved

    pieces: dict[str, Callable[[], object]] = {
        "train.train": lambda: train.train(data.X, data.labels, data.K, config),
        "scenes.train_scene": lambda: scenes.train_scene(state),
        "  snapshots as one product": one_product,
        "figures.regions_animation": lambda: regions_animation(regions, frames),
        "style.png_uri, one frame": lambda: png_uri(frame, palette),
    }
    spent = dict.fromkeys(pieces, 0.0)
    with threadpool_limits(limits=1, user_api="blas"):  # after NumPy is loaded, or no effect
        for piece in pieces.values():
            piece()
        # Round by round, each piece after the others, as in a rerun: the allocator's
        # state (which big blocks it kept) moves a piece's time by a fifth.
        for _ in range(PART_CALLS):
            for name, piece in pieces.items():
                start = time.process_time()
                piece()
                spent[name] += time.process_time() - start
    return {name: total / PART_CALLS * 1e3 for name, total in spent.items()}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rounds = int(args[0]) if args else ROUNDS
    minimal = Driver(ROOT / "bench" / "minimal_app.py", "num_1", {})
    drivers = {
        "retrain": Driver(ROOT / "app.py", "train_lr", {"view": "train"}),
        "replay": Replay(ROOT / "app.py", "train_lr", {"view": "train"}),
        "pick a point": Driver(ROOT / "app.py", "point", {"view": "train"}, whole=True),
    }
    targets = dict.fromkeys(drivers, CPU_TARGET)
    met = compare(minimal, drivers, targets, rounds, '"Watch it learn": server CPU per rerun')
    print()
    met = served_ratios(max(3, rounds // 2)) and met
    print()
    default_bytes, _ = payload({"view": "train"})
    largest_bytes, largest_cpu = payload(LARGEST)
    for name, size in (("default link", default_bytes), ("largest settings", largest_bytes)):
        ok = size < PAYLOAD_TARGET
        met = met and ok
        print(f"figures' JSON, {name:<17} {size / 1e6:6.3f} MB{'' if ok else '   <- over 1 MB'}")
    print(f"first run at the largest settings (training included): {largest_cpu:.2f} s CPU")
    print()
    print(f"where a retrain's time goes, default settings (CPU, mean of {PART_CALLS} calls):")
    for name, ms in parts().items():
        print(f"  {name:<26} {ms:6.3f} ms")
    print()
    print(
        f"targets: every rerun <= {CPU_TARGET:g}x the minimal app, every page's figures "
        f"< 1 MB: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
