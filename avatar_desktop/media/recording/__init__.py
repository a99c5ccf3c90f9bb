"""Recording the conversation to an MP4 file, beside the live view."""
