"""`python -m harken_local` is `harken local`."""

import sys

from harken_local.cli import main

sys.exit(main(sys.argv[1:]))
