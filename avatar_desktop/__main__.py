"""``avatar-desktop`` / ``python -m avatar_desktop``: the window (the offline demo with no key).

A frozen app has one executable, so it also serves its helper processes, chosen by the first
argument before anything heavy is imported: ``--media-engine`` (the LiveKit room), ``--rig``
(the offline demo's services) and ``--rig-avatar`` (the demo's synthetic avatar).
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    # In a frozen app, multiprocessing's helpers (the shared-memory resource tracker) re-run
    # this executable with their own arguments: let them through before anything else.
    multiprocessing.freeze_support()
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "--media-engine":
        from avatar_desktop.media.engine.__main__ import main as engine_main

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        engine_main()
        return 0
    if role == "--rig":
        from avatar_desktop.rig.__main__ import main as rig_main

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        rig_main()
        return 0
    if role == "--rig-avatar":
        from avatar_desktop.rig.avatar.__main__ import main as avatar_main

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        avatar_main()
        return 0
    from avatar_desktop.app import main as app_main

    return app_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
