"""avatar-desktop core layer."""
