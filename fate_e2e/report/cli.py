"""`fate-e2e report`: build the HTML report (Allure 3) and check it in headless Chromium."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fate_e2e.errors import FateE2EError

RESULTS_DIR = Path("reports/allure-results")
OUTPUT_DIR = Path("reports/html")


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="build the HTML report from allure results (and check it)",
        description="Build the HTML report with Allure 3 (npm, cached) and optionally check, "
                    "in headless Chromium, that it lists the given tests.")
    report.add_argument("--results", type=Path, action="append",
                        help=f"allure results directory; repeatable (default {RESULTS_DIR})")
    report.add_argument("--output", type=Path, default=OUTPUT_DIR,
                        help=f"where the HTML goes (default {OUTPUT_DIR})")
    report.add_argument("--single-file", action="store_true",
                        help="one self-contained index.html")
    report.add_argument("--name", default=None, help="report title")
    report.add_argument("--no-generate", action="store_true",
                        help="do not build; only check the report already at --output")
    report.add_argument("--check", metavar="NAME", action="append", default=[],
                        help="fail unless the rendered report lists this test; repeatable")
    report.add_argument("--check-all", action="store_true",
                        help="fail unless the report lists every test found in --results")
    report.add_argument("--check-category", metavar="NAME", action="append", default=[],
                        help="fail unless the Categories tab shows this category; repeatable")
    report.add_argument("--check-timeout", type=float, default=60,
                        help="seconds to keep re-rendering before the check fails (default 60)")
    report.add_argument("--screenshot", type=Path, help="also save a PNG of the report here")
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from fate_e2e.report.html import (
        REPORT_NAME,
        check_report_html,
        generate_report,
        result_names,
    )

    results: list[Path] = args.results or [RESULTS_DIR]
    try:
        if not args.no_generate:
            index = generate_report(results, args.output, single_file=args.single_file,
                                    name=args.name or REPORT_NAME)
            print(f"[fate-e2e] HTML report: {index}")
            print(f"[fate-e2e] view it served over loopback: python3 -m http.server "
                  f"--bind 127.0.0.1 --directory {args.output} 8080")
        expected = list(args.check)
        if args.check_all:
            expected += [n for n in result_names(results) if n not in expected]
        if not (expected or args.check_category or args.screenshot):
            return 0
        check = check_report_html(args.output, expected,
                                  expected_categories=args.check_category,
                                  screenshot_to=args.screenshot, timeout=args.check_timeout)
    except FateE2EError as exc:
        print(f"[fate-e2e] report: {exc}", file=sys.stderr)
        return 2
    print(check.summary())
    return 0 if check.ok or not (expected or args.check_category) else 1
