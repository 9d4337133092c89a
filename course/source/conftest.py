"""pytest settings for the assignment sources (run by nbval, see ``testpaths`` in pyproject.toml).

The hidden tests give partial credit (``dlcourse.selfcheck.Parts``): a failed part costs its
points instead of failing the cell, which nbval cannot see. For the *sources*, whose reference
solutions must earn every point, ``DLCOURSE_SELFCHECK_STRICT`` turns a failed part back into an
error, so ``pytest course/source`` fails when a solution would lose a point. The variable is set
only while these notebooks run (their kernels inherit it); nbgrader's kernels never see it.
"""

import os

import pytest

from dlcourse.selfcheck import STRICT_ENV


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    os.environ[STRICT_ENV] = "1"  # before nbval starts the notebook's kernel


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    os.environ.pop(STRICT_ENV, None)
