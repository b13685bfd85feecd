"""``fate-e2e validate``: exit codes and output, run in-process through cli.main()."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_e2e.cli import main

HERE = Path(__file__).parent
MALFORMED = sorted((HERE / "scenarios_malformed").glob("*.yaml"))
SCENARIOS = HERE.parent.parent / "scenarios"
VALID = SCENARIOS / "two-party-basic.yaml"


def expected_line(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    return f"{path}:{first.removeprefix('# expect: ')}"


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_malformed_file_prints_one_error_line_and_exits_2(
        path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [expected_line(path)]


def test_scenarios_directory_is_valid_recursively(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in SCENARIOS.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert VALID in files
    assert main(["validate", str(SCENARIOS)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [f"OK {p}" for p in files]


def test_quiet_prints_nothing_for_valid_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-q", str(VALID)]) == 0
    assert capsys.readouterr() == ("", "")


def test_missing_path_exits_2_with_a_clear_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{missing}: no such file or directory\n")


def test_empty_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "no *.yaml or *.yml files" in capsys.readouterr().err


def test_mixed_directory_reports_each_bad_file_and_a_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a-good.yaml").write_text(VALID.read_text())
    (tmp_path / "sub" / "b-bad.yml").write_text(VALID.read_text().replace("9999", "99x"))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    assert main(["validate", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == f"OK {tmp_path / 'a-good.yaml'}\n"
    lines = err.splitlines()
    assert lines[-1] == "1 of 2 scenario files invalid"
    assert all(line.startswith(f"{tmp_path / 'sub' / 'b-bad.yml'}:") for line in lines[:-1])
    assert "parties[0].id: expected an integer, got '99x'" in err


def test_valid_and_invalid_arguments_together_exit_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(VALID), str(MALFORMED[0])]) == 2
    out, err = capsys.readouterr()
    assert out == f"OK {VALID}\n"
    assert err.splitlines() == [expected_line(MALFORMED[0]), "1 of 2 scenario files invalid"]
