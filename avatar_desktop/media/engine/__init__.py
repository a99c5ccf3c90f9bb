"""The media engine: a child process that owns the LiveKit room, the avatar's video (into shared
memory) and voice (to the speaker). LiveKit's native core can abort its process on a malformed
server message; in a child process that is a lost session the app recovers from, not a closed
window."""
