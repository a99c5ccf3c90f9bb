"""avatar-desktop: talk with a HeyGen real-time avatar in a native window."""

__version__ = "0.1.0"
