"""`python -m reportedly.cli`: the command line."""

import sys

from reportedly.cli import main

sys.exit(main())
