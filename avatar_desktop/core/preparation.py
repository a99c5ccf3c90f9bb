"""The steps before any session can start (the offline demo's rig coming up), and what the
window says of each, in the source language: the UI translates each text with
QCoreApplication.translate("Preparation", text); scripts/update_translations.py extracts them."""

from __future__ import annotations

import enum


class Preparation(enum.Enum):
    STARTING_DEMO = "starting_demo"
    BUILDING_SERVER = "building_server"
    NO_ADDRESS = "no_address"
    DEMO_FAILED = "demo_failed"

    @property
    def failed(self) -> bool:
        return self in (Preparation.NO_ADDRESS, Preparation.DEMO_FAILED)


PREPARATION_TEXT: dict[Preparation, str] = {
    Preparation.STARTING_DEMO: "Preparing the offline demo…",
    Preparation.BUILDING_SERVER: (
        "Preparing the offline demo: building the local LiveKit server (once, about two minutes)…"
    ),
    Preparation.NO_ADDRESS: (
        "The offline demo needs a network address other than loopback (WebRTC does not use "
        "127.0.0.1), and this machine has none. Connect to any network, even without internet, "
        "then press Start."
    ),
    Preparation.DEMO_FAILED: (
        "The offline demo could not start. Press Start to try again; the diagnostics say why."
    ),
}
