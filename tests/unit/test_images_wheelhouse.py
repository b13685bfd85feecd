"""Unit tests of the wheelhouse builder with pip replaced by a fake that writes wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_e2e.images import catalog, wheelhouse


class FakePip:
    """Records pip calls; `pip wheel` writes the wheels it is told to, like pip would."""

    def __init__(self, wheels: dict[str, list[str]]) -> None:
        self.wheels = wheels
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], *, what: str, log: Path) -> str:
        self.calls.append(args)
        dest = Path(args[args.index("--wheel-dir" if args[0] == "wheel" else "--dest") + 1])
        key = "download" if args[0] == "download" else dest.name
        for name in self.wheels.get(key, []):
            (dest / name).write_bytes(b"PK fake wheel " + name.encode())
        log.write_text("pip output\n")
        return ""


TORCH_WHEELS = ["torch-1.13.1-cp311-cp311-manylinux1_x86_64.whl",
                "nvidia_cudnn_cu11-8.5.0.96-2-py3-none-manylinux1_x86_64.whl",
                "setuptools-80.10.2-py3-none-any.whl"]
FATE_WHEELS = [*TORCH_WHEELS, "pyfate-2.2.0-py3-none-any.whl",
               "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl",
               "mmh3-3.0.0-cp311-cp311-linux_x86_64.whl"]


@pytest.fixture()
def fake_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePip:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path / "cache"))
    pip = FakePip({".build-torch-1.13.1": TORCH_WHEELS, ".build-2.2.0": FATE_WHEELS,
                   "download": ["fate_flow-2.2.0-py3-none-any.whl"]})
    monkeypatch.setattr(wheelhouse, "_pip", pip)
    return pip


def test_release_wheelhouse_dedupes_torch_and_adds_fate_flow(fake_pip: FakePip) -> None:
    house = wheelhouse.release_wheelhouse(catalog.release("2.2.0"))
    names = sorted(p.name for p in house.path.glob("*.whl"))
    assert names == ["fate_flow-2.2.0-py3-none-any.whl",
                     "mmh3-3.0.0-cp311-cp311-linux_x86_64.whl",
                     "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl",
                     "pyfate-2.2.0-py3-none-any.whl"]
    assert house.requirements.read_text().splitlines() == \
        catalog.release("2.2.0").requirements()
    assert house.facts["source_built"] == ["mmh3-3.0.0-cp311-cp311-linux_x86_64.whl"]
    assert house.facts["reused"] is False
    assert not (house.path / "pip.log").exists()
    wheel_call = next(c for c in fake_pip.calls if c[0] == "wheel" and "-r" in c
                      and "2.2.0" in c[c.index("--wheel-dir") + 1])
    torch_dir = wheelhouse.torch_wheelhouse(catalog.TORCH_VERSION).path
    assert wheel_call[wheel_call.index("--find-links") + 1] == str(torch_dir)
    assert fake_pip.calls[-1][:2] == ["download", "--no-deps"]


def test_second_build_is_reused_without_pip(fake_pip: FakePip) -> None:
    first = wheelhouse.release_wheelhouse(catalog.release("2.2.0"))
    calls = len(fake_pip.calls)
    again = wheelhouse.release_wheelhouse(catalog.release("2.2.0"))
    assert again.path == first.path
    assert again.facts["reused"] is True
    assert len(fake_pip.calls) == calls


def test_failed_build_leaves_no_stamp(fake_pip: FakePip, monkeypatch: pytest.MonkeyPatch) -> None:
    wheelhouse.torch_wheelhouse(catalog.TORCH_VERSION)

    def broken(args: list[str], *, what: str, log: Path) -> str:
        raise RuntimeError("pip exploded")

    monkeypatch.setattr(wheelhouse, "_pip", broken)
    with pytest.raises(RuntimeError):
        wheelhouse.release_wheelhouse(catalog.release("2.2.0"))
    monkeypatch.setattr(wheelhouse, "_pip", fake_pip)
    house = wheelhouse.release_wheelhouse(catalog.release("2.2.0"))
    assert house.facts["reused"] is False


def test_pinned_reads_versions_from_wheel_names(tmp_path: Path) -> None:
    for name in ("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl",
                 "typing_extensions-4.16.0-py3-none-any.whl", "pandas-3.0.6-cp311-x.whl"):
        (tmp_path / name).write_text("")
    assert wheelhouse.pinned(tmp_path, "numpy", "typing-extensions") == \
        ["numpy==1.26.4", "typing_extensions==4.16.0"]
