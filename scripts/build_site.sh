#!/usr/bin/env bash
# Build the course website into _build/html: every lesson executed with the course
# environment (by site/execute.py; executions are cached in _build/.executed, so an
# unchanged lesson is not run again), with its figures, printed results and knowledge checks.
# Usage: bash scripts/build_site.sh [extra sphinx-build arguments]
# Then open _build/html/index.html in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
.venv/bin/python -m pip install --quiet -r requirements/site.txt -c requirements/constraints.txt
export PATH="$PWD/.venv/bin:$PATH"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # see tests/conftest.py
unset MPLBACKEND   # the kernels draw with the inline backend, as in JupyterLab (Agg would show no figure)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"    # the kernels import this checkout's dlcourse

# What is published, laid out as in the repository (the launch buttons rely on it). The
# assignment sources hold solutions and hidden tests: never published.
src=_build/site-src
rm -rf "$src"
mkdir -p "$src"
cp -r course "$src/course"
rm -rf "$src/course/source" "$src/course/submitted" "$src/course/autograded" "$src/course/feedback" \
    "$src/course/dlcourse_grading" "$src/course/gradebook.db" "$src/course/nbgrader_config.py"
find "$src" -name ".ipynb_checkpoints" -prune -exec rm -rf {} +
cp site/index.md site/instructor.md site/api.md README.md "$src/"

start=$(date +%s)
python site/execute.py "$src" ${DLCOURSE_SITE_JOBS:+--jobs "$DLCOURSE_SITE_JOBS"}
python -m sphinx -b html -c site --keep-going -q "$src" _build/html "$@"
echo "site built in $(( $(date +%s) - start )) s: open _build/html/index.html"
