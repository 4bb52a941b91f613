"""Command line: `reportedly claims | sources | extract | estimate | summary | query | explain | whatif | check | plot |
report`.

One module per command (or pair of close commands): each adds its parser and renders what the library returns.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from reportedly.cli import check, claims, estimate, explain, extract, query, summary, whatif
from reportedly.errors import InputError, ReportedlyError

COMMANDS = (claims, extract, estimate, check, summary, explain, whatif, query)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failed gate or check, 2 bad input)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("reportedly").setLevel(logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    try:
        return args.command(args)
    except InputError as exc:
        print(f"error: {len(exc.problems)} problem(s) in the input:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ReportedlyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    """Every command's arguments."""
    top = argparse.ArgumentParser(prog="reportedly", description=__doc__.split("\n\n")[0])
    top.add_argument(
        "--root", type=Path, help="case folder holding seeds/ and models/ (default: found from here upward)"
    )
    commands = top.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parsers(commands)
    return top
