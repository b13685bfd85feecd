"""Look at the HTML report the way a person would: served on loopback, rendered by Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fate_e2e.errors import InfraError
from fate_e2e.proc import run
from fate_e2e.waits import NotYet, WaitTimeout, wait_until

# Headless Chromium that talks to nobody but the loopback server.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-proxy-server",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--disable-dev-shm-usage")
VIRTUAL_TIME_MS = 8000
# The Awesome report marks list entries with these data-testid values.
LEAF_TITLE = "tree-leaf-title"
SECTION_TITLE = "tree-section-title"
RESULT_TITLE = "test-result-info-title"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (ephemeral port); yield the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="report-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def chromium_binary() -> str:
    """The Chromium executable (Debian: /usr/bin/chromium)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise InfraError("chromium not found: apt-get install chromium")


def chromium_command(url: str, profile: Path, *, screenshot: Path | None = None,
                     window: str = "1400,1800") -> list[str]:
    """Headless Chromium dumping the rendered DOM of ``url`` (or taking a screenshot)."""
    action = [f"--screenshot={screenshot}", f"--window-size={window}"] if screenshot \
        else ["--dump-dom"]
    return [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}", *action, url]


def _without_stderr(cmd: list[str], log: Path) -> list[str]:
    """Run ``cmd`` with its stderr (Chromium's dbus noise) sent to ``log``, stdout kept."""
    return ["sh", "-c", 'log="$1"; shift; exec "$@" 2>>"$log"', "sh", str(log), *cmd]


def render_dom(url: str, *, timeout: float = 120) -> str:
    """The DOM of ``url`` after Chromium ran its scripts (fresh empty profile each time)."""
    with tempfile.TemporaryDirectory(prefix="fate-e2e-chromium-") as tmp:
        profile = Path(tmp) / "profile"
        profile.mkdir()
        return run(_without_stderr(chromium_command(url, profile), Path(tmp) / "stderr.log"),
                   timeout=timeout)


def screenshot(url: str, dest: Path, *, timeout: float = 120) -> Path:
    """A PNG of ``url`` as headless Chromium renders it."""
    dest = Path(dest).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fate-e2e-chromium-") as tmp:
        profile = Path(tmp) / "profile"
        profile.mkdir()
        run(_without_stderr(chromium_command(url, profile, screenshot=dest),
                            Path(tmp) / "stderr.log"), timeout=timeout)
    if not dest.is_file():
        raise InfraError(f"chromium wrote no screenshot at {dest}")
    return dest


class _TestIdText(HTMLParser):
    """Collects the text of elements carrying selected data-testid values."""

    def __init__(self, test_ids: Sequence[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = set(test_ids)
        self.found: dict[str, list[str]] = {t: [] for t in test_ids}
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        test_id = dict(attrs).get("data-testid")
        self._open.append((tag, test_id if test_id in self.wanted else None, []))

    def handle_endtag(self, tag: str) -> None:
        if all(open_tag != tag for open_tag, _, _ in self._open):
            return
        while self._open:
            open_tag, test_id, parts = self._open.pop()
            if test_id is not None:
                self.found[test_id].append(" ".join("".join(parts).split()))
            if self._open:
                self._open[-1][2].extend(parts)
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr", "path", "circle", "rect", "line"}


def texts_by_test_id(dom: str, test_ids: Sequence[str]) -> dict[str, list[str]]:
    """Text of every element with one of ``test_ids`` (scripts and styles are ignored)."""
    parser = _TestIdText(test_ids)
    parser.feed(dom)
    parser.close()
    return parser.found


@dataclass
class ReportCheck:
    """What headless Chromium showed: the listed tests and categories, what is missing.

    ``listed``: names in the Results tree as rendered; ``opened``: names of tests not
    visible there (collapsed all-passed groups) whose own result page rendered them.
    """

    url: str
    expected: list[str]
    listed: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    expected_categories: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    dom_chars: int = 0
    seconds: float = 0.0
    renders: int = 0
    screenshot: Path | None = None

    @property
    def shown(self) -> list[str]:
        return sorted(set(self.listed) | set(self.opened))

    @property
    def missing(self) -> list[str]:
        shown = set(self.shown)
        return [n for n in self.expected if n not in shown]

    @property
    def missing_categories(self) -> list[str]:
        return [c for c in self.expected_categories
                if not any(s == c or s.startswith(c + " ") for s in self.categories)]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.missing_categories and bool(self.shown)

    def summary(self) -> str:
        """A few lines for the console and the CI log."""
        lines = [f"report check {'passed' if self.ok else 'FAILED'}: {len(self.shown)} tests "
                 f"shown, {len(self.expected)} expected, {len(self.missing)} missing "
                 f"({len(self.listed)} in the results tree, {len(self.opened)} on their own "
                 f"page; {self.renders} renders, {self.seconds:.1f}s, "
                 f"DOM {self.dom_chars} chars)"]
        if self.missing:
            lines.append("missing tests: " + ", ".join(self.missing))
        if self.expected_categories:
            lines.append("categories shown: " + (", ".join(self.categories) or "none"))
        if self.missing_categories:
            lines.append("missing categories: " + ", ".join(self.missing_categories))
        if self.screenshot:
            lines.append(f"screenshot: {self.screenshot}")
        return "\n".join(lines)


def report_test_ids(html_dir: Path) -> dict[str, list[str]]:
    """Test name -> result ids, from the report's own test-results.json."""
    path = Path(html_dir) / "test-results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ids: dict[str, list[str]] = {}
    by_id = data.get("byId", {}) if isinstance(data, dict) else {}
    for result_id, item in by_id.items() if isinstance(by_id, dict) else ():
        if isinstance(item, dict) and item.get("name"):
            ids.setdefault(str(item["name"]), []).append(str(result_id))
    return ids


class _Renderer:
    """Renders pages of one served report and reads what they show."""

    def __init__(self, check: ReportCheck, ids: dict[str, list[str]]) -> None:
        self.check = check
        self.ids = ids

    def dom(self, fragment: str = "") -> str:
        self.check.renders += 1
        return render_dom(self.check.url + fragment)

    def tree(self) -> None:
        dom = self.dom()
        self.check.dom_chars = len(dom)
        self.check.listed = sorted(set(texts_by_test_id(dom, [LEAF_TITLE])[LEAF_TITLE]))

    def result_pages(self) -> None:
        for name in self.check.missing:
            for result_id in self.ids.get(name, [])[:1]:
                titles = texts_by_test_id(self.dom(f"#{result_id}"), [RESULT_TITLE])
                if name in titles[RESULT_TITLE] and name not in self.check.opened:
                    self.check.opened.append(name)

    def categories(self) -> None:
        dom = self.dom("#categories")
        self.check.categories = texts_by_test_id(dom, [SECTION_TITLE])[SECTION_TITLE]


def check_report_html(html_dir: Path, expected_names: Sequence[str], *,
                      expected_categories: Sequence[str] = (),
                      screenshot_to: Path | None = None, timeout: float = 180) -> ReportCheck:
    """Serve the report on loopback, render it in headless Chromium and see which
    ``expected_names`` it shows (and which categories the Categories tab shows)."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise InfraError(f"no report at {html_dir} (index.html missing)")
    started = time.monotonic()
    with serve_directory(html_dir) as base:
        check = ReportCheck(url=base + "index.html", expected=list(expected_names),
                            expected_categories=list(expected_categories))
        renderer = _Renderer(check, report_test_ids(html_dir))

        def probe() -> ReportCheck:
            renderer.tree()
            renderer.result_pages()
            if check.expected_categories and check.missing_categories:
                renderer.categories()
            if not check.ok:
                raise NotYet(f"{len(check.shown)} shown, missing {check.missing[:3]} "
                             f"{check.missing_categories[:3]}")
            return check

        # On timeout the check records what is missing; the caller decides.
        with contextlib.suppress(WaitTimeout):
            wait_until("the report to show the expected tests", probe, timeout=timeout,
                       interval=2)
        if screenshot_to is not None:
            check.screenshot = screenshot(check.url, screenshot_to)
    check.seconds = time.monotonic() - started
    return check
