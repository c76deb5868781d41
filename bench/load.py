"""Load: N concurrent sessions against `streamlit run app.py` on loopback, over Streamlit's
own websocket protocol (the messages a browser sends), for a bounded number of reruns.

    python -m bench load              (20 sessions x 30 interactions)
    python -m bench.load 5 10         (5 sessions x 10 interactions)

Each session opens the default view, then changes the first logit's exact box
``interactions`` times, each time waiting for the rerun to finish. It reports the p50 and
p95 rerun latency, the errors (script exceptions or broken connections; the target is 0),
and the server's resident memory (RSS) before the sessions, at its peak while they run,
and 10 s after they close. Targets: 0 errors, and RSS after within 20 % of RSS before.
Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from bench.serve import ROOT, served

SESSIONS, INTERACTIONS = 20, 30
TIMEOUT = 60.0  # seconds a rerun may take before it counts as an error


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds the process has used so far (its ended threads
    included: each rerun runs in a thread of its own)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_session(port: int, headers: dict[str, str] | None = None):
    """A session on the app's websocket as a browser opens one: no keepalive pings (a
    browser sends none; a client that expects pongs from a busy server times out)."""
    return connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
        ping_interval=None,
        additional_headers=headers,
    )


@dataclass(frozen=True)
class Box:
    """A number box on the page: its widget id, and the id of the fragment it is drawn in
    ("" for none)."""

    id: str
    fragment: str = ""


def rerun(
    ws, widget: tuple[Box, float] | None, query: str = ""
) -> tuple[float, str | None, dict[str, Box]]:
    """Send one rerun of the page at ``?query`` (optionally with a number box's new value);
    wait for it to end. As a browser does, a box drawn in a fragment reruns that fragment
    alone (``st.fragment``: the rest of the page is neither run nor sent again)."""
    back = BackMsg()
    back.rerun_script.query_string = query
    if widget is not None:
        box, value = widget
        state = back.rerun_script.widget_states.widgets.add()
        state.id, state.double_value = box.id, value
        back.rerun_script.fragment_id = box.fragment
    start = time.perf_counter()
    ws.send(back.SerializeToString())
    ids: dict[str, Box] = {}
    error = None
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(ws.recv(timeout=TIMEOUT))
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                error = element.exception.message or "exception"
            elif which == "number_input":
                box = Box(element.number_input.id, msg.delta.fragment_id)
                ids[box.id.rsplit("-", 1)[-1]] = box
        if kind == "script_finished":
            return time.perf_counter() - start, error, ids


def _session(port: int, interactions: int, latencies: list[float], errors: list[str]) -> None:
    try:
        with open_session(port) as ws:
            _, error, ids = rerun(ws, None)
            if error:
                errors.append(error)
            for i in range(interactions):
                elapsed, error, _ = rerun(ws, (ids["num_0"], 1.0 + (i % 7) * 0.5))
                latencies.append(elapsed)
                if error:
                    errors.append(error)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    args = list(argv or [])
    sessions = int(args[0]) if args else SESSIONS
    interactions = int(args[1]) if len(args) > 1 else INTERACTIONS
    with served(ROOT / "app.py") as (server, url):
        port = int(url.rsplit(":", 1)[1])
        # One warm-up session, so imports and caches are not counted as per-session memory.
        _session(port, 2, [], [])
        time.sleep(2)
        rss_before = rss_mb(server.pid)
        latencies: list[float] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_session, args=(port, interactions, latencies, errors))
            for _ in range(sessions)
        ]
        peak = rss_before
        started = time.perf_counter()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mb(server.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - started
        time.sleep(10)
        rss_after = rss_mb(server.pid)

    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    print(f"load: {sessions} sessions x {interactions} interactions against streamlit run app.py")
    print(
        f"reruns: {len(latencies)} in {wall:.1f} s; "
        f"p50 {1e3 * statistics.median(ordered):.0f} ms, p95 {1e3 * p95:.0f} ms"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(
        f"server RSS: before {rss_before:.0f} MB, peak {peak:.0f} MB, "
        f"10 s after close {rss_after:.0f} MB"
    )
    per_session = (peak - rss_before) / max(sessions, 1)
    print(f"memory per concurrent session: about {per_session:.1f} MB")
    back_ok = rss_after <= 1.2 * rss_before
    print(
        f"targets: 0 errors: {'met' if not errors else 'NOT met'}; "
        f"RSS back within 20 %: {'met' if back_ok else 'NOT met'}"
    )
    return 0 if not errors and back_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
