"""Benchmarks for ce_viz, run from the project root.

    python -m bench              # every benchmark
    python -m bench landscape    # one of them, by name

Each benchmark prints its numbers to stdout, writes no files, and exits 0 when it meets its
target, 1 when it does not. They are not tests: pytest does not collect this package.
"""

from __future__ import annotations

#: name -> the module whose ``main() -> int`` runs that benchmark
BENCHMARKS: dict[str, str] = {
    "landscape": "bench.landscape",
    "batch": "bench.batch",
    "shapes": "bench.shapes",
    "cpu": "bench.cpu",
    "hall": "bench.hall",
    "soak": "bench.soak",
    "upload": "bench.upload",
    "load": "bench.load",
    "budget": "bench.budget",
    "train": "bench.train",
    "browser": "bench.browser",
}

__all__ = ["BENCHMARKS"]
