"""avatar-desktop media layer."""
