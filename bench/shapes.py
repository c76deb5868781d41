"""Benchmark: hostile upload shapes, tall and wide, against pandas' own CSV reader.

    python -m bench shapes        (from the project root)

Each file is generated in memory, up to the 50 MB upload limit, and written to a temporary
file. For each, three fresh interpreters load the bytes (as the server holds an upload) and
then run one step, and report its time and how far the process's peak resident size
(VmHWM, reset just before the step) rose above the resident size just before it:

* ``read_csv``: ``pandas.read_csv`` of the bytes, with pandas' default types, the floor;
* ``summary``: ``ce_viz.batch.summarise_batch``, what the batch view computes (reading,
  checking every cell, evaluating every row, keeping the worst rows and a loss sample);
* ``results``: ``ce_viz.batch.stream_results_csv`` up to ``results_row_limit``, what the
  "Download results CSV" button runs when clicked.

Targets (issue "A lecture hall on one link", memory goal): the summary's peak rise at most
250 MB, and its time at most 2x read_csv's on the same bytes. A file that is refused (too
many columns) must be refused at once. The exit status is 0 if every target is met.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bench.landscape import machine

ROOT = Path(__file__).resolve().parents[1]
#: server.maxUploadSize = 50: the browser refuses a file over 50 x 10^6 bytes (the server
#: would take 50 MiB).
LIMIT_BYTES = 50 * 10**6
RISE_TARGET = 250e6
RATIO_TARGET = 2.0

#: Run in a fresh interpreter: load argv[1] as bytes, warm up, then time step argv[2].
STEP = r"""
import io, json, sys, time
import pandas as pd
from ce_viz.core import CEVizError
from ce_viz.batch import (read_header, resolve_columns, results_row_limit,
                          stream_results_csv, summarise_batch)
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))
data = open(sys.argv[1], "rb").read()
summarise_batch(b"logit_0,logit_1,label\n1,2,0\n")  # lazy imports first
pd.read_csv(io.BytesIO(b"a,b\n1,2\n"))
step = sys.argv[2]
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
start = time.perf_counter()
out = {}
try:
    if step == "read_csv":
        out["rows"] = len(pd.read_csv(io.BytesIO(data)))
    elif step == "summary":
        out["rows"] = summarise_batch(data)[0].n
    else:
        mapping = resolve_columns(read_header(data))
        limit = results_row_limit(mapping.class_names)
        out["bytes"] = len(stream_results_csv(data, mapping, 1.0, limit))
except CEVizError as exc:
    out["refused"] = str(exc)
out["seconds"] = time.perf_counter() - start
out["rise"] = status("VmHWM") - before
print(json.dumps(out))
"""


def tall_zeros() -> bytes:
    """49.9 MB of ``0,0,0`` rows: 8.3 million rows of 2 classes."""
    header = b"logit_0,logit_1,label\n"
    return header + b"0,0,0\n" * ((LIMIT_BYTES - 10**5 - len(header)) // 6)


def tall_random() -> bytes:
    """2.9 million rows x 2 classes of random logits, about 49 MB."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(np.round(rng.normal(size=(2_900_000, 2)), 4), columns=["o_a", "o_b"])
    frame["label"] = rng.integers(0, 2, 2_900_000)
    return frame.to_csv(index=False).encode()


def wide_thousand() -> bytes:
    """1,000 classes (the limit) and as many rows as fit in about 48 MB."""
    rng = np.random.default_rng(0)
    rows = 6_000
    frame = pd.DataFrame(
        np.round(rng.normal(size=(rows, 1000)), 3), columns=[f"logit_{i}" for i in range(1000)]
    )
    frame["label"] = rng.integers(0, 1000, rows)
    return frame.to_csv(index=False).encode()


def wide_refused(columns: int) -> Callable[[], bytes]:
    """``columns`` logit columns and one row: more classes than ce-viz takes."""

    def make() -> bytes:
        header = ",".join([f"logit_{i}" for i in range(columns)] + ["label"])
        return f"{header}\n{','.join(['0'] * columns)},0\n".encode()

    return make


CASES: dict[str, Callable[[], bytes]] = {
    "tall: 8.3M rows of 0,0,0": tall_zeros,
    "tall: 2.9M rows x 2 classes": tall_random,
    "wide: 6,000 rows x 1,000 classes": wide_thousand,
    "wide: 4,000 columns, 1 row": wide_refused(4000),
    "wide: 10,000 columns, 1 row": wide_refused(10_000),
}


def run_step(path: Path, step: str) -> dict[str, float | str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(path), step],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> int:
    print("upload shapes: time and peak memory rise of one step, each in a fresh interpreter")
    print(f"machine: {machine()}, pandas {pd.__version__}")
    print()
    header = (
        f"{'file':<34} {'MB':>5}  {'read_csv s/MB':>14}  {'summary s/MB':>13}  "
        f"{'ratio':>5}  {'results s/MB/out MB':>20}"
    )
    print(header)
    print("-" * len(header))
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            data = make()
            assert len(data) <= LIMIT_BYTES, (name, len(data))
            path = Path(tmp) / "upload.csv"
            path.write_bytes(data)
            read = run_step(path, "read_csv")
            summary = run_step(path, "summary")
            cells = [f"{name:<34} {len(data) / 1e6:5.1f}"]
            cells.append(f"{read['seconds']:6.2f}/{read['rise'] / 1e6:6.0f}")
            cells.append(f"{summary['seconds']:5.2f}/{summary['rise'] / 1e6:6.0f}")
            if "refused" in summary:
                ok = float(summary["seconds"]) < 0.1 * float(read["seconds"]) + 0.05
                cells.append(f"{'-':>5}  refused: {str(summary['refused'])[:40]}")
            else:
                ratio = float(summary["seconds"]) / float(read["seconds"])
                results = run_step(path, "results")
                ok = float(summary["rise"]) <= RISE_TARGET and ratio <= RATIO_TARGET
                cells.append(f"{ratio:5.2f}")
                cells.append(
                    f"{results['seconds']:6.2f}/{results['rise'] / 1e6:5.0f}/"
                    f"{float(results['bytes']) / 1e6:5.1f}"
                )
            met = met and ok
            print("  ".join(cells) + ("" if ok else "   <- target missed"))
    print()
    print(
        f"targets: summary peak rise <= {RISE_TARGET / 1e6:.0f} MB and <= {RATIO_TARGET:g}x "
        f"read_csv; refused files refused at once: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
