"""`python3 hack/controlplane ...`: the package run by its directory (see cli.py)."""

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # hack/, where `controlplane` is

from controlplane.cli import main  # noqa: E402

sys.exit(main())
