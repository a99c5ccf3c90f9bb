"""The local avatar rig: the real LiveKit server, an emulator of HeyGen's HTTP APIs and a
synthetic avatar that joins each session's room and talks.

The rig models the outside world. It imports nothing of the app (core, providers, media, ui), so
that tests check the app against an independent stand-in and not against itself.
"""
