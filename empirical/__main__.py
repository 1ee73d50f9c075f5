"""``python -m empirical``: the command line (see ``empirical.cli``)."""

import sys

from empirical.cli import main

sys.exit(main())
