"""``python -m bench [NAME ...]``: run the named benchmarks, or all of them.

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
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"bench: error: unknown benchmark {', '.join(unknown)}; "
            f"choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    status = 0
    for i, name in enumerate(names or list(BENCHMARKS)):
        if i:
            print()
        module = importlib.import_module(BENCHMARKS[name])
        status = max(status, int(module.main()))
    return status


if __name__ == "__main__":
    sys.exit(main())
