import sys

from reportedly.cli import main

sys.exit(main())
