"""Server cost of "Watch it learn" (``view=train``) against the minimal app, side by side.

    python -m bench train            (from the project root)
    python -m bench.train ROUNDS     (reruns per measurement; default 20)

Every rerun runs under ``streamlit.testing.v1.AppTest`` in this process and is measured as
process CPU (``time.process_time``, every thread), like ``python -m bench cpu``. The view
and the minimal app (``bench/minimal_app.py``) alternate, round by round, so that noise from
a shared machine hits them alike; medians are compared.

* **retrain**: a new learning rate typed each rerun, never seen before, so nothing cached
  can answer. The rerun trains the default model (softmax regression, 200 blob points, 100
  steps), evaluates the 25 snapshots on the 60 x 60 grid, builds the animated regions
  (25 PNG frames) and sends every chart.
* **replay**: the learning rate switched between two values already trained. The training
  and the animated regions come from the shared caches: what a rerun costs a class that
  opened one link, or a student going back to a setting.
* **pick a point**: another point typed into the Point box (1 to 100, cycling): the
  training and the regions come from the caches; the point's panel is computed afresh.
* **payload**: the JSON of every chart on the page, in bytes, for the default link and for
  the largest settings a link can ask for (1,000 spiral points in 5 classes, a hidden
  layer of 32, 500 steps, mini-batches of 10).
* **largest training**: the CPU of one training at those largest settings (the first visit
  of such a link pays it; the cache serves the rest).
* **where a retrain's time goes**: the maths and the figure a retrain computes, each timed
  alone at the default settings (``time.process_time``, the mean of ``PART_CALLS`` calls
  after one, the pieces taking turns, BLAS on one thread as the app sets it):
  ``train.train``, all of ``scenes.train_scene`` (the training, the 25 snapshots on the
  grid a few at a time, the pulls; and beside it with the snapshots as one product,
  ``ONE_PRODUCT_CELLS``) and
  ``figures.regions_animation`` (the PNG frames and the animated figure), and
  ``style.png_uri`` on one 60 x 60 frame (the last).

Targets (issue "One layer back, and a classifier you can watch learn"): each rerun at most
5x the minimal app; every page's figures under 1 MB. The exit status is 0 when all are met.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.cpu import Driver, compare

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 20
PART_CALLS = 50
#: ``train.STACK_CELLS`` before it was cut to keep the snapshots in the CPU's cache: the
#: default training's 25 snapshots in one product.
ONE_PRODUCT_CELLS = 400_000
CPU_TARGET = 5.0
PAYLOAD_TARGET = 1_000_000
#: The largest settings a link can ask for (each at its limit in ``state``).
LARGEST = {
    "view": "train",
    "train_data": "spiral",
    "train_n": "1000",
    "classes": "5",
    "model": "mlp",
    "width": "32",
    "train_steps": "500",
    "batch": "10",
}


class Replay(Driver):
    """The train view rerun with its learning rate switched between two trained values."""

    VALUES = (0.5, 0.55)

    def edit(self) -> Any:
        return self.at.number_input(key=self.box).set_value(self.VALUES[self.edits % 2])


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
