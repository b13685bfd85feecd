"""The fate-e2e command line: run, validate, render, report, capture, lab, images."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module registers its own sub-commands via ``register(subparsers)``.
COMMAND_MODULES = (
    "fate_e2e.scenario.cli",
    "fate_e2e.run.cli",
    "fate_e2e.report.cli",
    "fate_e2e.lab.cli",
    "fate_e2e.images.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="fate-e2e", description="End-to-end test harness for FATE on Kubernetes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
