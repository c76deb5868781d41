"""Command line for quick checks of the core: ``python -m ce_viz --logits 2 3 4 --target 1``.

It prints, per class, the logit, ``p = softmax(o / T)``, the target ``y`` (after label
smoothing) and the gradient ``dL/do = (p - y) / T``, then the loss in nats. It uses the
NumPy core only: importing it loads neither Streamlit nor Plotly.

Give the true class with ``--target K`` (0-based) or a soft target with ``--y Y1 ... YK``,
exactly one of them. Bad input prints one line, ``ce_viz: error: ...``, on stderr and
exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import NoReturn

from ce_viz.analysis import evaluate
from ce_viz.core import CEVizError, target_distribution
from ce_viz.fmt import fmt_plain

__all__ = ["main"]

PROG = "python -m ce_viz"
ERROR_PREFIX = "ce_viz: error: "
HEADERS = ("class", "logit", "p", "y", "dL/do")


class _UsageError(Exception):
    """A command-line mistake found by argparse or by main itself."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line for main to print, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _finite_float(text: str) -> float:
    """A float that is finite; argparse reports the ArgumentTypeError as a usage error."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _class_index(text: str) -> int:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a class index (an integer): {text!r}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _protect_negative_numbers(argv: Sequence[str]) -> list[str]:
    """Prefix a space to arguments like ``-1e3`` or ``-inf`` so argparse takes them as values.

    argparse (Python 3.11) only recognises ``-1`` and ``-1.5`` as negative numbers and takes
    ``-1e3`` for an unknown option; with a leading space it is a value, and float() and
    int() ignore the space.
    """
    return [f" {arg}" if arg.startswith("-") and _is_number(arg) else arg for arg in argv]


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Softmax + cross-entropy for one set of logits: p, y, dL/do = (p - y)/T, L.",
        epilog="example: python -m ce_viz --logits 2 3 4 --target 1",
    )
    parser.add_argument(
        "--logits",
        nargs="+",
        type=_finite_float,
        required=True,
        metavar="O",
        help="the class scores o_1 ... o_K (K >= 2)",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--target", type=_class_index, metavar="K", help="the true class, 0-based (one-hot y)"
    )
    target.add_argument(
        "--y",
        nargs="+",
        type=_finite_float,
        metavar="Y",
        help="a soft target distribution y_1 ... y_K, summing to 1",
    )
    parser.add_argument(
        "--T", type=_finite_float, default=1.0, help="the temperature T > 0 (default 1)"
    )
    parser.add_argument(
        "--smoothing",
        type=_finite_float,
        default=0.0,
        metavar="EPS",
        help="label smoothing eps in [0, 1): y <- (1 - eps) y + eps/K (default 0)",
    )
    return parser


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Right-aligned columns, two spaces apart.

    >>> _table([("class", "p"), ("0", "0.090031")])
    ['class         p', '    0  0.090031']
    """
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]


def _report(args: argparse.Namespace) -> list[str]:
    """The lines to print; raises CEVizError for input the core rejects."""
    logits = args.logits
    y = target_distribution(len(logits), target=args.target, y=args.y, smoothing=args.smoothing)
    result = evaluate(logits, y, args.T)
    lines = []
    if args.T != 1.0:
        lines.append(f"temperature T = {args.T:g}")
    if args.smoothing != 0.0:
        lines.append(f"label smoothing eps = {args.smoothing:g}")
    rows = [HEADERS] + [
        (str(i), fmt_plain(o), fmt_plain(pi), fmt_plain(yi), fmt_plain(gi))
        for i, (o, pi, yi, gi) in enumerate(
            zip(logits, result.p, result.y, result.grad, strict=True)
        )
    ]
    lines += _table(rows)
    lines.append(f"loss L = {fmt_plain(result.loss)} nats")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Prints the table and the loss on stdout and returns 0, or prints one line starting
    with ``ce_viz: error: `` on stderr and returns 2.

    >>> main(["--logits", "2", "3", "4", "--target", "1"])
    class     logit         p         y      dL/do
        0  2.000000  0.090031  0.000000   0.090031
        1  3.000000  0.244728  1.000000  -0.755272
        2  4.000000  0.665241  0.000000   0.665241
    loss L = 1.407606 nats
    0
    """
    args_in = sys.argv[1:] if argv is None else argv
    parser = _build_parser()
    try:
        args = parser.parse_args(_protect_negative_numbers(args_in))
        if args.target is None and args.y is None:
            parser.error("give the true class with --target K or a target distribution with --y")
        lines = _report(args)
    except (_UsageError, CEVizError) as exc:
        message = " ".join(str(exc).split())  # always one line
        print(f"{ERROR_PREFIX}{message}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
