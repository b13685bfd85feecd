"""``fate-e2e validate FILE_OR_DIR...``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fate_e2e.scenario.errors import ScenarioError
from fate_e2e.scenario.loader import load_scenario

SUFFIXES = (".yaml", ".yml")
EXIT_INVALID = 2


def register(subparsers: Any) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate", help="check scenario files (directories: every *.yaml/*.yml, recursively)",
        description="Load and validate scenario files. Prints 'OK <file>' per valid file and "
                    "'file:line: field.path: message' per problem; exits 2 if any is invalid.")
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", type=Path)
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print OK lines")
    parser.set_defaults(func=cmd_validate)


def scenario_files(path: Path) -> Iterator[Path]:
    """``path`` itself, or every *.yaml/*.yml below it in sorted order."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    else:
        yield path


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate every file named or found; 0 when all are valid, 2 otherwise."""
    checked = invalid = 0
    for root in args.paths:
        if not root.exists():
            print(f"{root}: no such file or directory", file=sys.stderr)
            invalid += 1
            continue
        files = list(scenario_files(root))
        if not files:
            print(f"{root}: no *.yaml or *.yml files in this directory", file=sys.stderr)
            invalid += 1
            continue
        for path in files:
            checked += 1
            try:
                load_scenario(path)
            except ScenarioError as exc:
                invalid += 1
                print(exc, file=sys.stderr)
                continue
            if not args.quiet:
                print(f"OK {path}")
    if checked > 1 and invalid:
        print(f"{invalid} of {checked} scenario files invalid", file=sys.stderr)
    return EXIT_INVALID if invalid else 0
