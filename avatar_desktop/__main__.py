"""``avatar-desktop`` / ``python -m avatar_desktop``.

Until the window lands (issue 9) this starts the offline demo rig on this machine's own address
and prints where it listens; ``--rig-args`` pass through to ``python -m avatar_desktop.rig``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from avatar_desktop.rig.host_address import NoUsableAddress, own_address


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="avatar-desktop", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="force the offline demo")
    parser.add_argument("--port", type=int, default=8780)
    args = parser.parse_args(argv)
    try:
        host = own_address()
    except NoUsableAddress as exc:
        print(f"avatar-desktop: {exc}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "avatar_desktop.rig", "--host", host, "--port", str(args.port)]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
