"""Soak: 2,000 reruns against one `streamlit run app.py`, watching the server's memory.

    python -m bench soak              (10 sessions x 200 edits, every view in turn)

With ``runner.postScriptGC = false`` (.streamlit/config.toml) nothing collects garbage
after each rerun but Python's own generational collector, so this checks that memory
settles: 10 sessions over Streamlit's websocket each rerun 200 times, editing the first
logit to a new value each time and moving through every view, and the server's resident
memory (RSS) is sampled after every 100 reruns. Target: over the second half of the soak
RSS grows by at most 5 %. Traffic goes only to 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import sys
import threading
import time

from bench.load import open_session, rerun, rss_mb
from bench.serve import ROOT, served
from ce_viz.state import VIEWS

SESSIONS, EDITS = 10, 200
SAMPLE_EVERY = 100
GROWTH_TARGET = 0.05


def _session(port: int, index: int, done: list[int], errors: list[str]) -> None:
    views = list(VIEWS)
    try:
        with open_session(port) as ws:
            for i in range(EDITS):
                view = views[(index + i // 20) % len(views)]
                query = f"logits={1 + 0.001 * i},3,4&target=1&view={view}"
                _, error, _ = rerun(ws, None, query)
                done.append(1)
                if error:
                    errors.append(error)
    except Exception as exc:  # a broken connection is an error, not a crash
        errors.append(f"{type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    with served(ROOT / "app.py") as (server, url):
        port = int(url.rsplit(":", 1)[1])
        done: list[int] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_session, args=(port, i, done, errors), daemon=True)
            for i in range(SESSIONS)
        ]
        samples: list[tuple[int, float]] = [(0, rss_mb(server.pid))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 1800
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            if len(done) >= samples[-1][0] + SAMPLE_EVERY:
                samples.append((len(done), rss_mb(server.pid)))
            time.sleep(0.05)
        samples.append((len(done), rss_mb(server.pid)))
    print(f"soak: {SESSIONS} sessions x {EDITS} reruns, every view in turn, postScriptGC off")
    print("reruns  RSS MB")
    for n, rss in samples:
        print(f"{n:6d}  {rss:6.0f}")
    half = [rss for n, rss in samples if n >= len(done) // 2]
    growth = (half[-1] - half[0]) / half[0] if half else float("nan")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0][:100]})" if errors else ""))
    met = not errors and len(done) == SESSIONS * EDITS and growth <= GROWTH_TARGET
    print(
        f"second-half RSS growth {100 * growth:.1f} % (target <= {100 * GROWTH_TARGET:g} %), "
        f"{len(done)} reruns: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
