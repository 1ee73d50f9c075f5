"""``python -m bounds``: the command line (see ``bounds.cli``)."""

import sys

from bounds.cli import main

sys.exit(main())
