"""Unit tests of the debootstrap image helpers that need no network or daemon."""

from __future__ import annotations

from pathlib import Path

from fate_e2e.images import debian


def test_mirror_from_deb822(tmp_path: Path) -> None:
    src = tmp_path / "debian.sources"
    src.write_text("Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n")
    assert debian.debian_mirror([tmp_path]) == "http://mirror.example/debian"


def test_mirror_from_one_line_format(tmp_path: Path) -> None:
    src = tmp_path / "sources.list"
    src.write_text("# comment\ndeb [arch=amd64] http://m.example/debian bookworm main\n")
    assert debian.debian_mirror([src]) == "http://m.example/debian"


def test_mirror_ignores_security_and_others(tmp_path: Path) -> None:
    src = tmp_path / "sources.list"
    src.write_text("deb http://security.example/debian-security bookworm-security main\n"
                   "deb https://deb.nodesource.com/node_20.x nodistro main\n")
    assert debian.debian_mirror([src]) == debian.DEFAULT_MIRROR


def test_mirror_missing_files_default(tmp_path: Path) -> None:
    assert debian.debian_mirror([tmp_path / "nope"]) == debian.DEFAULT_MIRROR
