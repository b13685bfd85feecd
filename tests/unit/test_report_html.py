"""HTML report plumbing: npm/allure commands, config, cache reuse, DOM parsing, CLI."""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fate_e2e.errors import CommandError, InfraError
from fate_e2e.report import browser, cli, html
from fate_e2e.report.allure_io import write_categories
from fate_e2e.report.browser import (
    LEAF_TITLE,
    SECTION_TITLE,
    ReportCheck,
    chromium_command,
    serve_directory,
    texts_by_test_id,
)
from fate_e2e.report.categories import categories_json


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_npm_install_command_pins_the_version(tmp_path: Path) -> None:
    cmd = html.npm_install_command(tmp_path / "prefix", "3.18.0")
    assert cmd[:2] == ["npm", "install"]
    assert cmd[cmd.index("--prefix") + 1] == str(tmp_path / "prefix")
    assert cmd[-1] == "allure@3.18.0"
    assert {"--no-audit", "--no-fund", "--save-exact"} <= set(cmd)


def test_allure_home_is_versioned_under_the_cache(cache: Path) -> None:
    assert html.allure_home("3.18.0") == cache / "node" / "allure-3.18.0"
    assert html.allure_cli(html.allure_home("3.18.0")).name == "cli.js"


def test_ensure_allure_reuses_the_cached_install(cache: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cli_js = html.allure_cli(html.allure_home())
    cli_js.parent.mkdir(parents=True)
    cli_js.write_text("// allure")
    html.Stamp("allure-npm", {"version": html.ALLURE_VERSION}).mark(seconds=1.0)

    def no_npm(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("npm must not run when the install is cached")

    monkeypatch.setattr(html, "run", no_npm)
    assert html.ensure_allure() == cli_js


def test_ensure_allure_installs_into_staging_then_moves(cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_npm(cmd: list[str], **kwargs: Any) -> str:
        calls.append(cmd)
        prefix = Path(cmd[cmd.index("--prefix") + 1])
        target = html.allure_cli(prefix)
        target.parent.mkdir(parents=True)
        target.write_text("// allure")
        return ""

    monkeypatch.setattr(html, "run", fake_npm)
    monkeypatch.setattr(html.shutil, "which", lambda name: f"/usr/bin/{name}")
    cli_js = html.ensure_allure("9.9.9")
    assert cli_js == html.allure_cli(cache / "node" / "allure-9.9.9") and cli_js.is_file()
    assert len(calls) == 1 and calls[0][-1] == "allure@9.9.9"
    assert [p.name for p in (cache / "node").iterdir()] == ["allure-9.9.9"]
    info = html.Stamp("allure-npm", {"version": "9.9.9"}).info()
    assert info["bytes"] > 0 and "seconds" in info


def test_failed_npm_install_leaves_nothing_behind(cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_npm(cmd: list[str], **kwargs: Any) -> str:
        Path(cmd[cmd.index("--prefix") + 1], "partial").write_text("x")
        raise InfraError("npm: network unreachable")

    monkeypatch.setattr(html, "run", broken_npm)
    monkeypatch.setattr(html.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(InfraError, match="network unreachable"):
        html.ensure_allure("9.9.8")
    assert list((cache / "node").iterdir()) == []
    assert not html.Stamp("allure-npm", {"version": "9.9.8"}).done()


def test_npm_certificate_failure_says_what_to_set(cache: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tail = ("npm error code SELF_SIGNED_CERT_IN_CHAIN\n"
            "npm error request to https://registry.npmjs.org/allure failed")

    def proxied_npm(cmd: list[str], **kwargs: Any) -> str:
        raise CommandError(cmd, 1, tail)

    monkeypatch.setattr(html, "run", proxied_npm)
    monkeypatch.setattr(html.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(InfraError, match=r"(?s)SELF_SIGNED_CERT_IN_CHAIN.*NODE_EXTRA_CA_CERTS"):
        html.ensure_allure("9.9.7")
    assert html.npm_failure_hint("npm error code E404") is None


def test_tox_passes_the_ca_bundle_node_needs() -> None:
    """Without NODE_EXTRA_CA_CERTS, npm with a cold cache fails behind a TLS proxy."""
    tox_ini = Path(__file__).resolve().parents[2] / "tox.ini"
    passenv = tox_ini.read_text().split("passenv =", 1)[1].split("\n\n", 1)[0].split()
    assert {"NODE_EXTRA_CA_CERTS", "SSL_CERT_DIR", "npm_config_*"} <= set(passenv)


def test_allure_config_uses_the_results_categories(tmp_path: Path) -> None:
    plain = html.allure_config([tmp_path], single_file=True)
    assert plain["plugins"]["awesome"]["options"]["singleFile"] is True
    assert [c["name"] for c in plain["categories"]] == [c["name"] for c in categories_json()]
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "categories.json").write_text(json.dumps(
        [{"name": "Mine", "matchedStatuses": ["failed"], "messageRegex": ".*x.*",
          "description": "ignored by Allure 3"}]))
    config = html.allure_config([tmp_path, custom])
    assert config["categories"] == [{"name": "Mine", "matchedStatuses": ["failed"],
                                     "messageRegex": ".*x.*"}]
    write_categories(tmp_path)
    assert len(html.allure_config([tmp_path])["categories"]) == len(categories_json())


def test_allure_config_rejects_broken_categories(tmp_path: Path) -> None:
    (tmp_path / "categories.json").write_text("{not json")
    with pytest.raises(InfraError, match="not valid JSON"):
        html.allure_config([tmp_path])


def test_generate_command(tmp_path: Path) -> None:
    cmd = html.generate_command(Path("/c/cli.js"), [tmp_path / "a", tmp_path / "b"],
                                tmp_path / "out", tmp_path / "rc.json")
    assert cmd == ["node", "/c/cli.js", "generate", "--config", str(tmp_path / "rc.json"),
                   "--output", str(tmp_path / "out"), str(tmp_path / "a"), str(tmp_path / "b")]


def test_result_names(tmp_path: Path) -> None:
    (tmp_path / "1-result.json").write_text(json.dumps({"name": "toy-2.2", "status": "passed"}))
    (tmp_path / "2-result.json").write_text(json.dumps({"name": "toy-2.2", "status": "failed"}))
    (tmp_path / "3-result.json").write_text(json.dumps({"name": "pod-kill"}))
    (tmp_path / "4-result.json").write_text("{broken")
    (tmp_path / "x-container.json").write_text(json.dumps({"name": "not a test"}))
    assert html.result_names([tmp_path]) == ["pod-kill", "toy-2.2"]


def test_generate_refuses_missing_results_and_foreign_output(tmp_path: Path) -> None:
    with pytest.raises(InfraError, match="no allure results"):
        html.generate_report([tmp_path / "missing"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InfraError, match="no test results"):
        html.generate_report([tmp_path / "empty"], tmp_path / "out")
    foreign = tmp_path / "src"
    foreign.mkdir()
    (foreign / "main.py").write_text("print()")
    with pytest.raises(InfraError, match="not an Allure report"):
        html._clear_output(foreign)
    assert (foreign / "main.py").exists()
    old = tmp_path / "old-report"
    (old / "data").mkdir(parents=True)
    (old / "index.html").write_text("<html>")
    html._clear_output(old)
    assert not old.exists()


def test_chromium_command_stays_quiet_and_local(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: "/usr/bin/chromium")
    cmd = chromium_command("http://127.0.0.1:1234/index.html", tmp_path / "p")
    assert cmd[0] == "/usr/bin/chromium" and cmd[-1] == "http://127.0.0.1:1234/index.html"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--dump-dom",
                 f"--user-data-dir={tmp_path / 'p'}", "--virtual-time-budget=8000"):
        assert flag in cmd
    shot = chromium_command("http://127.0.0.1:1/", tmp_path / "p", screenshot=tmp_path / "s.png")
    assert f"--screenshot={tmp_path / 's.png'}" in shot and "--dump-dom" not in shot


def test_chromium_missing_is_an_infra_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(InfraError, match="apt-get install chromium"):
        browser.chromium_binary()


DOM = """<html><head><script>var t = "test_in_script";</script></head><body>
<div data-testid="tree-leaf"><svg><path d="m1"></path><circle r="1"/></svg>
<span data-testid="tree-leaf-order">1</span>
<span data-testid="tree-leaf-title" class="x">toy-2.2.0</span><br></div>
<div data-testid="tree-leaf"><span data-testid="tree-leaf-title">pod kill &amp; heal</span>
</div><span data-testid="tree-section-title"><div><span>Infrastructure failures</span>
<button>1</button></div></span><img src="x"><p>test_in_text</p></body></html>"""


def test_texts_by_test_id() -> None:
    found = texts_by_test_id(DOM, [LEAF_TITLE, SECTION_TITLE])
    assert found[LEAF_TITLE] == ["toy-2.2.0", "pod kill & heal"]
    assert found[SECTION_TITLE] == ["Infrastructure failures 1"]


def test_report_check_verdict() -> None:
    check = ReportCheck(url="u", expected=["a", "b"], listed=["a", "c"],
                        expected_categories=["Product failures"],
                        categories=["Product failures"])
    assert check.missing == ["b"] and not check.ok
    assert "missing tests: b" in check.summary()
    check.listed = ["a", "b"]
    assert check.ok
    assert not ReportCheck(url="u", expected=[]).ok  # a report listing nothing is wrong


def test_opened_result_pages_count_as_shown() -> None:
    check = ReportCheck(url="u", expected=["a", "b"], listed=["a"], opened=["b"])
    assert check.ok and check.shown == ["a", "b"]
    assert "1 in the results tree, 1 on their own page" in check.summary()


def test_report_test_ids(tmp_path: Path) -> None:
    assert browser.report_test_ids(tmp_path) == {}
    (tmp_path / "test-results.json").write_text(json.dumps({"byId": {
        "id1": {"id": "id1", "name": "toy", "status": "passed"},
        "id2": {"id": "id2", "name": "toy", "status": "failed"},
        "id3": {"id": "id3", "name": "kill", "status": "broken"},
        "id4": {"id": "id4"}}}))
    assert browser.report_test_ids(tmp_path) == {"toy": ["id1", "id2"], "kill": ["id3"]}


def test_category_match_tolerates_counts() -> None:
    check = ReportCheck(url="u", expected=[], listed=["x"],
                        expected_categories=["Infrastructure failures"],
                        categories=["Infrastructure failures 1"])
    assert check.ok


def test_serve_directory_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hello</p>")
    with serve_directory(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base + "index.html", timeout=10) as resp:
            assert resp.read() == b"<p>hello</p>"
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "index.html", timeout=2)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_arguments() -> None:
    args = parse(["report"])
    assert args.results is None and args.output == Path("reports/html")
    assert not args.single_file and args.check == [] and args.func is cli.cmd_report
    args = parse(["report", "--results", "a", "--results", "b", "--output", "o",
                  "--single-file", "--check", "toy", "--check", "kill", "--check-all",
                  "--check-category", "Product failures", "--check-timeout", "5"])
    assert args.results == [Path("a"), Path("b")] and args.check == ["toy", "kill"]
    assert args.check_all and args.check_category == ["Product failures"]
    assert args.check_timeout == 5


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "1-result.json").write_text(json.dumps({"name": "toy"}))
    seen: dict[str, Any] = {}

    def fake_generate(res: list[Path], output: Path, **kw: Any) -> Path:
        seen["generate"] = (res, output, kw)
        return output / "index.html"

    def fake_check(html_dir: Path, names: list[str], **kw: Any) -> ReportCheck:
        seen["check"] = names
        return ReportCheck(url="u", expected=list(names), listed=["toy"])

    monkeypatch.setattr(html, "generate_report", fake_generate)
    monkeypatch.setattr(html, "check_report_html", fake_check)
    out = tmp_path / "html"
    assert cli.cmd_report(parse(["report", "--results", str(results), "--output", str(out)])) == 0
    assert "check" not in seen  # nothing asked, nothing checked
    assert cli.cmd_report(parse(["report", "--results", str(results), "--output", str(out),
                                 "--check-all"])) == 0
    assert seen["check"] == ["toy"]
    assert cli.cmd_report(parse(["report", "--results", str(results), "--output", str(out),
                                 "--no-generate", "--check", "missing-one"])) == 1
    assert "missing tests: missing-one" in capsys.readouterr().out

    def broken_generate(*a: Any, **kw: Any) -> Path:
        raise InfraError("npm unreachable")

    monkeypatch.setattr(html, "generate_report", broken_generate)
    assert cli.cmd_report(parse(["report", "--results", str(results)])) == 2
    assert "npm unreachable" in capsys.readouterr().err
