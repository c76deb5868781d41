"""The lecture hall: a class opens one shared link at once, then each student edits a logit.

    python -m bench hall              (100 students, then 200)
    python -m bench.hall 100          (one class size)

For ce-viz and for the minimal app (bench/minimal_app.py), each under its own
``streamlit run`` on loopback with the project's .streamlit/config.toml, one after the
other in the same run: STUDENTS sessions connect over Streamlit's own websocket protocol
(the messages a browser sends, and no keepalive pings, as a browser sends none) at random
moments within OPEN_WITHIN seconds, each opening the link; then each edits the first logit
EDITS times, EDIT_GAP seconds apart (random in that range), waiting for each rerun. Random
moments come from a fixed seed, so both apps get the same schedule.

Reported per app: sessions with an error (an exception on the page or a broken
connection), edits done, and the p50 and p95 of the first render and of an edit's rerun.
Targets (issue "A lecture hall on one link", goal 2), for ce-viz at 100 students: 0
errors, every edit done, edit p95 <= 1 s, first-render p95 <= 2 s. Traffic goes only to
127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

from bench.load import _rss_mb, _run
from bench.serve import ROOT, served

OPEN_WITHIN = 10.0
EDITS = 5
EDIT_GAP = (2.0, 4.0)
LINK = "logits=2,3,4&target=1"
APPS = {
    "ce-viz": (ROOT / "app.py", "num_0"),
    "minimal app": (ROOT / "bench" / "minimal_app.py", "num_1"),
}
EDIT_TARGET, RENDER_TARGET = 1.0, 2.0


@dataclass
class Hall:
    """What the sessions of one run saw."""

    first: list[float] = field(default_factory=list)
    edits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _student(port: int, box: str, start: float, gaps: list[float], hall: Hall) -> None:
    time.sleep(start)
    try:
        with connect(
            f"ws://127.0.0.1:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            ping_interval=None,
        ) as ws:
            elapsed, error, ids = _run(ws, None, LINK)
            with hall.lock:
                hall.first.append(elapsed)
                if error:
                    hall.errors.append(error)
            for i, gap in enumerate(gaps):
                time.sleep(gap)
                elapsed, error, _ = _run(ws, (ids[box], 2.0 + 0.25 * (i + 1)), LINK)
                with hall.lock:
                    hall.edits.append(elapsed)
                    if error:
                        hall.errors.append(error)
    except Exception as exc:  # a broken connection counts as an error, not a crash
        with hall.lock:
            hall.errors.append(f"{type(exc).__name__}: {exc}")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def run_hall(script: Path, box: str, students: int, seed: int) -> tuple[Hall, float, float]:
    """One hall against ``streamlit run script``: the sessions' results, RSS before and peak."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable schedule, not a secret
    schedule = [
        (rng.uniform(0, OPEN_WITHIN), [rng.uniform(*EDIT_GAP) for _ in range(EDITS)])
        for _ in range(students)
    ]
    hall = Hall()
    with served(script) as (server, url):
        port = int(url.rsplit(":", 1)[1])
        _student(port, box, 0.0, [0.1, 0.1], Hall())  # warm-up: imports and caches
        time.sleep(1)
        before = peak = _rss_mb(server.pid)
        threads = [
            threading.Thread(target=_student, args=(port, box, start, gaps, hall), daemon=True)
            for start, gaps in schedule
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + OPEN_WITHIN + EDITS * (EDIT_GAP[1] + 60) + 60
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            peak = max(peak, _rss_mb(server.pid))
            time.sleep(0.2)
    return hall, before, peak


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sizes = [int(a) for a in args] or [100, 200]
    print("lecture hall: one link opened by a class within 10 s, then 5 edits each, 2-4 s apart")
    met: bool | None = None
    for students in sizes:
        print()
        print(f"{students} students")
        header = (
            f"{'app':<12} {'errors':>6} {'edits':>9} {'first p50/p95 s':>16} "
            f"{'edit p50/p95 s':>15} {'RSS MB before/peak':>19}"
        )
        print(header)
        print("-" * len(header))
        for name, (script, box) in APPS.items():
            hall, before, peak = run_hall(script, box, students, seed=students)
            edits = f"{len(hall.edits)}/{students * EDITS}"
            first = f"{statistics.median(hall.first or [0]):.2f}/{_p(hall.first, 0.95):.2f}"
            edit = f"{statistics.median(hall.edits or [0]):.2f}/{_p(hall.edits, 0.95):.2f}"
            print(
                f"{name:<12} {len(hall.errors):>6} {edits:>9} {first:>16} {edit:>15} "
                f"{before:>9.0f}/{peak:.0f}"
            )
            if hall.errors:
                print(f"    first error: {hall.errors[0][:120]}")
            if name == "ce-viz" and students == 100:
                met = (
                    not hall.errors
                    and len(hall.edits) == students * EDITS
                    and _p(hall.edits, 0.95) <= EDIT_TARGET
                    and _p(hall.first, 0.95) <= RENDER_TARGET
                )
    print()
    verdict = {None: "not measured (no run of 100)", True: "met", False: "NOT met"}[met]
    print(
        f"targets (ce-viz, 100 students): 0 errors, every edit, edit p95 <= {EDIT_TARGET:g} s, "
        f"first render p95 <= {RENDER_TARGET:g} s: {verdict}"
    )
    return 0 if met is not False else 1


if __name__ == "__main__":
    sys.exit(main())
