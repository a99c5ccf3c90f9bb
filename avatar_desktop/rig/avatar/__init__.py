"""The synthetic avatar: a real LiveKit participant that shows a face, speaks and listens."""
