"""The lecture hall: a class opens one shared link at once, then each student edits a logit.

    python -m bench hall              (100 students, then 200)
    python -m bench.hall 100          (one class size)
    python -m bench hall --replicas 2 (through nginx: 1 replica, then 2; deploy/run)
    python -m bench hall 100 --view train
                                      (the Watch it learn link: every edit trains again)

For ce-viz and for the minimal app (bench/minimal_app.py), each under its own
``streamlit run`` on loopback with the project's .streamlit/config.toml, one after the
other in the same run: STUDENTS sessions connect over Streamlit's own websocket protocol
(the messages a browser sends, and no keepalive pings, as a browser sends none) at random
moments within OPEN_WITHIN seconds, each opening the link; then each edits the first logit
EDITS times, EDIT_GAP seconds apart (random in that range), waiting for each rerun. Random
moments come from a fixed seed, so both apps get the same schedule.

With ``--view train`` the link is ``?view=train`` and each student types learning rates
no other student types (0.2 + 0.0001 x (5 x student + edit + 1)): every edit of ce-viz trains
again, nothing cached can answer it, the worst a class can do to that view (the minimal
app gets the same values).

Reported per app: sessions with an error (an exception on the page or a broken
connection), edits done, the p50 and p95 of the first render and of an edit's rerun, the
server's RSS, and the CPU seconds the server process spent on the hall (user and system,
from /proc), in all and per rerun (first renders and edits).
Targets (issue "A lecture hall on one link", goal 2), for ce-viz at 100 students: 0
errors, every edit done, edit p95 <= 1 s, first-render p95 <= 2 s.

With ``--replicas N`` (goal 4), ce-viz alone runs behind nginx as deploy/run sets it up,
on 1 replica and then on N, the same hall each time: each student first GETs the page, as a
browser does, and sends the sticky cookie nginx set with it on the websocket. Reported per
run: also the hall's throughput (reruns of all sessions per second, from the first
student's arrival to the last rerun), how many sessions nginx sent to each replica (its
access log) and the CPU seconds each replica spent; the same targets apply to the N-replica
run. Needs /usr/sbin/nginx (exit 2 without it). Traffic goes only to 127.0.0.1; every loop
is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import TIMEOUT, cpu_s, open_session, rerun, rss_mb
from bench.serve import ROOT, served

OPEN_WITHIN = 10.0
EDITS = 5
EDIT_GAP = (2.0, 4.0)


@dataclass(frozen=True)
class Lesson:
    """The link a class opens, the box in it that ce-viz's students edit, and whether each
    student types values of their own (so that no cache can answer an edit)."""

    link: str
    box: str
    own_values: bool = False

    def value(self, student: int, edit: int) -> float:
        """What ``student`` types at their ``edit``-th edit (from 0)."""
        if self.own_values:
            return round(0.2 + 0.0001 * (student * EDITS + edit + 1), 6)
        return 2.0 + 0.25 * (edit + 1)


LESSONS = {
    "gradient": Lesson("logits=2,3,4&target=1", "num_0"),
    "train": Lesson("view=train", "train_lr", own_values=True),
}
LINK = LESSONS["gradient"].link
APPS = {
    "ce-viz": (ROOT / "app.py", "num_0"),
    "minimal app": (ROOT / "bench" / "minimal_app.py", "num_1"),
}
EDIT_TARGET, RENDER_TARGET = 1.0, 2.0
NGINX = Path("/usr/sbin/nginx")
DEPLOY = ROOT / "deploy" / "run"


@dataclass
class Hall:
    """What the sessions of one run saw."""

    first: list[float] = field(default_factory=list)
    edits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: time.monotonic() at which each rerun (first render or edit) ended
    ends: list[float] = field(default_factory=list)


def _page_cookie(port: int, link: str = LINK) -> str:
    """GET the link's page, as a browser does first; the cookies it set, as a Cookie header."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?{link}", timeout=TIMEOUT) as reply:
        reply.read()
        set_cookies = reply.headers.get_all("Set-Cookie") or []
    return "; ".join(c.split(";", 1)[0].strip() for c in set_cookies)


@dataclass(frozen=True)
class Student:
    """One student of a hall: who (their number in the class), when they open the link
    (seconds after the hall begins) and the gaps between their edits."""

    number: int
    start: float
    gaps: list[float]


def _student(
    port: int,
    box: str,
    student: Student,
    hall: Hall,
    sticky: bool = False,
    lesson: Lesson = LESSONS["gradient"],
) -> None:
    time.sleep(student.start)
    try:
        headers = {"Cookie": _page_cookie(port, lesson.link)} if sticky else None
        with open_session(port, headers) as ws:
            elapsed, error, ids = rerun(ws, None, lesson.link)
            with hall.lock:
                hall.first.append(elapsed)
                hall.ends.append(time.monotonic())
                if error:
                    hall.errors.append(error)
            for i, gap in enumerate(student.gaps):
                time.sleep(gap)
                value = lesson.value(student.number, i)
                elapsed, error, _ = rerun(ws, (ids[box], value), lesson.link)
                with hall.lock:
                    hall.edits.append(elapsed)
                    hall.ends.append(time.monotonic())
                    if error:
                        hall.errors.append(error)
    except Exception as exc:  # a broken connection counts as an error, not a crash
        with hall.lock:
            hall.errors.append(f"{type(exc).__name__}: {exc}")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def _schedule(students: int, seed: int) -> list[Student]:
    """Each student's arrival and gaps between edits, the same for a given seed."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable schedule, not a secret
    return [
        Student(n, rng.uniform(0, OPEN_WITHIN), [rng.uniform(*EDIT_GAP) for _ in range(EDITS)])
        for n in range(students)
    ]


def _drive(
    port: int,
    box: str,
    schedule: list[Student],
    sticky: bool,
    pids: list[int],
    lesson: Lesson = LESSONS["gradient"],
) -> tuple[Hall, float, float, float]:
    """Run the schedule's students against 127.0.0.1:port until all are done (bounded); the
    results, the servers' summed RSS before and at its peak, and the time the hall began."""
    hall = Hall()
    before = peak = sum(rss_mb(pid) for pid in pids)
    threads = [
        threading.Thread(
            target=_student, args=(port, box, student, hall, sticky, lesson), daemon=True
        )
        for student in schedule
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    deadline = began + OPEN_WITHIN + EDITS * (EDIT_GAP[1] + 60) + 60
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        peak = max(peak, sum(rss_mb(pid) for pid in pids))
        time.sleep(0.2)
    return hall, before, peak, began


def run_hall(
    script: Path, box: str, students: int, seed: int, lesson: Lesson = LESSONS["gradient"]
) -> tuple[Hall, float, float, float]:
    """One hall against ``streamlit run script``: the sessions' results, RSS before and
    peak, and the CPU seconds the server spent on the hall. The warm-up student (imports,
    the link's first run) types values no student types."""
    with served(script) as (server, url):
        port = int(url.rsplit(":", 1)[1])
        _student(port, box, Student(5000, 0.0, [0.1, 0.1]), Hall(), lesson=lesson)
        time.sleep(1)
        schedule = _schedule(students, seed)
        cpu = cpu_s(server.pid)
        hall, before, peak, _ = _drive(port, box, schedule, False, [server.pid], lesson)
        cpu = cpu_s(server.pid) - cpu
    return hall, before, peak, cpu


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive TCP ports free on 127.0.0.1 right now."""
    rng = random.Random()  # noqa: S311 - a port, not a secret
    for _ in range(50):
        base = rng.randrange(20000, 60000)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


@contextlib.contextmanager
def deployed(replicas: int) -> Iterator[tuple[int, list[int], Path]]:
    """``deploy/run start replicas`` with its own port range and a temporary run directory;
    yield nginx's port, the replicas' process ids and nginx's access log; stop it all."""
    with tempfile.TemporaryDirectory(prefix="ce-viz-hall-") as run:
        port = _free_ports(replicas + 1)
        env = {
            **os.environ,
            "CE_VIZ_RUN_DIR": run,
            "CE_VIZ_PORT": str(port),
            "PYTHON": sys.executable,
            "CE_VIZ_NGINX": str(NGINX),
        }
        try:
            started = subprocess.run(
                [str(DEPLOY), "start", str(replicas)],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            if started.returncode:
                raise RuntimeError(f"deploy/run start failed: {started.stderr.strip()[-300:]}")
            pids = [int(Path(run, f"replica-{i}.pid").read_text()) for i in range(1, replicas + 1)]
            yield port, pids, Path(run) / "access.log"
        finally:
            subprocess.run(
                [str(DEPLOY), "stop"], env=env, capture_output=True, timeout=120, check=False
            )


def _sessions_per_replica(log: Path) -> Counter[str]:
    """Websockets (/_stcore/stream, 101) per upstream address in nginx's access log."""
    pattern = re.compile(r'"GET /_stcore/stream HTTP/1\.1" 101 .* upstream=(\S+)')
    return Counter(m.group(1) for m in map(pattern.search, log.read_text().splitlines()) if m)


@dataclass
class Replicated:
    """One hall through nginx: the sessions' results and what each replica did."""

    hall: Hall
    rate: float
    sessions: list[int]
    cpu: list[float]
    before: float
    peak: float


def run_replicated(replicas: int, students: int, seed: int) -> Replicated:
    """The hall's schedule against ce-viz on ``replicas`` replicas behind nginx."""
    box = APPS["ce-viz"][1]
    with deployed(replicas) as (port, pids, log):
        for i in range(replicas):  # warm-up, each replica directly: imports and caches
            _student(port + 1 + i, box, Student(5000, 0.0, [0.1, 0.1]), Hall())
        time.sleep(1)
        cpu = [cpu_s(pid) for pid in pids]
        hall, before, peak, began = _drive(port, box, _schedule(students, seed), True, pids)
        cpu = [cpu_s(pid) - c for pid, c in zip(pids, cpu, strict=True)]
        time.sleep(1)  # nginx logs a websocket once it has closed
        per = _sessions_per_replica(log)
    reruns = len(hall.first) + len(hall.edits)
    rate = reruns / (max(hall.ends) - began) if hall.ends else float("nan")
    sessions = [per[f"127.0.0.1:{port + 1 + i}"] for i in range(replicas)]
    return Replicated(hall, rate, sessions, cpu, before, peak)


def _met(hall: Hall, students: int) -> bool:
    return (
        not hall.errors
        and len(hall.edits) == students * EDITS
        and _p(hall.edits, 0.95) <= EDIT_TARGET
        and _p(hall.first, 0.95) <= RENDER_TARGET
    )


def main_replicas(replicas: int, sizes: list[int]) -> int:
    """The hall through nginx on 1 replica, then on ``replicas``, for each class size."""
    if not NGINX.is_file():
        apt = "apt-get update && apt-get install -y nginx-light"
        print(f"bench hall: --replicas needs nginx, and there is no {NGINX}; as root: {apt}")
        return 2
    print(
        f"lecture hall through nginx (deploy/run), 1 replica then {replicas}: one link opened by "
        "a class within 10 s, then 5 edits each, 2-4 s apart"
    )
    met: bool | None = None
    for students in sizes:
        schedule = _schedule(students, seed=students)
        span = max(start + sum(gaps) for start, gaps in schedule)
        print()
        print(
            f"{students} students, ce-viz; the schedule offers {students * (1 + EDITS)} reruns "
            f"in {span:.1f} s ({students * (1 + EDITS) / span:.1f}/s) if each took no time"
        )
        header = (
            f"{'replicas':<8} {'errors':>6} {'edits':>9} {'reruns/s':>8} {'first p50/p95 s':>16} "
            f"{'edit p50/p95 s':>15} {'sessions each':>13} {'CPU s each':>11} "
            f"{'RSS MB before/peak':>19}"
        )
        print(header)
        print("-" * len(header))
        runs: dict[int, Replicated] = {}
        for n in (1, replicas):
            runs[n] = run = run_replicated(n, students, seed=students)
            hall = run.hall
            edits = f"{len(hall.edits)}/{students * EDITS}"
            first = f"{statistics.median(hall.first or [0]):.2f}/{_p(hall.first, 0.95):.2f}"
            edit = f"{statistics.median(hall.edits or [0]):.2f}/{_p(hall.edits, 0.95):.2f}"
            sessions = "/".join(str(k) for k in run.sessions)
            cpu = "/".join(f"{c:.0f}" for c in run.cpu)
            print(
                f"{n:<8} {len(hall.errors):>6} {edits:>9} {run.rate:>8.1f} {first:>16} "
                f"{edit:>15} {sessions:>13} {cpu:>11} {run.before:>9.0f}/{run.peak:.0f}"
            )
            if hall.errors:
                print(f"    first error: {hall.errors[0][:120]}")
        one, many = runs[1], runs[replicas]
        print(
            f"{replicas} replicas against 1: throughput x{many.rate / one.rate:.2f} "
            f"({one.rate:.1f} -> {many.rate:.1f} reruns/s), edit p50 "
            f"{statistics.median(one.hall.edits or [0]):.2f} -> "
            f"{statistics.median(many.hall.edits or [0]):.2f} s, p95 "
            f"{_p(one.hall.edits, 0.95):.2f} -> {_p(many.hall.edits, 0.95):.2f} s"
        )
        if students == 100:
            met = _met(many.hall, students)
    print()
    verdict = {None: "not measured (no run of 100)", True: "met", False: "NOT met"}[met]
    print(
        f"targets (ce-viz on {replicas} replicas behind nginx, 100 students): 0 errors, every "
        f"edit, edit p95 <= {EDIT_TARGET:g} s, first render p95 <= {RENDER_TARGET:g} s: {verdict}"
    )
    return 0 if met is not False else 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    lesson = LESSONS["gradient"]
    for i, arg in enumerate(args):
        if arg == "--view" or arg.startswith("--view="):
            value = arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
            del args[i : i + (1 if "=" in arg else 2)]
            if value not in LESSONS:
                print(f"bench hall: --view takes one of {', '.join(LESSONS)}")
                return 2
            lesson = LESSONS[value]
            break
    replicas = None
    for i, arg in enumerate(args):
        if arg == "--replicas" or arg.startswith("--replicas="):
            value = arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
            del args[i : i + (1 if "=" in arg else 2)]
            if not value.isdigit() or int(value) < 1:
                print("bench hall: --replicas takes a number of replicas, 1 or more")
                return 2
            replicas = int(value)
            break
    bad = [a for a in args if not a.isdigit() or int(a) < 1]
    if bad:
        print(f"bench hall: {', '.join(bad)}: a class size is a number of students, 1 or more")
        return 2
    sizes = [int(a) for a in args] or [100, 200]
    if replicas is not None:
        return main_replicas(replicas, sizes)
    print("lecture hall: one link opened by a class within 10 s, then 5 edits each, 2-4 s apart")
    print(
        f"link: ?{lesson.link}; each edit types into {lesson.box!r}"
        + (
            ", values of each student's own (nothing cached can answer)"
            if lesson.own_values
            else ""
        )
    )
    met: bool | None = None
    for students in sizes:
        print()
        print(f"{students} students")
        header = (
            f"{'app':<12} {'errors':>6} {'edits':>9} {'first p50/p95 s':>16} "
            f"{'edit p50/p95 s':>15} {'RSS MB before/peak':>19} {'CPU s':>6} {'ms/rerun':>9}"
        )
        print(header)
        print("-" * len(header))
        for name, (script, box) in APPS.items():
            box = lesson.box if name == "ce-viz" else box
            hall, before, peak, cpu = run_hall(script, box, students, seed=students, lesson=lesson)
            edits = f"{len(hall.edits)}/{students * EDITS}"
            first = f"{statistics.median(hall.first or [0]):.2f}/{_p(hall.first, 0.95):.2f}"
            edit = f"{statistics.median(hall.edits or [0]):.2f}/{_p(hall.edits, 0.95):.2f}"
            reruns = max(len(hall.first) + len(hall.edits), 1)
            print(
                f"{name:<12} {len(hall.errors):>6} {edits:>9} {first:>16} {edit:>15} "
                f"{before:>9.0f}/{peak:.0f} {cpu:>6.1f} {1e3 * cpu / reruns:>9.1f}"
            )
            if hall.errors:
                print(f"    first error: {hall.errors[0][:120]}")
            if name == "ce-viz" and students == 100:
                met = _met(hall, students)
    print()
    verdict = {None: "not measured (no run of 100)", True: "met", False: "NOT met"}[met]
    print(
        f"targets (ce-viz, 100 students): 0 errors, every edit, edit p95 <= {EDIT_TARGET:g} s, "
        f"first render p95 <= {RENDER_TARGET:g} s: {verdict}"
    )
    return 0 if met is not False else 1


if __name__ == "__main__":
    sys.exit(main())
