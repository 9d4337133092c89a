import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never touch the internet: lessons take their offline path at once (kernels inherit this).
os.environ.setdefault("DLCOURSE_OFFLINE", "1")
# OpenMP threads that spin while waiting starve the other process on a 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).parent))
