"""Entry point of `python -m nnlib`."""

import sys

from nnlib.cli import main

sys.exit(main())
