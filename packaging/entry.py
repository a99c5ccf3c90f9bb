"""PyInstaller's entry point: the same main as ``python -m avatar_desktop``."""

import sys

from avatar_desktop.__main__ import main

sys.exit(main())
