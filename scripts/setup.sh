#!/usr/bin/env bash
# Set up the course environment in .venv (idempotent): the pinned course packages and
# dlcourse itself, in editable mode. Usage: bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements/course.txt -c requirements/constraints.txt -e .
# Refuse an environment that pulled a GPU build of torch by accident (several GB).
.venv/bin/python - <<'PYEOF'
import importlib.metadata as md
bad = [d.metadata["Name"] for d in md.distributions() if (d.metadata["Name"] or "").lower().startswith("nvidia-")]
if bad:
    raise SystemExit(f"CUDA packages were installed ({', '.join(sorted(bad))}); see requirements/course.txt for the CPU index")
PYEOF
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dlcourse)" >/dev/null
echo "dlcourse environment ready in .venv ($(.venv/bin/python --version))"
