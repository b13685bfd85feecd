"""The HTML report: Allure 3 from npm (pinned, cached) turns allure results into a site."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fate_e2e.cache import Stamp
from fate_e2e.errors import CommandError, InfraError
from fate_e2e.paths import cache_dir
from fate_e2e.proc import run
from fate_e2e.report.allure_io import CATEGORIES_FILE
from fate_e2e.report.browser import ReportCheck, check_report_html
from fate_e2e.report.categories import allure3_rules, categories_json

__all__ = ["ALLURE_VERSION", "ReportCheck", "allure_config", "check_report_html",
           "ensure_allure", "generate_command", "generate_report", "npm_failure_hint",
           "npm_install_command", "result_names"]

log = logging.getLogger(__name__)

ALLURE_VERSION = "3.18.0"
REPORT_NAME = "FATE end-to-end"
_NO_COLOR = {"NO_COLOR": "1", "FORCE_COLOR": "0", "CI": "true"}


def allure_home(version: str = ALLURE_VERSION) -> Path:
    """Where the pinned Allure npm package lives: <cache>/node/allure-<version>."""
    return cache_dir() / "node" / f"allure-{version}"


def allure_cli(home: Path) -> Path:
    """The Allure 3 command line script inside an npm prefix."""
    return home / "node_modules" / "allure" / "cli.js"


def npm_install_command(prefix: Path, version: str = ALLURE_VERSION) -> list[str]:
    """npm install of exactly ``allure@version`` into ``prefix``, quiet and offline-friendly."""
    return ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
            "--no-update-notifier", "--prefer-offline", "--loglevel=error",
            "--save-exact", f"allure@{version}"]


_CERT_ERRORS = ("SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT")


def npm_failure_hint(tail: str) -> str | None:
    """What to do about an npm failure we recognise (a TLS proxy's CA node does not trust)."""
    if any(code in tail for code in _CERT_ERRORS):
        return ("hint: node does not trust the registry's certificate chain (a TLS-inspecting "
                "proxy?): point NODE_EXTRA_CA_CERTS at its CA bundle; under tox, make sure the "
                "variable is passed (fate-e2e's tox.ini passes NODE_EXTRA_CA_CERTS)")
    return None


def ensure_allure(version: str = ALLURE_VERSION) -> Path:
    """Install Allure ``version`` from npm into the cache once; return its cli.js."""
    home = allure_home(version)
    stamp = Stamp("allure-npm", {"version": version})
    if stamp.done() and allure_cli(home).is_file():
        return allure_cli(home)
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise InfraError("node and npm are needed to build the HTML report (Allure 3)")
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".allure-{version}-", dir=home.parent))
    started = time.monotonic()
    try:
        try:
            run(npm_install_command(staging, version), what=f"npm install allure@{version}",
                env=_NO_COLOR, timeout=600)
        except CommandError as exc:
            hint = npm_failure_hint(exc.tail)
            if hint is None:
                raise
            raise InfraError(f"{exc}\n{hint}") from exc
        if not allure_cli(staging).is_file():
            raise InfraError(f"npm installed allure@{version} but {allure_cli(staging)} "
                             "is missing")
        staging.chmod(0o755)
        # Another process may have finished the same install meanwhile: keep its copy.
        if not allure_cli(home).is_file():
            if home.exists():
                shutil.rmtree(home)
            staging.rename(home)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    size = sum(f.stat().st_size for f in home.rglob("*") if f.is_file())
    stamp.mark(seconds=round(time.monotonic() - started, 1), bytes=size)
    return allure_cli(home)


def _categories(results: Sequence[Path]) -> list[dict[str, Any]]:
    """categories.json of the first results dir that has one, else fate-e2e's own."""
    for directory in results:
        path = directory / CATEGORIES_FILE
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise InfraError(f"{path} is not valid JSON: {exc}") from exc
            if isinstance(data, list):
                return [e for e in data if isinstance(e, dict)]
    return categories_json()


def allure_config(results: Sequence[Path], *, name: str = REPORT_NAME,
                  single_file: bool = False) -> dict[str, Any]:
    """The Allure 3 config: the Awesome report, with the run's categories.

    Allure 3 takes categories from its config (categories.json in the results only
    feeds the legacy Allure 2 plugin), so they are copied here.
    """
    return {
        "name": name,
        "plugins": {"awesome": {"options": {"reportName": name, "singleFile": single_file,
                                            "reportLanguage": "en", "theme": "light"}}},
        "categories": allure3_rules(_categories(results)),
    }


def generate_command(cli: Path, results: Sequence[Path], output: Path,
                     config: Path) -> list[str]:
    """``node cli.js generate`` for ``results`` into ``output`` with ``config``."""
    return ["node", str(cli), "generate", "--config", str(config), "--output", str(output),
            *[str(r) for r in results]]


def result_names(results: Sequence[Path]) -> list[str]:
    """The names of the tests in allure results dirs (what the report must list)."""
    names: set[str] = set()
    for directory in results:
        for path in directory.glob("*-result.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("name"):
                names.add(str(data["name"]))
    return sorted(names)


def _clear_output(output: Path) -> None:
    """Remove a previous report at ``output``; refuse to delete anything else."""
    if not output.exists():
        return
    if output.is_dir() and (not any(output.iterdir()) or (output / "index.html").is_file()):
        shutil.rmtree(output)
        return
    raise InfraError(f"{output} exists and is not an Allure report; choose another --output")


def generate_report(results: Sequence[Path], output: Path, *, single_file: bool = False,
                    name: str = REPORT_NAME, version: str = ALLURE_VERSION) -> Path:
    """Build the HTML report of ``results`` into ``output``; return its index.html."""
    results = [Path(r).resolve() for r in results]
    missing = [str(r) for r in results if not r.is_dir()]
    if missing:
        raise InfraError(f"no allure results at {', '.join(missing)}")
    if not any(any(r.glob("*-result.json")) for r in results):
        raise InfraError(f"no test results (*-result.json) in {', '.join(map(str, results))}")
    cli = ensure_allure(version)
    output = Path(output).resolve()
    _clear_output(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fate-e2e-allure-") as tmp:
        config = Path(tmp) / "allurerc.json"
        config.write_text(json.dumps(allure_config(results, name=name, single_file=single_file),
                                     indent=2), encoding="utf-8")
        run(generate_command(cli, results, output, config), what="allure generate",
            env=_NO_COLOR, cwd=Path(tmp), timeout=600)
    index = output / "index.html"
    if not index.is_file():
        raise InfraError(f"allure generate did not write {index}")
    return index
