"""``avatar-desktop`` / ``python -m avatar_desktop``: the window (the offline demo with no key)."""

from __future__ import annotations

import sys


def main() -> int:
    from avatar_desktop.app import main as app_main

    return app_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
