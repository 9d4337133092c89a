"""The pip route, conda's environment.yml and Binder must name the same pinned packages,
and none of them may pull a GPU build."""

from __future__ import annotations

import re

import tomllib
import yaml
from notebook_rules import ROOT

# conda-forge name -> PyPI name, where they differ
CONDA_TO_PYPI = {"pytorch": "torch"}
# packages that are spelled differently per platform on PyPI but are one thing
PYPI_ALIASES = {"tensorflow-cpu": "tensorflow"}


def _norm(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return PYPI_ALIASES.get(name, name)


def _pip_pins(path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req, _, marker = line.partition(";")
        name, _, version = req.strip().partition("==")
        assert version, f"{path.name}: '{raw}' is not pinned with =="
        pins[_norm(name)] = version.strip().split("+")[0]
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pins = {}
    for dep in env["dependencies"]:
        if not isinstance(dep, str) or dep.split("=")[0] in ("python", "pip"):
            continue
        parts = dep.split("#")[0].strip().split("=")
        assert len(parts) >= 2 and parts[1], f"environment.yml: '{dep}' is not pinned"
        pins[_norm(CONDA_TO_PYPI.get(parts[0], parts[0]))] = parts[1]
    return pins


def test_pip_and_conda_name_the_same_packages_and_versions():
    pip = _pip_pins(ROOT / "requirements" / "course.txt")
    conda = _conda_pins()
    assert set(pip) == set(conda), f"only in pip: {set(pip) - set(conda)}; only in conda: {set(conda) - set(pip)}"
    assert pip == conda, {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}


def test_binder_matches_the_pip_route():
    assert _pip_pins(ROOT / "binder" / "requirements.txt") == _pip_pins(ROOT / "requirements" / "course.txt")
    assert (ROOT / "binder" / "runtime.txt").read_text().strip().startswith("python-3.")
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "--no-deps" in post, "postBuild installs dlcourse without touching the pinned packages"


def test_no_route_pulls_gpu_builds():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in binder and "torch==2.13.0+cpu" in binder
    assert "tensorflow-cpu==" in binder
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    builds = {d.split("=")[0]: d for d in env["dependencies"] if isinstance(d, str)}
    assert builds["pytorch"].split("#")[0].strip().endswith("=cpu_*")
    assert builds["tensorflow"].split("#")[0].strip().endswith("=cpu_*")
    for path in ("requirements/course.txt", "requirements/constraints.txt", "binder/requirements.txt", "environment.yml"):
        text = (ROOT / path).read_text().lower()
        assert not re.search(r"^\s*-?\s*(nvidia-|cuda|cupy)", text, re.M), f"{path} names a GPU package"
    constraints = _pip_pins(ROOT / "requirements" / "constraints.txt")
    assert constraints["torch"] == "2.13.0"


def test_constraints_agree_with_the_pins():
    pins = _pip_pins(ROOT / "requirements" / "course.txt")
    constraints = _pip_pins(ROOT / "requirements" / "constraints.txt")
    for name, version in pins.items():
        if name in constraints:
            assert constraints[name] == version, f"{name}: course.txt {version} vs constraints.txt {constraints[name]}"


def test_core_package_stays_light_and_colab_safe():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = [_norm(re.split(r"[<>=!~ ;\[]", d)[0]) for d in project["dependencies"]]
    for heavy in ("torch", "tensorflow", "keras", "jupyterlab", "nbgrader"):
        assert heavy not in core, f"{heavy} must be an extra, not a core dependency (Colab ships its own)"
    widgets = next(d for d in project["dependencies"] if d.startswith("ipywidgets"))
    assert ">=7.7" in widgets and "<9" in widgets, "Colab ships ipywidgets 7.7: the core must accept it"
    extras = project["optional-dependencies"]
    assert {"torch", "tensorflow", "course", "test"} <= set(extras)


def test_site_tools_are_pinned_in_the_constraints():
    site = _pip_pins(ROOT / "requirements" / "site.txt")
    constraints = _pip_pins(ROOT / "requirements" / "constraints.txt")
    assert {"sphinx", "myst-nb", "sphinx-book-theme", "axe-playwright-python"} <= set(site)
    for name, version in site.items():
        assert constraints.get(name) == version, f"{name}: site.txt {version} vs constraints.txt {constraints.get(name)}"


def test_postgres_gradebook_driver_is_pinned_in_the_constraints():
    pg = _pip_pins(ROOT / "requirements" / "grading-postgres.txt")
    constraints = _pip_pins(ROOT / "requirements" / "constraints.txt")
    assert set(pg) == {"psycopg", "psycopg-binary"} and pg["psycopg"] == pg["psycopg-binary"]
    for name, version in pg.items():
        assert constraints.get(name) == version, f"{name}: grading-postgres.txt {version} vs constraints {constraints.get(name)}"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(r.startswith("psycopg[binary]") for r in extras["postgres"])


def test_the_all_extra_installs_what_the_lessons_need():
    """``pip install "dlcourse[all]"`` names every package of requirements/course.txt except the
    test tools, and accepts each pinned version (so the pinned route satisfies it)."""
    from packaging.requirements import Requirement

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = _pip_pins(ROOT / "requirements" / "course.txt")
    test_tools = {_norm(Requirement(r).name) for r in extras["test"]}
    assert test_tools <= set(pins), f"test tools missing from course.txt: {test_tools - set(pins)}"
    everything = {_norm(Requirement(r).name): Requirement(r) for r in extras["all"]}
    assert set(everything) == set(pins) - test_tools, (
        f"only in [all]: {set(everything) - set(pins)}; missing from [all]: {set(pins) - test_tools - set(everything)}"
    )
    for name, req in everything.items():
        assert req.specifier.contains(pins[name], prereleases=True), f"[all] {req} rejects the pin {name}=={pins[name]}"
    assert "transformers" in everything  # the transformers lesson needs it; [course,torch,tensorflow,rl] lacks it
