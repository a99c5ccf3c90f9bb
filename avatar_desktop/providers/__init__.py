"""avatar-desktop providers layer."""
