"""``python -m dlcourse ...`` runs the ``dlcourse`` command line (see :mod:`dlcourse.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
