"""``python -m avatar_desktop.rig.avatar CONFIG_JSON``: one synthetic avatar for one session.

Commands arrive as JSON lines on stdin, reports leave as JSON lines on stdout. The process ends
when its room goes away, on ``{"cmd": "quit"}``, or when either pipe closes (the rig is gone,
however it went): then within ``LIFELINE_GRACE_S``, even if the room will not let go.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from avatar_desktop.lifeline import exit_within, stdin_reader

from . import brain
from .participant import AvatarConfig, SyntheticAvatar
from .speech import SpeechSynthesizer

log = logging.getLogger("avatar_desktop.rig.avatar")
LIFELINE_GRACE_S = 5.0


class RigLink:
    """The avatar's pipes to the rig; the end of either one means the rig is gone."""

    def __init__(self) -> None:
        self.avatar: SyntheticAvatar | None = None
        self._reports_flow = True
        self._gone = False

    def report(self, message: dict[str, Any]) -> None:
        if not self._reports_flow:
            return
        try:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        except OSError:  # a broken pipe (Windows says EINVAL)
            self._reports_flow = False
            self.rig_gone()

    def rig_gone(self) -> None:
        if self._gone:
            return
        self._gone = True
        if self.avatar is not None:
            self.avatar.stop()
        exit_within(LIFELINE_GRACE_S, "the rig")


async def _read_commands(avatar: SyntheticAvatar, link: RigLink) -> None:
    reader = stdin_reader(asyncio.get_running_loop())
    while line := await reader.readline():
        try:
            command = json.loads(line)
        except json.JSONDecodeError:
            continue
        await _handle(avatar, command, link)
    link.rig_gone()


async def _handle(avatar: SyntheticAvatar, command: dict[str, Any], link: RigLink) -> None:
    kind = command.get("cmd")
    reply: dict[str, Any] = {"event": "reply", "reply_to": command.get("id")}
    if kind == "speak":
        text = str(command.get("text", ""))
        if command.get("mode") == "talk":
            text, _lang = brain.reply_to(text, avatar.config.language)
        utterance = await avatar.say(text, task_id=str(command.get("task_id", "")))
        reply["duration_ms"] = utterance.duration_ms
    elif kind == "interrupt":
        avatar.interrupt()
    elif kind == "voice_chat":
        avatar.config.push_to_talk = bool(command.get("push_to_talk"))
    elif kind == "listening":
        avatar.counters.listening = bool(command.get("on"))
    elif kind == "publish_tracks":
        await avatar.publish_tracks()
    elif kind == "send_malformed":
        reply["sent"] = avatar.send_malformed()
    elif kind == "session_stopped":
        avatar.session_stopped(str(command.get("reason", "SERVER_ERROR")))
        await asyncio.sleep(0.3)  # let the event leave before the room is deleted
    elif kind == "quit":
        avatar.stop()
    link.report(reply)


async def _main(config: AvatarConfig) -> None:
    link = RigLink()
    avatar = SyntheticAvatar(config, SpeechSynthesizer(), link.report)
    link.avatar = avatar
    reader = asyncio.get_running_loop().create_task(_read_commands(avatar, link))
    try:
        await avatar.run()
    finally:
        reader.cancel()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="avatar %(levelname)s %(message)s"
    )
    config = AvatarConfig(**json.loads(sys.argv[1]))
    asyncio.run(_main(config))


if __name__ == "__main__":
    main()
