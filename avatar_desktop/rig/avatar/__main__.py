"""``python -m avatar_desktop.rig.avatar CONFIG_JSON``: one synthetic avatar for one session.

Commands arrive as JSON lines on stdin, reports leave as JSON lines on stdout. The process ends
when its room goes away, on ``{"cmd": "quit"}``, or when stdin closes (the rig is gone).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from . import brain
from .participant import AvatarConfig, SyntheticAvatar
from .speech import SpeechSynthesizer


def _report(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _read_commands(avatar: SyntheticAvatar) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            command = json.loads(line)
        except json.JSONDecodeError:
            continue
        await _handle(avatar, command)
    avatar.stop()


async def _handle(avatar: SyntheticAvatar, command: dict[str, Any]) -> None:
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
    _report(reply)


async def _main(config: AvatarConfig) -> None:
    avatar = SyntheticAvatar(config, SpeechSynthesizer(), _report)
    reader = asyncio.get_running_loop().create_task(_read_commands(avatar))
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
