"""avatar-desktop ui layer."""
