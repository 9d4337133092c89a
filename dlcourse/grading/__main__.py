"""``python -m dlcourse.grading run|feedback|export|check ...`` (same as ``dlcourse grade ...``)."""

import sys

from .cli import main

sys.exit(main())
