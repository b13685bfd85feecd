"""The HTML report end to end: real allure results -> Allure 3 HTML -> headless Chromium.

No cluster needed: a small pytest session (pass, infra failure, product failure, bug
replay) produces the results; `fate-e2e report` builds and checks the HTML.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fate_e2e.report.allure_io import attach_file, write_categories, write_environment
from fate_e2e.report.browser import check_report_html, render_dom, serve_directory
from fate_e2e.report.redact import MASK

pytestmark = pytest.mark.e2e

NAMES = {"toy-two-parties": "passed", "cluster-never-ready": "broken",
         "toy-job-fails": "failed", "bug-1234-rabbitmq-route": "skipped",
         "scale-fateflow-2": "passed"}
# Allure 3 collapses groups whose tests all passed: this one is only on its own page.
COLLAPSED = "scale-fateflow-2"
CATEGORIES = ["Infrastructure failures", "Product failures",
              "Expected failures of bug scenarios"]
SECRET = "Rb7mQ2xVt9Lp"

SCENARIOS = textwrap.dedent(f'''
    import allure
    import pytest
    from fate_e2e.errors import InfraError, ProductFailure
    from fate_e2e.report.allure_io import attach_text, step
    from fate_e2e.report.redact import register_secret

    def test_pass():
        allure.dynamic.title("toy-two-parties")
        register_secret("{SECRET}")
        with step("run toy 9999 -> 10000"):
            attach_text("toy output", "rabbitmq password {SECRET}\\ntoy test job 1 is success")

    def test_infra():
        allure.dynamic.title("cluster-never-ready")
        raise InfraError("timed out after 600s waiting for node fate-control-plane Ready")

    def test_product():
        allure.dynamic.title("toy-job-fails")
        raise ProductFailure("toy job 202611281530 is failed on party 10000")

    def test_bug():
        allure.dynamic.title("bug-1234-rabbitmq-route")
        allure.dynamic.label("suite", "scenarios/bugs")
        pytest.xfail("bug #1234 still reproduces: [product] route table not reloaded")
''')
PASSING_GROUP = textwrap.dedent('''
    import allure

    def test_scale():
        allure.dynamic.title("scale-fateflow-2")
''')


def fate_e2e_command() -> list[str]:
    script = shutil.which("fate-e2e")
    return [script] if script else [sys.executable, "-m", "fate_e2e.cli"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Allure results of a real pytest session with one result of each kind."""
    work = tmp_path_factory.mktemp("report-e2e")
    (work / "test_scenarios.py").write_text(SCENARIOS)
    (work / "passing").mkdir()
    (work / "passing" / "test_scale.py").write_text(PASSING_GROUP)
    out = work / "allure-results"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:fate_e2e", "-o", "addopts=", "--alluredir", str(out),
                           "test_scenarios.py", "passing"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # two failures, by design
    assert "2 passed" in proc.stdout and "1 xfailed" in proc.stdout, proc.stdout
    write_environment(out, {"fate.version": "2.2.0", "kubernetes.version": "v1.34.4",
                            "cluster.provider": "kind"})
    write_environment(out, {"fate.version": "2.1.1"})
    write_categories(out)
    return out


def test_report_lists_scenarios_and_categories(results: Path, tmp_path: Path) -> None:
    html_dir = tmp_path / "html"
    shot = tmp_path / "report.png"
    cmd = [*fate_e2e_command(), "report", "--results", str(results), "--output", str(html_dir),
           "--check-all", "--screenshot", str(shot)]
    for category in CATEGORIES:
        cmd += ["--check-category", category]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    print(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "report check passed: 5 tests shown, 5 expected, 0 missing" in proc.stdout
    assert (html_dir / "index.html").is_file()
    assert shot.stat().st_size > 10_000
    attach_file(shot, "rendered report (headless chromium)")

    check = check_report_html(html_dir, list(NAMES), expected_categories=CATEGORIES)
    assert check.ok, check.summary()
    assert check.shown == sorted(NAMES)
    assert set(NAMES) - {COLLAPSED} <= set(check.listed)  # visible in the results tree
    assert COLLAPSED in check.opened  # collapsed group: found on its own result page

    # The environment facts show in the rendered page; the secret never reaches the HTML.
    with serve_directory(html_dir) as base:
        page = render_dom(base + "index.html")
    assert "fate.version" in page and "2.1.1, 2.2.0" in page and "v1.34.4" in page
    for path in html_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert any(MASK.encode() in p.read_bytes() for p in html_dir.rglob("*") if p.is_file())


def test_check_reports_missing_names(results: Path, tmp_path: Path) -> None:
    """The check can fail: a scenario that did not run is reported missing."""
    html_dir = tmp_path / "html"
    proc = subprocess.run([*fate_e2e_command(), "report", "--results", str(results),
                           "--output", str(html_dir), "--check", "toy-two-parties",
                           "--check", "scenario-that-never-ran", "--check-timeout", "5"],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "missing tests: scenario-that-never-ran" in proc.stdout


def test_single_file_report(results: Path, tmp_path: Path) -> None:
    html_dir = tmp_path / "single"
    proc = subprocess.run([*fate_e2e_command(), "report", "--results", str(results),
                           "--output", str(html_dir), "--single-file", "--check-all"],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [p.name for p in html_dir.iterdir() if p.is_dir()] == []
    assert "report check passed: 5 tests shown" in proc.stdout
