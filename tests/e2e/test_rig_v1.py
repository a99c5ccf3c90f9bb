"""The Interactive Avatar Streaming API v1 flow: create_token → new → start → LiveKit → task."""

from __future__ import annotations

import httpx
import pytest

from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e


async def test_v1_session_streams_and_speaks_tasks(rig: RigHandle) -> None:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        created = await http.post("/v1/streaming.create_token", headers={"x-api-key": rig.api_key})
        assert created.json()["code"] == 100
        bearer = {"Authorization": f"Bearer {created.json()['data']['token']}"}
        new = await http.post(
            "/v1/streaming.new", headers=bearer,
            json={"quality": "medium", "version": "v2", "video_encoding": "VP8"},
        )  # fmt: skip
        data = new.json()["data"]
        session = {"session_id": data["session_id"]}
        probe = ProbeClient()
        try:
            assert (await http.post("/v1/streaming.start", headers=bearer, json=session)).is_success
            await probe.connect(data["url"], data["access_token"])
            await probe.wait_for_video(10, timeout_s=15)
            assert (probe.video[-1].width, probe.video[-1].height) == (852, 480)
            task = await http.post(
                "/v1/streaming.task", headers=bearer,
                json={**session, "text": "Repeat after me please", "task_type": "repeat"},
            )  # fmt: skip
            assert task.status_code == 200, task.text
            assert task.json()["data"]["duration_ms"] > 500
            await probe.wait_for_event("avatar_start_talking")
            await probe.wait_for_event("avatar_stop_talking")
            words = [
                e["message"] for _, e in probe.events if e.get("type") == "avatar_talking_message"
            ]
            assert "".join(words).strip() == "Repeat after me please"
            stop_event = next(e for _, e in probe.events if e.get("type") == "avatar_stop_talking")
            assert stop_event["duration_ms"] == task.json()["data"]["duration_ms"]
            listed = await http.get("/v1/streaming.list", headers=bearer)
            assert [s["session_id"] for s in listed.json()["data"]["sessions"]] == [
                data["session_id"]
            ]
            interrupt = await http.post("/v1/streaming.interrupt", headers=bearer, json=session)
            assert interrupt.is_success
            keep = await http.post("/v1/streaming.keep_alive", headers=bearer, json=session)
            assert keep.is_success
        finally:
            await probe.close()
            await http.post("/v1/streaming.stop", headers=bearer, json=session)
