"""The libraries we reach into are installed at versions the pins allow, and every reach still
fits them; a failure names the package."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from server import reaches

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENTS = [Requirement(line) for line in (
    *PYPROJECT["project"]["dependencies"],
    *PYPROJECT["project"]["optional-dependencies"]["test"])]


def test_every_reach_fits_the_installed_libraries() -> None:
    assert reaches.check() == []


def test_a_reach_that_no_longer_fits_is_named_by_its_package() -> None:
    broken = reaches.Reach("sqlalchemy", "server/store/inline_sqlite.py", "a gone class",
                           reaches._needs("sqlalchemy.dialects.sqlite.aiosqlite",
                                          "AsyncAdapt_aiosqlite_cursor", "_no_such_thing"))
    original = reaches.REACHES
    reaches.REACHES = (*original, broken)
    try:
        [problem] = reaches.check()
    finally:
        reaches.REACHES = original
    assert problem.startswith("sqlalchemy: server/store/inline_sqlite.py") and "_no_such_thing" in problem


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r.name)
def test_every_dependency_has_an_upper_bound_and_is_installed_within_it(
        requirement: Requirement) -> None:
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
        f"{requirement.name} has no upper bound in pyproject.toml")
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        pytest.fail(f"{requirement.name} is not installed")
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is outside the tested range {requirement.specifier}")


def test_the_constraints_pin_every_dependency_inside_its_range() -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = pinned.strip()
    for requirement in REQUIREMENTS:
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name} {pins[name]}, outside {requirement.specifier}")
