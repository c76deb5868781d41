"""``python -m bench [NAME ...]``: run the named benchmarks, or all of them.

``python -m bench NAME ARG ...`` runs one benchmark with its own arguments, as
``python -m bench.NAME ARG ...`` would (e.g. ``python -m bench hall --replicas 2 100``).

The exit status is 0 if every benchmark run met its target, 1 if any missed it, and 2 for
an unknown name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from bench import BENCHMARKS


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    if any(name in ("-h", "--help") for name in names):
        print(__doc__.strip())
        print(f"benchmarks: {', '.join(BENCHMARKS)}")
        return 0
    if names and names[0] in BENCHMARKS and any(name not in BENCHMARKS for name in names[1:]):
        runs = [(names[0], names[1:])]
    else:
        unknown = [name for name in names if name not in BENCHMARKS]
        if unknown:
            print(
                f"bench: error: unknown benchmark {', '.join(unknown)}; "
                f"choose from {', '.join(BENCHMARKS)}",
                file=sys.stderr,
            )
            return 2
        runs = [(name, []) for name in names or BENCHMARKS]
    status = 0
    for i, (name, args) in enumerate(runs):
        if i:
            print()
        module = importlib.import_module(BENCHMARKS[name])
        # Some benchmarks read their arguments from sys.argv: give each its own, never the
        # benchmark names given to this command.
        saved, sys.argv = sys.argv, [f"{BENCHMARKS[name]}.py", *args]
        try:
            status = max(status, int(module.main()))
        finally:
            sys.argv = saved
    return status


if __name__ == "__main__":
    sys.exit(main())
